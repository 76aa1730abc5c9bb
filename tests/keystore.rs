//! Where the keys live (`key_store`): a KMS stack end to end through the strict proxy (the JWKS is KMS's
//! public key, tokens verify in PyJWT and jose, no private key in SSM, rotation with live tokens, teardown
//! schedules deletion), a switch from SSM to KMS by rotation, and an SSM stack whose `plan`, `status` and
//! `outputs` run with a role that may not decrypt (tests/support/aws_proxy.py --deny-decrypt).

use crate::common;
use crate::interop::{jose, pyjwt, success};

use std::time::{SystemTime, UNIX_EPOCH};

use common::{Env, Output, Proxy, json, stack_yaml};

const BUCKET: &str = "keystore-issuer-test";
const ISSUER: &str = "https://keystore-issuer-test.s3.us-east-1.amazonaws.com";
const CACHE: u64 = 2 * 3600;
const TTL: u64 = 3600;

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn kms_stack() -> String {
    stack_yaml("vault", BUCKET, "name: vault-api", None).replace("key_id: vault-k1\n", "key_id: vault-k1\nkey_store: kms\n")
}

fn published_jwks(env: &Env) -> serde_json::Value {
    let sdk = env.sdk();
    let out = env
        .block_on(sdk.s3.get_object().bucket(BUCKET).key(".well-known/jwks.json").send())
        .unwrap();
    json(std::str::from_utf8(&env.block_on(out.body.collect()).unwrap().into_bytes()).unwrap())
}

/// The KMS key an alias names, with its state.
fn kms_key(env: &Env, alias: &str) -> Option<(String, String)> {
    let sdk = env.sdk();
    let out = env.block_on(sdk.kms.describe_key().key_id(alias).send()).ok()?;
    let meta = out.key_metadata()?;
    Some((meta.key_id().to_string(), meta.key_state()?.as_str().to_string()))
}

/// The public JWK members (n, e) of a KMS key, from GetPublicKey, as jwtstack's library reads them.
fn kms_public(env: &Env, key_id: &str, kid: &str) -> jwtstack::crypto::keys::Jwk {
    let sdk = env.sdk();
    let out = env.block_on(sdk.kms.get_public_key().key_id(key_id).send()).unwrap();
    jwtstack::crypto::keys::Jwk::from_spki_der(kid, out.public_key().unwrap().as_ref())
        .unwrap()
        .0
}

fn at(env: &Env, endpoint: &str, at: u64, args: &[&str]) -> Output {
    Output::from(
        env.cmd_via(endpoint)
            .env("JWTSTACK_NOW", at.to_string())
            .args(args)
            .output()
            .unwrap(),
    )
}

fn verify(env: &Env, endpoint: &str, token: &str) -> serde_json::Value {
    json(
        &env.run_via(endpoint, &["verify", token, "--route", "GET /lists", "--json"])
            .code(0)
            .stdout,
    )
}

