//! The API around the authorizer: the `$default` stage's access log and throttling, the access log's group,
//! and the API's custom domain name with its mapping and alias records. Pure, like the rest of the planner.

use super::{ApiDomainInfo, Conflict, Diff, Inventory, StageSettings, Step};
use crate::config::{ApiDomain, Stack};
use crate::names::{ACCESS_LOG_FORMAT, STAGE_NAME, access_log_record, api_domain_record};

/// What API Gateway's domain settings must be (regional endpoint, TLS 1.2).
pub const ENDPOINT_TYPE: &str = "REGIONAL";
pub const SECURITY_POLICY: &str = "TLS_1_2";

/// A CORS configuration as API Gateway compares it: lists as sets, header names and methods in one case.
pub fn normal_cors(c: &crate::config::Cors) -> crate::config::Cors {
    let set = |v: &[String], f: fn(&str) -> String| {
        let mut v: Vec<String> = v.iter().map(|x| f(x)).collect();
        v.sort();
        v.dedup();
        v
    };
    crate::config::Cors {
        allow_origins: set(&c.allow_origins, str::to_string),
        allow_methods: set(&c.allow_methods, str::to_ascii_uppercase),
        allow_headers: set(&c.allow_headers, str::to_ascii_lowercase),
        expose_headers: set(&c.expose_headers, str::to_ascii_lowercase),
        max_age: c.max_age,
        allow_credentials: c.allow_credentials,
    }
}

/// The API's CORS configuration (an owned API's: part of its import).
pub fn plan_cors(steps: &mut Vec<Step>, stack: &Stack, inv: &Inventory) {
    let current = inv.api.as_ref().and_then(|a| a.cors.clone());
    if matches!(stack.api, crate::config::ApiRef::Owned { .. }) && current.as_ref().map(normal_cors) != stack.cors.as_ref().map(normal_cors)
    {
        steps.push(Step::UpdateCors {
            before: current,
            after: stack.cors.clone(),
        });
    }
}

/// The log group name inside a log group ARN (`arn:aws:logs:r:a:log-group:NAME[:*]`).
pub fn group_of_arn(arn: &str) -> &str {
    let name = arn.split_once(":log-group:").map(|(_, n)| n).unwrap_or(arn);
    name.strip_suffix(":*").unwrap_or(name)
}

/// The log group, before the stage that writes to it.
pub fn plan_log_group(steps: &mut Vec<Step>, stack: &Stack, inv: &Inventory) -> Result<(), Conflict> {
    let Some(al) = &stack.access_log else {
        return Ok(());
    };
    let name = stack.access_log_group();
    match &inv.log_group {
        None => steps.push(Step::CreateLogGroup {
            name,
            retention_days: al.retention_days,
        }),
        Some(g) if !g.owned => {
            return Err(Conflict::LogGroupTaken {
                name,
                stack: stack.name.clone(),
            });
        }
        Some(g) => {
            if g.retention_days != Some(al.retention_days) {
                steps.push(Step::PutLogRetention {
                    name: name.clone(),
                    before: g.retention_days,
                    after: al.retention_days,
                });
            }
            if inv.log_group_record.as_deref() != Some(name.as_str()) {
                steps.push(Step::PutStackRecord {
                    parameter: access_log_record(&stack.name),
                    value: name,
                });
            }
        }
    }
    Ok(())
}

fn throttling_text(t: Option<(f64, i32)>) -> String {
    t.map(|(r, b)| format!("rate {r} burst {b}")).unwrap_or_else(|| "none".into())
}

