//! The acceptance suite: the example stack in each shape jwtstack supports (a public bucket and a CloudFront
//! issuer, SSM and KMS keys, an owned and an adopted API, the API around the authorizer) deployed, probed, used
//! with tokens minted and verified against the gateway, rotated end to end with live tokens, torn down, and
//! checked for leftovers: nothing tagged `jwtstack:stack` (the Resource Groups Tagging API, and each service's
//! own listing) and no KMS key left unscheduled. It prints what each shape created and what that cost in
//! resource-hours.
//!
//! It runs in every test run against the emulator, with `jwtstack serve` standing in for the gateway, so that
//! it does not rot. On a real account it runs only when asked, and is otherwise reported as ignored:
//!
//! ```text
//! JWTSTACK_ACCEPTANCE=aws AWS_PROFILE=... AWS_REGION=eu-west-1 cargo test --test e2e acceptance::on_aws -- --ignored --nocapture
//! ```
//!
//! (docs/real-aws.md, "Proof on your account", and docs/iam.md have the IAM policy it needs.)

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::common;
use crate::serve::Server;

use common::{Output, json};

/// Where the suite runs: the emulator (with `serve` as the gateway) or a real account.
enum Target {
    Emulator(common::Env),
    Aws {
        dir: tempfile::TempDir,
        rt: tokio::runtime::Runtime,
        conf: Box<aws_config::SdkConfig>,
        region: String,
    },
}

/// One shape of the example stack.
struct Shape {
    name: String,
    yaml: String,
    /// Whether it rotates a key end to end.
    rotates: bool,
    kms: bool,
}

/// The gateway a shape's requests go to, and what keeps it up.
struct Gateway {
    endpoint: String,
    _serve: Option<Server>,
}

impl Target {
    fn dir(&self) -> &Path {
        match self {
            Target::Emulator(env) => env.path(),
            Target::Aws { dir, .. } => dir.path(),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        match self {
            Target::Emulator(env) => env.run(args),
            Target::Aws { dir, region, .. } => {
                // The user's own credentials and region, nothing of the emulator's.
                let mut c = Command::new(assert_cmd::cargo::cargo_bin("jwtstack"));
                c.current_dir(dir.path()).env_remove("AWS_ENDPOINT_URL").env("AWS_REGION", region);
                Output::from(c.args(args).output().unwrap())
            }
        }
    }

    fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        match self {
            Target::Emulator(env) => env.block_on(f),
            Target::Aws { rt, .. } => rt.block_on(f),
        }
    }

    fn sdk_config(&self) -> aws_config::SdkConfig {
        match self {
            Target::Emulator(env) => env.sdk_config(),
            Target::Aws { conf, .. } => (**conf).clone(),
        }
    }

    /// On the emulator, `serve` on the deployed stack (its JWKS read from the deployed bucket); on AWS, the
    /// deployed API.
    fn gateway(&self, file: &str) -> Gateway {
        match self {
            Target::Emulator(env) => {
                let server = Server::start(env.path(), &["-f", file], &[("AWS_ENDPOINT_URL", env.endpoint())]);
                Gateway {
                    endpoint: format!("http://{}", server.addr),
                    _serve: Some(server),
                }
            }
            Target::Aws { .. } => {
                let outputs = json(&self.run(&["outputs", "--json", "-f", file]).ok().stdout);
                Gateway {
                    endpoint: outputs["api_endpoint"].as_str().unwrap().to_string(),
                    _serve: None,
                }
            }
        }
    }

    /// The probe of the gateway: `--endpoint` names `serve` on the emulator.
    fn probe(&self, file: &str, gateway: &Gateway) -> serde_json::Value {
        let mut args = vec!["probe", "--json", "-f", file, "--through", "GET /parts/{id}"];
        if matches!(self, Target::Emulator(_)) {
            args.extend(["--endpoint", &gateway.endpoint]);
        }
        json(&self.run(&args).ok().stdout)
    }

    /// The region the stacks are deployed in: the emulator's, or the account's (`AWS_REGION` or the profile's).
    fn region(&self) -> &str {
        match self {
            Target::Emulator(_) => "us-east-1",
            Target::Aws { region, .. } => region,
        }
    }

