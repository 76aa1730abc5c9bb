//! The distribution in front of a private issuer bucket (`issuer.cloudfront`): its origin access control, the
//! distribution, the bucket policy statement that lets it read, the invalidation of changed documents, the
//! alias records of a custom domain, and the wait before anything depends on what it serves. Pure.

use super::{Conflict, Diff, DistributionSettings, Inventory, Step};
use crate::config::{CloudFront, Hosted, Stack};
use crate::names::{cloudfront_statement_id, origin_access_control_name, well_known_arn};

/// AWS's managed cache policy "CachingOptimized": minimum TTL 1 s, so the documents' `Cache-Control:
/// max-age=300` sets how long CloudFront keeps them (the rotation timing rules count on that).
pub const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";

/// The id of the distribution's only origin, the issuer bucket.
pub const ORIGIN_ID: &str = "jwtstack-issuer-bucket";

/// The distribution's comment: how a distribution whose record was lost (a run that died right after
/// creating it) is found again. The stack's tag confirms it.
pub fn distribution_comment(stack: &str) -> String {
    format!("jwtstack:stack={stack} issuer documents")
}

/// The stack whose issuer is its distribution's URL (`cloudfront: true`), with that URL once the distribution
/// exists; any other stack as it is.
pub fn resolve(stack: &Stack, inv: &Inventory) -> Stack {
    match &inv.distribution {
        Some(d) => stack.with_distribution_domain(&d.domain_name),
        None => stack.clone(),
    }
}

/// A hosted issuer whose URL changes (to or from CloudFront, a new domain): the authorizer is the last to change.
pub fn issuer_change_note(before: &str, after: &str) -> String {
    format!(
        "the issuer changes from {before} to {after}: every token minted for the old issuer stops verifying when the authorizer changes (its step comes after the documents are served at the new URL)"
    )
}

/// TLS for viewers on a custom domain (CloudFront's recommended policy).
const MINIMUM_PROTOCOL_VERSION: &str = "TLSv1.2_2021";