/// The `$default` stage: created auto-deploying with the declared settings, or brought to them. What the
/// stack does not declare is left as the stage has it, with one exception: an access log into the stack's own
/// group, which goes with the group (`plan_undeclared`).
pub fn plan_stage(steps: &mut Vec<Step>, notes: &mut Vec<String>, stack: &Stack, inv: &Inventory) {
    let group = stack.access_log.map(|_| stack.access_log_group());
    let settings = StageSettings {
        access_log_group: group.clone(),
        throttling: stack.throttling,
        detailed_metrics: inv.stage.as_ref().is_some_and(|s| s.detailed_metrics),
    };
    let Some(s) = &inv.stage else {
        steps.push(Step::CreateStage { settings });
        return;
    };
    if !s.auto_deploy {
        if s.owned {
            steps.push(Step::UpdateStage);
        } else {
            notes.push(
                "the $default stage is not managed by this stack and has auto-deploy off: deploy the API for route changes to go live"
                    .into(),
            );
        }
    }
    let mut diffs = Vec::new();
    let current_group = s.access_log.as_ref().map(|a| group_of_arn(&a.destination).to_string());
    if let Some(g) = &group {
        let format_ok = s.access_log.as_ref().is_some_and(|a| a.format == ACCESS_LOG_FORMAT);
        if current_group.as_deref() != Some(g.as_str()) {
            diffs.push(Diff::new(
                "access_log",
                current_group.clone().unwrap_or_else(|| "none".into()),
                g.clone(),
            ));
        } else if !format_ok {
            diffs.push(Diff::new("access_log_format", "another format", "jwtstack's JSON format"));
        }
    }
    let current = s.throttling;
    match stack.throttling {
        Some(t) => {
            let wanted = (t.rate as f64, t.burst as i32);
            if current != Some(wanted) {
                diffs.push(Diff::new("throttling", throttling_text(current), throttling_text(Some(wanted))));
            }
        }
        None if current.is_some() && s.owned => notes.push(format!(
            "throttling is not declared, but the $default stage keeps {}: API Gateway cannot unset a stage's throttling (an update without values sets both to 0, and every request gets 429; terraform-provider-aws#30373). Declare the limits you want, or run teardown and deploy to recreate the stage without them",
            throttling_text(current)
        )),
        None => {}
    }
    if !diffs.is_empty() {
        steps.push(Step::ConfigureStage { diffs, settings });
    }
}

/// ACM's certificate for a regional custom domain: in the stack's region, ISSUED, covering the name.
fn check_certificate(d: &ApiDomain, inv: &Inventory) -> Result<(), Conflict> {
    let cert_region = d.certificate_arn.split(':').nth(3).unwrap_or_default();
    let why = if cert_region != inv.region {
        Some(format!("it is in {cert_region}"))
    } else {
        super::dns::certificate_problem(inv.api_certificate.as_ref(), &d.name, &inv.region)
    };
    match why {
        Some(why) => Err(Conflict::ApiCertificateNotUsable {
            arn: d.certificate_arn.clone(),
            domain: d.name.clone(),
            region: inv.region.clone(),
            why,
        }),
        None => Ok(()),
    }
}

/// The declared domain as API Gateway has it (whoever owns it).
fn declared<'a>(stack: &Stack, inv: &'a Inventory) -> Option<&'a ApiDomainInfo> {
    let d = stack.domain.as_ref()?;
    inv.api_domains.iter().find(|x| x.name == d.name)
}

/// The custom domain, its mapping to the `$default` stage and its alias records, after the stage.
pub fn plan_domain(steps: &mut Vec<Step>, notes: &mut Vec<String>, stack: &Stack, inv: &Inventory) -> Result<(), Conflict> {
    let Some(d) = &stack.domain else {
        return Ok(());
    };
    check_certificate(d, inv)?;
    let existing = declared(stack, inv);
    match existing {
        Some(x) if !x.owned => {
            return Err(Conflict::ApiDomainTaken {
                domain: d.name.clone(),
                owner: "no jwtstack:stack tag of this stack".into(),
            });
        }
        None => steps.push(Step::CreateApiDomain {
            name: d.name.clone(),
            certificate_arn: d.certificate_arn.clone(),
        }),
        Some(x) => {
            if inv.api_domain_record.as_deref() != Some(d.name.as_str()) {
                steps.push(Step::PutStackRecord {
                    parameter: api_domain_record(&stack.name),
                    value: d.name.clone(),
                });
            }
            let mut diffs = Vec::new();
            let mut field = |name: &str, current: &Option<String>, wanted: &str| {
                if current.as_deref() != Some(wanted) {
                    diffs.push(Diff::new(name, current.clone().unwrap_or_else(|| "none".into()), wanted));
                }
            };
            field("certificate_arn", &x.certificate_arn, &d.certificate_arn);
            field("endpoint_type", &x.endpoint_type, ENDPOINT_TYPE);
            field("security_policy", &x.security_policy, SECURITY_POLICY);
            if !diffs.is_empty() {
                steps.push(Step::UpdateApiDomain {
                    name: d.name.clone(),
                    diffs,
                    certificate_arn: d.certificate_arn.clone(),
                });
            }
        }
    }
    let api_id = inv.api.as_ref().map(|a| a.id.as_str());
    let mut mapped = false;
    for m in existing.map(|x| x.mappings.as_slice()).unwrap_or_default() {
        if Some(m.api_id.as_str()) == api_id && m.stage == STAGE_NAME && m.key.is_empty() && !mapped {
            mapped = true;
        } else {
            // The stack's domain serves the stack's API at its root, and nothing else.
            steps.push(Step::DeleteApiMapping {
                domain: d.name.clone(),
                id: m.id.clone(),
            });
        }
    }
    if !mapped {
        steps.push(Step::CreateApiMapping { domain: d.name.clone() });
    }
    let target = existing.map(|x| (x.target.clone(), x.target_zone.clone()));
    match &d.hosted_zone_id {
        Some(zone) => {
            let at = target.as_ref().map(|(t, _)| t.as_str());
            let complete = super::dns::alias_records_in_place(&inv.api_alias_records, "API domain", zone, &d.name, at)?;
            if !complete {
                steps.push(Step::PutApiAliasRecords {
                    zone: zone.clone(),
                    domain: d.name.clone(),
                    target,
                });
            }
        }
        None => notes.push(match &target {
            Some((t, _)) => format!("add this DNS record for the API's domain (or set domain.hosted_zone_id): {} CNAME {t}", d.name),
            None => format!(
                "after this deploy, point {} at the domain's API Gateway endpoint (`jwtstack outputs` gives the record), or set domain.hosted_zone_id",
                d.name
            ),
        }),
    }
    Ok(())
}

