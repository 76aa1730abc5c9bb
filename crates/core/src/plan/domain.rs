//! The API's regional custom domain name (`domain`): tagged, recorded in `/jwtstack/{name}/domain`, its root
//! mapped to the `$default` stage and nothing else, its alias records (see `dns`) when the stack names the
//! zone. A domain name someone else holds, or a certificate that cannot serve it, is refused before any change.

use super::desired::Planner;
use super::dns::{self, AliasTarget, DnsOwner};
use super::render::{ChangeJson, set};
use super::{Action, ApiId, Conflict, Diff, Inventory, KindStep, MappingId, Placement, Ref, Step};
use crate::config::{ApiDomain, IpAddressType};
use crate::names::{STAGE_NAME, api_domain_record};

/// What API Gateway's domain settings must be (regional endpoint, TLS 1.2).
pub const ENDPOINT_TYPE: &str = "REGIONAL";
pub const SECURITY_POLICY: &str = "TLS_1_2";

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApiDomainInfo {
    pub name: String,
    pub certificate_arn: Option<String>,
    pub endpoint_type: Option<String>,
    pub security_policy: Option<String>,
    /// Who can call it (API Gateway's default, when it names none: ipv4).
    pub ip_address_type: IpAddressType,
    /// The regional endpoint the domain's DNS record points at (`d-abc123.execute-api.{region}.amazonaws.com`).
    pub target: String,
    /// That endpoint's hosted zone (the alias target's zone).
    pub target_zone: String,
    /// Carries the stack's tag.
    pub owned: bool,
    pub mappings: Vec<ApiMappingInfo>,
}

