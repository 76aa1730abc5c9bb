//! Planning a REST API, owned or adopted: the API (owned), its authorizer, the resource tree the routes need,
//! one method and integration per route, what no route needs any more, and the deployment that makes it live.

use std::collections::{BTreeMap, BTreeSet};

use super::super::desired::Planner;
use super::super::openapi::lambda_invocation_uri;
use super::super::{ApiId, AuthorizationType, AuthorizerId, Conflict, Diff, IntegrationType, Ref, ResourceId, RouteAuth, Step};
use super::adopted::{
    TEARDOWN, is_stacks, is_under, record_resources, recorded, recorded_kept, refuse_taken, serves_a_later_one, stage_may_serve_ours,
};
use super::{MethodAuth, MethodInfo, RestIntegration, RestIssuer, RestJwt, RestStep, endpoint_name};
use crate::config::{ApiRef, Integration, Method, RestEndpoint, Route};
use crate::names::{rest_deployed_digest, rest_deployment_description, rest_resources_record};

/// The signing algorithm of the stack's own keys (RSA, PKCS#1 v1.5 with SHA-256).
const OWN_ALGORITHM: &str = "RS256";
/// API Gateway's `JwtSigningAlgorithm` values, in the order a configuration lists them.
const ALGORITHMS: [&str; 6] = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"];

/// A method a route makes.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
struct Wanted {
    path: String,
    method: String,
    public: bool,
    scopes: Vec<String>,
    request_parameters: BTreeMap<String, bool>,
    integration: RestIntegration,
}

impl Wanted {
    fn of(route: &Route, region: &str) -> Option<Wanted> {
        let path = route.key.path()?.to_string();
        let method = route.key.method().unwrap_or(Method::Any).as_str().to_string();
        let names: Vec<String> = route
            .key
            .path_parameters()
            .iter()
            .map(|n| n.trim_end_matches('+').to_string())
            .collect();
        let integration = match &route.integration {
            Integration::Http { url } => RestIntegration {
                integration_type: IntegrationType::HttpProxy,
                http_method: method.clone(),
                uri: url.clone(),
                // API Gateway passes a path parameter to the URL only where it is mapped (an HTTP API does it
                // by name): each one the URL names is, `{proxy}` of `{proxy+}` included.
                request_parameters: names
                    .iter()
                    .filter(|n| url.contains(&format!("{{{n}}}")))
                    .map(|n| (format!("integration.request.path.{n}"), format!("method.request.path.{n}")))
                    .collect(),
            },
            // A Lambda function is invoked with POST, whatever the route's method (AWS_PROXY).
            Integration::Lambda { arn } => RestIntegration {
                integration_type: IntegrationType::AwsProxy,
                http_method: "POST".into(),
                uri: lambda_invocation_uri(arn, region),
                request_parameters: BTreeMap::new(),
            },
        };
        // A mapping may only name a parameter the method declares (AWS refuses it otherwise: "Invalid mapping
        // expression parameter specified").
        let request_parameters = integration.request_parameters.values().map(|m| (m.clone(), true)).collect();
        Some(Wanted {
            path,
            method,
            public: route.public,
            scopes: if route.public { Vec::new() } else { route.scopes.clone() },
            request_parameters,
            integration,
        })
    }
}

/// The authorizer's configuration: the stack's issuer with its audiences and claims, then each trusted issuer;
/// the algorithms are those of their keys. A trusted issuer that cannot be read is refused, as API Gateway
/// would refuse the authorizer.
fn wanted_jwt(p: &Planner<'_>) -> Result<RestJwt, Conflict> {
    let (stack, inv) = (p.d.stack, p.inv);
    let mut algorithms: BTreeSet<&str> = BTreeSet::from([OWN_ALGORITHM]);
    for t in &stack.trust {
        match inv.rest.trusted.iter().find(|k| k.issuer == t.issuer).map(|k| &k.algorithms) {
            Some(Ok(found)) => algorithms.extend(found.iter().map(String::as_str)),
            Some(Err(why)) => {
                return Err(Conflict::TrustedIssuerUnreadable {
                    issuer: t.issuer.clone(),
                    why: why.clone(),
                });
            }
            None => {
                return Err(Conflict::TrustedIssuerUnreadable {
                    issuer: t.issuer.clone(),
                    why: "it was not read".into(),
                });
            }
        }
    }
    let mut issuers = vec![RestIssuer {
        issuer: stack.issuer_url(&inv.region),
        audiences: stack.audience.clone(),
        claims: stack.require_claims.clone(),
    }];
    issuers.extend(stack.trust.iter().map(|t| RestIssuer {
        issuer: t.issuer.clone(),
        audiences: t.audience.clone(),
        claims: t.require_claims.clone(),
    }));
    Ok(RestJwt {
        issuers,
        algorithms: ALGORITHMS
            .iter()
            .filter(|a| algorithms.contains(*a))
            .map(|a| a.to_string())
            .collect(),
    })
}

