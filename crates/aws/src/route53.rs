//! Route 53: the alias records (A, and AAAA where the endpoint serves IPv6) that point a custom domain (the issuer's, the API's) at its AWS
//! endpoint.

use aws_sdk_route53::types::{Change, ChangeAction, ChangeBatch, ResourceRecordSet, RrType};

use super::retry::when_busy;
use super::{AwsError, Clients, ErrorKind, classify};
use jwtstack_core::plan::{AliasRecordInfo, AliasTarget, RecordType};

fn zone_id(zone: &str) -> String {
    zone.trim_start_matches("/hostedzone/").to_string()
}

/// Record sets read at one name: Route 53 has fewer types than this, so one page holds them all.
const RECORDS_AT_A_NAME: i32 = 32;

/// The A, AAAA and CNAME records of `domain` in the zone: every type of the name is read, since Route 53
/// refuses an alias A/AAAA record beside a CNAME of the same name (RFC 1034 3.6.2: a CNAME has no other data
/// beside it; `InvalidChangeBatch` "RRSet of type CNAME with DNS name ... is not permitted as it conflicts with
/// other records", hashicorp/terraform#9732).
pub async fn read_alias_records(c: &Clients, zone: &str, domain: &str) -> Result<Vec<AliasRecordInfo>, AwsError> {
    let name = format!("{}.", domain.trim_end_matches('.'));
    let out = c
        .route53
        .list_resource_record_sets()
        .hosted_zone_id(zone_id(zone))
        .start_record_name(&name)
        .max_items(RECORDS_AT_A_NAME)
        .send()
        .await
        .map_err(|e| {
            no_such_zone(classify(
                format!("reading the records of {domain} in Route 53 hosted zone {zone}"),
                e,
            ))
        })?;
    Ok(out
        .resource_record_sets()
        .iter()
        .filter(|r| r.name().eq_ignore_ascii_case(&name) && matches!(r.r#type(), RrType::A | RrType::Aaaa | RrType::Cname))
        .map(|r| AliasRecordInfo {
            record_type: r.r#type().as_str().to_string(),
            alias_target: r.alias_target().map(|a| a.dns_name().trim_end_matches('.').to_string()),
            values: r
                .resource_records()
                .iter()
                .map(|v| v.value().trim_end_matches('.').to_string())
                .collect(),
        })
        .collect())
}

/// The name of the hosted zone (`example.com`), which must hold the domain the stack writes a record of; `None`
/// when the answer names none.
pub async fn zone_name(c: &Clients, zone: &str) -> Result<Option<String>, AwsError> {
    let out = c
        .route53
        .get_hosted_zone()
        .id(zone_id(zone))
        .send()
        .await
        .map_err(|e| no_such_zone(classify(format!("reading Route 53 hosted zone {zone}"), e)))?;
    Ok(out
        .hosted_zone()
        .map(|z| z.name().trim_end_matches('.').to_string())
        .filter(|n| !n.is_empty()))
}

/// The records of `domain` in the zone, and the zone's name.
pub async fn read_domain(c: &Clients, zone: &str, domain: &str) -> Result<(Vec<AliasRecordInfo>, Option<String>), AwsError> {
    tokio::try_join!(read_alias_records(c, zone, domain), zone_name(c, zone))
}

fn no_such_zone(mut e: AwsError) -> AwsError {
    if e.code.as_deref() == Some("NoSuchHostedZone") {
        e.hint =
            Some("the hosted_zone_id names no hosted zone of this account: correct it, or remove it and add the record yourself".into());
    }
    e
}

/// One change batch (Route 53 applies it whole or not at all): `write` upserted to `target`, `delete` deleted
/// (each as it points at `target`). `target` is the alias target's DNS name and hosted zone.
async fn change(
    c: &Clients,
    zone: &str,
    domain: &str,
    target: &AliasTarget,
    write: &[RecordType],
    delete: &[RecordType],
) -> Result<(), AwsError> {
    let what = format!(
        "{} the alias records of {domain} in Route 53 hosted zone {zone}",
        if write.is_empty() { "deleting" } else { "writing" }
    );
    let build = |e: aws_sdk_route53::error::BuildError| AwsError::new(what.clone(), ErrorKind::Other, format!("building the request: {e}"));
    let mut changes = Vec::new();
    let actions = write
        .iter()
        .map(|t| (ChangeAction::Upsert, t))
        .chain(delete.iter().map(|t| (ChangeAction::Delete, t)));
    for (action, t) in actions {
        let alias = aws_sdk_route53::types::AliasTarget::builder()
            .hosted_zone_id(&target.zone)
            .dns_name(&target.dns_name)
            .evaluate_target_health(false)
            .build()
            .map_err(build)?;
        let set = ResourceRecordSet::builder()
            .name(domain)
            .r#type(match t {
                RecordType::A => RrType::A,
                RecordType::Aaaa => RrType::Aaaa,
            })
            .alias_target(alias)
            .build()
            .map_err(build)?;
        changes.push(Change::builder().action(action).resource_record_set(set).build().map_err(build)?);
    }
    let batch = ChangeBatch::builder()
        .comment("jwtstack: a stack's domain to its AWS endpoint")
        .set_changes(Some(changes))
        .build()
        .map_err(build)?;
    let only_deletes = write.is_empty();
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
                if only_deletes && e.code.as_deref() == Some("InvalidChangeBatch") && e.message.contains("not found") {
                    return Ok(());
                }
                Err(e)
            }
        }
    })
    .await
}

/// Creates or updates the alias records `write` of `domain` to `target` (a distribution, or an API domain's
/// regional endpoint), and deletes the stack's records `drop` in the same batch.
pub async fn put_alias_records(
    c: &Clients,
    zone: &str,
    domain: &str,
    target: &AliasTarget,
    write: &[RecordType],
    drop: &[RecordType],
) -> Result<(), AwsError> {
    change(c, zone, domain, target, write, drop).await
}

pub async fn delete_alias_records(
    c: &Clients,
    zone: &str,
    domain: &str,
    target: &AliasTarget,
    types: &[RecordType],
) -> Result<(), AwsError> {
    change(c, zone, domain, target, &[], types).await
}
