//! The distribution in front of a private issuer bucket (`issuer.cloudfront`): its origin access control, the
//! distribution and its record, the bucket policy statement that lets it read, the invalidation of changed
//! documents, and the wait before anything depends on what it serves; removed disabled, then deleted.

use super::desired::Planner;
use super::render::{ChangeJson, set};
use super::{Action, Conflict, Diff, DistributionId, DnsOwner, Inventory, KindStep, OriginAccessControlId, Placement, Ref, Step, dns};
use crate::config::{CloudFront, Hosted, Stack};
use crate::names::{self, cloudfront_statement_id, origin_access_control_name, well_known_arn};

/// AWS's managed cache policy "CachingOptimized": minimum TTL 1 s, so the documents' `Cache-Control:
/// max-age=300` sets how long CloudFront keeps them (the rotation timing rules count on that).
pub const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";

/// The id of the distribution's only origin, the issuer bucket.
pub const ORIGIN_ID: &str = "jwtstack-issuer-bucket";

/// TLS for viewers on a custom domain (CloudFront's recommended policy).
const MINIMUM_PROTOCOL_VERSION: &str = "TLSv1.2_2021";

/// A distribution as AWS has it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DistributionInfo {
    pub id: DistributionId,
    pub arn: String,
    /// `d111111abcdef8.cloudfront.net`.
    pub domain_name: String,
    /// `InProgress` or `Deployed`.
    pub status: String,
    /// Carries the stack's tag.
    pub owned: bool,
    pub settings: DistributionSettings,
}

/// What jwtstack decides about its distribution; the planner compares these field by field, and an update
/// writes them over the distribution's configuration (keeping what jwtstack does not manage: WAF, logging,
/// geo restrictions).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DistributionSettings {
    pub enabled: bool,
    /// The bucket's regional REST endpoint, `{bucket}.s3.{region}.amazonaws.com`.
    pub origin_domain: String,
    /// The only origin's origin access control (`None`: not known yet, it is created in the same run).
    pub origin_access_control_id: Option<String>,
    /// The origins the distribution has (jwtstack's: exactly one).
    pub origins: usize,
    pub aliases: Vec<String>,
    /// `None`: CloudFront's default certificate (`*.cloudfront.net`).
    pub certificate_arn: Option<String>,
    pub minimum_protocol_version: Option<String>,
    pub price_class: String,
    pub viewer_protocol_policy: String,
    pub cache_policy_id: String,
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OriginAccessControlInfo {
    pub id: OriginAccessControlId,
    pub name: String,
    pub signing_behavior: String,
    pub signing_protocol: String,
    pub origin_type: String,
}

/// The stack's distribution and origin access control as AWS has them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DistributionSlice {
    /// Found by `/jwtstack/{name}/distribution`, else by its comment and tag.
    pub found: Option<DistributionInfo>,
    /// `/jwtstack/{name}/distribution` names a distribution (which may since have gone).
    pub record: Option<DistributionId>,
    /// The stack's origin access control, by its name.
    pub origin_access_control: Option<OriginAccessControlInfo>,
    /// Another distribution of the account that has the stack's custom domain among its alternate domain
    /// names (read only while the stack's own does not have it).
    pub alias_elsewhere: Option<DistributionId>,
}

/// One change to the distribution or its origin access control.
#[derive(Debug, Clone, PartialEq)]
pub enum DistributionStep {
    /// The origin access control (SigV4, always sign) through which the distribution reads the bucket.
    CreateOriginAccessControl {
        name: String,
    },
    /// The distribution in front of the bucket; recorded in `/jwtstack/{name}/distribution` once made.
    Create {
        settings: DistributionSettings,
        origin_access_control: Ref<OriginAccessControlId>,
    },
    /// Writes `/jwtstack/{name}/distribution` for a distribution found by its comment and tag (a run died
    /// between creating it and recording it).
    Record {
        parameter: String,
        id: DistributionId,
        arn: String,
        domain: String,
    },
    Update {
        id: DistributionId,
        diffs: Vec<Diff>,
        settings: DistributionSettings,
        origin_access_control: Ref<OriginAccessControlId>,
    },
    /// Drops CloudFront's cached copies of the documents after they changed.
    Invalidate {
        id: DistributionId,
        paths: Vec<String>,
    },
    /// No change, no plan line: until the distribution is deployed and this run's invalidations are done
    /// (when `wait`), then (`check_issuer`) reads the issuer through it as API Gateway will, before anything
    /// that depends on it.
    Await {
        id: Ref<DistributionId>,
        wait: bool,
        check_issuer: bool,
    },
    Disable {
        id: DistributionId,
    },
    /// Deletes a disabled, deployed distribution (if it still exists), and its record.
    Delete {
        id: DistributionId,
    },
    DeleteOriginAccessControl {
        id: OriginAccessControlId,
        name: String,
    },
}

