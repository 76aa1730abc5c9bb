//! Keys: created once and never replaced, published and retired by rotation, recorded in the key timeline, in
//! SSM or KMS.

use super::*;

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
    let kinds: Vec<&str> = p.steps.iter().map(|st| st.lines()[0].resource).collect();
    assert_eq!(kinds, ["ssm_parameter", "s3_object", "jwks_key"]);
    assert!(matches!(&p.steps[0], Step::Key(KeyStep::Create { kid, .. }) if kid == "k2"));
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
    let jwks: Jwks = serde_json::from_slice(&inv.documents[".well-known/jwks.json"].body).unwrap();
    assert_eq!(jwks.keys.iter().map(|k| k.kid.as_str()).collect::<Vec<_>>(), ["k1", "k2"]);
    assert!(plan(&started, &inv).unwrap().is_empty());

    // activate: k2 signs; k1 stays published; no key is created or deleted.
    let active = stack(&STACK.replace("key_id: k1\n", "key_id: k2\nprevious_keys: [k1]\n"));
    let p = plan(&active, &inv).unwrap();
    assert_eq!(key_lines(&p), ["~ signing_key k1 -> k2"]);
    assert!(
        !p.steps
            .iter()
            .any(|s| matches!(s, Step::Key(KeyStep::Create { .. }) | Step::Key(KeyStep::Delete { .. })))
    );
    simulate(&active, &mut inv, &p);
    assert!(plan(&active, &inv).unwrap().is_empty());
    let t = inv.keys.timeline.clone().unwrap();
    assert_eq!(t.signing.as_deref(), Some("k2"));
    assert!(t.keys["k1"].signing_until.is_some() && t.keys["k2"].signing_until.is_none());

    // finish: k1 unpublished, its private key kept.
    let done = stack(&STACK.replace("key_id: k1\n", "key_id: k2\n"));
    let p = plan(&done, &inv).unwrap();
    assert_eq!(key_lines(&p), ["- jwks_key k1"]);
    assert!(!p.steps.iter().any(|s| matches!(s, Step::Key(KeyStep::Delete { .. }))));
    simulate(&done, &mut inv, &p);
    assert!(inv.keys.stored.contains_key("k1"));
    let t = inv.keys.timeline.clone().unwrap();
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
    inv.keys.timeline = None;
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
fn existing_key_is_never_recreated_and_an_unreadable_one_stops_the_plan() {
    let s = stack(STACK);
    let mut inv = deployed(&s);
    assert!(
        !plan(&s, &inv)
            .unwrap()
            .steps
            .iter()
            .any(|st| matches!(st, Step::Key(KeyStep::Create { .. })))
    );
    inv.keys.stored.get_mut("k1").unwrap().public = None;
    assert!(matches!(plan(&s, &inv), Err(Conflict::UnreadableKey { .. })));
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
    assert!(t.keys.contains_key(kid(12).as_str()) && t.keys.contains_key(kid(11).as_str()) && !t.keys.contains_key(kid(0).as_str()));
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
        inv.keys.stored.insert(
            k.as_str().into(),
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
        Step::Key(KeyStep::Create {
            kid: "k1".into(),
            home: KeyHome::Kms {
                alias: "alias/jwtstack/grocery/k1".into(),
                key_id: None
            },
            bits: 2048
        })
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
    let t = plan_teardown(&s, &inv, false).unwrap();
    let delete = t.steps.iter().find(|st| matches!(st, Step::Key(KeyStep::Delete { .. }))).unwrap();
    assert!(matches!(
        delete,
        Step::Key(KeyStep::Delete {
            home: KeyHome::Kms { key_id: Some(_), .. },
            ..
        })
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
    inv.keys.stored.get_mut("k1").unwrap().deletion = Some(1_900_000_000);
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
        Step::Key(KeyStep::Create { kid, home: KeyHome::Kms { .. }, .. }) if kid == "k2"
    )));
    let mut after = inv.clone();
    simulate(&started, &mut after, &p);
    // Activated: k2 (KMS) signs, k1 (SSM) stays published as a previous key.
    let activated = stack(&STACK.replace("key_id: k1\n", "key_id: k2\nprevious_keys: [k1]\nkey_store: kms\n"));
    let p = plan(&activated, &after).unwrap();
    assert!(
        !p.steps.iter().any(|st| matches!(st, Step::Key(KeyStep::Create { .. }))),
        "{:?}",
        lines(&p)
    );
}

#[test]
fn plan_reads_no_private_key_and_deploy_records_the_public_half_once() {
    let s = stack(STACK);
    let mut inv = deployed(&s);
    // A key stored before public halves were recorded: `plan` knows it only by the published JWKS.
    let k = inv.keys.stored.get_mut("k1").unwrap();
    let (public, home) = (k.public.take().unwrap(), k.home.clone());
    k.recorded = false;
    let p = plan(&s, &inv).unwrap();
    let KeyHome::Ssm { record, .. } = &home else { panic!() };
    assert_eq!(
        p.steps,
        [Step::Key(KeyStep::RecordPublicHalf {
            kid: "k1".into(),
            record: record.clone(),
            jwk: public.clone()
        })]
    );
    assert_eq!(lines(&p)[0], "  + ssm_parameter /jwtstack/grocery/public-keys/k1");
    // Without the JWKS either, plan says what to do instead of guessing.
    let mut bare = inv.clone();
    bare.documents.clear();
    match plan(&s, &bare) {
        Err(e @ Conflict::PublicKeyNotRecorded { .. }) => assert!(e.to_string().contains("run `jwtstack deploy` once"), "{e}"),
        other => panic!("{other:?}"),
    }
    // Deploy derives it from the key, records it, and the next plan is empty.
    inv.keys.stored.get_mut("k1").unwrap().public = Some(public);
    let p = plan(&s, &inv).unwrap();
    simulate(&s, &mut inv, &p);
    assert!(plan(&s, &inv).unwrap().is_empty());
}