/// A configuration as API Gateway compares it: claim values as sets.
fn normal(jwt: &RestJwt) -> RestJwt {
    let mut j = jwt.clone();
    for i in &mut j.issuers {
        for c in &mut i.claims {
            c.values.sort();
            c.values.dedup();
        }
    }
    j
}

/// What the stack's REST API is to hold, as [`plan`] planned it: the deployment ([`deploy`]) names its digest.
pub(in crate::plan) struct Planned {
    wanted: Vec<Wanted>,
    jwt: RestJwt,
    /// A private API's resource policy, which takes effect with a deployment too.
    policy: Option<serde_json::Value>,
}

/// The API, its authorizer, resources, methods and integrations; what no route needs any more. The
/// deployment follows the Lambda permissions ([`deploy`]). `None`: the stack declares no API (teardown).
pub(in crate::plan) fn plan(p: &mut Planner<'_>) -> Result<Option<Planned>, Conflict> {
    let Some(api_ref) = p.d.api() else { return Ok(None) };
    let (stack, inv) = (p.d.stack, p.inv);
    let jwt = wanted_jwt(p)?;
    let api = p.api();
    // An adopted API is read by its id: it is never created or renamed.
    if let ApiRef::Adopted { id } = api_ref
        && inv.api.is_none()
    {
        return Err(Conflict::RestApiMissing {
            id: id.clone(),
            region: inv.region.clone(),
        });
    }
    // A private API's resource policy: the VPC endpoints it lets in.
    let policy = (stack.endpoint == Some(RestEndpoint::Private)).then(|| super::policy::private_policy(&stack.vpc_endpoints));
    // A regional custom domain name cannot map a private API (one of its own is made through a VPC endpoint).
    if let Some(d) = p.d.domain()
        && inv.rest.endpoint.as_deref() == Some("PRIVATE")
    {
        return Err(Conflict::RestPrivateDomain { domain: d.name.clone() });
    }
    if let ApiRef::Owned { name } = api_ref {
        match &inv.api {
            None => p.push(RestStep::CreateApi {
                name: name.clone(),
                endpoint: stack.endpoint.unwrap_or_default(),
                policy: policy.as_ref().map(|v| v.to_string()),
            }),
            Some(a) if &a.name != name => p.push(RestStep::Rename {
                id: a.id.clone(),
                before: a.name.clone(),
                after: name.clone(),
            }),
            Some(_) => {}
        }
        let wanted_endpoint = endpoint_name(stack.endpoint.unwrap_or_default());
        if let Some(found) = inv.rest.endpoint.as_deref().filter(|e| *e != wanted_endpoint) {
            return Err(Conflict::RestEndpointChange {
                id: inv.api.as_ref().map(|a| a.id.to_string()).unwrap_or_default(),
                found: found.to_string(),
                wanted: wanted_endpoint,
            });
        }
        if let (Some(a), Some(wanted)) = (&inv.api, &policy)
            && inv.rest.policy.as_deref().and_then(|t| super::policy::normal(t, &a.id)).as_ref() != Some(wanted)
        {
            p.push(RestStep::UpdatePolicy {
                id: a.id.clone(),
                vpc_endpoints: stack.vpc_endpoints.clone(),
                policy: wanted.to_string(),
            });
        }
    }
    let any_protected = p.routes().iter().any(|r| !r.public);
    let authorizer = match &inv.rest.authorizer {
        None if any_protected || !stack.trust.is_empty() => {
            p.push(RestStep::CreateAuthorizer {
                api: api.clone(),
                name: stack.authorizer_name(),
                jwt: jwt.clone(),
            });
            Some(Ref::New)
        }
        None => None,
        Some(a) => {
            if a.jwt.is_some() && a.identity_source.as_deref() != Some(crate::names::rest_identity_source().as_str()) {
                p.push(RestStep::SetIdentitySource {
                    api: known(&api),
                    id: a.id.clone(),
                    before: a.identity_source.clone(),
                });
            }
            if a.jwt.as_ref().map(normal) != Some(normal(&jwt)) {
                p.push(RestStep::UpdateAuthorizer {
                    api: known(&api),
                    id: a.id.clone(),
                    before: a.jwt.clone(),
                    after: jwt.clone(),
                });
            }
            Some(Ref::Known(a.id.clone()))
        }
    };
    let wanted: Vec<Wanted> = p.routes().iter().filter_map(|r| Wanted::of(r, &inv.region)).collect();
    refuse_taken(p, wanted.iter().map(|w| (w.path.as_str(), w.method.as_str())))?;
    let needed: BTreeSet<String> = wanted.iter().flat_map(|w| ancestors(&w.path)).collect();
    // What no route needs goes first: a path parameter renamed (`/items/{id}` to `/items/{itemId}`) is a new
    // variable child of the parent, which CreateResource refuses while the old one is there. Nothing is live
    // before the deployment at the end.
    let removed = remove_unwanted(p, &api, &wanted, &needed);
    let missing = missing_resources(p, &needed);
    record_resources(p, &removed, &missing);
    plan_resources(p, &api, missing);
    plan_methods(p, &api, &wanted, authorizer.as_ref());
    Ok(Some(Planned { wanted, jwt, policy }))
}

