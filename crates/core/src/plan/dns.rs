//! What a custom domain needs, whoever serves it (the issuer's CloudFront distribution, the API's regional
//! endpoint): an ACM certificate that can serve the name, and the alias records in its Route 53 zone (A, and
//! AAAA where the endpoint serves IPv6), which jwtstack writes only where no one else's record stands.

use super::desired::Planner;
use super::render::{ChangeJson, set};
use super::{Action, Conflict, Diff, Inventory, KindStep, Placement, Ref, Step};

/// The hosted zone of every CloudFront distribution, the alias target's zone (Route 53 Developer Guide,
/// "Value/route traffic to: CloudFront distribution", and the AliasTarget API reference).
pub const CLOUDFRONT_ZONE_ID: &str = "Z2FDTNDATAQYW2";

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CertificateInfo {
    pub arn: String,
    /// ACM's status: `ISSUED`, `PENDING_VALIDATION`, `EXPIRED`...
    pub status: String,
    /// The domain name and the subject alternative names.
    pub domains: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AliasRecordInfo {
    /// `A`, `AAAA` or `CNAME`.
    pub record_type: String,
    /// The alias target's DNS name without the final dot; `None` for a record that is not an alias.
    pub alias_target: Option<String>,
    /// A record that is not an alias: its values (a CNAME's name), without the final dot.
    pub values: Vec<String>,
}

/// The alias record types jwtstack writes: A always, AAAA where the endpoint answers IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RecordType {
    A,
    Aaaa,
}

impl RecordType {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::A => "A",
            RecordType::Aaaa => "AAAA",
        }
    }

    /// A and, when the endpoint serves IPv6, AAAA.
    pub fn for_endpoint(ipv6: bool) -> Vec<RecordType> {
        if ipv6 {
            vec![RecordType::A, RecordType::Aaaa]
        } else {
            vec![RecordType::A]
        }
    }
}

/// `A, AAAA`.
fn names(types: &[RecordType]) -> String {
    types.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")
}

/// A custom domain's certificate and records, as ACM and Route 53 have them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DomainDns {
    /// The certificate the stack names (`None`: ACM has no such certificate, or none is named).
    pub certificate: Option<CertificateInfo>,
    /// The A, AAAA and CNAME records of the domain in the zone the stack names.
    pub records: Vec<AliasRecordInfo>,
    /// The name of the zone the stack names, as Route 53 has it (`None`: no zone named).
    pub zone_name: Option<String>,
}

/// Whether `zone` (a hosted zone's name) holds `domain`: the zone of the name itself or of a parent.
pub fn zone_holds(zone: &str, domain: &str) -> bool {
    let (zone, domain) = (
        zone.trim_end_matches('.').to_ascii_lowercase(),
        domain.trim_end_matches('.').to_ascii_lowercase(),
    );
    domain == zone || domain.ends_with(&format!(".{zone}"))
}

/// What an alias record points at: an AWS endpoint's DNS name, in its hosted zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasTarget {
    pub dns_name: String,
    pub zone: String,
}

impl AliasTarget {
    /// A CloudFront distribution's domain (`d111111abcdef8.cloudfront.net`).
    pub fn distribution(domain_name: &str) -> AliasTarget {
        AliasTarget {
            dns_name: domain_name.to_string(),
            zone: CLOUDFRONT_ZONE_ID.to_string(),
        }
    }
}

/// Whose domain the records are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnsOwner {
    /// The issuer's domain (`issuer.cloudfront.domain`), to its distribution.
    Distribution,
    /// The API's domain (`domain.name`), to its regional endpoint.
    ApiDomain,
}

impl DnsOwner {
    /// How a record that is not ours is named in a refusal.
    fn what(self) -> &'static str {
        match self {
            DnsOwner::Distribution => "distribution",
            DnsOwner::ApiDomain => "API domain",
        }
    }

    /// The stack file's setting that names the zone.
    fn zone_setting(self) -> &'static str {
        match self {
            DnsOwner::Distribution => "issuer.cloudfront.hosted_zone_id",
            DnsOwner::ApiDomain => "domain.hosted_zone_id",
        }
    }
}

