//! Planner tests over in-memory inventories. `simulate` plays a plan's effects onto an inventory the way AWS
//! would, so "apply, then plan again" can be checked without I/O; the emulator tests cover the real thing.

use std::collections::BTreeMap;

use super::*;
use crate::config::{KeyStore, Stack, parse_str};
use crate::crypto::documents;
use crate::crypto::keys::{Jwks, SigningKey};
use crate::names::{IDENTITY_SOURCE, source_arn};

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

fn stack(text: &str) -> Stack {
    parse_str("stack.yaml", text).unwrap()
}

fn empty() -> Inventory {
    Inventory {
        region: "us-east-1".into(),
        ..Inventory::default()
    }
}

/// A fixed key per kid (generated once per test binary).
fn key_for(kid: &str) -> SigningKey {
    static KEYS: std::sync::Mutex<BTreeMap<String, SigningKey>> = std::sync::Mutex::new(BTreeMap::new());
    let mut keys = KEYS.lock().unwrap_or_else(|e| e.into_inner());
    keys.entry(kid.to_string())
        .or_insert_with(|| {
            let _seed = kid.bytes().fold(1u64, |a, b| a.wrapping_mul(31).wrapping_add(b.into()));
            SigningKey::generate(kid, 2048).unwrap()
        })
        .clone()
}

/// The clock of simulated deploys: each key timeline stamp is one hour after the previous.
static CLOCK: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(1_800_000_000);