    /// What the account still holds of the stack: whatever the Resource Groups Tagging API finds tagged for it
    /// (a KMS key pending deletion still carries its tag, and is left out), and each service's own listing of
    /// what the stack names: APIs tagged for it, its parameters, its issuer bucket, its access log's group, its
    /// KMS keys not scheduled for deletion. Every listing is read to its last page; a listing that fails fails
    /// the suite rather than hide a leftover.
    fn leftovers(&self, stack: &str) -> Vec<String> {
        let conf = self.sdk_config();
        let kms = aws_sdk_kms::Client::new(&conf);
        let mut left = Vec::new();
        let tagging = aws_sdk_resourcegroupstagging::Client::new(&conf);
        let filter = aws_sdk_resourcegroupstagging::types::TagFilter::builder()
            .key("jwtstack:stack")
            .values(stack)
            .build();
        let pages = self.block_on(
            tagging
                .get_resources()
                .tag_filters(filter)
                .into_paginator()
                .send()
                .collect::<Vec<_>>(),
        );
        for page in pages {
            for r in page.expect("tag:GetResources").resource_tag_mapping_list() {
                let arn = r.resource_arn().unwrap_or_default().to_string();
                if !(arn.contains(":kms:") && self.pending_deletion(&kms, &arn)) {
                    left.push(arn);
                }
            }
        }
        let apigw = aws_sdk_apigatewayv2::Client::new(&conf);
        let mut next = None;
        loop {
            let page = self
                .block_on(apigw.get_apis().set_next_token(next).send())
                .expect("apigateway:GET /apis");
            for a in page.items() {
                if a.tags().and_then(|t| t.get("jwtstack:stack")).map(String::as_str) == Some(stack) {
                    left.push(format!("API {}", a.api_id().unwrap_or_default()));
                }
            }
            next = page.next_token().map(str::to_string);
            if next.is_none() {
                break;
            }
        }
        let ssm = aws_sdk_ssm::Client::new(&conf);
        let pages = self.block_on(
            ssm.get_parameters_by_path()
                .path(format!("/jwtstack/{stack}"))
                .recursive(true)
                .into_paginator()
                .send()
                .collect::<Vec<_>>(),
        );
        for page in pages {
            let page = page.expect("ssm:GetParametersByPath");
            left.extend(page.parameters().iter().filter_map(|p| p.name().map(str::to_string)));
        }
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&conf)
                .force_path_style(matches!(self, Target::Emulator(_)))
                .build(),
        );
        let bucket = format!("{stack}-issuer");
        if self.block_on(s3.head_bucket().bucket(&bucket).send()).is_ok() {
            left.push(format!("bucket {bucket}"));
        }
        let logs = aws_sdk_cloudwatchlogs::Client::new(&conf);
        let groups = self
            .block_on(
                logs.describe_log_groups()
                    .log_group_name_prefix(format!("/aws/vendedlogs/jwtstack/{stack}/"))
                    .send(),
            )
            .expect("logs:DescribeLogGroups");
        left.extend(groups.log_groups().iter().filter_map(|g| g.log_group_name().map(str::to_string)));
        left.extend(self.unscheduled_keys(&kms, stack));
        left
    }

    fn pending_deletion(&self, kms: &aws_sdk_kms::Client, key: &str) -> bool {
        self.block_on(kms.describe_key().key_id(key).send())
            .ok()
            .and_then(|o| o.key_metadata().and_then(|m| m.key_state()).cloned())
            == Some(aws_sdk_kms::types::KeyState::PendingDeletion)
    }

    /// KMS keys tagged for the stack whose deletion is not scheduled.
    fn unscheduled_keys(&self, kms: &aws_sdk_kms::Client, stack: &str) -> Vec<String> {
        let mut out = Vec::new();
        for k in self.block_on(kms.list_keys().limit(1000).send()).unwrap().keys() {
            let id = k.key_id().unwrap_or_default();
            let Ok(tags) = self.block_on(kms.list_resource_tags().key_id(id).send()) else {
                continue;
            };
            let ours = tags
                .tags()
                .iter()
                .any(|t| t.tag_key() == "jwtstack:stack" && t.tag_value() == stack);
            if ours && !self.pending_deletion(kms, id) {
                out.push(format!("KMS key {id}, not scheduled for deletion"));
            }
        }
        out
    }

    /// Sends a token to the gateway; its status.
    fn send(&self, gateway: &Gateway, path: &str, token: &str) -> u16 {
        let client = reqwest::Client::new();
        let url = format!("{}{path}", gateway.endpoint);
        self.block_on(client.get(url).bearer_auth(token).send())
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    }

    /// Sends a token of a key the gateway may not have fetched yet: API Gateway (and `serve`) fetch the key set
    /// again when a token names a kid they have not seen, so a 401 is asked again for up to 20 seconds.
    fn send_new_key(&self, gateway: &Gateway, path: &str, token: &str) -> u16 {
        let mut status = self.send(gateway, path, token);
        for _ in 0..20 {
            if status != 401 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_secs(1));
            status = self.send(gateway, path, token);
        }
        status
    }
}

