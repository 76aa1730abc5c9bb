//! The Lambda permission steps: the stack's statement added to a function's resource policy for this stack's
//! API (or found again after a lost answer), replaced when it names another source, removed.

use jwtstack_core::config::Stack;
use jwtstack_core::names::{permission_id, source_arn};
use jwtstack_core::plan::PermissionStep;

use super::{Effect, Made};
use crate::retry::create_once;
use crate::{AwsError, Clients, lambda};

pub(super) async fn run(c: &Clients, stack: &Stack, step: &PermissionStep, made: &Made) -> Result<Effect, AwsError> {
    let sid = permission_id(&stack.name);
    match step {
        PermissionStep::Add { function, api } | PermissionStep::Replace { function, api, .. } => {
            let source = source_arn(function, &c.region, &made.api(api)?);
            if let PermissionStep::Replace { .. } = step {
                lambda::remove_permission(c, function, &sid).await?;
            }
            create_once(
                function,
                || lambda::add_permission(c, function, &sid, &source),
                || async {
                    Ok(lambda::read_permission(c, function, &sid)
                        .await?
                        .filter(|p| p.source_arn.as_deref() == Some(&source))
                        .map(|_| ()))
                },
            )
            .await?
        }
        PermissionStep::Remove { function } => lambda::remove_permission(c, function, &sid).await?,
    }
    Ok(Effect::None)
}