/// Removes what the stack owns and no longer declares (everything, for teardown): domains with their
/// mappings and records, then the access log setting that points at the stack's group. The group itself goes
/// last ([`plan_log_group_removal`]), after the stage or API that writes to it.
pub fn plan_undeclared(steps: &mut Vec<Step>, notes: &mut Vec<String>, stack: &Stack, inv: &Inventory, teardown: bool) {
    let keep = if teardown {
        None
    } else {
        stack.domain.as_ref().map(|d| d.name.as_str())
    };
    for x in inv.api_domains.iter().filter(|x| x.owned && Some(x.name.as_str()) != keep) {
        match stack
            .domain
            .as_ref()
            .filter(|d| d.name == x.name)
            .and_then(|d| d.hosted_zone_id.as_ref())
        {
            Some(zone) => {
                if inv
                    .api_alias_records
                    .iter()
                    .any(|r| r.alias_target.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(&x.target)))
                {
                    steps.push(Step::DeleteApiAliasRecords {
                        zone: zone.clone(),
                        domain: x.name.clone(),
                        target: (x.target.clone(), x.target_zone.clone()),
                    });
                }
            }
            None => notes.push(format!(
                "the domain name {} is removed; a DNS record that points at {} is not jwtstack's to know about: remove it where it lives",
                x.name, x.target
            )),
        }
        for m in &x.mappings {
            steps.push(Step::DeleteApiMapping {
                domain: x.name.clone(),
                id: m.id.clone(),
            });
        }
        steps.push(Step::DeleteApiDomain { name: x.name.clone() });
    }
    // A record whose domain is gone (deleted, or a run that died between recording and creating it).
    if let Some(r) = &inv.api_domain_record
        && (teardown || stack.domain.is_none())
        && !inv.api_domains.iter().any(|x| x.owned && &x.name == r)
    {
        steps.push(Step::DeleteStackRecord {
            parameter: api_domain_record(&stack.name),
        });
    }
    let ours = stack.access_log_group();
    let api_goes = teardown && inv.api.as_ref().is_some_and(|a| a.owned);
    if let Some(s) = &inv.stage
        && (teardown || stack.access_log.is_none())
        && !api_goes
        && s.access_log.as_ref().is_some_and(|a| group_of_arn(&a.destination) == ours)
    {
        steps.push(Step::DeleteAccessLog);
    }
    if teardown
        && !api_goes
        && let Some((r, b)) = inv.stage.as_ref().and_then(|s| s.throttling)
        && stack.throttling.is_some()
    {
        notes.push(format!(
            "the adopted API's $default stage keeps the throttling the stack set (rate {r} burst {b}): API Gateway cannot unset it without recreating the stage, and the stage is not the stack's"
        ));
    }
}

/// The access log's group, when the stack owns it and no longer declares it (everything, for teardown).
pub fn plan_log_group_removal(steps: &mut Vec<Step>, stack: &Stack, inv: &Inventory, teardown: bool) {
    if !(teardown || stack.access_log.is_none()) {
        return;
    }
    if inv.log_group.as_ref().is_some_and(|g| g.owned) {
        steps.push(Step::DeleteLogGroup {
            name: stack.access_log_group(),
        });
    } else if inv.log_group_record.is_some() {
        steps.push(Step::DeleteStackRecord {
            parameter: access_log_record(&stack.name),
        });
    }
}
