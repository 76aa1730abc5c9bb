//! Executes a plan's steps: the issuer and the head of the API side by side, then the rest in plan order,
//! neighbours of one group together. Each kind of step has its executor beside this file; what a step makes
//! that a later one refers to (a [`Ref::New`]) is kept in [`Made`].

mod api;
mod authorizer;
mod bucket;
mod distribution;
mod dns;
mod document;
mod domain;
mod function;
mod integration;
mod key;
mod log_group;
mod permission;
mod rest;
mod route;
mod stage;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use futures_util::stream::{self, StreamExt};
use jwtstack_core::config::Stack;
use jwtstack_core::crypto::keys::Jwk;
use jwtstack_core::plan::{
    AliasTarget, ApiId, AuthorizerId, DistributionId, IntegrationId, IntegrationSpec, Inventory, Kid, Lane, OriginAccessControlId, Plan,
    Ref, ResourceId, RouteAuth, Step,
};

use crate::event::{Event, Report};
use crate::{AwsError, Clients, ErrorKind};

/// What the steps of a run made, that later steps refer to and the outputs name.
#[derive(Debug, Default, Clone)]
pub struct Made {
    /// The API and its endpoint.
    pub api: Option<(ApiId, String)>,
    pub authorizer: Option<AuthorizerId>,
    pub integrations: BTreeMap<IntegrationSpec, IntegrationId>,
    /// The public halves of the keys created, by kid.
    pub keys: BTreeMap<Kid, Jwk>,
    pub origin_access_control: Option<OriginAccessControlId>,
    /// The distribution and its domain.
    pub distribution: Option<(DistributionId, String)>,
    /// The invalidations created, by distribution.
    pub invalidations: Vec<(DistributionId, String)>,
    /// The access log group's ARN.
    pub log_group_arn: Option<String>,
    /// The custom domains created, by name, with the endpoint their records point at.
    pub domains: BTreeMap<String, AliasTarget>,
    /// A REST API's resources created, by path (a new API's root `/` among them).
    pub resources: BTreeMap<String, ResourceId>,
}

/// An id a step refers to but no earlier step made: the plan is inconsistent.
fn missing(what: &str) -> AwsError {
    AwsError::new(
        format!("applying the plan: {what}"),
        ErrorKind::Other,
        "an earlier step did not produce it",
    )
}

/// The known value, or what an earlier step made.
fn resolve<T: Clone>(r: &Ref<T>, made: Option<&T>, what: &str) -> Result<T, AwsError> {
    match r {
        Ref::Known(t) => Ok(t.clone()),
        Ref::New => made.cloned().ok_or_else(|| missing(what)),
    }
}

impl Made {
    fn api(&self, r: &Ref<ApiId>) -> Result<ApiId, AwsError> {
        resolve(r, self.api.as_ref().map(|a| &a.0), "the API id")
    }

    /// The authorizer a route or method uses (`None`: public).
    fn authorizer_of(&self, auth: &RouteAuth) -> Result<Option<AuthorizerId>, AwsError> {
        match auth {
            RouteAuth::Public => Ok(None),
            RouteAuth::Jwt(r) => resolve(r, self.authorizer.as_ref(), "the authorizer id").map(Some),
        }
    }

    fn record(&mut self, effect: Effect) {
        match effect {
            Effect::None => {}
            Effect::Key { kid, jwk } => {
                self.keys.insert(kid, *jwk);
            }
            Effect::Api { id, endpoint } => self.api = Some((id, endpoint)),
            Effect::RestApi { id, endpoint, root } => {
                self.api = Some((id, endpoint));
                self.resources.insert("/".into(), root);
            }
            Effect::Resource { path, id } => {
                self.resources.insert(path, id);
            }
            Effect::Imported { id, endpoint, authorizer } => {
                self.api = Some((id, endpoint));
                self.authorizer = authorizer;
            }
            Effect::Authorizer(id) => self.authorizer = Some(id),
            Effect::Integration { spec, id } => {
                self.integrations.insert(spec, id);
            }
            Effect::OriginAccessControl(id) => self.origin_access_control = Some(id),
            Effect::Distribution { id, domain } => self.distribution = Some((id, domain)),
            Effect::Invalidation { distribution, id } => self.invalidations.push((distribution, id)),
            Effect::LogGroup { arn } => self.log_group_arn = Some(arn),
            Effect::Domain { name, target } => {
                self.domains.insert(name, target);
            }
        }
    }
}

/// What a step made that later steps need.
enum Effect {
    None,
    Key {
        kid: Kid,
        jwk: Box<Jwk>,
    },
    Api {
        id: ApiId,
        endpoint: String,
    },
    /// A REST API, and its root resource.
    RestApi {
        id: ApiId,
        endpoint: String,
        root: ResourceId,
    },
    /// A REST API's resource, by its path.
    Resource {
        path: String,
        id: ResourceId,
    },
    /// An import: the API, and the authorizer its definition made.
    Imported {
        id: ApiId,
        endpoint: String,
        authorizer: Option<AuthorizerId>,
    },
    Authorizer(AuthorizerId),
    Integration {
        spec: IntegrationSpec,
        id: IntegrationId,
    },
    OriginAccessControl(OriginAccessControlId),
    Distribution {
        id: DistributionId,
        domain: String,
    },
    Invalidation {
        distribution: DistributionId,
        id: String,
    },
    LogGroup {
        arn: String,
    },
    Domain {
        name: String,
        target: AliasTarget,
    },
}

