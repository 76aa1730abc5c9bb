//! The HTTP API: created and named by the stack (`api.name`), or adopted (`api.id`) and never renamed or
//! deleted; its CORS configuration (an owned API's); and, for an owned API, the one import that makes its
//! authorizer, integrations and routes what the definition says.

use super::desired::Planner;
use super::render::{ChangeJson, set};
use super::{Action, ApiId, Diff, KindStep, Lane, Placement, Ref, Step};
use crate::config::{ApiRef, Cors};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ApiInfo {
    pub id: ApiId,
    pub name: String,
    pub endpoint: String,
    /// Created by this stack (carries its tag); an adopted API is not owned.
    pub owned: bool,
    /// The API's CORS configuration (`None`: none).
    pub cors: Option<Cors>,
    /// The `execute-api` endpoint is turned off (DisableExecuteApiEndpoint): an owned API keeps it on, as its
    /// definition says; its outputs, `probe` and the clients of a stack without a custom domain use it.
    pub execute_api_disabled: bool,
}

/// One change to the API itself.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiStep {
    Create {
        name: String,
    },
    Rename {
        id: ApiId,
        before: String,
        after: String,
    },
    /// Turns the API's `execute-api` endpoint back on (an owned API's), with `UpdateApi`: not part of the import,
    /// as the definition would have to say it on a `servers` entry, which OpenAPI 3 gives a `url` that an API
    /// not made yet does not have, and API Gateway warns of a server without one ("attribute .servers.url is
    /// missing", aws/serverless-application-model#2424), which `FailOnWarnings` refuses.
    EnableExecuteApiEndpoint {
        id: ApiId,
    },
    /// The API's CORS configuration (an owned API: part of its import).
    UpdateCors {
        api: Ref<ApiId>,
        before: Option<Cors>,
        after: Option<Cors>,
    },
    /// The whole API in one call, for an API the stack owns: `ImportApi` when `id` is `None` (the API does not
    /// exist yet), else `ReimportApi`, which replaces the API's authorizer, integrations and routes with the
    /// definition's, all or nothing. `changes` are the call-by-call steps it stands for: what `plan` shows.
    Import {
        id: Option<ApiId>,
        name: String,
        definition: String,
        changes: Vec<Step>,
    },
    /// Deletes the API with its routes, integrations, authorizer and stage.
    Delete {
        id: ApiId,
        name: String,
    },
}

impl From<ApiStep> for Step {
    fn from(s: ApiStep) -> Step {
        Step::Api(s)
    }
}

impl KindStep for ApiStep {
    fn placement(&self) -> Placement {
        match self {
            ApiStep::Create { .. } | ApiStep::Rename { .. } => Placement::API_CONTENT.in_lane(Lane::ApiHead),
            ApiStep::UpdateCors { .. } => Placement::API_CONTENT,
            ApiStep::EnableExecuteApiEndpoint { .. } => Placement::MAIN,
            ApiStep::Import { changes, .. } => Placement {
                deploys: changes.iter().any(|c| c.placement().deploys),
                ..Placement::MAIN
            },
            ApiStep::Delete { .. } => Placement::MAIN,
        }
    }

    fn lines(&self) -> Vec<ChangeJson> {
        let line = |action, name: String, diffs| vec![ChangeJson::new(action, "apigw_api", name, diffs)];
        match self {
            ApiStep::Create { name } => line(Action::Create, name.clone(), vec![set("protocol", "HTTP")]),
            ApiStep::Rename { id, before, after } => line(
                Action::Update,
                id.to_string(),
                vec![Diff::new("name", before.as_str(), after.as_str())],
            ),
            ApiStep::EnableExecuteApiEndpoint { id } => line(
                Action::Update,
                id.to_string(),
                vec![Diff::new("disable_execute_api_endpoint", "true", "false")],
            ),
            ApiStep::UpdateCors { before, after, .. } => vec![ChangeJson::new(
                match (before, after) {
                    (None, _) => Action::Create,
                    (_, None) => Action::Delete,
                    _ => Action::Update,
                },
                "apigw_cors",
                "the API's CORS configuration",
                vec![Diff::new("cors", cors_text(before.as_ref()), cors_text(after.as_ref()))],
            )],
            ApiStep::Import { changes, .. } => changes.iter().flat_map(KindStep::lines).collect(),
            ApiStep::Delete { id, name } => line(
                Action::Delete,
                format!("{name} ({id}) with its routes, integrations, authorizer and stage"),
                vec![],
            ),
        }
    }
}

