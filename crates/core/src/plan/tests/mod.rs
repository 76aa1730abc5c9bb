//! Planner tests over in-memory inventories. `simulate` plays a plan's effects onto an inventory the way AWS
//! would (each kind plays its own steps: `simulate` beside each step type), so "apply, then plan again" can be
//! checked without I/O; the emulator tests cover the real thing.

mod adopted;
mod api_settings;
mod cloudfront;
mod deploy;
mod dns;
mod import;
mod keys;
mod rest;
mod rest_adopted;
mod token_endpoint;

use std::collections::BTreeMap;

use super::*;
use crate::config::{KeyStore, Stack, parse_str};
use crate::crypto::keys::{Jwks, SigningKey};
use adopted::adopted_inventory;

const STACK: &str = r#"name: grocery
region: us-east-1
issuer: {bucket: grocery-issuer-123}
key_id: k1
audience: [grocery-api]
api: {name: grocery-api}
routes:
  - route: GET /lists/{proxy+}
    scopes: [lists.read]
    integration: {http: "https://example.com/lists/{proxy}"}
  - route: GET /lists
    scopes: [lists.read]
    integration: {http: "https://example.com/lists"}
  - route: POST /lists
    scopes: [lists.write]
    integration: {lambda: "arn:aws:lambda:us-east-1:123456789012:function:w"}
  - route: PUT /lists
    scopes: [lists.write]
    integration: {lambda: "arn:aws:lambda:us-east-1:123456789012:function:w"}
"#;

pub(super) fn stack(text: &str) -> Stack {
    parse_str("stack.yaml", text).unwrap()
}

pub(super) fn empty() -> Inventory {
    Inventory {
        region: "us-east-1".into(),
        read_at: CLOCK.load(std::sync::atomic::Ordering::SeqCst),
        ..Inventory::default()
    }
}

/// A fixed key per kid (generated once per test binary).
pub(super) fn key_for(kid: &str) -> SigningKey {
    static KEYS: std::sync::Mutex<BTreeMap<String, SigningKey>> = std::sync::Mutex::new(BTreeMap::new());
    let mut keys = KEYS.lock().unwrap_or_else(|e| e.into_inner());
    keys.entry(kid.to_string())
        .or_insert_with(|| {
            let _seed = kid.bytes().fold(1u64, |a, b| a.wrapping_mul(31).wrapping_add(b.into()));
            SigningKey::generate(kid, 2048).unwrap()
        })
        .clone()
}

/// The clock of simulated deploys: each deploy reads AWS one hour after the previous, so each key timeline
/// stamp is one hour after the previous.
static CLOCK: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(1_800_000_000);

/// Ids made up in order, for one simulated run.
#[derive(Default)]
pub(super) struct Sim {
    n: usize,
    /// The stack's marker on what it adds to an adopted API.
    pub(super) marker: String,
}

impl Sim {
    /// A moment later than every one before (Unix seconds).
    pub(super) fn tick(&mut self) -> i64 {
        CLOCK.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    }

    pub(super) fn next_id(&mut self) -> String {
        self.n += 1;
        format!("id{:03}", self.n)
    }
}

/// Plays the plan onto the inventory, each step as its kind says AWS would, with ids made up in order; the
/// next read of AWS is an hour later.
pub(super) fn simulate(stack: &Stack, inv: &mut Inventory, plan: &Plan) {
    let mut sim = Sim {
        marker: crate::names::route_marker(&stack.name),
        ..Sim::default()
    };
    for step in &plan.steps {
        match step {
            Step::Key(s) => s.simulate(inv, &mut sim),
            Step::Bucket(s) => s.simulate(inv),
            Step::Document(s) => s.simulate(inv),
            Step::Distribution(s) => s.simulate(inv, &mut sim),
            Step::Dns(s) => s.simulate(inv),
            Step::Api(s) => s.simulate(inv, &mut sim),
            Step::Authorizer(s) => s.simulate(inv, &mut sim),
            Step::Integration(s) => s.simulate(inv, &mut sim),
            Step::Route(s) => s.simulate(stack, inv, &mut sim),
            Step::Stage(s) => s.simulate(inv),
            Step::LogGroup(s) => s.simulate(inv),
            Step::Domain(s) => s.simulate(inv, &mut sim),
            Step::Permission(s) => s.simulate(inv),
            Step::Function(s) => s.simulate(inv),
            Step::Rest(s) => s.simulate(inv, &mut sim),
        }
    }
    inv.read_at = CLOCK.fetch_add(3600, std::sync::atomic::Ordering::SeqCst) + 3600;
}