/// One change to a domain's records.
#[derive(Debug, Clone, PartialEq)]
pub enum DnsStep {
    /// The alias records `write` of `domain` in `zone` (the target is made by this plan when it is new), and in
    /// the same change batch the removal of the stack's records `drop` (an AAAA once the endpoint is IPv4 only).
    PutAliasRecords {
        owner: DnsOwner,
        zone: String,
        domain: String,
        target: Ref<AliasTarget>,
        write: Vec<RecordType>,
        drop: Vec<RecordType>,
    },
    /// The stack's alias records of `domain` that exist (`types`).
    DeleteAliasRecords {
        owner: DnsOwner,
        zone: String,
        domain: String,
        target: AliasTarget,
        types: Vec<RecordType>,
    },
}

impl From<DnsStep> for Step {
    fn from(s: DnsStep) -> Step {
        Step::Dns(s)
    }
}

impl KindStep for DnsStep {
    fn placement(&self) -> Placement {
        match self {
            // The issuer's records go with the issuer, before the authorizer that reads it.
            DnsStep::PutAliasRecords {
                owner: DnsOwner::Distribution,
                ..
            } => Placement::ISSUER,
            DnsStep::PutAliasRecords {
                owner: DnsOwner::ApiDomain,
                ..
            }
            | DnsStep::DeleteAliasRecords { .. } => Placement::MAIN,
        }
    }

    fn lines(&self) -> Vec<ChangeJson> {
        // The two owners' lines keep the names the plan's JSON has always given them.
        vec![match self {
            DnsStep::PutAliasRecords {
                owner: DnsOwner::Distribution,
                zone,
                domain,
                target,
                write,
                drop,
            } => {
                let mut fields = vec![
                    set(
                        "target",
                        target.known().map_or("(new distribution).cloudfront.net", |t| t.dns_name.as_str()),
                    ),
                    set("hosted_zone", zone.as_str()),
                ];
                if !drop.is_empty() {
                    fields.push(Diff::new("removed", names(drop), ""));
                }
                ChangeJson::new(
                    Action::Create,
                    "route53_alias_records",
                    format!("{domain} {}", names(write)),
                    fields,
                )
            }
            DnsStep::PutAliasRecords {
                owner: DnsOwner::ApiDomain,
                zone,
                domain,
                target,
                write,
                drop,
            } => {
                let mut fields = vec![set(
                    "target",
                    target.known().map_or("(the new domain's endpoint)", |t| t.dns_name.as_str()),
                )];
                if !drop.is_empty() {
                    fields.push(Diff::new("removed", names(drop), ""));
                }
                ChangeJson::new(
                    Action::Create,
                    "route53_alias",
                    format!("{domain} {} in {zone}", names(write)),
                    fields,
                )
            }
            DnsStep::DeleteAliasRecords {
                owner: DnsOwner::Distribution,
                domain,
                target,
                types,
                ..
            } => ChangeJson::new(
                Action::Delete,
                "route53_alias_records",
                format!("{domain} {}", names(types)),
                vec![Diff::new("target", target.dns_name.as_str(), "")],
            ),
            DnsStep::DeleteAliasRecords {
                owner: DnsOwner::ApiDomain,
                zone,
                domain,
                types,
                ..
            } => ChangeJson::new(
                Action::Delete,
                "route53_alias",
                format!("{domain} {} in {zone}", names(types)),
                vec![],
            ),
        }]
    }
}

impl Inventory {
    /// The certificate and records of a domain.
    pub fn dns(&self, owner: DnsOwner) -> &DomainDns {
        match owner {
            DnsOwner::Distribution => &self.issuer_dns,
            DnsOwner::ApiDomain => &self.api_dns,
        }
    }
}

/// Why ACM's certificate (as read in `region`) cannot serve `domain`; `None` when it can: it exists, is ISSUED
/// and covers the name.
pub(super) fn certificate_problem(cert: Option<&CertificateInfo>, domain: &str, region: &str) -> Option<String> {
    let Some(cert) = cert else {
        return Some(format!("ACM in {region} has no such certificate"));
    };
    if cert.status != "ISSUED" {
        return Some(format!("its status is {}", cert.status));
    }
    if !cert.domains.iter().any(|d| covers(d, domain)) {
        return Some(format!("it is for {}", cert.domains.join(", ")));
    }
    None
}

/// A certificate name covers `domain`: equal, or a wildcard one label deep (`*.example.com`).
fn covers(name: &str, domain: &str) -> bool {
    let name = name.to_ascii_lowercase();
    match name.strip_prefix("*.") {
        Some(parent) => domain
            .split_once('.')
            .is_some_and(|(first, rest)| !first.is_empty() && rest == parent),
        None => name == domain,
    }
}