impl From<DistributionStep> for Step {
    fn from(s: DistributionStep) -> Step {
        Step::Distribution(s)
    }
}

impl DistributionStep {
    /// Changes what the distribution serves: a deploy waits for it before anything depends on the issuer.
    fn changes_what_is_served(&self) -> bool {
        match self {
            DistributionStep::Create { .. } | DistributionStep::Update { .. } | DistributionStep::Invalidate { .. } => true,
            DistributionStep::CreateOriginAccessControl { .. }
            | DistributionStep::Record { .. }
            | DistributionStep::Await { .. }
            | DistributionStep::Disable { .. }
            | DistributionStep::Delete { .. }
            | DistributionStep::DeleteOriginAccessControl { .. } => false,
        }
    }
}

impl KindStep for DistributionStep {
    fn placement(&self) -> Placement {
        match self {
            DistributionStep::CreateOriginAccessControl { .. }
            | DistributionStep::Create { .. }
            | DistributionStep::Record { .. }
            | DistributionStep::Update { .. }
            | DistributionStep::Invalidate { .. }
            | DistributionStep::Await { .. } => Placement::ISSUER,
            DistributionStep::Disable { .. } | DistributionStep::Delete { .. } | DistributionStep::DeleteOriginAccessControl { .. } => {
                Placement::MAIN
            }
        }
    }

    fn lines(&self) -> Vec<ChangeJson> {
        use Action::*;
        let line = |action, resource, name: &str, diffs| vec![ChangeJson::new(action, resource, name, diffs)];
        match self {
            DistributionStep::CreateOriginAccessControl { name } => line(
                Create,
                "cloudfront_origin_access_control",
                name,
                vec![set("signing", "sigv4, always"), set("origin_type", "s3")],
            ),
            DistributionStep::Create { settings, .. } => {
                let mut diffs = vec![
                    set("origin", format!("{} (origin access control)", settings.origin_domain)),
                    set("viewer_protocol_policy", settings.viewer_protocol_policy.as_str()),
                    set("cache_policy", "CachingOptimized (honours the documents' max-age)"),
                    set("price_class", settings.price_class.as_str()),
                ];
                if !settings.aliases.is_empty() {
                    diffs.push(set("aliases", settings.aliases.join(", ")));
                    diffs.push(set("certificate", settings.certificate_arn.as_deref().unwrap_or_default()));
                }
                line(Create, "cloudfront_distribution", &settings.comment, diffs)
            }
            DistributionStep::Record { parameter, id, .. } => line(
                Create,
                "ssm_parameter",
                parameter,
                vec![set("value", format!("distribution {id}, found by its comment and tag"))],
            ),
            DistributionStep::Update { id, diffs, .. } => line(Update, "cloudfront_distribution", id.as_str(), diffs.clone()),
            DistributionStep::Invalidate { id, paths } => {
                line(Create, "cloudfront_invalidation", id.as_str(), vec![set("paths", paths.join(", "))])
            }
            // A wait changes nothing: no line.
            DistributionStep::Await { .. } => vec![],
            DistributionStep::Disable { id } => line(
                Update,
                "cloudfront_distribution",
                id.as_str(),
                vec![Diff::new("enabled", "true", "false")],
            ),
            DistributionStep::Delete { id } => line(Delete, "cloudfront_distribution", id.as_str(), vec![]),
            DistributionStep::DeleteOriginAccessControl { name, .. } => line(Delete, "cloudfront_origin_access_control", name, vec![]),
        }
    }
}

/// The distribution's comment: how a distribution whose record was lost (a run that died right after
/// creating it) is found again. The stack's tag confirms it.
pub fn distribution_comment(stack: &str) -> String {
    format!("jwtstack:stack={stack} issuer documents")
}