/// The API's id once it exists (the steps that need a known id are planned only for an API that does).
fn known(api: &Ref<ApiId>) -> ApiId {
    api.known().cloned().unwrap_or_default()
}

fn resource_id(p: &Planner<'_>, path: &str) -> Ref<ResourceId> {
    Ref::from_option(p.inv.rest.resources.iter().find(|r| r.path == path).map(|r| r.id.clone()))
}

/// The resources on the way to a method's path (`needed`) that do not exist yet, parents first.
fn missing_resources(p: &Planner<'_>, needed: &BTreeSet<String>) -> Vec<String> {
    let mut ordered: Vec<String> = needed
        .iter()
        .filter(|path| *path != "/" && resource_id(p, path).known().is_none())
        .cloned()
        .collect();
    ordered.sort_by_key(|path| (depth(path), path.to_string()));
    ordered
}

/// Creates the missing resources, shallower first: a parent before its children.
fn plan_resources(p: &mut Planner<'_>, api: &Ref<ApiId>, missing: Vec<String>) {
    for path in missing {
        let (parent_path, part) = split(&path);
        let parent = resource_id(p, &parent_path);
        p.push(RestStep::CreateResource {
            api: api.clone(),
            parent,
            parent_path,
            path,
            part,
        });
    }
}

fn plan_methods(p: &mut Planner<'_>, api: &Ref<ApiId>, wanted: &[Wanted], authorizer: Option<&Ref<AuthorizerId>>) {
    for w in wanted {
        // A protected route without an authorizer cannot be: it would be made by this plan. Fail closed (the
        // executor finds no authorizer made) rather than open.
        let auth = match (w.public, authorizer) {
            (true, _) => RouteAuth::Public,
            (false, a) => RouteAuth::Jwt(a.cloned().unwrap_or(Ref::New)),
        };
        let resource = resource_id(p, &w.path);
        let existing = p
            .inv
            .rest
            .resources
            .iter()
            .find(|r| r.path == w.path)
            .and_then(|r| r.methods.get(&w.method));
        let (Some(m), Ref::Known(resource)) = (existing, &resource) else {
            p.push(RestStep::PutMethod {
                api: api.clone(),
                resource,
                path: w.path.clone(),
                method: w.method.clone(),
                auth,
                scopes: w.scopes.clone(),
                request_parameters: w.request_parameters.clone(),
                integration: w.integration.clone(),
            });
            continue;
        };
        let resource = resource.clone();
        if let Some(step) = method_update(api, &resource, w, m, &auth) {
            p.push(step);
        }
        if m.integration.as_ref() != Some(&w.integration) {
            p.push(RestStep::PutIntegration {
                api: known(api),
                resource,
                path: w.path.clone(),
                method: w.method.clone(),
                before: m.integration.clone(),
                after: w.integration.clone(),
            });
        }
    }
}