/// The alias records of `domain` in `zone` to `target` (`None`: made by this plan): A, and AAAA when the
/// endpoint serves IPv6 (`ipv6`); an AAAA of the stack's is removed when it no longer does. A record that points
/// anywhere else (anywhere, when the target is new) is not jwtstack's to overwrite, and a CNAME of the name
/// forbids any alias beside it: both are refused before any change.
pub(super) fn plan_alias_records(
    p: &mut Planner<'_>,
    owner: DnsOwner,
    zone: &str,
    domain: &str,
    target: Option<AliasTarget>,
    ipv6: bool,
) -> Result<(), Conflict> {
    if let Some(name) = p.inv.dns(owner).zone_name.as_deref().filter(|n| !zone_holds(n, domain)) {
        return Err(Conflict::ZoneNotTheDomains {
            setting: owner.zone_setting(),
            zone: zone.to_string(),
            zone_name: name.trim_end_matches('.').to_string(),
            domain: domain.to_string(),
        });
    }
    let records = &p.inv.dns(owner).records;
    for r in records {
        if r.record_type == "CNAME" {
            let points = r.values.first().cloned().unwrap_or_default();
            return Err(Conflict::CnameBesideAlias {
                what: owner.what(),
                ours: target.as_ref().is_some_and(|t| points.eq_ignore_ascii_case(&t.dns_name)),
                domain: domain.to_string(),
                zone: zone.to_string(),
                target: points,
            });
        }
        let points = r.alias_target.clone().unwrap_or_else(|| "(not an alias)".into());
        if !target.as_ref().is_some_and(|t| points.eq_ignore_ascii_case(&t.dns_name)) {
            return Err(Conflict::AliasRecordTaken {
                what: owner.what(),
                domain: domain.to_string(),
                zone: zone.to_string(),
                record_type: r.record_type.clone(),
                target: points,
            });
        }
    }
    let has = |t: RecordType| records.iter().any(|r| r.record_type == t.as_str());
    let write = RecordType::for_endpoint(ipv6);
    let drop: Vec<RecordType> = [RecordType::Aaaa].into_iter().filter(|t| !write.contains(t) && has(*t)).collect();
    if !write.iter().all(|t| has(*t)) || !drop.is_empty() {
        p.push(DnsStep::PutAliasRecords {
            owner,
            zone: zone.to_string(),
            domain: domain.to_string(),
            target: Ref::from_option(target),
            write,
            drop,
        });
    }
    Ok(())
}

/// The records of `domain` that point at `target`, when there are any.
pub(super) fn remove_alias_records(p: &mut Planner<'_>, owner: DnsOwner, zone: &str, domain: &str, target: &AliasTarget) {
    let types: Vec<RecordType> =
        [RecordType::A, RecordType::Aaaa]
            .into_iter()
            .filter(|t| {
                p.inv.dns(owner).records.iter().any(|r| {
                    r.record_type == t.as_str() && r.alias_target.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(&target.dns_name))
                })
            })
            .collect();
    if !types.is_empty() {
        p.push(DnsStep::DeleteAliasRecords {
            owner,
            zone: zone.to_string(),
            domain: domain.to_string(),
            target: target.clone(),
            types,
        });
    }
}

#[cfg(test)]
impl DnsStep {
    pub(super) fn simulate(&self, inv: &mut Inventory) {
        let (owner, records) = match self {
            DnsStep::PutAliasRecords {
                owner,
                domain,
                target,
                write,
                ..
            } => {
                let target = match target {
                    Ref::Known(t) => t.dns_name.clone(),
                    Ref::New => match owner {
                        DnsOwner::Distribution => inv
                            .distribution
                            .found
                            .as_ref()
                            .expect("the distribution exists")
                            .domain_name
                            .clone(),
                        DnsOwner::ApiDomain => inv.domain.find(domain).expect("the domain exists").target.clone(),
                    },
                };
                let records = write
                    .iter()
                    .map(|t| AliasRecordInfo {
                        record_type: t.as_str().to_string(),
                        alias_target: Some(target.clone()),
                        values: vec![],
                    })
                    .collect();
                (owner, records)
            }
            DnsStep::DeleteAliasRecords { owner, .. } => (owner, Vec::new()),
        };
        match owner {
            DnsOwner::Distribution => inv.issuer_dns.records = records,
            DnsOwner::ApiDomain => inv.api_dns.records = records,
        }
    }
}