/// The stack whose issuer is its distribution's URL (`cloudfront: true`), with that URL once the distribution
/// exists; any other stack as it is.
pub fn resolve(stack: &Stack, inv: &Inventory) -> Stack {
    match &inv.distribution.found {
        Some(d) => stack.with_distribution_domain(&d.domain_name),
        None => stack.clone(),
    }
}

/// A hosted issuer whose URL changes (to or from CloudFront, a new domain): the authorizer is the last to change.
pub(super) fn issuer_change_note(before: &str, after: &str) -> String {
    format!(
        "the issuer changes from {before} to {after}: every token minted for the old issuer stops verifying when the authorizer changes (its step comes after the documents are served at the new URL)"
    )
}

/// The distribution as the stack wants it.
fn wanted(stack: &Stack, h: &Hosted, cf: &CloudFront, region: &str, oac: Option<&OriginAccessControlId>) -> DistributionSettings {
    DistributionSettings {
        enabled: true,
        origin_domain: format!("{}.s3.{region}.amazonaws.com", h.bucket),
        origin_access_control_id: oac.map(|o| o.as_str().to_string()),
        origins: 1,
        aliases: cf.domain.iter().cloned().collect(),
        certificate_arn: cf.certificate_arn.clone(),
        minimum_protocol_version: cf.certificate_arn.as_ref().map(|_| MINIMUM_PROTOCOL_VERSION.to_string()),
        price_class: cf.price_class.clone(),
        viewer_protocol_policy: "redirect-to-https".into(),
        cache_policy_id: CACHING_OPTIMIZED.into(),
        comment: distribution_comment(&stack.name),
    }
}

/// The fields that differ, for the plan.
fn diffs(before: &DistributionSettings, after: &DistributionSettings) -> Vec<Diff> {
    let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "(none)".into());
    let mut out = Vec::new();
    let mut field = |name: &str, b: String, a: String| {
        if b != a {
            out.push(Diff::new(name, b, a));
        }
    };
    field("enabled", before.enabled.to_string(), after.enabled.to_string());
    field("origin", before.origin_domain.clone(), after.origin_domain.clone());
    field("origins", before.origins.to_string(), after.origins.to_string());
    // A read-back without an OAC id (moto keeps none; see tests/support/moto_cloudfront.py) differs too.
    if after.origin_access_control_id.is_some() {
        field(
            "origin_access_control",
            opt(&before.origin_access_control_id),
            opt(&after.origin_access_control_id),
        );
    }
    field("aliases", before.aliases.join(","), after.aliases.join(","));
    field("certificate", opt(&before.certificate_arn), opt(&after.certificate_arn));
    field(
        "minimum_protocol_version",
        opt(&before.minimum_protocol_version),
        opt(&after.minimum_protocol_version),
    );
    field("price_class", before.price_class.clone(), after.price_class.clone());
    field(
        "viewer_protocol_policy",
        before.viewer_protocol_policy.clone(),
        after.viewer_protocol_policy.clone(),
    );
    field("cache_policy", before.cache_policy_id.clone(), after.cache_policy_id.clone());
    field("comment", before.comment.clone(), after.comment.clone());
    out
}

/// The certificate of a custom domain is checked before any change: it must be in us-east-1 (validation
/// checks the ARN), exist, be ISSUED and cover the domain.
fn check_certificate(cf: &CloudFront, inv: &Inventory) -> Result<(), Conflict> {
    let (Some(arn), Some(domain)) = (&cf.certificate_arn, &cf.domain) else {
        return Ok(());
    };
    match dns::certificate_problem(inv.issuer_dns.certificate.as_ref(), domain, "us-east-1") {
        Some(why) => Err(Conflict::CertificateNotUsable {
            arn: arn.clone(),
            domain: domain.clone(),
            why,
        }),
        None => Ok(()),
    }
}

