//! check: reads the stack's issuer the way API Gateway does and says what would make the authorizer fail.

use super::token::local_region;
use crate::cli::Global;
use crate::error::Error;
use crate::exit;
use crate::output::to_json;
use jwtstack_aws::fetch;
use jwtstack_core::config::Stack;
use jwtstack_core::issuer;

pub async fn check(g: &Global, stack: &Stack) -> Result<u8, Error> {
    let region = local_region(g, stack)?;
    let url = stack.issuer_url(&region);
    if stack.hosted().is_some_and(|h| h.served_by_aws()) && g.on_emulator() {
        // The emulator serves the AWS API, not the issuer's public URL: nothing to read there.
        let report = issuer::Report::skipped(&url, issuer::emulator_skip(&url));
        if g.json {
            crate::outln!("{}", to_json(&report));
        } else {
            crate::out!("{}", report.render());
            crate::outln!("Skipped: the issuer is checked against real AWS only.");
        }
        return Ok(exit::OK);
    }
    let report = fetch::check(&url, &issuer::Expect::of(stack)).await;
    if g.json {
        crate::outln!("{}", to_json(&report));
    } else {
        crate::out!("{}", report.render());
        if report.ok() {
            crate::outln!(
                "OK: API Gateway can read {} and its JWKS ({} key(s): {})",
                report.discovery_url,
                report.kids.len(),
                report.kids.join(", ")
            );
        } else {
            crate::outln!("API Gateway would refuse tokens from {url}: fix the errors above, then run `jwtstack check` again.");
        }
    }
    Ok(if report.ok() { exit::OK } else { exit::FAILURE })
}
