//! The issuer behind CloudFront (`issuer.cloudfront`): a private bucket, an origin access control, a distribution,
//! invalidations, a custom domain with its certificate and alias records, through the strict proxy (which makes a
//! distribution `InProgress` after each change, refuses to delete one that is not disabled and deployed, and keeps
//! OAC names unique).
//!
//! moto's CloudFront keeps state but serves nothing: the issuer check through the distribution's URL is skipped on
//! the emulator (deploy says so), and what is checked here is what AWS holds. moto drops an origin's OAC id; the
//! test support keeps it (`tests/support/moto_cloudfront.py`), so the origin's OAC is checked too.

use crate::common;

use common::{Env, Proxy, json};

const BUCKET: &str = "pantry-oidc-issuer";

fn stack(cloudfront: &str, extra: &str) -> String {
    format!(
        "name: pantry\nregion: us-east-1\nissuer:\n  bucket: {BUCKET}\n  cloudfront: {cloudfront}\nkey_id: pantry-k1\n{extra}\
         audience: [pantry-api]\napi:\n  name: pantry-api\nroutes:\n\
         \x20 - route: GET /items\n    scopes: [items.read]\n    integration:\n      http: https://example.com/items\n"
    )
}

/// `--stats`' count of one operation (`CloudFront:CreateInvalidation`), 0 when it was not called.
fn calls_of(stderr: &str, op: &str) -> u64 {
    stderr
        .lines()
        .map(str::trim)
        .find(|l| l.split_whitespace().next() == Some(op))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

#[test]
fn a_private_bucket_behind_cloudfront_deploys_converges_rotates_and_tears_down() {
    let env = Env::new();
    env.write_stack(&stack("true", ""));
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict", "--seed", "11"]);
    let p = &proxy.endpoint;

    let plan = env.run_via(p, &["plan"]).ok();
    assert!(
        plan.stdout.contains("+ cloudfront_origin_access_control jwtstack-pantry"),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("+ cloudfront_distribution"), "{}", plan.stdout);

    let deploy = env.run_via(p, &["deploy", "--stats"]).ok();
    assert!(deploy.stderr.contains("waiting for CloudFront distribution"), "{}", deploy.stderr);
    assert!(deploy.stderr.contains("issuer check through https://"), "{}", deploy.stderr);
    let outputs = json(&env.run_via(p, &["outputs", "--json"]).ok().stdout);
    let issuer = outputs["issuer"].as_str().unwrap().to_string();
    let dist_id = outputs["cloudfront_distribution"]["id"].as_str().unwrap().to_string();
    let domain = outputs["cloudfront_distribution"]["domain_name"].as_str().unwrap().to_string();
    assert_eq!(issuer, format!("https://{domain}"));
    assert!(domain.ends_with(".cloudfront.net"), "{domain}");

    // What AWS holds: a private bucket whose policy lets only this distribution read the documents.
    let sdk = env.sdk();
    let pab = env.block_on(sdk.s3.get_public_access_block().bucket(BUCKET).send()).unwrap();
    let pab = pab.public_access_block_configuration().unwrap();
    assert_eq!(
        (
            pab.block_public_acls(),
            pab.ignore_public_acls(),
            pab.block_public_policy(),
            pab.restrict_public_buckets()
        ),
        (Some(true), Some(true), Some(true), Some(true))
    );
    let dist = env.block_on(sdk.cloudfront.get_distribution().id(&dist_id).send()).unwrap();
    let dist = dist.distribution().unwrap();
    let policy = env.block_on(sdk.s3.get_bucket_policy().bucket(BUCKET).send()).unwrap();
    let policy = json(policy.policy().unwrap());
    let statements = policy["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 1, "{policy}");
    assert_eq!(statements[0]["Principal"]["Service"], "cloudfront.amazonaws.com");
    assert_eq!(statements[0]["Resource"], format!("arn:aws:s3:::{BUCKET}/.well-known/*"));
    assert_eq!(statements[0]["Condition"]["StringEquals"]["AWS:SourceArn"], dist.arn());
    let cfg = dist.distribution_config().unwrap();
    assert!(cfg.enabled());
    let origin = &cfg.origins().unwrap().items()[0];
    assert_eq!(origin.domain_name(), format!("{BUCKET}.s3.us-east-1.amazonaws.com"));
    let oacs = env.block_on(sdk.cloudfront.list_origin_access_controls().send()).unwrap();
    let oac = &oacs.origin_access_control_list().unwrap().items()[0];
    assert_eq!(oac.name(), "jwtstack-pantry");
    assert_eq!(oac.signing_behavior().as_str(), "always");
    assert_eq!(origin.origin_access_control_id(), Some(oac.id()));
    let behaviour = cfg.default_cache_behavior().unwrap();
    assert_eq!(behaviour.viewer_protocol_policy().as_str(), "redirect-to-https");
    assert_eq!(behaviour.cache_policy_id(), Some("658327ea-f89d-4fab-a63d-7e88639e58f6"));
    assert_eq!(cfg.price_class().unwrap().as_str(), "PriceClass_100");
    let tags = env
        .block_on(sdk.cloudfront.list_tags_for_resource().resource(dist.arn()).send())
        .unwrap();
    assert!(
        tags.tags()
            .unwrap()
            .items()
            .iter()
            .any(|t| t.key() == "jwtstack:stack" && t.value() == Some("pantry"))
    );
    let discovery = env
        .block_on(sdk.s3.get_object().bucket(BUCKET).key(".well-known/openid-configuration").send())
        .unwrap();
    let discovery = json(&String::from_utf8(env.block_on(discovery.body.collect()).unwrap().to_vec()).unwrap());
    assert_eq!(discovery["issuer"], issuer);
    assert_eq!(discovery["jwks_uri"], format!("{issuer}/.well-known/jwks.json"));

    // Converged: plan shows nothing, a second deploy writes nothing.
    env.run_via(p, &["plan", "--detailed-exitcode"]).code(0);
    let again = env.run_via(p, &["deploy", "--stats"]).ok();
    assert_eq!(again.writes(), 0, "{}", again.stderr);

    // Tokens carry the distribution's URL as their issuer.
    let minted = env
        .run_via(p, &["token", "--sub", "alice", "--scope", "items.read", "--stats"])
        .ok();
    // The distribution's record (the issuer URL), then the key: both counted.
    assert_eq!(calls_of(&minted.stderr, "SSM:GetParameter"), 2, "{}", minted.stderr);
    let token = minted.stdout;
    let verified = env.run_via(p, &["verify", token.trim(), "--route", "GET /items", "--json"]).ok();
    assert_eq!(json(&verified.stdout)["claims"]["iss"], issuer, "{}", verified.stdout);

    // A key change: the JWKS changes, CloudFront's copy is invalidated and waited for.
    env.write_stack(&stack("true", "next_key: pantry-k2\n"));
    let rotated = env.run_via(p, &["deploy", "--stats"]).ok();
    assert!(rotated.stderr.contains("+ cloudfront_invalidation"), "{}", rotated.stderr);
    assert_eq!(calls_of(&rotated.stderr, "CloudFront:CreateInvalidation"), 1, "{}", rotated.stderr);
    assert!(
        calls_of(&rotated.stderr, "CloudFront:GetInvalidation") >= 2,
        "waited: {}",
        rotated.stderr
    );
    let invalidations = env
        .block_on(sdk.cloudfront.list_invalidations().distribution_id(&dist_id).send())
        .unwrap();
    assert_eq!(invalidations.invalidation_list().unwrap().quantity(), 1);
    env.run_via(p, &["plan", "--detailed-exitcode"]).code(0);

    // A settings change updates the distribution in place.
    env.write_stack(&stack("{price_class: PriceClass_All}", "next_key: pantry-k2\n"));
    let changed = env.run_via(p, &["deploy"]).ok();
    assert!(
        changed.stderr.contains("price_class: PriceClass_100 -> PriceClass_All"),
        "{}",
        changed.stderr
    );
    env.run_via(p, &["plan", "--detailed-exitcode"]).code(0);

    // Teardown: disabled, deployed, deleted; then the OAC and the record. Nothing is left.
    let teardown = env.run_via(p, &["teardown", "--yes", "--stats"]).ok();
    assert!(teardown.stderr.contains("- cloudfront_distribution"), "{}", teardown.stderr);
    let left = env.block_on(sdk.cloudfront.list_distributions().send()).unwrap();
    assert_eq!(left.distribution_list().map(|l| l.quantity()).unwrap_or(0), 0);
    let oacs = env.block_on(sdk.cloudfront.list_origin_access_controls().send()).unwrap();
    assert!(oacs.origin_access_control_list().map(|l| l.items().is_empty()).unwrap_or(true));
    assert!(env.parameter("/jwtstack/pantry/distribution").is_none());
    assert!(env.block_on(sdk.s3.head_bucket().bucket(BUCKET).send()).is_err());

    let strict = proxy.stats()["strict"].clone();
    assert!(strict["cloudfront_in_progress"].as_u64().unwrap() >= 3, "{strict}");
    assert_eq!(strict["cloudfront_refused"], 0, "{strict}");
}

#[test]
fn without_waiting_deploy_says_what_it_did_not_check() {
    let env = Env::new();
    env.write_stack(&stack("true", ""));
    // The strict proxy answers InProgress after a change, as AWS does for minutes, and refuses an import whose
    // issuer is a distribution still deploying (API Gateway reads the issuer as it makes the authorizer).
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict", "--seed", "5"]);
    let p = &proxy.endpoint;
    // The first deploy makes the authorizer: it waits for the distribution whatever --no-wait says.
    let first = env.run_via(p, &["deploy", "--no-wait"]).ok();
    assert!(
        first.stderr.contains("--no-wait: this deploy makes or changes the authorizer"),
        "{}",
        first.stderr
    );
    assert!(first.stderr.contains("waiting for CloudFront distribution"), "{}", first.stderr);
    assert_eq!(proxy.stats()["strict"]["import_issuer_unreadable"], 0);
    // A change that leaves the authorizer alone (the price class) does not wait.
    env.write_stack(&stack("{price_class: PriceClass_200}", ""));
    let deploy = env.run_via(p, &["deploy", "--no-wait", "--stats"]).ok();
    assert!(
        deploy.stderr.contains("--no-wait: not waiting for CloudFront distribution"),
        "{}",
        deploy.stderr
    );
    assert!(deploy.stderr.contains("jwtstack check"), "{}", deploy.stderr);
    assert!(!deploy.stderr.contains("makes or changes the authorizer"), "{}", deploy.stderr);
    // The next deploy has nothing to do, and teardown still waits for the disabled distribution.
    env.run_via(p, &["plan", "--detailed-exitcode"]).code(0);
    let teardown = env.run_via(p, &["teardown", "--yes"]).ok();
    assert!(
        teardown.stderr.contains("waiting for CloudFront distribution"),
        "{}",
        teardown.stderr
    );
    assert_eq!(proxy.stats()["strict"]["cloudfront_refused"], 0);
}

#[test]
fn a_custom_domain_gets_its_certificate_checked_and_its_alias_records() {
    let env = Env::new();
    let sdk = env.sdk();
    let zone = env
        .block_on(sdk.route53.create_hosted_zone().name("example.com").caller_reference("t").send())
        .unwrap();
    let zone = zone.hosted_zone().unwrap().id().trim_start_matches("/hostedzone/").to_string();
    let custom = |cert: &str, zone: &str| {
        stack(
            &format!("\n    domain: auth.example.com\n    certificate_arn: {cert}\n    hosted_zone_id: {zone}"),
            "",
        )
    };

    // A certificate outside us-east-1: refused by validation, with its position.
    let elsewhere = env.certificate("eu-west-1", "auth.example.com", "import");
    env.write_stack(&custom(&elsewhere, &zone));
    let refused = env.run(&["deploy"]).code(65);
    assert!(refused.stderr.contains("stack.yaml:7:22"), "{}", refused.stderr);
    assert!(refused.stderr.contains("not in us-east-1"), "{}", refused.stderr);

    // A certificate not issued yet: found before any change.
    let pending = env.certificate("us-east-1", "auth.example.com", "request");
    env.write_stack(&custom(&pending, &zone));
    let refused = env.run(&["deploy", "--stats"]).code(1);
    assert!(refused.stderr.contains("its status is PENDING_VALIDATION"), "{}", refused.stderr);
    assert_eq!(refused.writes(), 0, "{}", refused.stderr);

    // An issued one: the distribution serves the domain, and the zone points the domain at it.
    let issued = env.certificate("us-east-1", "auth.example.com", "import");
    env.write_stack(&custom(&issued, &zone));
    env.run(&["deploy"]).ok();
    let outputs = json(&env.run(&["outputs", "--json"]).ok().stdout);
    assert_eq!(outputs["issuer"], "https://auth.example.com");
    let domain = outputs["cloudfront_distribution"]["domain_name"].as_str().unwrap().to_string();
    let dist = env
        .block_on(
            sdk.cloudfront
                .get_distribution()
                .id(outputs["cloudfront_distribution"]["id"].as_str().unwrap())
                .send(),
        )
        .unwrap();
    let cfg = dist.distribution().unwrap().distribution_config().unwrap();
    assert_eq!(cfg.aliases().unwrap().items(), ["auth.example.com"]);
    assert_eq!(cfg.viewer_certificate().unwrap().acm_certificate_arn(), Some(issued.as_str()));
    let aliases = env.alias_records(&zone);
    assert!(aliases.contains(&("A".into(), domain.clone())), "{aliases:?}");
    assert!(aliases.contains(&("AAAA".into(), domain.clone())), "{aliases:?}");
    let again = env.run(&["deploy", "--stats"]).ok();
    assert_eq!(again.writes(), 0, "{}", again.stderr);

    env.run(&["teardown", "--yes"]).ok();
    let records = env
        .block_on(sdk.route53.list_resource_record_sets().hosted_zone_id(&zone).send())
        .unwrap();
    assert!(
        records.resource_record_sets().iter().all(|r| r.alias_target().is_none()),
        "alias records left"
    );
}

fn named(name: &str) -> (String, String) {
    let bucket = format!("{name}-issuer-bucket");
    let yaml = stack("true", "")
        .replace("name: pantry\n", &format!("name: {name}\n"))
        .replace(BUCKET, &bucket)
        .replace("pantry-api", &format!("{name}-api"));
    (yaml, bucket)
}

/// The distributions whose comment names the stack.
fn distributions_of(env: &Env, name: &str) -> Vec<String> {
    let sdk = env.sdk();
    let list = env.block_on(sdk.cloudfront.list_distributions().send()).unwrap();
    let comment = format!("jwtstack:stack={name} issuer documents");
    list.distribution_list()
        .map(|l| {
            l.items()
                .iter()
                .filter(|d| d.comment() == comment)
                .map(|d| d.id().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn oacs_of(env: &Env, name: &str) -> usize {
    let sdk = env.sdk();
    let list = env.block_on(sdk.cloudfront.list_origin_access_controls().send()).unwrap();
    let wanted = format!("jwtstack-{name}");
    list.origin_access_control_list()
        .map(|l| l.items().iter().filter(|o| o.name() == wanted).count())
        .unwrap_or(0)
}

/// Converged: nothing to plan, one distribution and one OAC, the distribution recorded.
#[track_caller]
fn assert_converged(env: &Env, name: &str, file: &str) {
    let plan = env.run(&["plan", "--detailed-exitcode", "-f", file]);
    assert_eq!(
        plan.code, 0,
        "{name}: plan after recovery is not empty:\n{}\n{}",
        plan.stdout, plan.stderr
    );
    let dists = distributions_of(env, name);
    assert_eq!(dists.len(), 1, "{name}: distributions {dists:?}");
    assert_eq!(oacs_of(env, name), 1, "{name}: origin access controls");
    let record = env
        .parameter(&format!("/jwtstack/{name}/distribution"))
        .expect("the distribution is recorded");
    assert!(record.value().unwrap().contains(&dists[0]), "{name}: {record:?}");
}

#[track_caller]
fn assert_gone(env: &Env, name: &str, bucket: &str) {
    assert!(distributions_of(env, name).is_empty(), "{name}: distribution left");
    assert_eq!(oacs_of(env, name), 0, "{name}: origin access control left");
    let sdk = env.sdk();
    assert!(
        env.block_on(sdk.s3.head_bucket().bucket(bucket).send()).is_err(),
        "{name}: bucket left"
    );
    let params = env.stack_parameters(name);
    assert!(params.is_empty(), "{name}: parameters left: {params:?}");
}

/// Runs the command until it succeeds; every failed run must be a clean exit 1.
pub(crate) fn until_success(env: &Env, endpoint: &str, args: &[&str]) -> u32 {
    for run in 1..=12 {
        let out = env.run_via(endpoint, args);
        match out.code {
            0 => return run,
            1 => {}
            code => panic!("{args:?} exited {code}:\n{}\n{}", out.stdout, out.stderr),
        }
    }
    panic!("{args:?} did not succeed in 12 runs");
}

#[test]
fn injected_faults_over_many_seeds_end_in_the_desired_state() {
    let env = Env::new();
    let mut runs = 0;
    for seed in 0..6 {
        let name = format!("cffault{seed}");
        let (yaml, bucket) = named(&name);
        let file = format!("{name}.yaml");
        std::fs::write(env.path().join(&file), yaml).unwrap();
        let proxy = Proxy::start(
            &env.moto.endpoint,
            &["--strict", "--seed", &seed.to_string(), "--fault-rate", "0.2"],
        );
        runs += until_success(&env, &proxy.endpoint, &["deploy", "-f", &file]);
        assert_converged(&env, &name, &file);
        runs += until_success(&env, &proxy.endpoint, &["deploy", "-f", &file]);
        assert_converged(&env, &name, &file);
        runs += until_success(&env, &proxy.endpoint, &["teardown", "--yes", "-f", &file]);
        assert_gone(&env, &name, &bucket);
        let stats = proxy.stats();
        let faults: u64 = stats["faults"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
        assert!(faults > 0, "{stats}");
    }
    eprintln!("cloudfront under faults: 6 seeds, {runs} runs");
}

#[test]
fn deploy_and_teardown_killed_at_any_point_recover_on_the_next_run() {
    let env = Env::new();
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict", "--latency-ms", "25"]);
    let mut killed = (0, 0);
    for i in 0..10u64 {
        let ms = 60 + i * 110;
        let name = format!("cfkill{i}");
        let (yaml, bucket) = named(&name);
        let file = format!("{name}.yaml");
        std::fs::write(env.path().join(&file), yaml).unwrap();
        killed.0 += common::kill_after(&env, &proxy.endpoint, &["deploy", "-f", &file], ms) as u32;
        env.run_via(&proxy.endpoint, &["deploy", "-f", &file]).ok();
        assert_converged(&env, &name, &file);

        killed.1 += common::kill_after(&env, &proxy.endpoint, &["teardown", "--yes", "-f", &file], ms / 2) as u32;
        env.run_via(&proxy.endpoint, &["teardown", "--yes", "-f", &file]).ok();
        assert_gone(&env, &name, &bucket);
    }
    eprintln!(
        "cloudfront kill points: 10 deploys (killed mid-run: {}), 10 teardowns (killed mid-run: {})",
        killed.0, killed.1
    );
    assert!(killed.0 >= 5 && killed.1 >= 3, "{killed:?}");
}
