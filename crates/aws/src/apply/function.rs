//! The token endpoint's steps: its record, role and policy; its log group; the function made, its code and
//! configuration updated; all of them deleted, the record last.

use jwtstack_core::config::Stack;
use jwtstack_core::plan::FunctionStep;

use crate::{AwsError, Clients, function, logs, role, ssm};

pub(super) async fn run(c: &Clients, stack: &Stack, step: &FunctionStep) -> Result<(), AwsError> {
    let name = &stack.name;
    match step {
        FunctionStep::CreateRole {
            name: role_name,
            record,
            trust,
            policy,
            boundary,
        } => {
            // Recorded first: a run that dies after making the role still leaves the stack able to find it.
            ssm::put_stack_record(c, name, record, role_name).await?;
            role::create_role(c, role_name, trust, boundary.as_deref(), name).await?;
            role::put_policy(c, role_name, policy).await?;
        }
        FunctionStep::Record { parameter, value } => ssm::put_stack_record(c, name, parameter, value).await?,
        FunctionStep::PutTrust { role: r, trust } => role::put_trust(c, r, trust).await?,
        FunctionStep::PutBoundary { role: r, after, .. } => role::put_boundary(c, r, after.as_deref()).await?,
        FunctionStep::PutPolicy { role: r, policy, .. } => role::put_policy(c, r, policy).await?,
        FunctionStep::CreateLogGroup {
            name: group,
            retention_days,
        } => {
            logs::create_group(c, group, *retention_days, name).await?;
        }
        FunctionStep::PutRetention { name: group, after, .. } => logs::put_retention(c, group, *after).await?,
        FunctionStep::CreateFunction { name: f, config } => function::create_function(c, f, config, name).await?,
        FunctionStep::UpdateCode { name: f, architecture, .. } => function::update_code(c, f, architecture).await?,
        FunctionStep::UpdateConfiguration { name: f, config, .. } => function::update_configuration(c, f, config).await?,
        FunctionStep::DeleteFunction { name: f } => function::delete_function(c, f).await?,
        FunctionStep::DeleteLogGroup { name: group } => logs::delete_group(c, group).await?,
        FunctionStep::DeleteRole { name: r } => role::delete_role(c, r).await?,
        FunctionStep::DeleteRecord { parameter } => ssm::delete_key(c, parameter).await?,
    }
    Ok(())
}