impl ApiDomainInfo {
    pub fn alias_target(&self) -> AliasTarget {
        AliasTarget {
            dns_name: self.target.clone(),
            zone: self.target_zone.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApiMappingInfo {
    pub id: MappingId,
    pub api_id: ApiId,
    pub stage: String,
    /// The base path (`""`: the root).
    pub key: String,
}

/// The custom domain names as API Gateway has them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DomainSlice {
    /// The names tagged with the stack, and the one `domain.name` names (whoever owns it), with their mappings.
    pub found: Vec<ApiDomainInfo>,
    /// What `/jwtstack/{name}/domain` names: the domain the stack recorded creating.
    pub record: Option<String>,
}

impl DomainSlice {
    pub fn find(&self, name: &str) -> Option<&ApiDomainInfo> {
        self.found.iter().find(|d| d.name == name)
    }
}

/// One change to the custom domain, its mapping or its record.
#[derive(Debug, Clone, PartialEq)]
pub enum DomainStep {
    /// The regional custom domain name (TLS 1.2), tagged; `record` is written first.
    Create {
        name: String,
        certificate_arn: String,
        ip_address_type: IpAddressType,
        record: String,
    },
    /// Rewrites the domain's configuration whole (UpdateDomainName replaces it): every field is sent.
    Update {
        name: String,
        diffs: Vec<Diff>,
        certificate_arn: String,
        ip_address_type: IpAddressType,
    },
    /// Maps the domain's root to the API's stage: an HTTP API's `$default`, a REST API's `live` (or its
    /// `api.stage`).
    CreateMapping {
        api: Ref<ApiId>,
        domain: String,
        stage: String,
    },
    DeleteMapping {
        domain: String,
        id: MappingId,
    },
    /// Deletes the domain name, then the record that names it (`None`: the record names another domain).
    Delete {
        name: String,
        record: Option<String>,
    },
    /// Records a domain of the stack that it had not recorded.
    Record {
        parameter: String,
        value: String,
    },
    /// Removes a record whose domain is gone.
    DeleteRecord {
        parameter: String,
    },
}

impl From<DomainStep> for Step {
    fn from(s: DomainStep) -> Step {
        Step::Domain(s)
    }
}

impl KindStep for DomainStep {
    fn placement(&self) -> Placement {
        Placement::MAIN
    }

    fn lines(&self) -> Vec<ChangeJson> {
        use Action::*;
        vec![match self {
            DomainStep::Create {
                name,
                certificate_arn,
                ip_address_type,
                ..
            } => ChangeJson::new(
                Create,
                "apigw_domain",
                name.as_str(),
                vec![
                    set("certificate_arn", certificate_arn.as_str()),
                    set("endpoint", "REGIONAL, TLS_1_2"),
                    set("ip_address_type", ip_address_type.as_str()),
                ],
            ),
            DomainStep::Update { name, diffs, .. } => ChangeJson::new(Update, "apigw_domain", name.as_str(), diffs.clone()),
            DomainStep::CreateMapping { domain, stage, .. } => ChangeJson::new(
                Create,
                "apigw_api_mapping",
                format!("{domain}/"),
                vec![set("target", format!("this stack's API, stage {stage}"))],
            ),
            DomainStep::DeleteMapping { domain, id } => ChangeJson::new(Delete, "apigw_api_mapping", format!("{domain} ({id})"), vec![]),
            DomainStep::Delete { name, .. } => ChangeJson::new(Delete, "apigw_domain", name.as_str(), vec![]),
            DomainStep::Record { parameter, value } => {
                ChangeJson::new(Create, "ssm_parameter", parameter.as_str(), vec![set("value", value.as_str())])
            }
            DomainStep::DeleteRecord { parameter } => ChangeJson::new(Delete, "ssm_parameter", parameter.as_str(), vec![]),
        }]
    }
}

/// ACM's certificate for a regional custom domain: in the stack's region, ISSUED, covering the name.
fn check_certificate(d: &ApiDomain, inv: &Inventory) -> Result<(), Conflict> {
    let cert_region = d.certificate_arn.split(':').nth(3).unwrap_or_default();
    let why = if cert_region != inv.region {
        Some(format!("it is in {cert_region}"))
    } else {
        dns::certificate_problem(inv.api_dns.certificate.as_ref(), &d.name, &inv.region)
    };
    match why {
        Some(why) => Err(Conflict::ApiCertificateNotUsable {
            arn: d.certificate_arn.clone(),
            domain: d.name.clone(),
            region: inv.region.clone(),
            why,
        }),
        None => Ok(()),
    }
}

/// The stage the domain's root is mapped to: an HTTP API's `$default`, a REST API's (API mappings serve both,
/// whatever a REST API's endpoint type: "For REST APIs, both edge-optimized and Regional custom domain names
/// can have mappings for edge-optimized API endpoints, Regional API endpoints, or both", AWS Knowledge Center,
/// custom-domain-name-amazon-api-gateway).
fn mapped_stage(stack: &crate::config::Stack) -> &str {
    match stack.api_type {
        crate::config::ApiType::Http => STAGE_NAME,
        crate::config::ApiType::Rest => stack.rest_stage(),
    }
}

/// The custom domain, its mapping to the API's stage and its alias records, after the stage.
pub(super) fn plan(p: &mut Planner<'_>) -> Result<(), Conflict> {
    let Some(d) = p.d.domain() else {
        return Ok(());
    };
    let (stack, inv) = (p.d.stack, p.inv);
    check_certificate(d, inv)?;
    let existing = inv.domain.find(&d.name);
    // Declared, or what the domain has: a dualstack set by hand is not reset by an undeclared type.
    let ip_address_type = d
        .ip_address_type
        .or(existing.map(|x| x.ip_address_type))
        .unwrap_or(IpAddressType::Ipv4);
    match existing {
        Some(x) if !x.owned => {
            return Err(Conflict::ApiDomainTaken {
                domain: d.name.clone(),
                owner: "no jwtstack:stack tag of this stack".into(),
            });
        }
        None => p.push(DomainStep::Create {
            name: d.name.clone(),
            certificate_arn: d.certificate_arn.clone(),
            ip_address_type,
            record: api_domain_record(&stack.name),
        }),
        Some(x) => {
            if inv.domain.record.as_deref() != Some(d.name.as_str()) {
                p.push(DomainStep::Record {
                    parameter: api_domain_record(&stack.name),
                    value: d.name.clone(),
                });
            }
            let mut diffs = Vec::new();
            let mut field = |name: &str, current: &Option<String>, wanted: &str| {
                if current.as_deref() != Some(wanted) {
                    diffs.push(Diff::new(name, current.clone().unwrap_or_else(|| "none".into()), wanted));
                }
            };
            field("certificate_arn", &x.certificate_arn, &d.certificate_arn);
            field("endpoint_type", &x.endpoint_type, ENDPOINT_TYPE);
            field("security_policy", &x.security_policy, SECURITY_POLICY);
            if x.ip_address_type != ip_address_type {
                diffs.push(Diff::new("ip_address_type", x.ip_address_type.as_str(), ip_address_type.as_str()));
            }
            if !diffs.is_empty() {
                p.push(DomainStep::Update {
                    name: d.name.clone(),
                    diffs,
                    certificate_arn: d.certificate_arn.clone(),
                    ip_address_type,
                });
            }
        }
    }
    let api_id = inv.api.as_ref().map(|a| &a.id);
    let stage = mapped_stage(stack);
    let mut mapped = false;
    for m in existing.map(|x| x.mappings.as_slice()).unwrap_or_default() {
        if Some(&m.api_id) == api_id && m.stage == stage && m.key.is_empty() && !mapped {
            mapped = true;
        } else {
            // The stack's domain serves the stack's API at its root, and nothing else.
            p.push(DomainStep::DeleteMapping {
                domain: d.name.clone(),
                id: m.id.clone(),
            });
        }
    }
    if !mapped {
        let api = p.api();
        p.push(DomainStep::CreateMapping {
            api,
            domain: d.name.clone(),
            stage: stage.to_string(),
        });
    }
    let target = existing.map(ApiDomainInfo::alias_target);
    match &d.hosted_zone_id {
        Some(zone) => dns::plan_alias_records(
            p,
            DnsOwner::ApiDomain,
            zone,
            &d.name,
            target,
            ip_address_type == IpAddressType::Dualstack,
        )?,
        None => p.note(match &target {
            Some(t) => format!(
                "add this DNS record for the API's domain (or set domain.hosted_zone_id): {} CNAME {}",
                d.name, t.dns_name
            ),
            None => format!(
                "after this deploy, point {} at the domain's API Gateway endpoint (`jwtstack outputs` gives the record), or set domain.hosted_zone_id",
                d.name
            ),
        }),
    }
    Ok(())
}

/// The stack's domain names it no longer declares (all of them, for teardown), with their records and
/// mappings first; then a record whose domain is gone (deleted, or a run that died between recording and
/// creating it).
pub(super) fn remove(p: &mut Planner<'_>) {
    let (stack, inv) = (p.d.stack, p.inv);
    let keep = p.d.domain().map(|d| d.name.as_str());
    for x in inv.domain.found.iter().filter(|x| x.owned && Some(x.name.as_str()) != keep) {
        // The records can be found only where the stack file still names the zone.
        match stack
            .domain
            .as_ref()
            .filter(|d| d.name == x.name)
            .and_then(|d| d.hosted_zone_id.as_ref())
        {
            Some(zone) => dns::remove_alias_records(p, DnsOwner::ApiDomain, zone, &x.name, &x.alias_target()),
            None => p.note(format!(
                "the domain name {} is removed; a DNS record that points at {} is not jwtstack's to know about: remove it where it lives",
                x.name, x.target
            )),
        }
        for m in &x.mappings {
            p.push(DomainStep::DeleteMapping {
                domain: x.name.clone(),
                id: m.id.clone(),
            });
        }
        // The record names the declared domain: kept when the stack moves to another name.
        let forget = stack.domain.as_ref().is_none_or(|d| d.name == x.name);
        p.push(DomainStep::Delete {
            name: x.name.clone(),
            record: forget.then(|| api_domain_record(&stack.name)),
        });
    }
    if let Some(r) = &inv.domain.record
        && p.d.domain().is_none()
        && !inv.domain.found.iter().any(|x| x.owned && &x.name == r)
    {
        p.push(DomainStep::DeleteRecord {
            parameter: api_domain_record(&stack.name),
        });
    }
}

#[cfg(test)]
impl DomainStep {
    pub(super) fn simulate(&self, inv: &mut Inventory, sim: &mut super::tests::Sim) {
        let api_id = inv.api.as_ref().map(|a| a.id.clone());
        fn find<'a>(found: &'a mut [ApiDomainInfo], name: &str) -> &'a mut ApiDomainInfo {
            found.iter_mut().find(|d| d.name == name).expect("the domain exists")
        }
        let slice = &mut inv.domain;
        match self {
            DomainStep::Create {
                name,
                certificate_arn,
                ip_address_type,
                ..
            } => {
                slice.record = Some(name.clone());
                slice.found.push(ApiDomainInfo {
                    name: name.clone(),
                    certificate_arn: Some(certificate_arn.clone()),
                    endpoint_type: Some(ENDPOINT_TYPE.into()),
                    security_policy: Some(SECURITY_POLICY.into()),
                    ip_address_type: *ip_address_type,
                    target: format!("d-{}.execute-api.us-east-1.amazonaws.com", sim.next_id()),
                    target_zone: "Z1UJRXOUMOOFQ8".into(),
                    owned: true,
                    mappings: vec![],
                });
            }
            DomainStep::Update {
                name,
                certificate_arn,
                ip_address_type,
                ..
            } => {
                let d = find(&mut slice.found, name);
                d.certificate_arn = Some(certificate_arn.clone());
                d.ip_address_type = *ip_address_type;
            }
            DomainStep::CreateMapping { domain, stage, .. } => {
                let id = sim.next_id().into();
                find(&mut slice.found, domain).mappings.push(ApiMappingInfo {
                    id,
                    api_id: api_id.expect("the API exists"),
                    stage: stage.clone(),
                    key: String::new(),
                });
            }
            DomainStep::DeleteMapping { domain, id } => find(&mut slice.found, domain).mappings.retain(|m| &m.id != id),
            DomainStep::Delete { name, record } => {
                slice.found.retain(|d| &d.name != name);
                if record.is_some() {
                    slice.record = None;
                }
            }
            DomainStep::Record { value, .. } => slice.record = Some(value.clone()),
            DomainStep::DeleteRecord { .. } => slice.record = None,
        }
    }
}