/// The method's authorization, scopes and parameters, where they differ.
fn method_update(api: &Ref<ApiId>, resource: &ResourceId, w: &Wanted, m: &MethodInfo, auth: &RouteAuth) -> Option<Step> {
    let before = MethodAuth {
        authorization_type: m.authorization_type.clone(),
        authorizer_id: m.authorizer_id.clone().filter(|a| !a.is_empty()),
        scopes: m.scopes.clone(),
        request_parameters: m.request_parameters.clone(),
    };
    let (authorization_type, authorizer) = match auth {
        RouteAuth::Public => (AuthorizationType::None, None),
        RouteAuth::Jwt(a) => (AuthorizationType::Jwt, Some(a.clone())),
    };
    let after = MethodAuth {
        authorization_type,
        authorizer_id: authorizer.as_ref().and_then(|a| a.known().cloned()),
        scopes: w.scopes.clone(),
        request_parameters: w.request_parameters.clone(),
    };
    let mut diffs = Vec::new();
    if before.authorization_type != after.authorization_type {
        diffs.push(Diff::new(
            "authorization_type",
            before.authorization_type.as_str(),
            after.authorization_type.as_str(),
        ));
    }
    if before.authorizer_id != after.authorizer_id || (authorizer.is_some() && after.authorizer_id.is_none()) {
        diffs.push(Diff::new(
            "authorizer",
            before.authorizer_id.as_deref().unwrap_or("none"),
            after
                .authorizer_id
                .as_deref()
                .unwrap_or(if authorizer.is_some() { "the stack's" } else { "none" }),
        ));
    }
    let set = |v: &[String]| v.iter().cloned().collect::<BTreeSet<String>>();
    if set(&before.scopes) != set(&after.scopes) {
        diffs.push(Diff::new("scopes", super::list(&before.scopes), super::list(&after.scopes)));
    }
    if before.request_parameters != after.request_parameters {
        let names = |m: &BTreeMap<String, bool>| m.keys().cloned().collect::<Vec<_>>();
        diffs.push(Diff::new(
            "request_parameters",
            super::list(&names(&before.request_parameters)),
            super::list(&names(&after.request_parameters)),
        ));
    }
    (!diffs.is_empty()).then(|| {
        Step::Rest(RestStep::UpdateMethod {
            api: known(api),
            resource: resource.clone(),
            path: w.path.clone(),
            method: w.method.clone(),
            before,
            after,
            auth: auth.clone(),
            diffs,
        })
    })
}

/// Methods no route makes, and resources no method needs, deepest first: whether DeleteResource takes a
/// resource's children with it is not documented (the API Reference says "Deletes a Resource resource"), so
/// each goes by its own call, children before their parent, which holds either way. In an adopted API, only
/// the stack's methods go, and a resource only when the stack recorded it as its own and nothing of anyone
/// else's remains on it or under it. The paths of the resources removed.
fn remove_unwanted(p: &mut Planner<'_>, api: &Ref<ApiId>, wanted: &[Wanted], needed: &BTreeSet<String>) -> BTreeSet<String> {
    let mut removed = BTreeSet::new();
    let Some(api) = api.known().cloned() else { return removed };
    let methods: BTreeSet<(&str, &str)> = wanted.iter().map(|w| (w.path.as_str(), w.method.as_str())).collect();
    let owned = p.api_owned();
    let recorded = recorded(p);
    let mut steps = Vec::new();
    let mut resources: Vec<_> = p.inv.rest.resources.iter().collect();
    resources.sort_by_key(|r| (std::cmp::Reverse(depth(&r.path)), r.path.clone()));
    // Deepest first, so a resource's children are decided before it: it goes only when all of them do.
    let mut kept: BTreeSet<&str> = BTreeSet::new();
    for r in resources {
        let children_go = !kept.iter().any(|k| is_under(k, &r.path));
        let foreign = r.methods.values().any(|m| !is_stacks(p, m));
        if !needed.contains(&r.path) && r.path != "/" && (owned || (recorded.contains(&r.path) && !foreign && children_go)) {
            steps.push(RestStep::DeleteResource {
                api: api.clone(),
                id: r.id.clone(),
                path: r.path.clone(),
            });
            removed.insert(r.path.clone());
            continue;
        }
        kept.insert(&r.path);
        let gone = r
            .methods
            .iter()
            .filter(|(m, info)| !methods.contains(&(r.path.as_str(), m.as_str())) && is_stacks(p, info));
        for (method, _) in gone {
            steps.push(RestStep::DeleteMethod {
                api: api.clone(),
                resource: r.id.clone(),
                path: r.path.clone(),
                method: method.clone(),
            });
        }
    }
    for s in steps {
        p.push(s);
    }
    removed
}

