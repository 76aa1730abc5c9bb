//! Route 53: the alias records (A and AAAA) that point a custom domain (the issuer's, the API's) at its AWS
//! endpoint.

use aws_sdk_route53::types::{Change, ChangeAction, ChangeBatch, ResourceRecordSet, RrType};

use super::retry::when_busy;
use super::{AwsError, Clients, ErrorKind, classify};
use jwtstack_core::plan::{AliasRecordInfo, AliasTarget};

fn zone_id(zone: &str) -> String {
    zone.trim_start_matches("/hostedzone/").to_string()
}

/// The A and AAAA records of `domain` in the zone.
pub async fn read_alias_records(c: &Clients, zone: &str, domain: &str) -> Result<Vec<AliasRecordInfo>, AwsError> {
    let name = format!("{}.", domain.trim_end_matches('.'));
    let out = c
        .route53
        .list_resource_record_sets()
        .hosted_zone_id(zone_id(zone))
        .start_record_name(&name)
        .start_record_type(RrType::A)
        .max_items(4)
        .send()
        .await
        .map_err(|e| {
            let mut e = classify(format!("reading the records of {domain} in Route 53 hosted zone {zone}"), e);
            if e.code.as_deref() == Some("NoSuchHostedZone") {
                e.hint = Some("issuer.cloudfront.hosted_zone_id names no hosted zone of this account: correct it, or remove it and add the record yourself".into());
            }
            e
        })?;
    Ok(out
        .resource_record_sets()
        .iter()
        .filter(|r| r.name().eq_ignore_ascii_case(&name) && matches!(r.r#type(), RrType::A | RrType::Aaaa))
        .map(|r| AliasRecordInfo {
            record_type: r.r#type().as_str().to_string(),
            alias_target: r.alias_target().map(|a| a.dns_name().trim_end_matches('.').to_string()),
        })
        .collect())
}

/// `target` is the alias target's DNS name and hosted zone.
async fn change(c: &Clients, zone: &str, domain: &str, target: (&str, &str), action: ChangeAction) -> Result<(), AwsError> {
    let (target, target_zone) = target;
    let what = format!(
        "{} the alias records of {domain} in Route 53 hosted zone {zone}",
        match action {
            ChangeAction::Delete => "deleting",
            _ => "writing",
        }
    );
    let build = |e: aws_sdk_route53::error::BuildError| AwsError::new(what.clone(), ErrorKind::Other, format!("building the request: {e}"));
    let mut changes = Vec::new();
    for t in [RrType::A, RrType::Aaaa] {
        let alias = aws_sdk_route53::types::AliasTarget::builder()
            .hosted_zone_id(target_zone)
            .dns_name(target)
            .evaluate_target_health(false)
            .build()
            .map_err(build)?;
        let set = ResourceRecordSet::builder()
            .name(domain)
            .r#type(t)
            .alias_target(alias)
            .build()
            .map_err(build)?;
        changes.push(
            Change::builder()
                .action(action.clone())
                .resource_record_set(set)
                .build()
                .map_err(build)?,
        );
    }
    let batch = ChangeBatch::builder()
        .comment("jwtstack: a stack's domain to its AWS endpoint")
        .set_changes(Some(changes))
        .build()
        .map_err(build)?;
    when_busy(|| async {
        match c
            .route53
            .change_resource_record_sets()
            .hosted_zone_id(zone_id(zone))
            .change_batch(batch.clone())
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let mut e = classify(what.clone(), e);
                // Route 53 refuses a change while the zone's previous one is being applied.
                if e.code.as_deref() == Some("PriorRequestNotComplete") {
                    e.kind = ErrorKind::Busy;
                }
                // Deleting records that are gone already (a teardown that resumes).
                if action == ChangeAction::Delete && e.code.as_deref() == Some("InvalidChangeBatch") && e.message.contains("not found") {
                    return Ok(());
                }
                Err(e)
            }
        }
    })
    .await
}

/// Creates or updates the A and AAAA alias records of `domain` to `target` (a distribution, or an API
/// domain's regional endpoint).
pub async fn put_alias_records(c: &Clients, zone: &str, domain: &str, target: &AliasTarget) -> Result<(), AwsError> {
    change(c, zone, domain, (&target.dns_name, &target.zone), ChangeAction::Upsert).await
}

pub async fn delete_alias_records(c: &Clients, zone: &str, domain: &str, target: &AliasTarget) -> Result<(), AwsError> {
    change(c, zone, domain, (&target.dns_name, &target.zone), ChangeAction::Delete).await
}