/// What API Gateway makes of an imported definition (overwrite: the API's authorizer, integrations and routes
/// become the definition's; the stage and permissions stay), read from the definition's JSON itself, so that a
/// definition that does not say what the stack means shows up as a plan that does not converge.
pub(super) fn import_definition(inv: &mut Inventory, id: &ApiId, name: &str, definition: &str, sim: &mut Sim) {
    let doc: serde_json::Value = serde_json::from_str(definition).unwrap();
    assert_eq!(doc["info"]["title"], name);
    assert_eq!(doc["tags"][0]["name"], crate::names::TAG_KEY);
    inv.api = Some(ApiInfo {
        id: id.clone(),
        name: name.into(),
        endpoint: "https://x".into(),
        owned: true,
        cors: None,
        execute_api_disabled: inv.api.as_ref().is_some_and(|a| a.execute_api_disabled),
    });
    inv.other_authorizers.clear();
    if let Some(c) = doc.get("x-amazon-apigateway-cors") {
        let list = |k: &str| -> Vec<String> {
            c[k].as_array()
                .map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect())
                .unwrap_or_default()
        };
        inv.api.as_mut().unwrap().cors = Some(crate::config::Cors {
            allow_origins: list("allowOrigins"),
            allow_methods: list("allowMethods"),
            allow_headers: list("allowHeaders"),
            expose_headers: list("exposeHeaders"),
            max_age: c["maxAge"].as_u64().map(|a| a as u32),
            allow_credentials: c["allowCredentials"].as_bool().unwrap_or(false),
        });
    }
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    assert_eq!(schemes.len(), 1);
    let (scheme, auth) = schemes.iter().next().unwrap();
    let jwt = &auth["x-amazon-apigateway-authorizer"];
    assert_eq!(jwt["type"], "jwt");
    let strings =
        |v: &serde_json::Value| -> Vec<String> { v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect() };
    let authorizer_id = AuthorizerId::from(sim.next_id());
    inv.authorizer = Some(AuthorizerInfo {
        id: authorizer_id.clone(),
        issuer: jwt["jwtConfiguration"]["issuer"].as_str().unwrap().into(),
        audience: strings(&jwt["jwtConfiguration"]["audience"]),
        identity_source: vec![jwt["identitySource"].as_str().unwrap().into()],
    });
    inv.integrations.clear();
    let mut ids = BTreeMap::new();
    for (key, i) in doc["components"]["x-amazon-apigateway-integrations"].as_object().unwrap() {
        let id = IntegrationId::from(sim.next_id());
        ids.insert(format!("#/components/x-amazon-apigateway-integrations/{key}"), id.clone());
        inv.integrations.push(IntegrationInfo {
            id,
            integration_type: IntegrationType::parse(&i["type"].as_str().unwrap().to_ascii_uppercase()),
            uri: i["uri"].as_str().unwrap().into(),
            method: i["httpMethod"].as_str().map(str::to_string),
            payload_format_version: i["payloadFormatVersion"].as_str().map(str::to_string),
            owned: false,
            settings: crate::plan::IntegrationSettings {
                timeout_ms: i["timeoutInMillis"].as_i64().map(|t| t as i32),
                ..Default::default()
            },
        });
    }
    inv.routes.clear();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        // API Gateway refuses a path that does not start with `/` (aws/serverless-application-model#2297).
        assert!(path.starts_with('/'), "Resource {path} should start with /");
        for (method, op) in ops.as_object().unwrap() {
            let verb = if method == "x-amazon-apigateway-any-method" {
                "ANY".to_string()
            } else {
                method.to_ascii_uppercase()
            };
            // The default route: any method with `isDefaultRoute` ("x-amazon-apigateway-any-method object").
            let key = if op["isDefaultRoute"] == true {
                "$default".to_string()
            } else {
                format!("{verb} {path}")
            };
            // No security requirement: a public route.
            let public = op.get("security").is_none();
            let security = &op["security"][0][scheme.as_str()];
            inv.routes.push(RouteInfo {
                id: sim.next_id().into(),
                key,
                authorization_type: if public { AuthorizationType::None } else { AuthorizationType::Jwt },
                authorizer_id: Some(authorizer_id.clone()).filter(|_| !public),
                scopes: if public { vec![] } else { strings(security) },
                operation_name: None,
                target: Some(format!(
                    "integrations/{}",
                    ids[op["x-amazon-apigateway-integration"]["$ref"].as_str().unwrap()]
                )),
            });
        }
    }
    inv.routes.sort_by(|a, b| a.key.cmp(&b.key));
}

pub(super) fn deployed(s: &Stack) -> Inventory {
    let mut inv = empty();
    let p = plan(s, &inv).unwrap();
    simulate(s, &mut inv, &p);
    inv
}

pub(super) fn lines(p: &Plan) -> Vec<String> {
    render_text(p, false).lines().map(str::to_string).collect()
}