/// The deployment, when the API changed or the stage does not serve what the stack declares. A stack with no
/// route has nothing to deploy (API Gateway refuses a deployment of an API without methods).
pub(in crate::plan) fn deploy(p: &mut Planner<'_>, planned: &Planned) {
    if planned.wanted.is_empty() {
        return;
    }
    let digest = digest(&planned.wanted, &planned.jwt, planned.policy.as_ref());
    let description = rest_deployment_description(&p.d.stack.name, &digest);
    let stage = p.inv.rest.stage.as_ref();
    let deployed = stage.map(|s| s.description.as_deref().and_then(|d| rest_deployed_digest(&p.d.stack.name, d)));
    let changed = p
        .steps()
        .any(|s| matches!(s, Step::Rest(r) if !matches!(r, RestStep::Record { .. } | RestStep::DeleteRecord { .. })));
    let why = match deployed {
        _ if changed => "the API changed",
        None => "the stage does not exist yet",
        Some(Some(d)) if d == digest => return,
        Some(None) if !p.api_owned() && stage.is_some_and(|s| serves_a_later_one(p, s, &digest)) => return,
        Some(None) => "the stage serves a deployment the stack did not make",
        Some(Some(_)) => "the stage serves an earlier deployment",
    };
    let api = p.api();
    let tag_stage = !p.api_owned() && stage.is_none();
    if let Some(a) = p.inv.api.as_ref().filter(|a| !a.owned) {
        p.note(format!(
            "the deployment to stage {} snapshots the whole REST API {}: its own changes not deployed yet go live with the stack's",
            p.d.stack.rest_stage(),
            a.id
        ));
    }
    p.push(RestStep::Deploy {
        api,
        stage: p.d.stack.rest_stage().to_string(),
        description,
        why,
        tag_stage,
    });
}

