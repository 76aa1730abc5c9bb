//! The CloudFront steps: the origin access control, the distribution and its record, invalidations, alias
//! records, and the wait (with the issuer check through the distribution) before what depends on it.

use super::{Context, Effect, missing};
use crate::fetch;
use crate::{AwsError, Clients, ErrorKind, cloudfront, route53, ssm};
use jwtstack_core::config::Stack;
use jwtstack_core::plan::Step;

pub(super) async fn run_step(c: &Clients, stack: &Stack, step: &Step, ctx: &Context) -> Result<Effect, AwsError> {
    let name = &stack.name;
    let oac = || {
        ctx.origin_access_control
            .clone()
            .ok_or_else(|| missing("the origin access control"))
    };
    match step {
        Step::CreateOriginAccessControl { name: oac } => {
            let id = cloudfront::create_origin_access_control(c, oac, name).await?;
            return Ok(Effect::OriginAccessControl(id));
        }
        Step::CreateDistribution { settings } => {
            let d = cloudfront::create_distribution(c, name, settings, &oac()?).await?;
            let record = ssm::DistributionRecord {
                id: d.id.clone(),
                arn: d.arn.clone(),
                domain: d.domain_name.clone(),
            };
            ssm::put_distribution_record(c, name, &record).await?;
            return Ok(Effect::Distribution(d.id, d.domain_name));
        }
        Step::RecordDistribution { id, arn, domain, .. } => {
            let record = ssm::DistributionRecord {
                id: id.clone(),
                arn: arn.clone(),
                domain: domain.clone(),
            };
            ssm::put_distribution_record(c, name, &record).await?
        }
        Step::UpdateDistribution { id, settings, .. } => cloudfront::update_distribution(c, id, settings, &oac()?).await?,
        Step::InvalidateDocuments { distribution, paths } => {
            let id = cloudfront::invalidate(c, distribution, paths).await?;
            return Ok(Effect::Invalidation(distribution.clone(), id));
        }
        Step::PutAliasRecords { zone, domain, target } => route53::put_alias_records(c, zone, domain, target).await?,
        Step::DeleteAliasRecords { zone, domain, target } => route53::delete_alias_records(c, zone, domain, target).await?,
        Step::AwaitDistribution {
            distribution,
            check_issuer,
        } => {
            let id = distribution
                .clone()
                .or_else(|| ctx.distribution.as_ref().map(|d| d.0.clone()))
                .ok_or_else(|| missing("the distribution"))?;
            await_distribution(c, stack, &id, *check_issuer, ctx).await?
        }
        Step::DisableDistribution { id } => cloudfront::disable_distribution(c, id).await?,
        Step::DeleteDistribution { id } => {
            cloudfront::delete_distribution(c, id).await?;
            ssm::delete_key(c, &jwtstack_core::names::distribution_record(name)).await?
        }
        Step::DeleteOriginAccessControl { id, .. } => cloudfront::delete_origin_access_control(c, id).await?,
        other => return Err(missing(&format!("a CloudFront step, not {other:?}"))),
    }
    Ok(Effect::None)
}

/// Waits until the distribution is deployed and this run's invalidations of it are done, then (deploy) reads
/// the issuer through it as API Gateway will: the authorizer is changed only once the issuer it names works.
/// With `--no-wait` it says what it did not check.
async fn await_distribution(c: &Clients, stack: &Stack, id: &str, check_issuer: bool, ctx: &Context) -> Result<(), AwsError> {
    let issuer = stack.issuer_url(&c.region);
    if ctx.no_wait {
        eprintln!(
            "--no-wait: not waiting for CloudFront distribution {id} to deploy{}; until it has, {issuer} may not serve the new documents and API Gateway may refuse tokens. `jwtstack check` reads the issuer when it is done",
            if ctx.invalidations.is_empty() {
                ""
            } else {
                " nor for its invalidation"
            },
        );
        return Ok(());
    }
    eprintln!("waiting for CloudFront distribution {id} to deploy (minutes on AWS)");
    let took = cloudfront::wait_deployed(c, id).await?;
    for (_, inv) in ctx.invalidations.iter().filter(|(d, _)| d == id) {
        cloudfront::wait_invalidated(c, id, inv).await?;
    }
    eprintln!("distribution {id} deployed ({}s)", took.as_secs());
    if !check_issuer {
        return Ok(());
    }
    if c.on_emulator {
        eprintln!(
            "issuer check through {issuer} skipped: --endpoint-url sends AWS calls to an emulator, which serves no CloudFront distribution"
        );
        return Ok(());
    }
    let report = fetch::check(&issuer, &jwtstack_core::issuer::Expect::of(stack)).await;
    eprint!("{}", report.render());
    if report.ok() {
        Ok(())
    } else {
        let mut e = AwsError::new(
            format!("reading the issuer {issuer} through CloudFront distribution {id}"),
            ErrorKind::Other,
            "it does not serve the documents as API Gateway needs them (see above)",
        );
        e.hint = Some("the authorizer was not changed; fix what the check names and run deploy again".into());
        Err(e)
    }
}
