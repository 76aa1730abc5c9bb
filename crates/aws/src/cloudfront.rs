//! CloudFront: the distribution in front of a private issuer bucket, its origin access control, invalidations
//! of the documents, and the waits AWS needs (a distribution deploys in minutes; it can be deleted only once
//! disabled and deployed).

use std::time::{Duration, Instant};

use aws_sdk_cloudfront::types::{
    Aliases, AllowedMethods, CachedMethods, DefaultCacheBehavior, DistributionConfig, DistributionConfigWithTags, DistributionSummary,
    HttpVersion, InvalidationBatch, Method, MinimumProtocolVersion, Origin, OriginAccessControlConfig, OriginAccessControlOriginTypes,
    OriginAccessControlSigningBehaviors, OriginAccessControlSigningProtocols, Origins, Paths, PriceClass, S3OriginConfig, SslSupportMethod,
    Tag, Tags, ViewerCertificate, ViewerProtocolPolicy,
};

use super::retry::{create_once, no_retry, when_busy};
use super::{AwsError, Clients, ErrorKind, classify};
use crate::event::{Event, Report};
use jwtstack_core::names::TAG_KEY;
use jwtstack_core::plan::{
    DistributionId, DistributionInfo, DistributionSettings, ORIGIN_ID, OriginAccessControlId, OriginAccessControlInfo, distribution_comment,
};

/// How long deploy and teardown wait for a distribution or an invalidation before they give up (AWS: usually
/// under 5 minutes, at times 15 or more).
pub const WAIT_LIMIT: Duration = Duration::from_secs(45 * 60);

/// CloudFront's `CNAMEAlreadyExists`: the alternate domain name is another distribution's. The account's were
/// read before any change, so it is one made since (another stack deploying the same domain at once) or one of
/// another account: the account's distributions are read again to name the holder.
async fn alias_taken(c: &Clients, mut e: AwsError, aliases: &[String], ours: Option<&str>) -> AwsError {
    if e.code.as_deref() != Some("CNAMEAlreadyExists") {
        return e;
    }
    for alias in aliases {
        if let Ok(Some(holder)) = alias_holder(c, alias, ours).await {
            e.hint = Some(format!(
                "{alias} is an alternate domain name of CloudFront distribution {holder} of this account, made since this run read the account (another stack deploying the same issuer.cloudfront.domain?): remove it there, or choose another issuer.cloudfront.domain"
            ));
            return e;
        }
    }
    e.hint = Some(format!(
        "{} is an alternate domain name of another distribution, of another AWS account (this account's were read again and hold none): remove it there, or choose another issuer.cloudfront.domain",
        aliases.join(", ")
    ));
    e
}

fn build_error(what: &str, e: impl std::fmt::Display) -> AwsError {
    AwsError::new(what.to_string(), ErrorKind::Other, format!("building the request: {e}"))
}

/// The stack's origin access control, by name.
pub async fn find_origin_access_control(c: &Clients, name: &str) -> Result<Option<OriginAccessControlInfo>, AwsError> {
    let mut marker: Option<String> = None;
    loop {
        let out = c
            .cloudfront
            .list_origin_access_controls()
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| classify("listing CloudFront origin access controls", e))?;
        let Some(list) = out.origin_access_control_list() else {
            return Ok(None);
        };
        if let Some(o) = list.items().iter().find(|o| o.name() == name) {
            return Ok(Some(OriginAccessControlInfo {
                id: o.id().into(),
                name: o.name().to_string(),
                signing_behavior: o.signing_behavior().as_str().to_string(),
                signing_protocol: o.signing_protocol().as_str().to_string(),
                origin_type: o.origin_access_control_origin_type().as_str().to_string(),
            }));
        }
        match list.next_marker().filter(|m| !m.is_empty() && list.is_truncated()) {
            Some(m) => marker = Some(m.to_string()),
            None => return Ok(None),
        }
    }
}

