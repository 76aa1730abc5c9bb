//! CloudWatch Logs: the access log's group (created, tagged, retention, deleted) and the requests in it
//! (`jwtstack logs`).

use std::collections::HashMap;

use super::{AwsError, Clients, classify, ignore_missing};
use jwtstack_core::names::TAG_KEY;
use jwtstack_core::plan::LogGroupInfo;

/// The group named `name`, with its tag read when it exists.
pub async fn find_group(c: &Clients, name: &str, stack: &str) -> Result<Option<LogGroupInfo>, AwsError> {
    let out = c
        .logs
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .map_err(|e| classify(format!("reading log group {name}"), e))?;
    let Some(g) = out.log_groups().iter().find(|g| g.log_group_name() == Some(name)) else {
        return Ok(None);
    };
    let arn = g
        .log_group_arn()
        .map(str::to_string)
        .or_else(|| g.arn().map(|a| a.trim_end_matches(":*").to_string()))
        .unwrap_or_default();
    let tags = c
        .logs
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .map_err(|e| classify(format!("reading the tags of log group {name}"), e))?;
    Ok(Some(LogGroupInfo {
        retention_days: g.retention_in_days().and_then(|d| u32::try_from(d).ok()),
        owned: tags.tags().and_then(|t| t.get(TAG_KEY)).map(String::as_str) == Some(stack),
        arn,
    }))
}

/// Creates the group with the stack's tag and its retention; returns its ARN. A group that exists already
/// (a run that died after creating it) is taken when it carries the stack's tag.
pub async fn create_group(c: &Clients, name: &str, retention_days: u32, stack: &str) -> Result<String, AwsError> {
    let created = c
        .logs
        .create_log_group()
        .log_group_name(name)
        .set_tags(Some(HashMap::from([(TAG_KEY.to_string(), stack.to_string())])))
        .send()
        .await;
    if let Err(e) = created {
        let e = classify(format!("creating log group {name}"), e);
        if e.code.as_deref() != Some("ResourceAlreadyExistsException") {
            return Err(e);
        }
    }
    put_retention(c, name, retention_days).await?;
    match find_group(c, name, stack).await? {
        Some(g) if g.owned => Ok(g.arn),
        _ => Err(AwsError::new(
            format!("creating log group {name}"),
            super::ErrorKind::Conflict,
            "the group exists and does not carry the stack's tag",
        )),
    }
}

pub async fn put_retention(c: &Clients, name: &str, days: u32) -> Result<(), AwsError> {
    c.logs
        .put_retention_policy()
        .log_group_name(name)
        .retention_in_days(days as i32)
        .send()
        .await
        .map_err(|e| classify(format!("setting the retention of log group {name}"), e))?;
    Ok(())
}

pub async fn delete_group(c: &Clients, name: &str) -> Result<(), AwsError> {
    ignore_missing(
        c.logs.delete_log_group().log_group_name(name).send().await.map(|_| ()),
        format!("deleting log group {name}"),
    )
}

/// One event of the access log.
#[derive(Debug, Clone)]
pub struct Event {
    pub timestamp: i64,
    pub message: String,
    pub id: String,
}

/// The events from `start` (ms since the epoch), oldest first, every page (FilterLogEvents).
pub async fn events_since(c: &Clients, name: &str, start: i64) -> Result<Vec<Event>, AwsError> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = c
            .logs
            .filter_log_events()
            .log_group_name(name)
            .start_time(start)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| {
                let mut e = classify(format!("reading log group {name}"), e);
                if e.is_not_found() {
                    e.hint = Some("the stack has no access log yet: add `access_log:` to the stack file and deploy".into());
                }
                e
            })?;
        all.extend(out.events().iter().map(|e| Event {
            timestamp: e.timestamp().unwrap_or_default(),
            message: e.message().unwrap_or_default().to_string(),
            id: e.event_id().unwrap_or_default().to_string(),
        }));
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    all.sort_by_key(|e| e.timestamp);
    Ok(all)
}
