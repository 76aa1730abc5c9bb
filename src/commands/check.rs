//! check: reads the stack's issuer (and a REST API's trusted issuers) the way API Gateway does and says what
//! would make the authorizer fail.

use super::token::local_region;
use crate::cli::Global;
use crate::error::Error;
use crate::exit;
use crate::output::to_json;
use jwtstack_aws::fetch;
use jwtstack_core::config::Stack;
use jwtstack_core::issuer::{self, Report};

pub async fn check(g: &Global, stack: &Stack) -> Result<u8, Error> {
    let region = local_region(g, stack)?;
    let url = stack.issuer_url(&region);
    // The emulator serves the AWS API, not the issuer's public URL: nothing to read there.
    let skipped = stack.hosted().is_some_and(|h| h.served_by_aws()) && g.on_emulator();
    let mut report = if skipped {
        Report::skipped(&url, issuer::emulator_skip(&url))
    } else {
        fetch::check(&url, &issuer::Expect::of(stack)).await
    };
    // A REST API's authorizer reads every issuer it trusts when it is made: each is read as it would be.
    let rest = issuer::Expect {
        rest: true,
        ..Default::default()
    };
    for t in &stack.trust {
        report.trusted.push(fetch::check(&t.issuer, &rest).await);
    }
    if g.json {
        crate::outln!("{}", to_json(&report));
        return Ok(if report.ok() { exit::OK } else { exit::FAILURE });
    }
    crate::out!("{}", report.render());
    if skipped {
        crate::outln!("Skipped: the issuer is checked against real AWS only.");
    } else {
        say(&report);
    }
    for t in &report.trusted {
        crate::outln!("trusted issuer {}:", t.issuer);
        crate::out!("{}", t.render());
        say(t);
    }
    Ok(if report.ok() { exit::OK } else { exit::FAILURE })
}

/// The verdict on one issuer.
fn say(report: &Report) {
    if report.findings.iter().all(|f| f.level != issuer::Level::Error) {
        crate::outln!(
            "OK: API Gateway can read {} and its JWKS ({} key(s): {})",
            report.discovery_url,
            report.kids.len(),
            report.kids.join(", ")
        );
    } else {
        crate::outln!(
            "API Gateway would refuse tokens from {}: fix the errors above, then run `jwtstack check` again.",
            report.issuer
        );
    }
}