/// Creates the origin access control (SigV4, always sign, S3). Names are unique in an account, so an answer
/// lost on the way back is found again by name.
pub async fn create_origin_access_control(c: &Clients, name: &str, stack: &str) -> Result<OriginAccessControlId, AwsError> {
    let what = format!("creating CloudFront origin access control {name}");
    let config = OriginAccessControlConfig::builder()
        .name(name)
        .description(format!("jwtstack: stack {stack} reads its issuer bucket"))
        .signing_protocol(OriginAccessControlSigningProtocols::Sigv4)
        .signing_behavior(OriginAccessControlSigningBehaviors::Always)
        .origin_access_control_origin_type(OriginAccessControlOriginTypes::S3)
        .build()
        .map_err(|e| build_error(&what, e))?;
    let create = || async {
        let out = c
            .cloudfront
            .create_origin_access_control()
            .origin_access_control_config(config.clone())
            .customize()
            .config_override(aws_sdk_cloudfront::config::Builder::default().retry_config(no_retry()))
            .send()
            .await
            .map_err(|e| classify(what.clone(), e))?;
        Ok(out.origin_access_control().map(|o| o.id().into()).unwrap_or_default())
    };
    let find = || async { Ok(find_origin_access_control(c, name).await?.map(|o| o.id)) };
    match create_once(&what, create, find).await {
        // Already there (an earlier run's): it is the stack's by its name.
        Err(e) if e.kind == ErrorKind::Conflict => find_origin_access_control(c, name).await?.map(|o| o.id).ok_or(e),
        other => other,
    }
}

pub async fn delete_origin_access_control(c: &Clients, id: &str) -> Result<(), AwsError> {
    let what = format!("deleting CloudFront origin access control {id}");
    when_busy(|| async {
        let etag = match c.cloudfront.get_origin_access_control().id(id).send().await {
            Ok(out) => out.e_tag().unwrap_or_default().to_string(),
            Err(e) => {
                let e = classify(what.clone(), e);
                return if e.is_not_found() { Ok(()) } else { Err(e) };
            }
        };
        match c.cloudfront.delete_origin_access_control().id(id).if_match(etag).send().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = classify(what.clone(), e);
                if e.is_not_found() { Ok(()) } else { Err(in_use_hint(e)) }
            }
        }
    })
    .await
}

fn in_use_hint(mut e: AwsError) -> AwsError {
    if e.code.as_deref() == Some("OriginAccessControlInUse") {
        e.hint = Some(
            "another distribution still uses this origin access control; remove it from that distribution, then run the command again"
                .into(),
        );
    }
    e
}

/// The distribution `id`, with the stack's tag checked. `None` when it does not exist.
pub async fn read_distribution(c: &Clients, id: &str, stack: &str) -> Result<Option<DistributionInfo>, AwsError> {
    let out = match c.cloudfront.get_distribution().id(id).send().await {
        Ok(out) => out,
        Err(e) => {
            let e = classify(format!("reading CloudFront distribution {id}"), e);
            return if e.is_not_found() { Ok(None) } else { Err(e) };
        }
    };
    let Some(d) = out.distribution() else { return Ok(None) };
    let tags = c
        .cloudfront
        .list_tags_for_resource()
        .resource(d.arn())
        .send()
        .await
        .map_err(|e| classify(format!("reading the tags of CloudFront distribution {id}"), e))?;
    let owned = tags
        .tags()
        .map(|t| t.items().iter().any(|t| t.key() == TAG_KEY && t.value() == Some(stack)))
        .unwrap_or(false);
    Ok(Some(DistributionInfo {
        id: d.id().into(),
        arn: d.arn().to_string(),
        domain_name: d.domain_name().to_string(),
        status: d.status().to_string(),
        owned,
        settings: d.distribution_config().map(settings_of).unwrap_or_default(),
    }))
}

/// Every distribution of the account, as ListDistributions summarises them (all its pages).
async fn distribution_summaries(c: &Clients) -> Result<Vec<DistributionSummary>, AwsError> {
    let mut all = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let out = c
            .cloudfront
            .list_distributions()
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| classify("listing CloudFront distributions", e))?;
        let Some(list) = out.distribution_list() else { return Ok(all) };
        all.extend(list.items().iter().cloned());
        match list.next_marker().filter(|m| !m.is_empty() && list.is_truncated()) {
            Some(m) => marker = Some(m.to_string()),
            None => return Ok(all),
        }
    }
}

/// The stack's distribution when its record is lost: the one whose comment names the stack and that carries
/// its tag.
pub async fn find_distribution(c: &Clients, stack: &str) -> Result<Option<DistributionInfo>, AwsError> {
    let comment = distribution_comment(stack);
    for d in distribution_summaries(c).await?.iter().filter(|d| d.comment() == comment) {
        if let Some(info) = read_distribution(c, d.id(), stack).await?.filter(|i| i.owned) {
            return Ok(Some(info));
        }
    }
    Ok(None)
}

