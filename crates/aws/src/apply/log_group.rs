//! The log group steps: the access log's group recorded, then created with its tag and retention; its
//! retention changed; the group and its record deleted.

use jwtstack_core::config::Stack;
use jwtstack_core::plan::LogGroupStep;

use super::Effect;
use crate::{AwsError, Clients, logs, ssm};

pub(super) async fn run(c: &Clients, stack: &Stack, step: &LogGroupStep) -> Result<Effect, AwsError> {
    let name = &stack.name;
    match step {
        LogGroupStep::Create {
            name: group,
            retention_days,
            record,
        } => {
            // Recorded first: a run that dies after creating the group still leaves the stack able to find it.
            ssm::put_stack_record(c, name, record, group).await?;
            let arn = logs::create_group(c, group, *retention_days, name).await?;
            return Ok(Effect::LogGroup { arn });
        }
        LogGroupStep::PutRetention { name: group, after, .. } => logs::put_retention(c, group, *after).await?,
        LogGroupStep::Record { parameter, value } => ssm::put_stack_record(c, name, parameter, value).await?,
        LogGroupStep::Delete { name: group, record } => {
            logs::delete_group(c, group).await?;
            ssm::delete_key(c, record).await?
        }
        LogGroupStep::DeleteRecord { parameter } => ssm::delete_key(c, parameter).await?,
    }
    Ok(Effect::None)
}