/// What exists after a run, as the outputs name it: the inventory's ids, updated by what the run made.
#[derive(Debug, Clone, Default)]
pub struct Deployed {
    pub api_id: Option<ApiId>,
    pub api_endpoint: Option<String>,
    pub authorizer_id: Option<AuthorizerId>,
    /// The distribution and its domain.
    pub distribution: Option<(DistributionId, String)>,
    /// The endpoint the API's custom domain points at.
    pub api_domain_target: Option<String>,
    /// The access log's group (the one the stack has, else where a new one goes).
    pub access_log_group: String,
    /// A private REST API (made so, or adopted): reachable only through its VPC endpoints.
    pub private: bool,
}

impl Deployed {
    pub fn of(inv: &Inventory, stack: &str) -> Deployed {
        Deployed {
            api_id: inv.api.as_ref().map(|a| a.id.clone()),
            api_endpoint: inv.api.as_ref().map(|a| a.endpoint.clone()),
            authorizer_id: inv.authorizer.as_ref().map(|a| a.id.clone()),
            distribution: inv.distribution.found.as_ref().map(|d| (d.id.clone(), d.domain_name.clone())),
            // The stack's domain (one it tagged).
            api_domain_target: inv.domain.found.iter().find(|d| d.owned).map(|d| d.target.clone()),
            access_log_group: inv.log_group.group_name(stack),
            private: inv.rest.endpoint.as_deref() == Some("PRIVATE"),
        }
    }

    /// The ids after a run that made `made`.
    pub fn updated(mut self, made: &Made) -> Deployed {
        if let Some((id, endpoint)) = &made.api {
            self.api_id = Some(id.clone());
            self.api_endpoint = Some(endpoint.clone());
        }
        if let Some(a) = &made.authorizer {
            self.authorizer_id = Some(a.clone());
        }
        if let Some(d) = &made.distribution {
            self.distribution = Some(d.clone());
        }
        if let Some(t) = made.domains.values().next() {
            self.api_domain_target = Some(t.dns_name.clone());
        }
        self
    }
}

/// How a run of steps ended early.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("step {step} of {total} failed: {source}")]
    Step { step: usize, total: usize, source: AwsError },
    #[error("interrupted: {done} of {total} steps were applied")]
    Interrupted { done: usize, total: usize },
}

/// How a run is told to stop, and what it reports.
pub struct Options<'a> {
    /// Set on Ctrl-C: the steps in flight finish and no other starts.
    pub stop: Arc<AtomicBool>,
    pub report: Report<'a>,
}

/// Runs every step of `plan` (it has no barrier left, or the caller gives the steps up to it).
///
/// Two lanes first, side by side: the issuer (key, bucket, documents) and the head of the API (the API and
/// its integrations), which need nothing from each other; then everything else in plan order (the
/// authorizer after the documents, routes after the authorizer). Within a lane, steps run in order, and
/// neighbours of one group run together.
pub async fn apply(c: &Clients, stack: &Stack, plan: &Plan, made: &mut Made, opts: &Options<'_>) -> Result<(), ApplyError> {
    let (issuer, api_head, rest) = lanes(&plan.steps);
    let run = Run {
        c,
        stack,
        plan,
        opts,
        total_lines: plan.lines_before(plan.steps.len()),
        done: AtomicUsize::new(0),
    };
    if !issuer.is_empty() && !api_head.is_empty() {
        let mut api_made = made.clone();
        let (a, b) = tokio::join!(run.lane(&issuer, made), run.lane(&api_head, &mut api_made));
        made.api = api_made.api;
        made.integrations = api_made.integrations;
        // Both lanes have finished; the first failure in plan order is the one reported.
        match (a, b) {
            (Err(x), Err(y)) => return Err(run.first(x, y)),
            (Err(e), Ok(())) | (Ok(()), Err(e)) => return Err(run.report(e)),
            (Ok(()), Ok(())) => {}
        }
        run.lane(&rest, made).await.map_err(|e| run.report(e))
    } else {
        let all: Vec<usize> = (0..plan.steps.len()).collect();
        run.lane(&all, made).await.map_err(|e| run.report(e))
    }
}

/// The steps of the two first lanes and the rest, as indices into the plan: the issuer lane is the plan's
/// leading run of issuer steps; the head of the API is every API-head step after it.
fn lanes(steps: &[Step]) -> (Vec<usize>, Vec<usize>, Vec<usize>) {
    let issuer: Vec<usize> = (0..steps.len()).take_while(|&i| steps[i].lane() == Lane::Issuer).collect();
    let api_head: Vec<usize> = (issuer.len()..steps.len()).filter(|&i| steps[i].lane() == Lane::ApiHead).collect();
    let rest: Vec<usize> = (issuer.len()..steps.len()).filter(|i| !api_head.contains(i)).collect();
    (issuer, api_head, rest)
}