/// What a deployment of the stack holds, in 16 hex digits: the methods, their integrations and the
/// authorizer's configuration (not the ids AWS gave them).
fn digest(wanted: &[Wanted], jwt: &RestJwt, policy: Option<&serde_json::Value>) -> String {
    // In one order whatever the stack file's: routes by path and method, scopes as a set.
    let mut canonical: Vec<Wanted> = wanted.to_vec();
    canonical.sort_by(|a, b| (&a.path, &a.method).cmp(&(&b.path, &b.method)));
    for w in &mut canonical {
        w.scopes.sort();
        w.scopes.dedup();
    }
    // A policy only where there is one: the digests of the other APIs stay what they were.
    let text = match policy {
        None => serde_json::to_string(&(canonical, normal(jwt))),
        Some(p) => serde_json::to_string(&(canonical, normal(jwt), p)),
    }
    .unwrap_or_default();
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.as_bytes());
    d.as_ref()[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Teardown: an owned API goes whole; of an adopted one, what the stack made.
pub(in crate::plan) fn remove(p: &mut Planner<'_>) {
    if p.d.api().is_some() {
        return;
    }
    match &p.inv.api {
        Some(api) if api.owned => p.push(RestStep::DeleteApi {
            id: api.id.clone(),
            name: api.name.clone(),
        }),
        Some(api) => remove_adopted(p, api.id.clone()),
        // The adopted API is gone (deleted by its owners): what the stack made went with it, but its record.
        None if p.inv.rest.record.is_some() => p.push(RestStep::DeleteRecord {
            parameter: rest_resources_record(&p.d.stack.name),
        }),
        None => {}
    }
}

fn depth(path: &str) -> usize {
    path.split('/').filter(|s| !s.is_empty()).count()
}

/// `/` and every prefix of the path.
fn ancestors(path: &str) -> Vec<String> {
    let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    (0..=parts.len()).map(|n| format!("/{}", parts[..n].join("/"))).collect()
}

/// The parent's path and the last part.
fn split(path: &str) -> (String, String) {
    let (parent, part) = path.rsplit_once('/').unwrap_or(("", path));
    (if parent.is_empty() { "/".into() } else { parent.into() }, part.into())
}

/// Teardown of an adopted API: the stack's methods and the resources it made, then its stage (one it
/// created) or one more deployment of the stage it did not (which would serve the stack's methods until the
/// API's next deployment), then its authorizer, which a method still using it would keep.
fn remove_adopted(p: &mut Planner<'_>, id: ApiId) {
    let api = Ref::Known(id.clone());
    let removed = remove_unwanted(p, &api, &[], &BTreeSet::new());
    // Something of the stack's goes now, or went in a teardown cut off before its deployment.
    let changed = p.steps().any(|s| matches!(s, Step::Rest(_))) || p.inv.rest.stage.as_ref().is_some_and(|s| stage_may_serve_ours(p, s));
    if p.inv.rest.record.is_some() {
        let kept: Vec<String> = recorded_kept(p, &removed).into_iter().collect();
        if !kept.is_empty() {
            p.note(format!(
                "the resources {} that the stack made stay in REST API {id}: methods it did not make are on them or under them",
                super::list(&kept)
            ));
        }
        p.push(RestStep::DeleteRecord {
            parameter: rest_resources_record(&p.d.stack.name),
        });
    }
    let stack = &p.d.stack.name;
    let stage = p.d.stack.rest_stage().to_string();
    // Whether a method remains once the stack's go: API Gateway refuses a deployment of an API without one.
    let remains =
        p.inv.rest.resources.iter().any(|r| {
            !removed.iter().any(|gone| *gone == r.path || is_under(&r.path, gone)) && r.methods.values().any(|m| !is_stacks(p, m))
        });
    match &p.inv.rest.stage {
        Some(s) if s.owned => p.push(RestStep::DeleteStage { api: id.clone(), stage }),
        Some(_) if changed && remains => {
            p.note(format!(
                "the deployment to stage {stage} snapshots the whole REST API {id}: its own changes not deployed yet go live"
            ));
            p.push(RestStep::Deploy {
                api,
                stage,
                description: rest_deployment_description(stack, TEARDOWN),
                why: "the stage no longer serves the stack's methods",
                tag_stage: false,
            })
        }
        Some(_) if changed => p.note(format!(
            "stage {stage} of REST API {id} serves the stack's methods until the API's next deployment: no other method remains, and API Gateway refuses a deployment without one"
        )),
        _ => {}
    }
    // The authorizer goes once no method uses it: one of the API's own that does keeps it (API Gateway refuses
    // to delete an authorizer a method references), and one that is not a JWT authorizer is not the stack's.
    let Some(a) = p.inv.rest.authorizer.as_ref().filter(|a| a.jwt.is_some()) else {
        return;
    };
    let users: Vec<String> = p
        .inv
        .rest
        .resources
        .iter()
        .flat_map(|r| r.methods.iter().map(move |(verb, m)| (r, verb, m)))
        .filter(|(_, _, m)| m.authorizer_id.as_ref() == Some(&a.id) && !is_stacks(p, m))
        .map(|(r, verb, _)| format!("{verb} {}", r.path))
        .collect();
    if users.is_empty() {
        p.push(RestStep::DeleteAuthorizer {
            api: id,
            id: a.id.clone(),
            name: p.d.stack.authorizer_name(),
        });
    } else {
        p.note(format!(
            "the stack's authorizer {} stays in REST API {id}: methods it did not make use it ({})",
            p.d.stack.authorizer_name(),
            super::list(&users)
        ));
    }
}