/// Plays the plan onto the inventory, with ids made up in order.
fn simulate(stack: &Stack, inv: &mut Inventory, plan: &Plan) {
    let mut n = 0;
    let mut next_id = || {
        n += 1;
        format!("id{n:03}")
    };
    let spec_id = |inv: &Inventory, spec: &IntegrationSpec| {
        inv.integrations
            .iter()
            .filter(|i| &IntegrationSpec::of(i) == spec)
            .map(|i| i.id.clone())
            .min()
            .unwrap()
    };
    for step in &plan.steps {
        match step {
            Step::CreateKey { kid, home, bits } => {
                let home = match home {
                    KeyHome::Kms { alias, .. } => KeyHome::Kms {
                        alias: alias.clone(),
                        key_id: Some(format!("arn:aws:kms:us-east-1:123456789012:key/{}", next_id())),
                    },
                    ssm => ssm.clone(),
                };
                inv.keys.insert(
                    kid.clone(),
                    KeyInfo {
                        home,
                        public: Some(key_for(kid).public_jwk()),
                        recorded: true,
                        deletion: None,
                        bits: Some(*bits),
                        created: None,
                    },
                );
            }
            Step::RecordPublicKey { kid, jwk, .. } => {
                let k = inv.keys.get_mut(kid).unwrap();
                k.public = Some(jwk.clone());
                k.recorded = true;
            }
            Step::CreateBucket { bucket } => {
                inv.bucket_marker = Some(bucket.clone());
                inv.bucket = Some(BucketInfo {
                    owned: true,
                    ..BucketInfo::default()
                })
            }
            Step::PutPublicAccessBlock { after, .. } => inv.bucket.as_mut().unwrap().public_access_block = Some(*after),
            Step::PutBucketPolicy { policy, .. } => inv.bucket.as_mut().unwrap().policy = Some(policy.clone()),
            Step::DeleteBucketPolicy { .. } => inv.bucket.as_mut().unwrap().policy = None,
            Step::PutObject {
                key: k, body, jwks_keys, ..
            } => {
                let body = body.clone().unwrap_or_else(|| {
                    let keys: Vec<Jwk> = jwks_keys
                        .iter()
                        .map(|(kid, j)| j.clone().unwrap_or_else(|| key_for(kid).public_jwk()))
                        .collect();
                    documents::jwks(&keys)
                });
                inv.objects.insert(
                    k.clone(),
                    ObjectInfo {
                        body,
                        content_type: Some(documents::CONTENT_TYPE.into()),
                        cache_control: Some(documents::CACHE_CONTROL.into()),
                        encryption: Some("AES256".into()),
                    },
                );
            }
            Step::CreateApi { name } => {
                inv.api = Some(ApiInfo {
                    id: next_id(),
                    name: name.clone(),
                    endpoint: "https://x".into(),
                    owned: true,
                    cors: None,
                })
            }
            Step::UpdateApiName { after, .. } => inv.api.as_mut().unwrap().name = after.clone(),
            Step::CreateAuthorizer { issuer, audience, .. } => {
                inv.authorizer = Some(AuthorizerInfo {
                    id: next_id(),
                    issuer: issuer.clone(),
                    audience: audience.clone(),
                    identity_source: vec![IDENTITY_SOURCE.into()],
                })
            }
            Step::UpdateAuthorizer {
                issuer,
                audience,
                identity_source,
                ..
            } => {
                let a = inv.authorizer.as_mut().unwrap();
                a.issuer = issuer.1.clone();
                a.audience = audience.1.clone();
                a.identity_source = identity_source.1.clone();
            }
            Step::CreateIntegration { spec } => inv.integrations.push(IntegrationInfo {
                id: next_id(),
                integration_type: spec.integration_type.clone(),
                uri: spec.uri.clone(),
                method: spec.method.clone(),
                payload_format_version: Some(spec.payload_format_version.clone()),
                owned: true,
            }),
            Step::CreateRoute {
                key: k,
                scopes,
                integration,
                public,
            } => {
                let target = format!("integrations/{}", spec_id(inv, integration));
                inv.routes.push(RouteInfo {
                    id: next_id(),
                    key: k.clone(),
                    authorization_type: Some(if *public { "NONE" } else { "JWT" }.into()),
                    authorizer_id: inv.authorizer.as_ref().map(|a| a.id.clone()).filter(|_| !public),
                    scopes: scopes.clone(),
                    target: Some(target),
                    operation_name: public.then(|| crate::names::route_marker(&stack.name)),
                })
            }
            Step::UpdateRoute {
                id,
                scopes,
                integration,
                public,
                ..
            } => {
                let target = format!("integrations/{}", spec_id(inv, integration));
                let auth = inv.authorizer.as_ref().map(|a| a.id.clone()).filter(|_| !public);
                let r = inv.routes.iter_mut().find(|r| &r.id == id).unwrap();
                r.scopes = scopes.clone();
                r.target = Some(target);
                r.authorizer_id = auth;
                r.authorization_type = Some(if *public { "NONE" } else { "JWT" }.into());
                if *public {
                    r.operation_name = Some(crate::names::route_marker(&stack.name));
                }
            }
            Step::CreateStage { settings } => {
                inv.stage = Some(StageInfo {
                    auto_deploy: true,
                    owned: true,
                    ..Default::default()
                });
                configure_stage(inv, settings);
            }
            Step::ConfigureStage { settings, .. } => configure_stage(inv, settings),
            Step::DeleteAccessLog => inv.stage.as_mut().unwrap().access_log = None,
            Step::UpdateCors { after, .. } => inv.api.as_mut().unwrap().cors = after.clone(),
            Step::CreateLogGroup { name, retention_days } => {
                inv.log_group_record = Some(name.clone());
                inv.log_group = Some(LogGroupInfo {
                    arn: format!("arn:aws:logs:us-east-1:123456789012:log-group:{name}"),
                    retention_days: Some(*retention_days),
                    owned: true,
                });
            }
            Step::PutLogRetention { after, .. } => inv.log_group.as_mut().unwrap().retention_days = Some(*after),
            Step::DeleteLogGroup { .. } => {
                inv.log_group = None;
                inv.log_group_record = None;
            }
            Step::PutStackRecord { parameter, value } if parameter.ends_with("/domain") => inv.api_domain_record = Some(value.clone()),
            Step::PutStackRecord { value, .. } => inv.log_group_record = Some(value.clone()),
            Step::DeleteStackRecord { parameter } if parameter.ends_with("/domain") => inv.api_domain_record = None,
            Step::DeleteStackRecord { .. } => inv.log_group_record = None,
            Step::CreateApiDomain { name, certificate_arn } => {
                inv.api_domain_record = Some(name.clone());
                inv.api_domains.push(ApiDomainInfo {
                    name: name.clone(),
                    certificate_arn: Some(certificate_arn.clone()),
                    endpoint_type: Some("REGIONAL".into()),
                    security_policy: Some("TLS_1_2".into()),
                    target: format!("d-{}.execute-api.us-east-1.amazonaws.com", next_id()),
                    target_zone: "Z1UJRXOUMOOFQ8".into(),
                    owned: true,
                    mappings: vec![],
                });
            }
            Step::UpdateApiDomain { name, certificate_arn, .. } => {
                let d = inv.api_domains.iter_mut().find(|d| &d.name == name).unwrap();
                d.certificate_arn = Some(certificate_arn.clone());
            }
            Step::CreateApiMapping { domain } => {
                let api = inv.api.as_ref().unwrap().id.clone();
                let id = next_id();
                let d = inv.api_domains.iter_mut().find(|d| &d.name == domain).unwrap();
                d.mappings.push(ApiMappingInfo {
                    id,
                    api_id: api,
                    stage: crate::names::STAGE_NAME.into(),
                    key: String::new(),
                });
            }
            Step::DeleteApiMapping { domain, id } => {
                let d = inv.api_domains.iter_mut().find(|d| &d.name == domain).unwrap();
                d.mappings.retain(|m| &m.id != id);
            }
            Step::DeleteApiDomain { name } => {
                inv.api_domains.retain(|d| &d.name != name);
                if stack.domain.as_ref().is_none_or(|d| &d.name == name) {
                    inv.api_domain_record = None;
                }
            }
            Step::PutApiAliasRecords { domain, target, .. } => {
                let t = target
                    .clone()
                    .map(|t| t.0)
                    .unwrap_or_else(|| inv.api_domains.iter().find(|d| &d.name == domain).unwrap().target.clone());
                inv.api_alias_records = ["A", "AAAA"]
                    .iter()
                    .map(|r| AliasRecordInfo {
                        record_type: r.to_string(),
                        alias_target: Some(t.clone()),
                    })
                    .collect()
            }
            Step::DeleteApiAliasRecords { .. } => inv.api_alias_records.clear(),
            Step::UpdateStage => inv.stage.as_mut().unwrap().auto_deploy = true,
            Step::AddPermission { function } | Step::ReplacePermission { function, .. } => {
                let api = inv.api.as_ref().unwrap().id.clone();
                inv.permissions.insert(
                    function.clone(),
                    PermissionInfo {
                        source_arn: Some(source_arn(function, &inv.region, &api)),
                    },
                );
            }
            Step::DeleteRoute { id, .. } => inv.routes.retain(|r| &r.id != id),
            Step::DeleteIntegration { id, .. } => inv.integrations.retain(|i| &i.id != id),
            Step::RemovePermission { function } => {
                inv.permissions.remove(function);
            }
            Step::DeleteAuthorizer { .. } => inv.authorizer = None,
            Step::DeleteStage => inv.stage = None,
            Step::DeleteApi { .. } => {
                inv.api = None;
                inv.authorizer = None;
                inv.routes.clear();
                inv.integrations.clear();
                inv.stage = None;
            }
            Step::DeleteObject { key, .. } => {
                inv.objects.remove(key);
            }
            Step::DeleteBucket { .. } => inv.bucket = None,
            Step::TagBucket { .. } => inv.bucket.as_mut().unwrap().owned = true,
            Step::DeleteBucketMarker { .. } => inv.bucket_marker = None,
            Step::DeleteKey { kid, .. } => {
                inv.keys.remove(kid);
            }
            Step::UpdateKeys {
                published,
                signing,
                timeline,
                ..
            } => {
                let now = CLOCK.fetch_add(3600, std::sync::atomic::Ordering::SeqCst);
                let kids: Vec<&str> = published.iter().map(|(k, _)| k.as_str()).collect();
                inv.key_timeline = Some(timeline.advance(now, &kids, &signing.1));
            }
            Step::DeleteKeyTimeline { .. } => inv.key_timeline = None,
            Step::ForgetKey { timeline, .. } => inv.key_timeline = Some(timeline.clone()),
            Step::ImportApi { id, name, definition, .. } => {
                let id = id.clone().unwrap_or_else(&mut next_id);
                import_definition(inv, &id, name, definition, &mut next_id);
            }
            Step::CreateOriginAccessControl { name } => {
                inv.origin_access_control = Some(OriginAccessControlInfo {
                    id: format!("OAC{}", next_id()),
                    name: name.clone(),
                    signing_behavior: "always".into(),
                    signing_protocol: "sigv4".into(),
                    origin_type: "s3".into(),
                })
            }
            Step::CreateDistribution { settings } => {
                let id = format!("E{}", next_id());
                let mut settings = settings.clone();
                settings.origin_access_control_id = inv.origin_access_control.as_ref().map(|o| o.id.clone());
                inv.distribution_record = Some(id.clone());
                inv.distribution = Some(DistributionInfo {
                    arn: format!("arn:aws:cloudfront::123456789012:distribution/{id}"),
                    domain_name: format!("d{}.cloudfront.net", id.to_ascii_lowercase()),
                    id,
                    status: "InProgress".into(),
                    owned: true,
                    settings,
                });
            }
            Step::UpdateDistribution { settings, .. } => {
                let d = inv.distribution.as_mut().unwrap();
                d.settings = settings.clone();
                d.status = "InProgress".into();
            }
            Step::InvalidateDocuments { .. } => {}
            Step::RecordDistribution { id, .. } => inv.distribution_record = Some(id.clone()),
            Step::PutAliasRecords { target, .. } => {
                inv.alias_records = ["A", "AAAA"]
                    .iter()
                    .map(|t| AliasRecordInfo {
                        record_type: t.to_string(),
                        alias_target: Some(target.clone()),
                    })
                    .collect()
            }
            Step::DeleteAliasRecords { .. } => inv.alias_records.clear(),
            Step::AwaitDistribution { .. } => inv.distribution.as_mut().unwrap().status = "Deployed".into(),
            Step::DisableDistribution { .. } => inv.distribution.as_mut().unwrap().settings.enabled = false,
            Step::DeleteDistribution { .. } => {
                inv.distribution = None;
                inv.distribution_record = None;
            }
            Step::DeleteOriginAccessControl { .. } => inv.origin_access_control = None,
        }
    }
}