/// The example stack in a shape: `issuer` and `api` are its YAML, `extra` what follows the routes.
fn example(name: &str, region: &str, issuer: &str, api: &str, extra: &str) -> String {
    format!(
        "name: {name}\nregion: {region}\nissuer:\n{issuer}key_id: {name}-k1\naudience: [{name}-api]\napi:\n  {api}\nroutes:\n\
         \x20 - route: GET /parts/{{id}}\n    scopes: [parts.read]\n    integration:\n      http: https://example.com/parts/{{id}}\n\
         \x20 - route: POST /parts\n    scopes: [parts.write]\n    integration:\n      http: https://example.com/parts\n{extra}"
    )
}

fn shapes(target: &Target, prefix: &str) -> Vec<Shape> {
    let shape = |suffix: &str, issuer: &str, api: Option<&str>, extra: &str, rotates: bool, kms: bool| {
        let name = format!("{prefix}{suffix}");
        let issuer = issuer.replace("BUCKET", &format!("{name}-issuer"));
        let api = api.map(str::to_string).unwrap_or_else(|| format!("name: {name}-api"));
        let yaml = example(&name, target.region(), &issuer, &api, extra)
            .replace("key_id: ", if kms { "key_store: kms\nkey_id: " } else { "key_id: " });
        Shape { name, yaml, rotates, kms }
    };
    let adopted = create_api(target, &format!("{prefix}adopted-api"));
    vec![
        shape("public", "  bucket: BUCKET\n", None, "", true, false),
        shape("kms", "  bucket: BUCKET\n", None, "", true, true),
        shape("cloudfront", "  bucket: BUCKET\n  cloudfront: true\n", None, "", false, false),
        shape("adopted", "  bucket: BUCKET\n", Some(&format!("id: {adopted}")), "", false, false),
        shape(
            "surface",
            "  bucket: BUCKET\n",
            None,
            "  - route: GET /health\n    auth: none\n    integration:\n      http: https://example.com/health\n\
             cors:\n  allow_origins: [https://app.example.com]\n  allow_methods: [GET, POST]\n\
             access_log: {retention_days: 1}\nthrottling: {rate: 50, burst: 100}\n",
            false,
            false,
        ),
    ]
}

/// An API the user made, for the adopted shape.
fn create_api(target: &Target, name: &str) -> String {
    let apigw = aws_sdk_apigatewayv2::Client::new(&target.sdk_config());
    let api = target
        .block_on(
            apigw
                .create_api()
                .name(name)
                .protocol_type(aws_sdk_apigatewayv2::types::ProtocolType::Http)
                .send(),
        )
        .unwrap();
    api.api_id().unwrap().to_string()
}

fn delete_api(target: &Target, id: &str) {
    let apigw = aws_sdk_apigatewayv2::Client::new(&target.sdk_config());
    let _ = target.block_on(apigw.delete_api().api_id(id).send());
}

/// A token of the stack's signing key with `scope`.
fn token(target: &Target, file: &str, scope: &str) -> String {
    let out = target
        .run(&["token", "-f", file, "--sub", "acceptance", "--scope", scope, "--ttl", "10m"])
        .ok();
    out.stdout.trim().to_string()
}

/// One shape, end to end; returns its line of the report.
/// Tears a shape down when the suite fails half-way, so that a failed run on a real account leaves nothing
/// behind that it made.
struct TeardownOnFailure<'a> {
    target: &'a Target,
    file: String,
}

impl Drop for TeardownOnFailure<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let out = self.target.run(&["teardown", "--yes", "-f", &self.file]);
            eprintln!("the suite failed: `teardown` of {} exited {}", self.file, out.code);
        }
    }
}