/// The OAC and the distribution, before the bucket policy and the documents: both name the distribution, so
/// a new one ends the plan's first part (the rest is planned again once it exists).
pub(super) fn plan_front(p: &mut Planner<'_>, h: &Hosted, cf: &CloudFront) -> Result<(), Conflict> {
    let (stack, inv) = (p.d.stack, p.inv);
    check_certificate(cf, inv)?;
    // An alternate domain name belongs to one distribution: CloudFront would refuse ours (CNAMEAlreadyExists)
    // after the origin access control was made.
    if let (Some(domain), Some(other)) = (&cf.domain, &inv.distribution.alias_elsewhere) {
        return Err(Conflict::DomainOnAnotherDistribution {
            domain: domain.clone(),
            other: other.to_string(),
        });
    }
    let oac = inv.distribution.origin_access_control.as_ref().map(|o| o.id.clone());
    if oac.is_none() {
        p.push(DistributionStep::CreateOriginAccessControl {
            name: origin_access_control_name(&stack.name),
        });
    }
    let want = wanted(stack, h, cf, &inv.region, oac.as_ref());
    match &inv.distribution.found {
        None => {
            p.push(DistributionStep::Create {
                settings: want,
                origin_access_control: Ref::from_option(oac),
            });
            p.barrier_here("the bucket policy, the documents and the authorizer name the new distribution");
        }
        Some(d) => {
            if inv.distribution.record.as_ref() != Some(&d.id) {
                p.push(DistributionStep::Record {
                    parameter: names::distribution_record(&stack.name),
                    id: d.id.clone(),
                    arn: d.arn.clone(),
                    domain: d.domain_name.clone(),
                });
            }
            let changed = diffs(&d.settings, &want);
            if !changed.is_empty() {
                p.push(DistributionStep::Update {
                    id: d.id.clone(),
                    diffs: changed,
                    settings: want,
                    origin_access_control: Ref::from_option(oac),
                });
            }
        }
    }
    Ok(())
}

/// The bucket policy statement that lets the distribution (and only it) read the documents. Before the
/// distribution exists its ARN is not known: the plan's first part creates it, and this is planned again.
pub(super) fn read_statement(stack: &Stack, h: &Hosted, inv: &Inventory) -> serde_json::Value {
    let source = match &inv.distribution.found {
        Some(d) => d.arn.clone(),
        None => "arn:aws:cloudfront::(account):distribution/(new distribution)".into(),
    };
    serde_json::json!({
        "Sid": cloudfront_statement_id(&stack.name),
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": well_known_arn(&inv.region, &h.bucket, &h.document_prefix()),
        "Condition": {"StringEquals": {"AWS:SourceArn": source}},
    })
}

/// After the documents: their invalidation when they changed on a distribution that served the old ones, the
/// alias records, and the wait, which ends the plan's part: what follows (the key timeline, the authorizer)
/// is planned again once the distribution serves the documents.
pub(super) fn plan_after_documents(p: &mut Planner<'_>, h: &Hosted, cf: &CloudFront) -> Result<(), Conflict> {
    let inv = p.inv;
    let documents_changed = p.steps().any(|s| matches!(s, Step::Document(d) if d.replaces_a_served_document()));
    if let Some(d) = &inv.distribution.found
        && documents_changed
    {
        p.push(DistributionStep::Invalidate {
            id: d.id.clone(),
            paths: vec![format!("/{}.well-known/*", h.document_prefix())],
        });
    }
    let target = inv
        .distribution
        .found
        .as_ref()
        .map(|d| dns::AliasTarget::distribution(&d.domain_name));
    if let Some(domain) = &cf.domain {
        match (&cf.hosted_zone_id, &target) {
            // The distribution serves IPv6 (IsIPV6Enabled, set by jwtstack): A and AAAA.
            (Some(zone), _) => dns::plan_alias_records(p, DnsOwner::Distribution, zone, domain, target.clone(), true)?,
            (None, Some(t)) => p.note(format!(
                "{domain} must point at the distribution: add a CNAME record `{domain} CNAME {}` (or an alias A/AAAA record) in its DNS zone, or set issuer.cloudfront.hosted_zone_id to have jwtstack write it",
                t.dns_name
            )),
            (None, None) => p.note(format!(
                "{domain} must point at the new distribution: deploy prints the CNAME record to add (or set issuer.cloudfront.hosted_zone_id)"
            )),
        }
    }
    let touches = p.steps().any(|s| matches!(s, Step::Distribution(d) if d.changes_what_is_served()));
    // A distribution still deploying (created by the first part of this deploy, or by a `--no-wait` run) is
    // waited for before anything that needs it, when this plan changes anything.
    let deploying = inv.distribution.found.as_ref().is_some_and(|d| d.status != "Deployed") && p.has_steps();
    if touches || deploying {
        let wait = p.d.waits();
        p.push(DistributionStep::Await {
            id: Ref::from_option(inv.distribution.found.as_ref().map(|d| d.id.clone())),
            wait,
            check_issuer: true,
        });
        if wait {
            p.barrier_here("the key timeline and the authorizer follow the distribution serving the documents");
        }
    }
    Ok(())
}

