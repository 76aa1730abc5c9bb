//! The alias record steps, for both owners: the A (and AAAA) records of a domain to the distribution or to the
//! API domain's regional endpoint (made earlier in the run, when new).

use jwtstack_core::plan::{DnsOwner, DnsStep, Ref};

use super::{Effect, Made, missing};
use crate::{AwsError, Clients, route53};

pub(super) async fn run(c: &Clients, step: &DnsStep, made: &Made) -> Result<Effect, AwsError> {
    match step {
        DnsStep::PutAliasRecords {
            owner,
            zone,
            domain,
            target,
            write,
            drop,
        } => {
            let target = match (target, owner) {
                (Ref::Known(t), _) => t.clone(),
                (Ref::New, DnsOwner::Distribution) => made
                    .distribution
                    .as_ref()
                    .map(|(_, d)| jwtstack_core::plan::AliasTarget::distribution(d))
                    .ok_or_else(|| missing("the distribution's domain"))?,
                (Ref::New, DnsOwner::ApiDomain) => made
                    .domains
                    .get(domain)
                    .cloned()
                    .ok_or_else(|| missing("the API domain's endpoint"))?,
            };
            route53::put_alias_records(c, zone, domain, &target, write, drop).await?
        }
        DnsStep::DeleteAliasRecords {
            zone,
            domain,
            target,
            types,
            ..
        } => route53::delete_alias_records(c, zone, domain, target, types).await?,
    }
    Ok(Effect::None)
}