/// The distribution of the account, other than `ours`, that has `domain` among its alternate domain names.
pub async fn alias_holder(c: &Clients, domain: &str, ours: Option<&str>) -> Result<Option<DistributionId>, AwsError> {
    Ok(distribution_summaries(c).await?.iter().find_map(|d| {
        let names = d.aliases().map(|a| a.items()).unwrap_or_default();
        (Some(d.id()) != ours && names.iter().any(|n| n.eq_ignore_ascii_case(domain))).then(|| d.id().into())
    }))
}

/// What jwtstack manages of a distribution's configuration.
fn settings_of(cfg: &DistributionConfig) -> DistributionSettings {
    let origins = cfg.origins().map(|o| o.items()).unwrap_or_default();
    let origin = origins.first();
    let behaviour = cfg.default_cache_behavior();
    let cert = cfg.viewer_certificate();
    let custom_cert = cert.and_then(|v| v.acm_certificate_arn()).filter(|a| !a.is_empty());
    DistributionSettings {
        enabled: cfg.enabled(),
        origin_domain: origin.map(|o| o.domain_name().to_string()).unwrap_or_default(),
        origin_access_control_id: origin
            .and_then(|o| o.origin_access_control_id())
            .filter(|id| !id.is_empty())
            .map(str::to_string),
        origins: origins.len(),
        aliases: cfg.aliases().map(|a| a.items().to_vec()).unwrap_or_default(),
        certificate_arn: custom_cert.map(str::to_string),
        minimum_protocol_version: custom_cert
            .and(cert.and_then(|v| v.minimum_protocol_version()))
            .map(|m| m.as_str().to_string()),
        price_class: cfg.price_class().map(|p| p.as_str().to_string()).unwrap_or_default(),
        viewer_protocol_policy: behaviour
            .map(|b| b.viewer_protocol_policy().as_str().to_string())
            .unwrap_or_default(),
        cache_policy_id: behaviour.and_then(|b| b.cache_policy_id()).unwrap_or_default().to_string(),
        comment: cfg.comment().to_string(),
    }
}

/// The configuration jwtstack writes: `base` (the distribution's current configuration, for an update) keeps
/// what jwtstack does not manage: its caller reference, WAF, logging, geo restrictions.
fn config_of(
    s: &DistributionSettings,
    oac: &str,
    caller_reference: &str,
    base: Option<&DistributionConfig>,
) -> Result<DistributionConfig, aws_sdk_cloudfront::error::BuildError> {
    let origin = Origin::builder()
        .id(ORIGIN_ID)
        .domain_name(&s.origin_domain)
        .origin_path("")
        // The S3 origin without an origin access identity: origin access control signs instead.
        .s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
        .origin_access_control_id(oac)
        .build()?;
    let get_head = || vec![Method::Get, Method::Head];
    let behaviour = DefaultCacheBehavior::builder()
        .target_origin_id(ORIGIN_ID)
        .viewer_protocol_policy(ViewerProtocolPolicy::from(s.viewer_protocol_policy.as_str()))
        .allowed_methods(
            AllowedMethods::builder()
                .quantity(2)
                .set_items(Some(get_head()))
                .cached_methods(CachedMethods::builder().quantity(2).set_items(Some(get_head())).build()?)
                .build()?,
        )
        .compress(true)
        .cache_policy_id(&s.cache_policy_id)
        .build()?;
    let certificate = match &s.certificate_arn {
        Some(arn) => ViewerCertificate::builder()
            .acm_certificate_arn(arn)
            .ssl_support_method(SslSupportMethod::SniOnly)
            .minimum_protocol_version(MinimumProtocolVersion::from(
                s.minimum_protocol_version.as_deref().unwrap_or("TLSv1.2_2021"),
            ))
            .build(),
        None => ViewerCertificate::builder().cloud_front_default_certificate(true).build(),
    };
    DistributionConfig::builder()
        .caller_reference(caller_reference)
        .aliases(
            Aliases::builder()
                .quantity(s.aliases.len() as i32)
                .set_items((!s.aliases.is_empty()).then(|| s.aliases.clone()))
                .build()?,
        )
        .default_root_object("")
        .origins(Origins::builder().quantity(1).items(origin).build()?)
        .default_cache_behavior(behaviour)
        .comment(&s.comment)
        .price_class(PriceClass::from(s.price_class.as_str()))
        .enabled(s.enabled)
        .viewer_certificate(certificate)
        .http_version(HttpVersion::Http2and3)
        .is_ipv6_enabled(true)
        .set_logging(base.and_then(|b| b.logging()).cloned())
        .set_restrictions(base.and_then(|b| b.restrictions()).cloned())
        .set_web_acl_id(base.and_then(|b| b.web_acl_id()).map(str::to_string))
        .build()
}

