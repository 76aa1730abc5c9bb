//! An API the stack owns goes to AWS in one call. The planner compares route by route as for any API; when
//! anything of an owned API differs (its name, authorizer, integrations or routes), those steps become one
//! `ImportApi` (the API does not exist yet) or `ReimportApi` (it does) of the whole definition, which keeps
//! them as its `changes` for display. The stage, the Lambda permissions and everything of the issuer stay
//! separate steps: an import does not cover them.
//!
//! Why: API Gateway serialises writes to one API, so the call-by-call path costs about 2N+3 serial calls for N
//! routes (minutes on AWS for a few hundred routes, and half an API if interrupted), while a reimport is one
//! call, applied all or nothing by AWS. An adopted API (`api.id`) keeps the call-by-call path: a reimport
//! would replace the routes and integrations the stack does not own.

use super::desired::Desired;
use super::{ApiStep, Barrier, Inventory, Plan, Step, openapi};
use crate::config::ApiRef;

/// Folds the API-content steps of an owned API into one import step, placed where the first of them was, and
/// ends the part there: what the import made is read back and planned again, as AWS does not say what an
/// import left out (a CORS configuration, a tag, an integration shared by routes) and the Terraform provider
/// reads the API back after every reimport for that reason (`reimportOpenAPIDefinition`,
/// internal/service/apigatewayv2/api.go). A difference then is fixed call by call ([`Desired::after_import`]).
/// A plan of an adopted API, one with no API change, or one after this run's import is returned as it is.
pub(super) fn fold_into_import(d: &Desired<'_>, inv: &Inventory, mut plan: Plan) -> Plan {
    let Some(ApiRef::Owned { name }) = d.api() else { return plan };
    if d.by_calls() {
        return plan;
    }
    if inv.api.as_ref().is_some_and(|a| !a.owned) {
        return plan;
    }
    // Every step before the first API-content step is another kind, so the import goes at its index.
    let Some(at) = plan.steps.iter().position(Step::in_import) else {
        return plan;
    };
    // The barrier keeps its place among the steps that stay (the import counts where it stands).
    let barrier = plan.barrier.take().map(|b| Barrier {
        after: plan.steps[..b.after].iter().filter(|s| !s.in_import()).count() + usize::from(at < b.after),
        why: b.why,
    });
    let (changes, mut steps): (Vec<Step>, Vec<Step>) = std::mem::take(&mut plan.steps).into_iter().partition(Step::in_import);
    steps.insert(
        at,
        Step::Api(ApiStep::Import {
            id: inv.api.as_ref().map(|a| a.id.clone()),
            name: name.clone(),
            definition: openapi::definition(d.stack, &super::desired::deployed_routes(d, inv), &plan.region).to_string(),
            changes,
        }),
    );
    plan.steps = steps;
    plan.barrier = match barrier {
        Some(b) if b.after <= at + 1 => Some(b),
        _ => Some(Barrier {
            after: at + 1,
            why: "what the import made is read back and compared with the definition",
        }),
    };
    plan
}