/// Everything CloudFront the stack owns and no longer wants, removed in the order AWS allows: the alias
/// records, the distribution (disabled, then deleted once the disabled configuration is deployed), then its
/// origin access control.
pub(super) fn remove(p: &mut Planner<'_>) {
    if p.d.hosted().is_some_and(|h| h.cloudfront.is_some()) {
        return;
    }
    let (stack, inv) = (p.d.stack, p.inv);
    // The records can be found only where the stack file still names them.
    let zone_and_domain = stack
        .hosted()
        .and_then(|h| h.cloudfront.as_ref())
        .and_then(|cf| cf.hosted_zone_id.as_deref().zip(cf.domain.as_deref()));
    if let (Some((zone, domain)), Some(d)) = (zone_and_domain, &inv.distribution.found) {
        dns::remove_alias_records(
            p,
            DnsOwner::Distribution,
            zone,
            domain,
            &dns::AliasTarget::distribution(&d.domain_name),
        );
    }
    match (&inv.distribution.found, &inv.distribution.record) {
        (Some(d), _) if d.owned => {
            if d.settings.enabled {
                p.push(DistributionStep::Disable { id: d.id.clone() });
            }
            p.push(DistributionStep::Await {
                id: Ref::Known(d.id.clone()),
                wait: true,
                check_issuer: false,
            });
            p.push(DistributionStep::Delete { id: d.id.clone() });
        }
        // The record names a distribution that is gone: only the record is left to remove.
        (None, Some(id)) => p.push(DistributionStep::Delete { id: id.clone() }),
        _ => {}
    }
    if let Some(o) = &inv.distribution.origin_access_control {
        p.push(DistributionStep::DeleteOriginAccessControl {
            id: o.id.clone(),
            name: origin_access_control_name(&stack.name),
        });
    }
}

#[cfg(test)]
impl DistributionStep {
    pub(super) fn simulate(&self, inv: &mut Inventory, sim: &mut super::tests::Sim) {
        let slice = &mut inv.distribution;
        match self {
            DistributionStep::CreateOriginAccessControl { name } => {
                slice.origin_access_control = Some(OriginAccessControlInfo {
                    id: format!("OAC{}", sim.next_id()).into(),
                    name: name.clone(),
                    signing_behavior: "always".into(),
                    signing_protocol: "sigv4".into(),
                    origin_type: "s3".into(),
                })
            }
            DistributionStep::Create { settings, .. } => {
                let id = format!("E{}", sim.next_id());
                let mut settings = settings.clone();
                settings.origin_access_control_id = slice.origin_access_control.as_ref().map(|o| o.id.as_str().to_string());
                slice.record = Some(id.as_str().into());
                slice.found = Some(DistributionInfo {
                    arn: format!("arn:aws:cloudfront::123456789012:distribution/{id}"),
                    domain_name: format!("d{}.cloudfront.net", id.to_ascii_lowercase()),
                    id: id.into(),
                    status: "InProgress".into(),
                    owned: true,
                    settings,
                });
            }
            DistributionStep::Update { settings, .. } => {
                let d = slice.found.as_mut().expect("the distribution exists");
                d.settings = settings.clone();
                d.status = "InProgress".into();
            }
            DistributionStep::Invalidate { .. } => {}
            DistributionStep::Record { id, .. } => slice.record = Some(id.clone()),
            DistributionStep::Await { .. } => slice.found.as_mut().expect("the distribution exists").status = "Deployed".into(),
            DistributionStep::Disable { .. } => slice.found.as_mut().expect("the distribution exists").settings.enabled = false,
            DistributionStep::Delete { .. } => {
                slice.found = None;
                slice.record = None;
            }
            DistributionStep::DeleteOriginAccessControl { .. } => slice.origin_access_control = None,
        }
    }
}