/// Creates the distribution, tagged for the stack. Its caller reference is derived from the origin access
/// control's id (new for each generation of the stack's CloudFront resources): an attempt whose answer was
/// lost is refused as `DistributionAlreadyExists` when sent again, and found by its comment and tag.
pub async fn create_distribution(c: &Clients, stack: &str, s: &DistributionSettings, oac: &str) -> Result<DistributionInfo, AwsError> {
    let what = "creating the CloudFront distribution".to_string();
    let reference = format!("jwtstack-{stack}-{oac}");
    let config = config_of(s, oac, &reference, None).map_err(|e| build_error(&what, e))?;
    let tags = Tags::builder()
        .items(
            Tag::builder()
                .key(TAG_KEY)
                .value(stack)
                .build()
                .map_err(|e| build_error(&what, e))?,
        )
        .build();
    let with_tags = DistributionConfigWithTags::builder().distribution_config(config).tags(tags).build();
    let create = || async {
        let out = c
            .cloudfront
            .create_distribution_with_tags()
            .distribution_config_with_tags(with_tags.clone())
            .customize()
            .config_override(aws_sdk_cloudfront::config::Builder::default().retry_config(no_retry()))
            .send()
            .await;
        let out = match out {
            Ok(out) => out,
            Err(e) => return Err(alias_taken(c, classify(what.clone(), e), &s.aliases, None).await),
        };
        let d = out
            .distribution()
            .ok_or_else(|| AwsError::new(what.clone(), ErrorKind::Other, "the answer names no distribution"))?;
        Ok(DistributionInfo {
            id: d.id().into(),
            arn: d.arn().to_string(),
            domain_name: d.domain_name().to_string(),
            status: d.status().to_string(),
            owned: true,
            settings: s.clone(),
        })
    };
    let find = || find_distribution(c, stack);
    match create_once(&what, create, find).await {
        Err(e) if e.kind == ErrorKind::Conflict => find_distribution(c, stack).await?.ok_or(e),
        other => other,
    }
}

/// Writes `s` over the distribution's configuration.
pub async fn update_distribution(c: &Clients, id: &str, s: &DistributionSettings, oac: &str) -> Result<(), AwsError> {
    rewrite_config(c, id, &format!("updating CloudFront distribution {id}"), |base| {
        config_of(s, oac, base.caller_reference(), Some(base))
    })
    .await
}

/// Sets `Enabled: false`, everything else as it is: the step before deleting a distribution.
pub async fn disable_distribution(c: &Clients, id: &str) -> Result<(), AwsError> {
    rewrite_config(c, id, &format!("disabling CloudFront distribution {id}"), disabled).await
}

/// Reads the configuration with its ETag, and writes back what `change` makes of it (read again when another
/// change came in between: `PreconditionFailed` is retried).
async fn rewrite_config<F>(c: &Clients, id: &str, what: &str, change: F) -> Result<(), AwsError>
where
    F: Fn(&DistributionConfig) -> Result<DistributionConfig, aws_sdk_cloudfront::error::BuildError>,
{
    when_busy(|| async {
        let current = c
            .cloudfront
            .get_distribution_config()
            .id(id)
            .send()
            .await
            .map_err(|e| classify(what, e))?;
        let etag = current.e_tag().unwrap_or_default().to_string();
        let Some(base) = current.distribution_config() else {
            return Err(AwsError::new(what, ErrorKind::Other, "the answer has no configuration"));
        };
        let config = change(base).map_err(|e| build_error(what, e))?;
        let aliases = config.aliases().map(|a| a.items().to_vec()).unwrap_or_default();
        let sent = c
            .cloudfront
            .update_distribution()
            .id(id)
            .if_match(etag)
            .distribution_config(config)
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            Err(e) => Err(alias_taken(c, classify(what, e), &aliases, Some(id)).await),
        }
    })
    .await
}

/// The configuration as it is, disabled.
fn disabled(base: &DistributionConfig) -> Result<DistributionConfig, aws_sdk_cloudfront::error::BuildError> {
    DistributionConfig::builder()
        .caller_reference(base.caller_reference())
        .set_aliases(base.aliases().cloned())
        .set_default_root_object(base.default_root_object().map(str::to_string))
        .set_origins(base.origins().cloned())
        .set_origin_groups(base.origin_groups().cloned())
        .set_default_cache_behavior(base.default_cache_behavior().cloned())
        .set_cache_behaviors(base.cache_behaviors().cloned())
        .set_custom_error_responses(base.custom_error_responses().cloned())
        .comment(base.comment())
        .set_price_class(base.price_class().cloned())
        .enabled(false)
        .set_viewer_certificate(base.viewer_certificate().cloned())
        .set_http_version(base.http_version().cloned())
        .set_is_ipv6_enabled(base.is_ipv6_enabled())
        .set_logging(base.logging().cloned())
        .set_restrictions(base.restrictions().cloned())
        .set_web_acl_id(base.web_acl_id().map(str::to_string))
        .build()
}

