//! The CloudFront steps: the origin access control, the distribution and its record, invalidations, the
//! removal (disable, wait, delete), and the wait (with the issuer check through the distribution) before what
//! depends on it.

use jwtstack_core::config::Stack;
use jwtstack_core::issuer::Expect;
use jwtstack_core::plan::{DistributionId, DistributionStep};

use super::{Effect, Made, resolve};
use crate::event::{Event, Report};
use crate::{AwsError, Clients, ErrorKind, cloudfront, fetch, ssm};

pub(super) async fn run(c: &Clients, stack: &Stack, step: &DistributionStep, made: &Made, report: Report<'_>) -> Result<Effect, AwsError> {
    let name = &stack.name;
    let oac = |r| resolve(r, made.origin_access_control.as_ref(), "the origin access control");
    match step {
        DistributionStep::CreateOriginAccessControl { name: oac } => {
            let id = cloudfront::create_origin_access_control(c, oac, name).await?;
            return Ok(Effect::OriginAccessControl(id));
        }
        DistributionStep::Create {
            settings,
            origin_access_control,
        } => {
            let d = cloudfront::create_distribution(c, name, settings, &oac(origin_access_control)?).await?;
            let record = ssm::DistributionRecord {
                id: d.id.to_string(),
                arn: d.arn.clone(),
                domain: d.domain_name.clone(),
            };
            ssm::put_distribution_record(c, name, &record).await?;
            return Ok(Effect::Distribution {
                id: d.id,
                domain: d.domain_name,
            });
        }
        DistributionStep::Record { id, arn, domain, .. } => {
            let record = ssm::DistributionRecord {
                id: id.to_string(),
                arn: arn.clone(),
                domain: domain.clone(),
            };
            ssm::put_distribution_record(c, name, &record).await?
        }
        DistributionStep::Update {
            id,
            settings,
            origin_access_control,
            ..
        } => cloudfront::update_distribution(c, id, settings, &oac(origin_access_control)?).await?,
        DistributionStep::Invalidate { id, paths } => {
            let invalidation = cloudfront::invalidate(c, id, paths).await?;
            return Ok(Effect::Invalidation {
                distribution: id.clone(),
                id: invalidation,
            });
        }
        DistributionStep::Await { id, wait, check_issuer } => {
            let id = resolve(id, made.distribution.as_ref().map(|d| &d.0), "the distribution")?;
            await_distribution(c, stack, &id, *wait, *check_issuer, made, report).await?
        }
        DistributionStep::Disable { id } => cloudfront::disable_distribution(c, id).await?,
        DistributionStep::Delete { id } => {
            cloudfront::delete_distribution(c, id).await?;
            ssm::delete_key(c, &jwtstack_core::names::distribution_record(name)).await?
        }
        DistributionStep::DeleteOriginAccessControl { id, .. } => cloudfront::delete_origin_access_control(c, id).await?,
    }
    Ok(Effect::None)
}

/// Waits until the distribution is deployed and this run's invalidations of it are done, then (deploy) reads
/// the issuer through it as API Gateway will: the authorizer is changed only once the issuer it names works.
/// Without `wait` (`--no-wait`) it says what it did not check.
async fn await_distribution(
    c: &Clients,
    stack: &Stack,
    id: &DistributionId,
    wait: bool,
    check_issuer: bool,
    made: &Made,
    report: Report<'_>,
) -> Result<(), AwsError> {
    let issuer = stack.issuer_url(&c.region);
    let invalidations: Vec<&String> = made.invalidations.iter().filter(|(d, _)| d == id).map(|(_, i)| i).collect();
    if !wait {
        report(Event::Note {
            text: format!(
                "--no-wait: not waiting for CloudFront distribution {id} to deploy{}; until it has, {issuer} may not serve the new documents and API Gateway may refuse tokens. `jwtstack check` reads the issuer when it is done",
                if invalidations.is_empty() {
                    ""
                } else {
                    " nor for its invalidation"
                },
            ),
        });
        return Ok(());
    }
    let what = format!("CloudFront distribution {id} to deploy (minutes on AWS)");
    report(Event::Waiting {
        what: what.clone(),
        waited: std::time::Duration::ZERO,
    });
    let took = cloudfront::wait_deployed(c, id, report).await?;
    for invalidation in invalidations {
        cloudfront::wait_invalidated(c, id, invalidation, report).await?;
    }
    report(Event::Waited {
        what: format!("distribution {id} deployed"),
        took,
    });
    if !check_issuer {
        return Ok(());
    }
    if c.on_emulator {
        report(Event::Note {
            text: format!(
                "issuer check through {issuer} skipped: --endpoint-url sends AWS calls to an emulator, which serves no CloudFront distribution"
            ),
        });
        return Ok(());
    }
    let found = fetch::check(&issuer, &Expect::of(stack)).await;
    report(Event::Note { text: found.render() });
    if found.ok() {
        return Ok(());
    }
    let mut e = AwsError::new(
        format!("reading the issuer {issuer} through CloudFront distribution {id}"),
        ErrorKind::Other,
        "it does not serve the documents as API Gateway needs them (see above)",
    );
    e.hint = Some("the authorizer was not changed; fix what the check names and run deploy again".into());
    Err(e)
}