fn cors_text(c: Option<&Cors>) -> String {
    match c {
        None => "none".into(),
        Some(c) => format!(
            "origins [{}] methods [{}] headers [{}]{}",
            c.allow_origins.join(", "),
            c.allow_methods.join(", "),
            c.allow_headers.join(", "),
            if c.allow_credentials { " with credentials" } else { "" }
        ),
    }
}

/// A CORS configuration as API Gateway compares it: lists as sets, header names and methods in one case.
pub fn normal_cors(c: &Cors) -> Cors {
    let set = |v: &[String], f: fn(&str) -> String| {
        let mut v: Vec<String> = v.iter().map(|x| f(x)).collect();
        v.sort();
        v.dedup();
        v
    };
    Cors {
        allow_origins: set(&c.allow_origins, str::to_string),
        allow_methods: set(&c.allow_methods, str::to_ascii_uppercase),
        allow_headers: set(&c.allow_headers, str::to_ascii_lowercase),
        expose_headers: set(&c.expose_headers, str::to_ascii_lowercase),
        max_age: c.max_age,
        allow_credentials: c.allow_credentials,
    }
}

/// The API: created, or renamed when the stack owns it; then its CORS configuration.
pub(super) fn plan(p: &mut Planner<'_>) {
    let Some(api) = p.d.api() else { return };
    match (api, &p.inv.api) {
        (ApiRef::Owned { name }, None) => p.push(ApiStep::Create { name: name.clone() }),
        (ApiRef::Owned { name }, Some(a)) if &a.name != name => p.push(ApiStep::Rename {
            id: a.id.clone(),
            before: a.name.clone(),
            after: name.clone(),
        }),
        _ => {}
    }
    if let (ApiRef::Owned { .. }, Some(a)) = (api, &p.inv.api)
        && a.execute_api_disabled
    {
        p.push(ApiStep::EnableExecuteApiEndpoint { id: a.id.clone() });
    }
    let current = p.inv.api.as_ref().and_then(|a| a.cors.clone());
    if matches!(api, ApiRef::Owned { .. }) && current.as_ref().map(normal_cors) != p.d.cors().map(normal_cors) {
        let api = p.api();
        p.push(ApiStep::UpdateCors {
            api,
            before: current,
            after: p.d.cors().cloned(),
        });
    }
}

/// Teardown: an owned API goes whole; an adopted one keeps everything the stack did not add.
pub(super) fn remove(p: &mut Planner<'_>) {
    if p.d.api().is_some() {
        return;
    }
    match &p.inv.api {
        Some(api) if api.owned => p.push(ApiStep::Delete {
            id: api.id.clone(),
            name: api.name.clone(),
        }),
        Some(api) => p.note(format!(
            "API {} was adopted (api.id): only the stack's authorizer, routes and integrations are removed",
            api.id
        )),
        None => {}
    }
}

#[cfg(test)]
impl ApiStep {
    pub(super) fn simulate(&self, inv: &mut super::Inventory, sim: &mut super::tests::Sim) {
        match self {
            ApiStep::Create { name } => {
                inv.api = Some(ApiInfo {
                    id: sim.next_id().into(),
                    name: name.clone(),
                    endpoint: "https://x".into(),
                    owned: true,
                    cors: None,
                    execute_api_disabled: false,
                })
            }
            ApiStep::Rename { after, .. } => inv.api.as_mut().expect("the API exists").name = after.clone(),
            ApiStep::UpdateCors { after, .. } => inv.api.as_mut().expect("the API exists").cors = after.clone(),
            ApiStep::EnableExecuteApiEndpoint { .. } => inv.api.as_mut().expect("the API exists").execute_api_disabled = false,
            ApiStep::Import { id, name, definition, .. } => {
                let id = id.clone().unwrap_or_else(|| sim.next_id().into());
                super::tests::import_definition(inv, &id, name, definition, sim);
            }
            ApiStep::Delete { .. } => {
                inv.api = None;
                inv.authorizer = None;
                inv.other_authorizers.clear();
                inv.routes.clear();
                inv.integrations.clear();
                inv.stage = None;
            }
        }
    }
}