/// The stage's settings after an UpdateStage that sends them (what is not sent stays).
fn configure_stage(inv: &mut Inventory, settings: &StageSettings) {
    let arn = inv.log_group.as_ref().map(|g| g.arn.clone());
    let st = inv.stage.as_mut().unwrap();
    if settings.access_log_group.is_some() {
        st.access_log = Some(AccessLogSettings {
            destination: arn.unwrap(),
            format: crate::names::ACCESS_LOG_FORMAT.into(),
        });
    }
    if let Some(t) = settings.throttling {
        st.throttling = Some((t.rate as f64, t.burst as i32));
    }
}

/// What API Gateway makes of an imported definition (overwrite: the API's authorizer, integrations and routes
/// become the definition's; the stage and permissions stay), read from the definition's JSON itself, so that a
/// definition that does not say what the stack means shows up as a plan that does not converge.
fn import_definition(inv: &mut Inventory, id: &str, name: &str, definition: &str, next_id: &mut impl FnMut() -> String) {
    let doc: serde_json::Value = serde_json::from_str(definition).unwrap();
    assert_eq!(doc["info"]["title"], name);
    assert_eq!(doc["tags"][0]["name"], crate::names::TAG_KEY);
    inv.api = Some(ApiInfo {
        id: id.into(),
        name: name.into(),
        endpoint: "https://x".into(),
        owned: true,
        cors: None,
    });
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
    let authorizer_id = next_id();
    inv.authorizer = Some(AuthorizerInfo {
        id: authorizer_id.clone(),
        issuer: jwt["jwtConfiguration"]["issuer"].as_str().unwrap().into(),
        audience: strings(&jwt["jwtConfiguration"]["audience"]),
        identity_source: vec![jwt["identitySource"].as_str().unwrap().into()],
    });
    inv.integrations.clear();
    let mut ids = BTreeMap::new();
    for (key, i) in doc["components"]["x-amazon-apigateway-integrations"].as_object().unwrap() {
        let id = next_id();
        ids.insert(format!("#/components/x-amazon-apigateway-integrations/{key}"), id.clone());
        inv.integrations.push(IntegrationInfo {
            id,
            integration_type: i["type"].as_str().unwrap().to_ascii_uppercase(),
            uri: i["uri"].as_str().unwrap().into(),
            method: i["httpMethod"].as_str().map(str::to_string),
            payload_format_version: i["payloadFormatVersion"].as_str().map(str::to_string),
            owned: false,
        });
    }
    inv.routes.clear();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let verb = if method == "x-amazon-apigateway-any-method" {
                "ANY".to_string()
            } else {
                method.to_ascii_uppercase()
            };
            let key = if path == "$default" {
                path.clone()
            } else {
                format!("{verb} {path}")
            };
            // No security requirement: a public route.
            let public = op.get("security").is_none();
            let security = &op["security"][0][scheme.as_str()];
            inv.routes.push(RouteInfo {
                id: next_id(),
                key,
                authorization_type: Some(if public { "NONE" } else { "JWT" }.into()),
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

fn deployed(s: &Stack) -> Inventory {
    let mut inv = empty();
    let p = plan(s, &inv).unwrap();
    simulate(s, &mut inv, &p);
    inv
}

fn lines(p: &Plan) -> Vec<String> {
    render_text(p, false).lines().map(str::to_string).collect()
}

#[test]
fn create_from_empty_in_dependency_order() {
    let s = stack(STACK);
    let p = plan(&s, &empty()).unwrap();
    let kinds: Vec<&str> = p.steps.iter().flat_map(Step::changes).map(|c| c.resource).collect();
    assert_eq!(
        kinds,
        [
            "ssm_parameter",
            "s3_bucket",
            "s3_public_access_block",
            "s3_bucket_policy",
            "s3_object",
            "s3_object",
            "jwks_key",
            "signing_key",
            "apigw_api",
            "apigw_authorizer",
            "apigw_integration",
            "apigw_integration",
            "apigw_integration",
            "apigw_route",
            "apigw_route",
            "apigw_route",
            "apigw_route",
            "apigw_stage",
            "lambda_permission",
        ]
    );
    // The API, its authorizer, integrations and routes are one ImportApi, after the documents.
    let imports: Vec<usize> = (0..p.steps.len())
        .filter(|&i| matches!(p.steps[i], Step::ImportApi { id: None, .. }))
        .collect();
    assert_eq!(imports.len(), 1);
    assert!(p.steps[..imports[0]].iter().any(|s| matches!(s, Step::PutObject { .. })));
    assert!(matches!(p.steps[imports[0] + 1], Step::CreateStage { .. }));
    assert!(
        !p.steps
            .iter()
            .any(|s| matches!(s, Step::CreateRoute { .. } | Step::CreateAuthorizer { .. }))
    );
    // Two lambda routes on one function share one integration and one permission.
    let Step::ImportApi { changes, .. } = &p.steps[imports[0]] else {
        unreachable!()
    };
    assert_eq!(changes.iter().filter(|s| matches!(s, Step::CreateIntegration { .. })).count(), 3);
    // 16 plan lines, plus the key lines: the key published and the signing key set.
    assert_eq!(p.to_json().summary.create, 19);
}

/// The key lines of a plan: `+ jwks_key k2`, `~ signing_key k2 (k1 -> k2)`...
fn key_lines(p: &Plan) -> Vec<String> {
    p.to_json()
        .changes
        .iter()
        .filter(|c| c.resource.contains("key") && c.resource != "ssm_parameter")
        .map(|c| match c.diffs.iter().find(|d| d.field == "kid") {
            Some(d) => format!("{} {} {} -> {}", c.action.sign(), c.resource, d.before, d.after),
            None => format!("{} {} {}", c.action.sign(), c.resource, c.name),
        })
        .collect()
}

#[test]
fn rotation_plans_show_exactly_the_key_changes() {
    let steady = stack(STACK);
    let mut inv = deployed(&steady);
    assert!(plan(&steady, &inv).unwrap().is_empty());

    // start: k2 generated and published, k1 still signs.
    let started = stack(&STACK.replace("key_id: k1\n", "key_id: k1\nnext_key: k2\n"));
    let p = plan(&started, &inv).unwrap();
    assert_eq!(key_lines(&p), ["+ jwks_key k2"]);
    let kinds: Vec<&str> = p.steps.iter().map(|st| st.change().resource).collect();
    assert_eq!(kinds, ["ssm_parameter", "s3_object", "jwks_key"]);
    assert!(matches!(&p.steps[0], Step::CreateKey { kid, .. } if kid == "k2"));
    // The JWKS line says which kids it gains, though k2's key does not exist yet.
    let jwks_line = p.to_json().changes.into_iter().find(|c| c.resource == "s3_object").unwrap();
    assert_eq!(
        (
            jwks_line.diffs[0].field.as_str(),
            jwks_line.diffs[0].before.as_str(),
            jwks_line.diffs[0].after.as_str()
        ),
        ("kids", "[k1]", "[k1, k2]")
    );
    simulate(&started, &mut inv, &p);
    let jwks: Jwks = serde_json::from_slice(&inv.objects[".well-known/jwks.json"].body).unwrap();
    assert_eq!(jwks.keys.iter().map(|k| k.kid.as_str()).collect::<Vec<_>>(), ["k1", "k2"]);
    assert!(plan(&started, &inv).unwrap().is_empty());

    // activate: k2 signs; k1 stays published; no key is created or deleted.
    let active = stack(&STACK.replace("key_id: k1\n", "key_id: k2\nprevious_keys: [k1]\n"));
    let p = plan(&active, &inv).unwrap();
    assert_eq!(key_lines(&p), ["~ signing_key k1 -> k2"]);
    assert!(!p.steps.iter().any(|s| matches!(s, Step::CreateKey { .. } | Step::DeleteKey { .. })));
    simulate(&active, &mut inv, &p);
    assert!(plan(&active, &inv).unwrap().is_empty());
    let t = inv.key_timeline.clone().unwrap();
    assert_eq!(t.signing.as_deref(), Some("k2"));
    assert!(t.keys["k1"].signing_until.is_some() && t.keys["k2"].signing_until.is_none());

    // finish: k1 unpublished, its private key kept.
    let done = stack(&STACK.replace("key_id: k1\n", "key_id: k2\n"));
    let p = plan(&done, &inv).unwrap();
    assert_eq!(key_lines(&p), ["- jwks_key k1"]);
    assert!(!p.steps.iter().any(|s| matches!(s, Step::DeleteKey { .. })));
    simulate(&done, &mut inv, &p);
    assert!(inv.keys.contains_key("k1"));
    let t = inv.key_timeline.clone().unwrap();
    assert!(t.keys["k1"].unpublished.is_some());
    assert_eq!(t.published(), ["k2"]);
    assert!(plan(&done, &inv).unwrap().is_empty());
}

#[test]
fn a_previous_key_must_exist_and_the_timeline_catches_up() {
    let s = stack(&STACK.replace("key_id: k1\n", "key_id: k1\nprevious_keys: [gone]\n"));
    let err = plan(&s, &empty()).unwrap_err();
    assert!(matches!(&err, Conflict::MissingKey { kid, .. } if kid == "gone"), "{err}");

    // A run that died between publishing the JWKS and recording it: only the record is written.
    let steady = stack(STACK);
    let mut inv = deployed(&steady);
    inv.key_timeline = None;
    let p = plan(&steady, &inv).unwrap();
    assert_eq!(p.steps.len(), 1);
    assert_eq!(key_lines(&p), ["+ signing_key k1"]);
}

#[test]
fn timeline_advances_only_what_changed() {
    let t = KeyTimeline::default().advance(100, &["a"], "a");
    assert_eq!(t.keys["a"].published, Some(100));
    assert_eq!(t.keys["a"].signing_from, Some(100));
    let t2 = t.advance(200, &["a", "b"], "a");
    assert_eq!(t2.keys["a"], t.keys["a"]);
    assert_eq!(t2.keys["b"].published, Some(200));
    let t3 = t2.advance(300, &["b", "a"], "b");
    assert_eq!(t3.keys["a"].signing_until, Some(300));
    assert_eq!(t3.keys["b"].signing_from, Some(300));
    assert_eq!(t3.keys["b"].published, Some(200));
    let t4 = t3.advance(400, &["b"], "b");
    assert_eq!(t4.keys["a"].unpublished, Some(400));
    // Published again later: a fresh publication time.
    let t5 = t4.advance(500, &["b", "a"], "b");
    assert_eq!((t5.keys["a"].published, t5.keys["a"].unpublished), (Some(500), None));
    assert_eq!(t5.advance(600, &["b", "a"], "b"), t5);
}

#[test]
fn planning_after_apply_makes_no_changes() {
    let s = stack(STACK);
    let inv = deployed(&s);
    let again = plan(&s, &inv).unwrap();
    assert!(again.is_empty(), "{:#?}", again.steps);
    assert_eq!(
        lines(&again).last().unwrap(),
        "No changes: AWS matches the stack `grocery` in us-east-1."
    );
}

#[test]
fn one_scope_changed_is_exactly_one_update() {
    let s = stack(STACK);
    let inv = deployed(&s);
    let changed = stack(&STACK.replacen(
        "scopes: [lists.read]\n    integration: {http: \"https://example.com/lists\"}",
        "scopes: [lists.read, lists.admin]\n    integration: {http: \"https://example.com/lists\"}",
        1,
    ));
    let p = plan(&changed, &inv).unwrap();
    let out = lines(&p);
    // The discovery document lists the scopes, so it changes too.
    assert_eq!(
        out,
        [
            "  ~ s3_object s3://grocery-issuer-123/.well-known/openid-configuration",
            "      scopes_supported: [\"lists.read\",\"lists.write\"] -> [\"lists.admin\",\"lists.read\",\"lists.write\"]",
            "  ~ apigw_route GET /lists",
            "      scopes: [lists.read] -> [lists.read, lists.admin]",
            "Plan for `grocery` in us-east-1: 0 to create, 2 to update, 0 to delete.",
        ]
    );
}

#[test]
fn one_route_removed_deletes_it_and_its_unused_integration() {
    let s = stack(STACK);
    let inv = deployed(&s);
    let fewer = stack(&STACK.replace(
        "  - route: GET /lists\n    scopes: [lists.read]\n    integration: {http: \"https://example.com/lists\"}\n",
        "",
    ));
    let p = plan(&fewer, &inv).unwrap();
    let changes: Vec<String> = p
        .steps
        .iter()
        .flat_map(Step::changes)
        .map(|c| format!("{:?} {} {}", c.action, c.resource, c.name))
        .collect();
    assert_eq!(
        changes,
        [
            "Delete apigw_route GET /lists",
            "Delete apigw_integration HTTP_PROXY GET https://example.com/lists"
        ]
    );
    let mut after = inv.clone();
    simulate(&fewer, &mut after, &p);
    assert!(plan(&fewer, &after).unwrap().is_empty());
}

#[test]
fn integration_target_change_creates_then_repoints_then_deletes() {
    let s = stack(STACK);
    let inv = deployed(&s);
    let moved = stack(&STACK.replace("http: \"https://example.com/lists\"}", "http: \"https://other.example.com/lists\"}"));
    let p = plan(&moved, &inv).unwrap();
    let changes: Vec<String> = p
        .steps
        .iter()
        .flat_map(Step::changes)
        .map(|c| format!("{:?} {}", c.action, c.resource))
        .collect();
    assert_eq!(
        changes,
        ["Create apigw_integration", "Update apigw_route", "Delete apigw_integration"]
    );
    // One call for the three: a reimport of the whole API.
    assert!(matches!(&p.steps[..], [Step::ImportApi { id: Some(_), changes, .. }] if changes.len() == 3));
}

fn adopted_inventory() -> (Stack, Inventory) {
    let s = stack(&STACK.replace("api: {name: grocery-api}", "api: {id: abc123}"));
    let mut inv = empty();
    inv.api = Some(ApiInfo {
        id: "abc123".into(),
        name: "theirs".into(),
        endpoint: "https://e".into(),
        owned: false,
        cors: None,
    });
    inv.integrations.push(IntegrationInfo {
        id: "int-theirs".into(),
        integration_type: "HTTP_PROXY".into(),
        uri: "https://theirs".into(),
        method: Some("GET".into()),
        payload_format_version: Some("1.0".into()),
        owned: false,
    });
    inv.routes.push(RouteInfo {
        id: "r-theirs".into(),
        key: "GET /health".into(),
        authorization_type: Some("NONE".into()),
        authorizer_id: None,
        scopes: vec![],
        target: Some("integrations/int-theirs".into()),
        operation_name: None,
    });
    inv.stage = Some(StageInfo {
        auto_deploy: true,
        owned: false,
        ..Default::default()
    });
    (s, inv)
}

#[test]
fn adopted_api_keeps_unmanaged_routes_and_integrations() {
    let (s, mut inv) = adopted_inventory();
    let p = plan(&s, &inv).unwrap();
    assert!(
        !p.steps.iter().any(|st| matches!(
            st,
            Step::CreateApi { .. } | Step::CreateStage { .. } | Step::DeleteRoute { .. } | Step::DeleteIntegration { .. }
        )),
        "{:#?}",
        p.steps
    );
    simulate(&s, &mut inv, &p);
    assert!(plan(&s, &inv).unwrap().is_empty());
    let down = plan_teardown(&s, &inv, false);
    assert!(!down.steps.iter().any(|st| matches!(st, Step::DeleteApi { .. } | Step::DeleteStage)));
    assert!(
        !down
            .steps
            .iter()
            .any(|st| matches!(st, Step::DeleteRoute { key, .. } if key == "GET /health"))
    );
    assert!(
        !down
            .steps
            .iter()
            .any(|st| matches!(st, Step::DeleteIntegration { id, .. } if id == "int-theirs"))
    );
    simulate(&s, &mut inv, &down);
    assert_eq!(inv.routes.len(), 1);
    assert_eq!(inv.integrations.len(), 1);
    assert!(inv.authorizer.is_none());
}

#[test]
fn teardown_keeps_unmanaged_routes() {
    // Regression guard: a route the stack does not own, whose key the stack does not declare, survives teardown.
    let (s, mut inv) = adopted_inventory();
    let p = plan(&s, &inv).unwrap();
    simulate(&s, &mut inv, &p);
    let down = plan_teardown(&s, &inv, true);
    assert!(
        down.steps
            .iter()
            .all(|st| !matches!(st, Step::DeleteRoute { id, .. } if id == "r-theirs"))
    );
}

#[test]
fn route_key_taken_by_unmanaged_route_is_a_conflict() {
    let (s, mut inv) = adopted_inventory();
    inv.routes[0].key = "GET /lists".into();
    let err = plan(&s, &inv).unwrap_err();
    assert!(
        matches!(err, Conflict::UnmanagedRoute { ref key, .. } if key == "GET /lists"),
        "{err}"
    );
}

#[test]
fn bucket_policy_statements_of_others_are_kept() {
    let s = stack(STACK);
    let mut inv = empty();
    let other = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Theirs","Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::grocery-issuer-123/*"}]}"#;
    inv.bucket = Some(BucketInfo {
        owned: false,
        policy: Some(other.into()),
        public_access_block: None,
        has_other_objects: true,
        ..Default::default()
    });
    let p = plan(&s, &inv).unwrap();
    let policy = p.steps.iter().find_map(|st| match st {
        Step::PutBucketPolicy { policy, .. } => Some(policy.clone()),
        _ => None,
    });
    let v: serde_json::Value = serde_json::from_str(&policy.unwrap()).unwrap();
    let sids: Vec<&str> = v["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Sid"].as_str().unwrap())
        .collect();
    assert_eq!(sids, ["Theirs", "jwtstack-grocery-public-well-known"]);
    assert_eq!(v["Statement"][1]["Resource"], "arn:aws:s3:::grocery-issuer-123/.well-known/*");
    simulate(&s, &mut inv, &p);
    // Teardown removes only our statement, keeps the bucket (not ours) and its other objects.
    let down = plan_teardown(&s, &inv, false);
    let put = down.steps.iter().find_map(|st| match st {
        Step::PutBucketPolicy { policy, .. } => Some(policy.clone()),
        _ => None,
    });
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&put.unwrap()).unwrap(),
        serde_json::from_str::<serde_json::Value>(other).unwrap()
    );
    assert!(!down.steps.iter().any(|st| matches!(st, Step::DeleteBucket { .. })));
}

#[test]
fn private_bucket_gets_no_policy_and_teardown_of_owned_api_is_one_delete() {
    let s = stack(&STACK.replace(
        "issuer: {bucket: grocery-issuer-123}",
        "issuer: {bucket: grocery-issuer-123, public: false}",
    ));
    let p = plan(&s, &empty()).unwrap();
    assert!(
        !p.steps
            .iter()
            .any(|st| matches!(st, Step::PutBucketPolicy { .. } | Step::PutPublicAccessBlock { .. }))
    );
    let inv = deployed(&s);
    let down = plan_teardown(&s, &inv, false);
    let deletes: Vec<&str> = down.steps.iter().map(|st| st.change().resource).collect();
    assert_eq!(
        deletes,
        [
            "apigw_api",
            "lambda_permission",
            "s3_object",
            "s3_object",
            "s3_bucket",
            "ssm_parameter",
            "ssm_parameter",
            "ssm_parameter",
        ]
    );
    let kept = plan_teardown(&s, &inv, true);
    assert!(!kept.steps.iter().any(|st| matches!(st, Step::DeleteKey { .. })));
    assert!(kept.notes.iter().any(|n| n.contains("--keep-keys")));
}

#[test]
fn teardown_of_nothing_is_empty() {
    assert!(plan_teardown(&stack(STACK), &empty(), false).is_empty());
}

#[test]
fn existing_key_is_never_recreated_and_an_unreadable_one_stops_the_plan() {
    let s = stack(STACK);
    let mut inv = deployed(&s);
    assert!(!plan(&s, &inv).unwrap().steps.iter().any(|st| matches!(st, Step::CreateKey { .. })));
    inv.keys.get_mut("k1").unwrap().public = None;
    assert!(matches!(plan(&s, &inv), Err(Conflict::UnreadableKey { .. })));
}

#[test]
fn authorizer_drift_is_repaired() {
    let s = stack(STACK);
    let mut inv = deployed(&s);
    inv.authorizer.as_mut().unwrap().issuer = "https://grocery-issuer-123.s3.us-east-1.amazonaws.com/".into();
    let p = plan(&s, &inv).unwrap();
    assert_eq!(
        lines(&p)[..2],
        [
            "  ~ apigw_authorizer grocery-jwt",
            "      issuer: https://grocery-issuer-123.s3.us-east-1.amazonaws.com/ -> https://grocery-issuer-123.s3.us-east-1.amazonaws.com"
        ]
    );
}

#[test]
fn plan_json_is_stable() {
    let s = stack(STACK);
    let inv = deployed(&s);
    let changed = stack(&STACK.replace(
        "scopes: [lists.write]\n    integration: {lambda: \"arn:aws:lambda:us-east-1:123456789012:function:w\"}\n  - route: PUT",
        "scopes: [lists.admin]\n    integration: {lambda: \"arn:aws:lambda:us-east-1:123456789012:function:w\"}\n  - route: PUT",
    ));
    let json = serde_json::to_value(plan(&changed, &inv).unwrap().to_json()).unwrap();
    let changes = json["changes"].as_array().unwrap();
    let route = changes.iter().find(|c| c["resource"] == "apigw_route").unwrap();
    assert_eq!(
        route,
        &serde_json::json!({"action": "update", "resource": "apigw_route", "name": "POST /lists",
            "diffs": [{"field": "scopes", "before": "[lists.write]", "after": "[lists.admin]"}]})
    );
    assert_eq!(json["summary"], serde_json::json!({"create": 0, "update": 2, "delete": 0}));
}

#[test]
fn first_deploy_plan_snapshots() {
    let s = stack(STACK);
    let p = plan(&s, &empty()).unwrap();
    insta::assert_snapshot!("first_deploy_text", render_text(&p, false));
    insta::assert_json_snapshot!("first_deploy_json", p.to_json());
    let inv = deployed(&s);
    insta::assert_snapshot!("teardown_text", render_text(&plan_teardown(&s, &inv, false), false));
}

#[test]
fn a_bucket_created_but_not_tagged_is_still_the_stacks() {
    // Regression guard: a run killed between CreateBucket and the tag left an untagged bucket.
    let s = stack(STACK);
    let mut inv = deployed(&s);
    inv.bucket.as_mut().unwrap().owned = false;
    let p = plan(&s, &inv).unwrap();
    assert_eq!(
        lines(&p)[..2],
        ["  ~ s3_bucket grocery-issuer-123", "      tag: none -> jwtstack:stack"]
    );
    let down = plan_teardown(&s, &inv, false);
    assert!(down.steps.iter().any(|st| matches!(st, Step::DeleteBucket { .. })));
    // Without the marker, an untagged bucket is someone else's and stays.
    inv.bucket_marker = None;
    let down = plan_teardown(&s, &inv, false);
    assert!(!down.steps.iter().any(|st| matches!(st, Step::DeleteBucket { .. })));
}

#[test]
fn the_key_timeline_forgets_old_retired_keys_and_stays_in_one_ssm_parameter() {
    // Twelve rotations, each kid 128 characters long: the record keeps the published keys and the newest
    // retired ones, and stays within an SSM standard parameter.
    let kid = |n: usize| format!("{n:0>128}");
    let mut t = KeyTimeline::default();
    t = t.advance(1_000, &[&kid(0)], &kid(0));
    for n in 1..=12 {
        let now = 1_000 + 10 * n as i64;
        t = t.advance(now, &[&kid(n - 1), &kid(n)], &kid(n));
        t = t.advance(now + 5, &[&kid(n)], &kid(n));
    }
    let retired = t.keys.values().filter(|e| e.unpublished.is_some()).count();
    assert_eq!(retired, RETIRED_KEPT);
    assert!(t.keys.contains_key(&kid(12)) && t.keys.contains_key(&kid(11)) && !t.keys.contains_key(&kid(0)));
    assert!(t.stored_len() <= SSM_STANDARD_MAX_CHARS, "{}", t.stored_len());
}

#[test]
fn a_key_timeline_that_would_not_fit_ssm_is_refused() {
    // 30 published keys with 128-character kids: the JWKS would fit API Gateway's limit, the record would not.
    let kids: Vec<String> = (0..30).map(|n| format!("{n:0>128}")).collect();
    let text = STACK.replace("key_id: k1\n", &format!("key_id: k1\nprevious_keys: [{}]\n", kids.join(", ")));
    let s = stack(&text);
    let mut inv = empty();
    for k in &kids {
        let mut public = key_for("k1").public_jwk();
        public.kid = k.clone();
        inv.keys.insert(
            k.clone(),
            KeyInfo {
                home: KeyHome::new(&s, KeyStore::Ssm, k),
                public: Some(public),
                recorded: true,
                deletion: None,
                bits: Some(2048),
                created: Some(1),
            },
        );
    }
    match plan(&s, &inv) {
        Err(Conflict::KeyTimelineTooLarge { chars, keys }) => assert!(chars > SSM_STANDARD_MAX_CHARS && keys == 31),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_kms_stack_creates_its_key_in_kms_and_converges() {
    let s = stack(&STACK.replace("key_id: k1\n", "key_id: k1\nkey_store: kms\n"));
    let p = plan(&s, &empty()).unwrap();
    assert_eq!(
        p.steps[0],
        Step::CreateKey {
            kid: "k1".into(),
            home: KeyHome::Kms {
                alias: "alias/jwtstack/grocery/k1".into(),
                key_id: None
            },
            bits: 2048
        }
    );
    assert_eq!(
        lines(&p)[..3],
        [
            "  + kms_key alias/jwtstack/grocery/k1",
            "      key_spec: RSA_2048",
            "      usage: SIGN_VERIFY"
        ]
    );
    let inv = deployed(&s);
    assert!(plan(&s, &inv).unwrap().is_empty());
    // Teardown schedules the key's deletion (it never deletes at once).
    let t = plan_teardown(&s, &inv, false);
    let delete = t.steps.iter().find(|st| matches!(st, Step::DeleteKey { .. })).unwrap();
    assert!(matches!(
        delete,
        Step::DeleteKey {
            home: KeyHome::Kms { key_id: Some(_), .. },
            ..
        }
    ));
    assert!(
        lines(&t).iter().any(|l| l.contains("deletion: scheduled in 30 days")),
        "{:?}",
        lines(&t)
    );
}

#[test]
fn a_kms_key_scheduled_for_deletion_is_not_published() {
    let s = stack(&STACK.replace("key_id: k1\n", "key_id: k1\nkey_store: kms\n"));
    let mut inv = deployed(&s);
    inv.keys.get_mut("k1").unwrap().deletion = Some(1_900_000_000);
    match plan(&s, &inv) {
        Err(e @ Conflict::KeyPendingDeletion { .. }) => assert!(e.to_string().contains("cancel-key-deletion"), "{e}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn switching_key_store_is_a_rotation_not_a_move() {
    let s = stack(STACK);
    let inv = deployed(&s);
    let kms = stack(&STACK.replace("key_id: k1\n", "key_id: k1\nkey_store: kms\n"));
    match plan(&kms, &inv) {
        Err(e @ Conflict::KeyStoreSwitch { .. }) => {
            let text = e.to_string();
            assert!(
                text.contains("key `k1` is in ssm, but key_store is kms") && text.contains("rotate start"),
                "{text}"
            );
        }
        other => panic!("{other:?}"),
    }
    // `rotate start` adds a next key: it is created in KMS while k1 keeps signing from SSM.
    let started = stack(&STACK.replace("key_id: k1\n", "key_id: k1\nnext_key: k2\nkey_store: kms\n"));
    let p = plan(&started, &inv).unwrap();
    assert!(p.steps.iter().any(|st| matches!(
        st,
        Step::CreateKey { kid, home: KeyHome::Kms { .. }, .. } if kid == "k2"
    )));
    let mut after = inv.clone();
    simulate(&started, &mut after, &p);
    // Activated: k2 (KMS) signs, k1 (SSM) stays published as a previous key.
    let activated = stack(&STACK.replace("key_id: k1\n", "key_id: k2\nprevious_keys: [k1]\nkey_store: kms\n"));
    let p = plan(&activated, &after).unwrap();
    assert!(!p.steps.iter().any(|st| matches!(st, Step::CreateKey { .. })), "{:?}", lines(&p));
}

#[test]
fn plan_reads_no_private_key_and_deploy_records_the_public_half_once() {
    let s = stack(STACK);
    let mut inv = deployed(&s);
    // A key stored before public halves were recorded: `plan` knows it only by the published JWKS.
    let k = inv.keys.get_mut("k1").unwrap();
    let (public, home) = (k.public.take().unwrap(), k.home.clone());
    k.recorded = false;
    let p = plan(&s, &inv).unwrap();
    let KeyHome::Ssm { record, .. } = &home else { panic!() };
    assert_eq!(
        p.steps,
        [Step::RecordPublicKey {
            kid: "k1".into(),
            record: record.clone(),
            jwk: public.clone()
        }]
    );
    assert_eq!(lines(&p)[0], "  + ssm_parameter /jwtstack/grocery/public-keys/k1");
    // Without the JWKS either, plan says what to do instead of guessing.
    let mut bare = inv.clone();
    bare.objects.clear();
    match plan(&s, &bare) {
        Err(e @ Conflict::PublicKeyNotRecorded { .. }) => assert!(e.to_string().contains("run `jwtstack deploy` once"), "{e}"),
        other => panic!("{other:?}"),
    }
    // Deploy derives it from the key, records it, and the next plan is empty.
    inv.keys.get_mut("k1").unwrap().public = Some(public);
    let p = plan(&s, &inv).unwrap();
    simulate(&s, &mut inv, &p);
    assert!(plan(&s, &inv).unwrap().is_empty());
}

#[test]
fn an_adopted_api_is_never_imported() {
    let (s, inv) = adopted_inventory();
    let p = plan(&s, &inv).unwrap();
    assert!(p.steps.iter().any(|st| matches!(st, Step::CreateRoute { .. })));
    assert!(!p.steps.iter().any(|st| matches!(st, Step::ImportApi { .. })));
}

#[test]
fn an_owned_api_changes_in_one_reimport_and_converges() {
    let s = stack(STACK);
    let mut inv = deployed(&s);
    let api_id = inv.api.as_ref().unwrap().id.clone();
    // Lambda integrations made by an import name the function by its invocation URI: the same integration.
    assert!(inv.integrations.iter().any(|i| i.uri.ends_with("function:w/invocations")));
    assert!(plan(&s, &inv).unwrap().is_empty(), "a no-op deploy after an import makes no write");
    // One scope, one route added, the API renamed: one call, with the plan's lines route by route.
    let changed = stack(
        &(STACK
            .replace(
                "scopes: [lists.write]\n    integration: {lambda: \"arn:aws:lambda:us-east-1:123456789012:function:w\"}\n  - route: PUT",
                "scopes: [lists.admin]\n    integration: {lambda: \"arn:aws:lambda:us-east-1:123456789012:function:w\"}\n  - route: PUT",
            )
            .replace("api: {name: grocery-api}", "api: {name: grocery-api-2}")
            + "  - route: DELETE /lists/{id}\n    scopes: [lists.write]\n    integration: {lambda: \"arn:aws:lambda:us-east-1:123456789012:function:w\"}\n"),
    );
    let p = plan(&changed, &inv).unwrap();
    let imports: Vec<&Step> = p.steps.iter().filter(|s| matches!(s, Step::ImportApi { .. })).collect();
    let [
        Step::ImportApi {
            id, changes, definition, ..
        },
    ] = &imports[..]
    else {
        panic!("{:#?}", p.steps)
    };
    assert_eq!(id.as_deref(), Some(api_id.as_str()));
    let text: Vec<String> = changes
        .iter()
        .flat_map(Step::changes)
        .map(|c| format!("{} {}", c.resource, c.name))
        .collect();
    assert_eq!(
        text,
        ["apigw_api id001", "apigw_route POST /lists", "apigw_route DELETE /lists/{id}"]
    );
    assert!(definition.contains("lists.admin"));
    simulate(&changed, &mut inv, &p);
    assert!(plan(&changed, &inv).unwrap().is_empty());
    assert_eq!(inv.api.as_ref().unwrap().id, api_id, "a reimport keeps the API");
    // Stage and permissions are not the import's: they stay separate steps, and survive it.
    assert!(inv.stage.is_some());
    assert!(!inv.permissions.is_empty());
}

#[test]
fn the_definition_says_what_the_stack_means() {
    let s = stack(&format!(
        "{STACK}  - route: $default\n    scopes: []\n    integration: {{http: \"https://example.com\"}}\n  - route: ANY /admin/{{id}}\n    scopes: [admin]\n    integration: {{http: \"https://example.com/admin\"}}\n"
    ));
    let doc = openapi::definition(&s, "eu-west-1");
    assert_eq!(doc["openapi"], "3.0.1");
    assert_eq!(doc["info"]["title"], "grocery-api");
    assert_eq!(doc["tags"][0]["x-amazon-apigateway-tag-value"], "grocery");
    let auth = &doc["components"]["securitySchemes"]["grocery-jwt"]["x-amazon-apigateway-authorizer"];
    assert_eq!(auth["type"], "jwt");
    assert_eq!(auth["identitySource"], "$request.header.Authorization");
    assert_eq!(
        auth["jwtConfiguration"]["issuer"],
        "https://grocery-issuer-123.s3.eu-west-1.amazonaws.com"
    );
    assert_eq!(auth["jwtConfiguration"]["audience"][0], "grocery-api");
    let paths = doc["paths"].as_object().unwrap();
    assert_eq!(paths.len(), 4, "{paths:#?}");
    assert_eq!(paths["/lists"]["get"]["security"][0]["grocery-jwt"][0], "lists.read");
    assert_eq!(paths["/lists"]["post"]["security"][0]["grocery-jwt"][0], "lists.write");
    assert_eq!(
        paths["$default"]["x-amazon-apigateway-any-method"]["security"][0]["grocery-jwt"],
        serde_json::json!([])
    );
    assert_eq!(
        paths["/admin/{id}"]["x-amazon-apigateway-any-method"]["parameters"][0]["name"],
        "id"
    );
    assert_eq!(paths["/lists/{proxy+}"]["get"]["parameters"][0]["name"], "proxy+");
    // Equal integrations are one definition, referenced by each route: POST and PUT /lists share the Lambda.
    let integrations = doc["components"]["x-amazon-apigateway-integrations"].as_object().unwrap();
    assert_eq!(integrations.len(), 5);
    let post = &paths["/lists"]["post"]["x-amazon-apigateway-integration"]["$ref"];
    assert_eq!(post, &paths["/lists"]["put"]["x-amazon-apigateway-integration"]["$ref"]);
    let lambda = &integrations[post.as_str().unwrap().rsplit('/').next().unwrap()];
    assert_eq!(lambda["type"], "aws_proxy");
    assert_eq!(
        lambda["uri"],
        "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:w/invocations"
    );
    assert_eq!(lambda["payloadFormatVersion"], "2.0");
    let admin = &paths["/admin/{id}"]["x-amazon-apigateway-any-method"]["x-amazon-apigateway-integration"]["$ref"];
    let admin = &integrations[admin.as_str().unwrap().rsplit('/').next().unwrap()];
    assert_eq!(
        (admin["type"].as_str(), admin["httpMethod"].as_str()),
        (Some("http_proxy"), Some("ANY"))
    );
    // The same stack gives the same bytes.
    assert_eq!(openapi::definition_text(&s, "eu-west-1"), openapi::definition_text(&s, "eu-west-1"));
}

mod cloudfront;
mod surface;