#[test]
fn a_kms_stack_signs_in_kms_rotates_with_live_tokens_and_schedules_deletion_at_teardown() {
    let env = Env::new();
    env.write_stack(&kms_stack());
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict", "--seed", "3"]);
    let p = proxy.endpoint.as_str();

    let deploy = env.run_via(p, &["deploy", "--max-rps", "0"]).ok();
    assert!(
        deploy.stderr.contains("+ kms_key alias/jwtstack/vault/vault-k1"),
        "{}",
        deploy.stderr
    );
    env.run_via(p, &["plan", "--detailed-exitcode"]).code(0);
    let again = env.run_via(p, &["deploy", "--stats"]).ok();
    assert_eq!(again.writes(), 0, "{}", again.stderr);

    // The key is in KMS and nowhere else: no SSM key parameter, no public record; the JWKS is KMS's public key.
    let (k1, state) = kms_key(&env, "alias/jwtstack/vault/vault-k1").unwrap();
    assert_eq!(state, "Enabled");
    assert!(env.parameter("/jwtstack/vault/keys/vault-k1").is_none());
    assert!(env.parameter("/jwtstack/vault/public-keys/vault-k1").is_none());
    let jwks = published_jwks(&env);
    let published: jwtstack::crypto::keys::Jwk = serde_json::from_value(jwks["keys"][0].clone()).unwrap();
    assert_eq!(published, kms_public(&env, &k1, "vault-k1"));

    // A token signed by kms:Sign passes jwtstack's verifier, PyJWT and jose.
    let token = env
        .run_via(p, &["token", "--sub", "alice", "--scope", "lists.read", "--ttl", "1h"])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert_eq!(verify(&env, p, &token)["kid"], "vault-k1");
    let jwks_file = env.path().join("jwks.json");
    std::fs::write(&jwks_file, jwks.to_string()).unwrap();
    let jwks_file = jwks_file.display().to_string();
    for out in [
        pyjwt(&["verify", &token, &jwks_file, ISSUER, "vault-api"]),
        jose(&["verify", &token, &jwks_file, ISSUER, "vault-api"]),
    ] {
        let claims = json(&success(out));
        assert_eq!(claims["sub"], "alice");
    }
    // A token whose signing input is over KMS's 4,096-byte RAW limit is signed by digest, and verifies; the
    // strict proxy refuses a RAW message that long, as KMS does (the emulator signs a DIGEST as KMS does:
    // tests/support/moto_kms.py).
    let big = "x".repeat(4200);
    let signed = env
        .run_via(
            p,
            &[
                "token",
                "--sub",
                "alice",
                "--scope",
                "lists.read",
                "--claim",
                &format!("note={big}"),
            ],
        )
        .ok();
    let big_token = signed.stdout.trim();
    assert!(big_token.len() > 5600, "{}", big_token.len());
    let checked = env.run_via(p, &["verify", big_token, "--route", "GET /lists/1"]).ok();
    assert!(checked.stdout.contains("ALLOWED"), "{}", checked.stdout);
    assert_eq!(proxy.stats()["strict"]["kms_raw_too_long"], serde_json::Value::Null);

    let status = json(&env.run_via(p, &["status", "--json"]).ok().stdout);
    assert_eq!(status["keys"][0]["store"], "kms");

    // Rotation: each step's plan is the key change only, and the first token verifies at every step.
    let t0 = now();
    at(&env, p, t0, &["rotate", "start", "--kid", "vault-k2"]).ok();
    let (k2, _) = kms_key(&env, "alias/jwtstack/vault/vault-k2").unwrap();
    assert_ne!(k1, k2);
    assert_eq!(verify(&env, p, &token)["kid"], "vault-k1");
    let t_act = t0 + CACHE + 5;
    at(&env, p, t_act, &["rotate", "activate"]).ok();
    assert_eq!(verify(&env, p, &token)["kid"], "vault-k1");
    let new_token = env.run_via(p, &["token", "--sub", "bob", "--scope", "lists.read"]).ok().stdout;
    assert_eq!(verify(&env, p, new_token.trim())["kid"], "vault-k2");
    at(&env, p, t_act + TTL + CACHE + 1, &["rotate", "finish"]).ok();
    assert_eq!(verify(&env, p, new_token.trim())["kid"], "vault-k2");
    // Retired, the old KMS key stays enabled until deleted on purpose; `keys delete` schedules its deletion.
    assert_eq!(kms_key(&env, "alias/jwtstack/vault/vault-k1").unwrap().1, "Enabled");
    let deleted = env.run_via(p, &["keys", "delete", "vault-k1", "--yes"]).ok();
    assert!(deleted.stdout.contains("cancel-key-deletion"), "{}", deleted.stdout);
    assert!(kms_key(&env, "alias/jwtstack/vault/vault-k1").is_none(), "the alias is removed");
    assert_eq!(kms_key(&env, &k1).unwrap().1, "PendingDeletion");
    env.run_via(p, &["plan", "--detailed-exitcode"]).code(0);

    // Teardown schedules the signing key's deletion too, and says how to undo it.
    let down = env.run_via(p, &["teardown", "--yes"]).ok();
    assert!(down.stderr.contains("cancel-key-deletion"), "{}", down.stderr);
    assert_eq!(kms_key(&env, &k2).unwrap().1, "PendingDeletion");
    assert!(kms_key(&env, "alias/jwtstack/vault/vault-k2").is_none());
    env.run_via(p, &["plan", "--detailed-exitcode"]).code(2);
}