/// Deletes a disabled, deployed distribution. Gone already is fine.
pub async fn delete_distribution(c: &Clients, id: &str) -> Result<(), AwsError> {
    let what = format!("deleting CloudFront distribution {id}");
    when_busy(|| async {
        let etag = match c.cloudfront.get_distribution().id(id).send().await {
            Ok(out) => out.e_tag().unwrap_or_default().to_string(),
            Err(e) => {
                let e = classify(what.clone(), e);
                return if e.is_not_found() { Ok(()) } else { Err(e) };
            }
        };
        match c.cloudfront.delete_distribution().id(id).if_match(etag).send().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let mut e = classify(what.clone(), e);
                if e.is_not_found() {
                    return Ok(());
                }
                if e.code.as_deref() == Some("DistributionNotDisabled") {
                    e.hint =
                        Some("the distribution's disabled configuration is still deploying; run the command again in a few minutes".into());
                }
                Err(e)
            }
        }
    })
    .await
}

/// Invalidates `paths`; the caller reference is unique per call.
pub async fn invalidate(c: &Clients, id: &str, paths: &[String]) -> Result<String, AwsError> {
    let what = format!("invalidating {} on CloudFront distribution {id}", paths.join(", "));
    let reference = format!(
        "jwtstack-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    );
    let batch = InvalidationBatch::builder()
        .paths(
            Paths::builder()
                .quantity(paths.len() as i32)
                .set_items(Some(paths.to_vec()))
                .build()
                .map_err(|e| build_error(&what, e))?,
        )
        .caller_reference(reference)
        .build()
        .map_err(|e| build_error(&what, e))?;
    let out = c
        .cloudfront
        .create_invalidation()
        .distribution_id(id)
        .invalidation_batch(batch)
        .send()
        .await
        .map_err(|e| classify(what.clone(), e))?;
    Ok(out.invalidation().map(|i| i.id().to_string()).unwrap_or_default())
}

/// Polls until `done` says so, reporting how long it has waited every 30 s; fails after [`WAIT_LIMIT`].
async fn wait_until<F, Fut>(what: &str, report: Report<'_>, mut done: F) -> Result<Duration, AwsError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<bool, AwsError>>,
{
    let started = Instant::now();
    let mut pause = Duration::from_millis(500);
    let mut said = Duration::ZERO;
    loop {
        if done().await? {
            return Ok(started.elapsed());
        }
        let waited = started.elapsed();
        if waited >= WAIT_LIMIT {
            return Err(AwsError::new(
                format!("waiting for {what}"),
                ErrorKind::Other,
                format!("not done after {} minutes", waited.as_secs() / 60),
            ));
        }
        if waited >= said + Duration::from_secs(30) {
            said = waited;
            report(Event::Waiting {
                what: what.to_string(),
                waited,
            });
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(10));
    }
}

/// Waits until the distribution's configuration is deployed (status `Deployed`); returns how long it took.
pub async fn wait_deployed(c: &Clients, id: &str, report: Report<'_>) -> Result<Duration, AwsError> {
    wait_until(&format!("CloudFront distribution {id} to deploy"), report, || async {
        let out = c
            .cloudfront
            .get_distribution()
            .id(id)
            .send()
            .await
            .map_err(|e| classify(format!("reading CloudFront distribution {id}"), e))?;
        Ok(out.distribution().is_some_and(|d| d.status() == "Deployed"))
    })
    .await
}

/// Waits until the invalidation is done (status `Completed`).
pub async fn wait_invalidated(c: &Clients, distribution: &str, id: &str, report: Report<'_>) -> Result<Duration, AwsError> {
    wait_until(
        &format!("invalidation {id} of CloudFront distribution {distribution}"),
        report,
        || async {
            let out = c
                .cloudfront
                .get_invalidation()
                .distribution_id(distribution)
                .id(id)
                .send()
                .await
                .map_err(|e| classify(format!("reading invalidation {id}"), e))?;
            // AWS answers `Completed`; moto `COMPLETED`.
            Ok(out.invalidation().is_some_and(|i| i.status().eq_ignore_ascii_case("Completed")))
        },
    )
    .await
}