/// A failed lane: the step (plan index) and why, or an interruption.
enum LaneError {
    Step(usize, AwsError),
    Interrupted,
}

struct Run<'a> {
    c: &'a Clients,
    stack: &'a Stack,
    plan: &'a Plan,
    opts: &'a Options<'a>,
    total_lines: usize,
    /// Steps finished, across lanes.
    done: AtomicUsize,
}

/// How many independent steps run at once; API Gateway calls are paced on top of this.
const PARALLEL_STEPS: usize = 16;

impl Run<'_> {
    /// Runs these steps (plan indices, in order) one after another, neighbours of one group together.
    async fn lane(&self, steps: &[usize], made: &mut Made) -> Result<(), LaneError> {
        let mut i = 0;
        while i < steps.len() {
            if self.opts.stop.load(Ordering::SeqCst) {
                return Err(LaneError::Interrupted);
            }
            // The run of neighbouring steps that may go together (one step when it may not).
            let group = self.plan.steps[steps[i]].group();
            let mut end = i + 1;
            while group.is_some() && end < steps.len() && self.plan.steps[steps[end]].group() == group {
                end += 1;
            }
            for &n in &steps[i..end] {
                (self.opts.report)(Event::Started {
                    step: &self.plan.steps[n],
                    line: self.plan.lines_before(n) + 1,
                    total: self.total_lines,
                });
            }
            let shared: &Made = made;
            let results: Vec<(usize, Result<Effect, AwsError>)> = stream::iter(steps[i..end].iter().copied())
                .map(|n| async move { (n, run_step(self.c, self.stack, &self.plan.steps[n], shared, self.opts.report).await) })
                .buffer_unordered(PARALLEL_STEPS)
                .collect()
                .await;
            // Every step of the group has finished; the first failure (in plan order) is the one reported.
            let mut failed: Option<(usize, AwsError)> = None;
            let mut effects = Vec::new();
            for (n, r) in results {
                match r {
                    Ok(effect) => effects.push((n, effect)),
                    Err(e) if failed.as_ref().is_none_or(|(m, _)| n < *m) => failed = Some((n, e)),
                    Err(_) => {}
                }
            }
            self.done.fetch_add(effects.len(), Ordering::SeqCst);
            for (n, effect) in effects {
                made.record(effect);
                (self.opts.report)(Event::Finished { step: &self.plan.steps[n] });
            }
            if let Some((n, source)) = failed {
                return Err(LaneError::Step(n, source));
            }
            i = end;
        }
        Ok(())
    }

    fn report(&self, e: LaneError) -> ApplyError {
        match e {
            // Numbered as the plan's lines are (the progress lines and the summary count them).
            LaneError::Step(n, source) => ApplyError::Step {
                step: self.plan.lines_before(n) + 1,
                total: self.total_lines,
                source,
            },
            LaneError::Interrupted => ApplyError::Interrupted {
                done: self.done.load(Ordering::SeqCst),
                total: self.plan.steps.len(),
            },
        }
    }

    /// Of two lanes' failures, the step failure that comes first in the plan.
    fn first(&self, a: LaneError, b: LaneError) -> ApplyError {
        match (a, b) {
            (LaneError::Step(x, e), LaneError::Step(y, _)) if x < y => self.report(LaneError::Step(x, e)),
            (LaneError::Step(_, _), LaneError::Step(y, e)) => self.report(LaneError::Step(y, e)),
            (LaneError::Step(x, e), LaneError::Interrupted) | (LaneError::Interrupted, LaneError::Step(x, e)) => {
                self.report(LaneError::Step(x, e))
            }
            (LaneError::Interrupted, LaneError::Interrupted) => self.report(LaneError::Interrupted),
        }
    }
}

/// One step, by its kind's executor.
async fn run_step(c: &Clients, stack: &Stack, step: &Step, made: &Made, report: Report<'_>) -> Result<Effect, AwsError> {
    match step {
        Step::Key(s) => key::run(c, stack, s).await,
        Step::Bucket(s) => bucket::run(c, stack, s).await,
        Step::Document(s) => document::run(c, s, made).await,
        Step::Distribution(s) => distribution::run(c, stack, s, made, report).await,
        Step::Dns(s) => dns::run(c, s, made).await,
        Step::Api(s) => api::run(c, stack, s, made).await,
        Step::Authorizer(s) => authorizer::run(c, s, made).await,
        Step::Integration(s) => integration::run(c, stack, s, made).await,
        Step::Route(s) => route::run(c, stack, s, made).await,
        Step::Stage(s) => stage::run(c, stack, s, made).await,
        Step::LogGroup(s) => log_group::run(c, stack, s).await,
        Step::Domain(s) => domain::run(c, stack, s, made, report).await,
        Step::Permission(s) => permission::run(c, stack, s, made).await,
        Step::Function(s) => function::run(c, stack, s).await.map(|()| Effect::None),
        Step::Rest(s) => rest::run(c, stack, s, made, report).await,
    }
}