fn one(target: &Target, shape: &Shape) -> String {
    let file = format!("{}.yaml", shape.name);
    std::fs::write(target.dir().join(&file), &shape.yaml).unwrap();
    let started = Instant::now();
    let _guard = TeardownOnFailure {
        target,
        file: file.clone(),
    };
    let deploy = json(&target.run(&["deploy", "--json", "-f", &file]).ok().stdout);
    let created = deploy["plan"]["summary"]["create"].as_u64().unwrap_or(0);
    let name = &shape.name;
    let gateway = target.gateway(&file);

    let probe = target.probe(&file, &gateway);
    assert_eq!(probe["behaves"], true, "{name}: {probe:#}");
    // The cases that need the stack's key were sent, not left unproven.
    let sent: Vec<&str> = probe["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["case"].as_str())
        .collect();
    for case in ["forged_signature", "expired", "other_issuer", "missing_scope", "through"] {
        assert!(sent.contains(&case), "{name}: no {case} request: {probe:#}");
    }

    // Tokens minted by jwtstack pass the gateway and `verify`; one without the route's scope does not.
    let t1 = token(target, &file, "parts.read");
    assert!(
        !matches!(target.send(&gateway, "/parts/a1", &t1), 401 | 403 | 0),
        "{name}: a valid token was refused"
    );
    target.run(&["verify", "-f", &file, &t1, "--route", "GET /parts/{id}"]).ok();
    let writer = token(target, &file, "parts.write");
    assert_eq!(target.send(&gateway, "/parts/a1", &writer), 403, "{name}");

    if shape.rotates {
        // A live token of the old key keeps working through the rotation; the new key's tokens work from
        // `activate` on. Timing rules are forced: the gateway is asked instead.
        target.run(&["rotate", "start", "-f", &file]).ok();
        // The gateway is asked whether it takes the next key: on the emulator `serve`, which reads the JWKS
        // again when it meets a kid it does not know, so the answer may be either; on AWS the deployed API.
        let mut args = vec!["rotate", "status", "--json", "-f", &file];
        if matches!(target, Target::Emulator(_)) {
            args.extend(["--endpoint", &gateway.endpoint]);
        }
        let status = json(&target.run(&args).ok().stdout);
        let live = &status["live_gateway"];
        assert!(
            live["evidence"].as_str().is_some_and(|e| e.contains(" got 40")),
            "{name}: {status:#}"
        );
        target.run(&["rotate", "activate", "--force", "-f", &file]).ok();
        let t2 = token(target, &file, "parts.read");
        let old = target.send(&gateway, "/parts/a2", &t1);
        assert!(
            !matches!(old, 401 | 403 | 0),
            "{name}: the old key's live token got {old} after activate"
        );
        let new = target.send_new_key(&gateway, "/parts/a2", &t2);
        assert!(
            !matches!(new, 401 | 403 | 0),
            "{name}: the new key's token got {new} after activate"
        );
        target.run(&["rotate", "finish", "--force", "-f", &file]).ok();
        assert!(
            !matches!(target.send(&gateway, "/parts/a3", &t2), 401 | 403 | 0),
            "{name}: after finish"
        );
        assert_eq!(target.probe(&file, &gateway)["behaves"], true, "{name}: after the rotation");
    }
    drop(gateway);

    target.run(&["teardown", "--yes", "-f", &file]).ok();
    let left = target.leftovers(name);
    assert!(left.is_empty(), "{name}: left after teardown: {left:?}");
    let hours = started.elapsed().as_secs_f64() / 3600.0;
    format!(
        "{name}: {created} resource(s) created{}, alive {:.3} h: {:.3} resource-hours; probe {} request(s), all as API Gateway must",
        if shape.kms { " (one a KMS key, now pending deletion)" } else { "" },
        hours,
        created as f64 * hours,
        probe["requests"].as_array().map_or(0, Vec::len)
    )
}

fn suite(target: &Target, prefix: &str) {
    let shapes = shapes(target, prefix);
    let mut report = Vec::new();
    for s in &shapes {
        report.push(one(target, s));
    }
    if let Some(id) = shapes
        .iter()
        .find(|s| s.name.ends_with("adopted"))
        .and_then(|s| s.yaml.split("id: ").nth(1))
        .and_then(|rest| rest.lines().next())
    {
        delete_api(target, id.trim());
    }
    let place = match target {
        Target::Emulator(_) => "the emulator, `serve` as the gateway".to_string(),
        Target::Aws { region, .. } => format!("AWS, {region}"),
    };
    eprintln!("acceptance on {place}:\n  {}", report.join("\n  "));
}

#[test]
fn on_the_emulator_with_serve_as_the_gateway() {
    suite(&Target::Emulator(common::Env::new()), "acc");
}

/// A real account: run only when asked (see the module's comment); without `JWTSTACK_ACCEPTANCE=aws` it fails
/// saying so rather than pass.
#[test]
#[ignore = "runs on a real AWS account: JWTSTACK_ACCEPTANCE=aws cargo test --test e2e acceptance::on_aws -- --ignored"]
fn on_aws() {
    assert_eq!(
        std::env::var("JWTSTACK_ACCEPTANCE").as_deref(),
        Ok("aws"),
        "set JWTSTACK_ACCEPTANCE=aws (and your AWS credentials and AWS_REGION) to run the suite on a real account"
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let conf = rt.block_on(aws_config::defaults(aws_config::BehaviorVersion::latest()).load());
    let region = conf.region().map(|r| r.to_string()).expect("AWS_REGION or a profile's region");
    let dir = tempfile::tempdir().unwrap();
    let prefix = format!("acc{:x}", rand::random::<u32>() & 0xffffff);
    suite(
        &Target::Aws {
            dir,
            rt,
            conf: Box::new(conf),
            region,
        },
        &prefix,
    );
}