#[test]
fn a_stack_moves_from_ssm_to_kms_by_rotation_and_a_direct_switch_is_refused() {
    let env = Env::new();
    let ssm = stack_yaml("vault", BUCKET, "name: vault-api", None);
    env.write_stack(&ssm);
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict", "--seed", "4"]);
    let p = proxy.endpoint.as_str();
    env.run_via(p, &["deploy"]).ok();
    let token = env.run_via(p, &["token", "--sub", "alice", "--scope", "lists.read"]).ok().stdout;
    let token = token.trim();

    // key_store changed alone: refused before any change, with the way to do it.
    env.write_stack(&kms_stack());
    let refused = env.run_via(p, &["deploy", "--stats"]).code(1);
    assert!(
        refused.stderr.contains("key `vault-k1` is in ssm, but key_store is kms") && refused.stderr.contains("rotate start"),
        "{}",
        refused.stderr
    );
    assert_eq!(refused.writes(), 0);

    let t0 = now();
    at(&env, p, t0, &["rotate", "start", "--kid", "vault-k2"]).ok();
    assert!(kms_key(&env, "alias/jwtstack/vault/vault-k2").is_some());
    assert!(env.parameter("/jwtstack/vault/keys/vault-k2").is_none());
    // Until activate, the SSM key signs.
    let during = env.run_via(p, &["token", "--sub", "bob", "--scope", "lists.read"]).ok().stdout;
    assert_eq!(verify(&env, p, during.trim())["kid"], "vault-k1");
    let t_act = t0 + CACHE + 5;
    at(&env, p, t_act, &["rotate", "activate"]).ok();
    let after = env.run_via(p, &["token", "--sub", "carol", "--scope", "lists.read"]).ok().stdout;
    assert_eq!(verify(&env, p, after.trim())["kid"], "vault-k2");
    assert_eq!(verify(&env, p, token)["kid"], "vault-k1");
    let status = json(&env.run_via(p, &["status", "--json"]).ok().stdout);
    let stores: Vec<(&str, &str)> = status["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["kid"].as_str().unwrap(), k["store"].as_str().unwrap()))
        .collect();
    assert_eq!(stores, [("vault-k2", "kms"), ("vault-k1", "ssm")]);
    env.run_via(p, &["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn plan_status_and_outputs_never_decrypt_a_key_and_an_older_key_gets_its_public_half_recorded_once() {
    let env = Env::new();
    env.write_stack(&stack_yaml("vault", BUCKET, "name: vault-api", None));
    env.run(&["deploy"]).ok();
    let record = "/jwtstack/vault/public-keys/vault-k1";
    assert!(env.parameter(record).is_some());

    // A role without kms:Decrypt reads everything it needs; only `token` needs the private key.
    let no_decrypt = Proxy::start(&env.moto.endpoint, &["--deny-decrypt"]);
    let p = no_decrypt.endpoint.as_str();
    env.run_via(p, &["plan", "--detailed-exitcode"]).code(0);
    env.run_via(p, &["status"]).ok();
    env.run_via(p, &["outputs"]).ok();
    assert_eq!(no_decrypt.stats()["decrypt_refused"], 0);
    let denied = env.run_via(p, &["token", "--sub", "alice", "--scope", "lists.read"]).code(1);
    assert!(denied.stderr.contains("kms:Decrypt"), "{}", denied.stderr);
    assert_eq!(no_decrypt.stats()["decrypt_refused"], 1);

    // A key stored before public halves were recorded: `plan` shows the record it lacks (still without
    // decrypting), one deploy writes it, and the JWKS is unchanged.
    let jwks = published_jwks(&env);
    let sdk = env.sdk();
    env.block_on(sdk.ssm.delete_parameter().name(record).send()).unwrap();
    let plan = json(&env.run_via(p, &["plan", "--json"]).ok().stdout);
    let changes: Vec<String> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {} {}",
                c["action"].as_str().unwrap(),
                c["resource"].as_str().unwrap(),
                c["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(changes, [format!("create ssm_parameter {record}")]);
    assert_eq!(no_decrypt.stats()["decrypt_refused"], 1);
    env.run(&["deploy"]).ok();
    assert!(env.parameter(record).is_some());
    assert_eq!(published_jwks(&env), jwks);
    env.run_via(p, &["plan", "--detailed-exitcode"]).code(0);
}

/// Nothing of the stack was made: no bucket, and no parameter under its name but `planted`.
fn untouched(env: &Env, stack: &str, planted: &[&str]) -> bool {
    let bucket = env.block_on(env.sdk().s3.head_bucket().bucket(BUCKET).send()).is_err();
    let parameters = env.stack_parameters(stack);
    bucket && parameters.iter().all(|p| planted.contains(&p.as_str()))
}

#[test]
fn a_kms_key_under_the_stacks_alias_that_jwtstack_did_not_make_is_refused_and_never_deleted() {
    use aws_sdk_kms::types::{KeySpec, KeyUsageType, Tag};
    let env = Env::new();
    env.write_stack(&kms_stack());
    let sdk = env.sdk();
    let alias = "alias/jwtstack/vault/vault-k1";
    for (usage, spec, tag) in [
        (KeyUsageType::SignVerify, KeySpec::Rsa4096, None),
        (KeyUsageType::EncryptDecrypt, KeySpec::Rsa2048, Some("vault")),
        (KeyUsageType::SignVerify, KeySpec::Rsa2048, Some("another-stack")),
    ] {
        let mut create = sdk.kms.create_key().key_usage(usage.clone()).key_spec(spec);
        if let Some(stack) = tag {
            create = create.tags(Tag::builder().tag_key("jwtstack:stack").tag_value(stack).build().unwrap());
        }
        let key = env.block_on(create.send()).unwrap();
        let key_id = key.key_metadata().unwrap().key_id().to_string();
        env.block_on(sdk.kms.create_alias().alias_name(alias).target_key_id(&key_id).send())
            .unwrap();

        for command in [&["deploy"][..], &["plan"], &["teardown", "--yes"]] {
            let out = env.run(command).code(1);
            assert!(
                out.stderr.contains(&format!(
                    "{alias} names KMS key {key_id}, which jwtstack did not make for stack `vault`"
                )),
                "{command:?} ({usage:?}): {}",
                out.stderr
            );
            assert!(out.stderr.contains("aws kms delete-alias --alias-name"), "{}", out.stderr);
        }
        assert!(untouched(&env, "vault", &[]), "a change was made");
        assert_eq!(kms_key(&env, alias).map(|(_, state)| state).as_deref(), Some("Enabled"));
        env.block_on(sdk.kms.delete_alias().alias_name(alias).send()).unwrap();
    }
}

#[test]
fn an_ssm_key_parameter_that_jwtstack_did_not_make_is_refused_and_never_deleted() {
    use aws_sdk_ssm::types::ParameterType;
    let env = Env::new();
    env.write_stack(&stack_yaml("planted", BUCKET, "name: planted-api", None));
    let sdk = env.sdk();
    let parameter = "/jwtstack/planted/keys/planted-k1";
    let pem = jwtstack::crypto::keys::SigningKey::generate("planted-k1", 2048)
        .unwrap()
        .to_pem()
        .unwrap();
    env.block_on(
        sdk.ssm
            .put_parameter()
            .name(parameter)
            .r#type(ParameterType::SecureString)
            .value(pem.as_str())
            .send(),
    )
    .unwrap();
    for command in [&["deploy"][..], &["plan"], &["teardown", "--yes"]] {
        let out = env.run(command).code(1);
        assert!(
            out.stderr.contains(&format!(
                "{parameter} is not a key jwtstack made for stack `planted` (no tag jwtstack:stack=planted)"
            )),
            "{command:?}: {}",
            out.stderr
        );
    }
    assert!(untouched(&env, "planted", &[parameter]), "a change was made");
    assert!(env.parameter(parameter).is_some(), "the planted parameter was deleted");
    // Tagged for the stack, but not a SecureString: not what jwtstack makes either.
    env.block_on(sdk.ssm.delete_parameter().name(parameter).send()).unwrap();
    env.block_on(
        sdk.ssm
            .put_parameter()
            .name(parameter)
            .r#type(ParameterType::String)
            .value(pem.as_str())
            .tags(
                aws_sdk_ssm::types::Tag::builder()
                    .key("jwtstack:stack")
                    .value("planted")
                    .build()
                    .unwrap(),
            )
            .send(),
    )
    .unwrap();
    let out = env.run(&["plan"]).code(1);
    assert!(out.stderr.contains("(not a SecureString)"), "{}", out.stderr);
    assert!(untouched(&env, "planted", &[parameter]), "a change was made");
    // A key jwtstack made (tagged in the call that created it) deploys and tears down as before.
    env.block_on(sdk.ssm.delete_parameter().name(parameter).send()).unwrap();
    env.run(&["deploy"]).ok();
    env.run(&["plan", "--detailed-exitcode"]).ok();
    env.run(&["teardown", "--yes"]).ok();
}