/// The distribution as the stack wants it.
pub fn wanted(stack: &Stack, h: &Hosted, cf: &CloudFront, region: &str, oac: Option<&str>) -> DistributionSettings {
    DistributionSettings {
        enabled: true,
        origin_domain: format!("{}.s3.{region}.amazonaws.com", h.bucket),
        origin_access_control_id: oac.map(str::to_string),
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
pub fn diffs(before: &DistributionSettings, after: &DistributionSettings) -> Vec<Diff> {
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
pub fn check_certificate(cf: &CloudFront, inv: &Inventory) -> Result<(), Conflict> {
    let (Some(arn), Some(domain)) = (&cf.certificate_arn, &cf.domain) else {
        return Ok(());
    };
    match super::dns::certificate_problem(inv.certificate.as_ref(), domain, "us-east-1") {
        Some(why) => Err(Conflict::CertificateNotUsable {
            arn: arn.clone(),
            domain: domain.clone(),
            why,
        }),
        None => Ok(()),
    }
}

/// The OAC and the distribution, before the bucket policy and the documents (both name the distribution).
pub fn plan_front(steps: &mut Vec<Step>, stack: &Stack, h: &Hosted, cf: &CloudFront, inv: &Inventory) -> Result<(), Conflict> {
    check_certificate(cf, inv)?;
    let oac = inv.origin_access_control.as_ref();
    if oac.is_none() {
        steps.push(Step::CreateOriginAccessControl {
            name: origin_access_control_name(&stack.name),
        });
    }
    let want = wanted(stack, h, cf, &inv.region, oac.map(|o| o.id.as_str()));
    match &inv.distribution {
        None => steps.push(Step::CreateDistribution { settings: want }),
        Some(d) => {
            if inv.distribution_record.as_deref() != Some(d.id.as_str()) {
                steps.push(Step::RecordDistribution {
                    parameter: crate::names::distribution_record(&stack.name),
                    id: d.id.clone(),
                    arn: d.arn.clone(),
                    domain: d.domain_name.clone(),
                });
            }
            let changed = diffs(&d.settings, &want);
            if !changed.is_empty() {
                steps.push(Step::UpdateDistribution {
                    id: d.id.clone(),
                    diffs: changed,
                    settings: want,
                });
            }
        }
    }
    Ok(())
}

/// The bucket policy statement that lets the distribution (and only it) read the documents. Before the
/// distribution exists its ARN is not known: deploy creates it first and plans this again.
pub fn read_statement(stack: &Stack, h: &Hosted, inv: &Inventory) -> serde_json::Value {
    let source = match &inv.distribution {
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
/// alias records, and the wait.
pub fn plan_after_documents(
    steps: &mut Vec<Step>,
    notes: &mut Vec<String>,
    h: &Hosted,
    cf: &CloudFront,
    inv: &Inventory,
) -> Result<(), Conflict> {
    let documents_changed = steps.iter().any(|s| matches!(s, Step::PutObject { create: false, .. }));
    if let Some(d) = &inv.distribution
        && documents_changed
    {
        steps.push(Step::InvalidateDocuments {
            distribution: d.id.clone(),
            paths: vec![format!("/{}.well-known/*", h.document_prefix())],
        });
    }
    let target = inv.distribution.as_ref().map(|d| d.domain_name.clone());
    if let Some(domain) = &cf.domain {
        match (&cf.hosted_zone_id, &target) {
            (Some(zone), _) => {
                let complete = super::dns::alias_records_in_place(&inv.alias_records, "distribution", zone, domain, target.as_deref())?;
                let target = target.clone().unwrap_or_else(|| "(new distribution).cloudfront.net".into());
                if !complete {
                    steps.push(Step::PutAliasRecords {
                        zone: zone.clone(),
                        domain: domain.clone(),
                        target,
                    });
                }
            }
            (None, Some(t)) => notes.push(format!(
                "{domain} must point at the distribution: add a CNAME record `{domain} CNAME {t}` (or an alias A/AAAA record) in its DNS zone, or set issuer.cloudfront.hosted_zone_id to have jwtstack write it"
            )),
            (None, None) => notes.push(format!(
                "{domain} must point at the new distribution: deploy prints the CNAME record to add (or set issuer.cloudfront.hosted_zone_id)"
            )),
        }
    }
    let touches = steps.iter().any(|s| {
        matches!(
            s,
            Step::CreateDistribution { .. } | Step::UpdateDistribution { .. } | Step::InvalidateDocuments { .. }
        )
    });
    // A distribution still deploying (created by the first part of this deploy, or by a `--no-wait` run) is
    // waited for before anything that needs it, when this plan changes anything.
    let deploying = inv.distribution.as_ref().is_some_and(|d| d.status != "Deployed") && !steps.is_empty();
    if touches || deploying {
        steps.push(Step::AwaitDistribution {
            distribution: inv.distribution.as_ref().map(|d| d.id.clone()),
            check_issuer: true,
        });
    }
    Ok(())
}

/// Everything CloudFront the stack owns, removed in the order AWS allows: the alias records, the distribution
/// (disabled, then deleted once the disabled configuration is deployed), then its origin access control.
pub fn plan_removal(steps: &mut Vec<Step>, stack: &Stack, inv: &Inventory, zone_and_domain: Option<(&str, &str)>) {
    if let (Some((zone, domain)), Some(d)) = (zone_and_domain, &inv.distribution) {
        for r in &inv.alias_records {
            if r.alias_target.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(&d.domain_name)) {
                steps.push(Step::DeleteAliasRecords {
                    zone: zone.to_string(),
                    domain: domain.to_string(),
                    target: d.domain_name.clone(),
                });
                break;
            }
        }
    }
    match (&inv.distribution, &inv.distribution_record) {
        (Some(d), _) if d.owned => {
            if d.settings.enabled {
                steps.push(Step::DisableDistribution { id: d.id.clone() });
            }
            steps.push(Step::AwaitDistribution {
                distribution: Some(d.id.clone()),
                check_issuer: false,
            });
            steps.push(Step::DeleteDistribution { id: d.id.clone() });
        }
        // The record names a distribution that is gone: only the record is left to remove.
        (None, Some(id)) => steps.push(Step::DeleteDistribution { id: id.clone() }),
        _ => {}
    }
    if let Some(o) = &inv.origin_access_control {
        steps.push(Step::DeleteOriginAccessControl {
            id: o.id.clone(),
            name: origin_access_control_name(&stack.name),
        });
    }
}
