//! The planner with `issuer.cloudfront`: a private bucket behind a distribution the stack owns.

use super::*;

const CF_STACK: &str = r#"name: pantry
region: eu-west-1
issuer: {bucket: pantry-oidc-issuer, cloudfront: true}
key_id: k1
audience: [pantry-api]
api: {name: pantry-api}
routes:
  - route: GET /items
    scopes: [items.read]
    integration: {http: "https://example.com/items"}
"#;

fn cf_empty() -> Inventory {
    Inventory {
        region: "eu-west-1".into(),
        ..Inventory::default()
    }
}

/// What `converge` does: the distribution first when the plan creates it, then the rest planned again with
/// the stack's issuer named after it. Returns both plans.
fn deploy(s: &Stack, inv: &mut Inventory) -> (Plan, Plan) {
    let first = plan(&crate::plan::resolve(s, inv), inv).unwrap();
    let front = match first
        .steps
        .iter()
        .position(|s| matches!(s, Step::Distribution(DistributionStep::Create { .. })))
    {
        Some(n) => Plan {
            steps: first.steps[..=n].to_vec(),
            ..first.clone()
        },
        None => Plan::default(),
    };
    simulate(s, inv, &front);
    let resolved = crate::plan::resolve(s, inv);
    let rest = plan(&resolved, inv).unwrap();
    simulate(&resolved, inv, &rest);
    (front, rest)
}

fn policy(inv: &Inventory) -> serde_json::Value {
    serde_json::from_str(inv.bucket.found.as_ref().unwrap().policy.as_deref().unwrap()).unwrap()
}

fn resources(p: &Plan) -> Vec<&'static str> {
    p.steps.iter().flat_map(KindStep::lines).map(|c| c.resource).collect()
}

#[test]
fn first_deploy_creates_the_distribution_first_then_names_it_everywhere() {
    let s = stack(CF_STACK);
    // `plan` before anything exists: the whole plan, with the distribution's name still unknown.
    let shown = plan(&s, &cf_empty()).unwrap();
    let text = render_text(&shown, false);
    assert!(text.contains("+ cloudfront_origin_access_control jwtstack-pantry"), "{text}");
    assert!(text.contains("+ cloudfront_distribution"), "{text}");
    assert!(text.contains("(new distribution)"), "{text}");

    let mut inv = cf_empty();
    let (front, rest) = deploy(&s, &mut inv);
    assert_eq!(
        resources(&front),
        [
            "ssm_parameter",
            "s3_bucket",
            "s3_public_access_block",
            "cloudfront_origin_access_control",
            "cloudfront_distribution"
        ]
    );
    // Block Public Access fully on: the bucket stays private.
    let pab = inv.bucket.found.as_ref().unwrap().public_access_block.unwrap();
    assert!(pab.block_public_acls && pab.ignore_public_acls && pab.block_public_policy && pab.restrict_public_buckets);
    let d = inv.distribution.found.clone().unwrap();
    assert_eq!(d.settings.origin_domain, "pantry-oidc-issuer.s3.eu-west-1.amazonaws.com");
    assert_eq!(
        d.settings.origin_access_control_id,
        inv.distribution.origin_access_control.as_ref().map(|o| o.id.to_string())
    );
    assert_eq!(d.settings.viewer_protocol_policy, "redirect-to-https");
    assert_eq!(d.settings.price_class, "PriceClass_100");
    assert_eq!(d.settings.cache_policy_id, CACHING_OPTIMIZED);
    assert!(d.settings.aliases.is_empty() && d.settings.certificate_arn.is_none());

    // The rest: the policy names the distribution, the documents its URL, then the wait, then the API.
    let issuer = format!("https://{}", d.domain_name);
    let p = policy(&inv);
    let statements = p["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 1, "no public statement: {p}");
    let st = &statements[0];
    assert_eq!(st["Principal"]["Service"], "cloudfront.amazonaws.com");
    assert_eq!(st["Action"], "s3:GetObject");
    assert_eq!(st["Resource"], "arn:aws:s3:::pantry-oidc-issuer/.well-known/*");
    assert_eq!(st["Condition"]["StringEquals"]["AWS:SourceArn"], d.arn);
    let discovery: serde_json::Value = serde_json::from_slice(&inv.documents[".well-known/openid-configuration"].body).unwrap();
    assert_eq!(discovery["issuer"], issuer);
    assert_eq!(discovery["jwks_uri"], format!("{issuer}/.well-known/jwks.json"));
    assert_eq!(inv.authorizer.as_ref().unwrap().issuer, issuer);
    let wait = rest
        .steps
        .iter()
        .position(|s| matches!(s, Step::Distribution(DistributionStep::Await { check_issuer: true, .. })));
    let import = rest.steps.iter().position(|s| matches!(s, Step::Api(ApiStep::Import { .. })));
    let documents = rest
        .steps
        .iter()
        .rposition(|s| matches!(s, Step::Document(DocumentStep::Put { .. })));
    assert!(documents < wait && wait < import, "documents, wait, then the API: {:?}", rest.steps);
    assert!(!render_text(&rest, false).contains("(new distribution)"));

    // Converged: nothing more to do.
    let again = plan(&crate::plan::resolve(&s, &inv), &inv).unwrap();
    assert!(again.is_empty(), "{}", render_text(&again, false));
}

#[test]
fn a_key_change_invalidates_the_documents_and_waits_before_the_timeline() {
    let s = stack(CF_STACK);
    let mut inv = cf_empty();
    deploy(&s, &mut inv);
    let rotated = stack(&CF_STACK.replace("key_id: k1", "key_id: k1\nnext_key: k2"));
    let (front, p) = deploy(&rotated, &mut inv);
    assert!(front.is_empty());
    let at = |f: &dyn Fn(&Step) -> bool| p.steps.iter().position(f).unwrap();
    let jwks = at(&|s| {
        matches!(
            s,
            Step::Document(DocumentStep::Put {
                document: Document::Jwks,
                ..
            })
        )
    });
    let invalidate = at(&|s| matches!(s, Step::Distribution(DistributionStep::Invalidate { .. })));
    let wait = at(&|s| matches!(s, Step::Distribution(DistributionStep::Await { .. })));
    let timeline = at(&|s| matches!(s, Step::Key(KeyStep::Publish { .. })));
    assert!(jwks < invalidate && invalidate < wait && wait < timeline, "{:?}", p.steps);
    let Step::Distribution(DistributionStep::Invalidate { paths, id: distribution }) = &p.steps[invalidate] else {
        unreachable!()
    };
    assert_eq!(paths, &["/.well-known/*"]);
    assert_eq!(Some(distribution), inv.distribution.found.as_ref().map(|d| &d.id));
    assert!(render_text(&p, false).contains("+ cloudfront_invalidation"));
    assert!(plan(&crate::plan::resolve(&rotated, &inv), &inv).unwrap().is_empty());
}

#[test]
fn a_settings_change_is_one_distribution_update() {
    let s = stack(CF_STACK);
    let mut inv = cf_empty();
    deploy(&s, &mut inv);
    let cheaper = stack(&CF_STACK.replace("cloudfront: true", "cloudfront: {price_class: PriceClass_All}"));
    let p = plan(&crate::plan::resolve(&cheaper, &inv), &inv).unwrap();
    let text = render_text(&p, false);
    assert_eq!(resources(&p), ["cloudfront_distribution"], "{text}");
    assert!(text.contains("price_class: PriceClass_100 -> PriceClass_All"), "{text}");
    // The update is followed by a wait (no plan line), and converges.
    assert!(matches!(p.steps.last(), Some(Step::Distribution(DistributionStep::Await { .. }))));
    simulate(&cheaper, &mut inv, &p);
    assert!(plan(&crate::plan::resolve(&cheaper, &inv), &inv).unwrap().is_empty());
}

const DOMAIN_STACK: &str = r#"name: pantry
region: eu-west-1
issuer:
  bucket: pantry-oidc-issuer
  cloudfront:
    domain: auth.example.com
    certificate_arn: arn:aws:acm:us-east-1:123456789012:certificate/abc
    hosted_zone_id: Z0123456789ABC
key_id: k1
audience: [pantry-api]
api: {name: pantry-api}
routes:
  - route: GET /items
    scopes: [items.read]
    integration: {http: "https://example.com/items"}
"#;

fn certificate(status: &str, domains: &[&str]) -> Option<CertificateInfo> {
    Some(CertificateInfo {
        arn: "arn:aws:acm:us-east-1:123456789012:certificate/abc".into(),
        status: status.into(),
        domains: domains.iter().map(|d| d.to_string()).collect(),
    })
}

#[test]
fn a_custom_domain_needs_an_issued_certificate_that_covers_it() {
    let s = stack(DOMAIN_STACK);
    let mut inv = cf_empty();
    for (cert, why) in [
        (None, "no such certificate"),
        (
            certificate("PENDING_VALIDATION", &["auth.example.com"]),
            "its status is PENDING_VALIDATION",
        ),
        (certificate("ISSUED", &["www.example.com"]), "it is for www.example.com"),
        (certificate("ISSUED", &["*.other.com"]), "it is for *.other.com"),
    ] {
        inv.issuer_dns.certificate = cert;
        let e = plan(&s, &inv).unwrap_err();
        assert!(matches!(e, Conflict::CertificateNotUsable { .. }));
        assert!(e.to_string().contains(why), "{e}");
        assert!(e.to_string().contains("us-east-1"), "{e}");
    }
    inv.issuer_dns.certificate = certificate("ISSUED", &["example.com", "*.example.com"]);
    assert!(plan(&s, &inv).is_ok());
}

#[test]
fn a_custom_domain_gets_its_alias_records_and_refuses_someone_elses() {
    let s = stack(DOMAIN_STACK);
    let mut inv = cf_empty();
    inv.issuer_dns.certificate = certificate("ISSUED", &["auth.example.com"]);
    // A record of someone else's: refused before any change.
    inv.issuer_dns.records = vec![AliasRecordInfo {
        record_type: "A".into(),
        alias_target: Some("other.example.net".into()),
        ..Default::default()
    }];
    let e = plan(&s, &inv).unwrap_err();
    assert!(matches!(e, Conflict::AliasRecordTaken { .. }), "{e}");
    inv.issuer_dns.records.clear();

    let (_, rest) = deploy(&s, &mut inv);
    let d = inv.distribution.found.clone().unwrap();
    assert_eq!(d.settings.aliases, ["auth.example.com"]);
    assert_eq!(
        d.settings.certificate_arn.as_deref(),
        Some("arn:aws:acm:us-east-1:123456789012:certificate/abc")
    );
    assert_eq!(d.settings.minimum_protocol_version.as_deref(), Some("TLSv1.2_2021"));
    let text = render_text(&rest, false);
    assert!(text.contains("+ route53_alias_records auth.example.com A, AAAA"), "{text}");
    assert_eq!(inv.issuer_dns.records.len(), 2);
    assert!(
        inv.issuer_dns
            .records
            .iter()
            .all(|r| r.alias_target.as_deref() == Some(d.domain_name.as_str()))
    );
    assert_eq!(inv.authorizer.as_ref().unwrap().issuer, "https://auth.example.com");
    assert!(plan(&s, &inv).unwrap().is_empty());

    // Teardown: records, then the distribution (disabled, deployed, deleted), then the OAC; before the bucket.
    let t = plan_teardown(&s, &inv, false).unwrap();
    let order: Vec<String> = t
        .steps
        .iter()
        .filter(|s| !matches!(s, Step::Api(ApiStep::Delete { .. })))
        .map(|s| {
            // `Kind::Variant`, from the step's debug form `Kind(Variant { .. })`.
            let text = format!("{s:?}");
            let mut words = text.split([' ', '{', '(']).filter(|w| !w.is_empty());
            format!("{}::{}", words.next().unwrap(), words.next().unwrap())
        })
        .collect();
    let pos = |name: &str| {
        order
            .iter()
            .position(|o| o == name)
            .unwrap_or_else(|| panic!("{name} in {order:?}"))
    };
    assert!(pos("Dns::DeleteAliasRecords") < pos("Distribution::Disable"));
    assert!(pos("Distribution::Disable") < pos("Distribution::Await"));
    assert!(pos("Distribution::Await") < pos("Distribution::Delete"));
    assert!(pos("Distribution::Delete") < pos("Distribution::DeleteOriginAccessControl"));
    assert!(pos("Distribution::DeleteOriginAccessControl") < pos("Bucket::Delete"));
    simulate(&s, &mut inv, &t);
    assert!(inv.distribution.found.is_none() && inv.distribution.origin_access_control.is_none() && inv.issuer_dns.records.is_empty());
    assert!(inv.distribution.record.is_none());
}

#[test]
fn without_a_hosted_zone_the_plan_names_the_record_to_add() {
    let s = stack(&DOMAIN_STACK.replace("    hosted_zone_id: Z0123456789ABC\n", ""));
    let mut inv = cf_empty();
    inv.issuer_dns.certificate = certificate("ISSUED", &["auth.example.com"]);
    let (_, rest) = deploy(&s, &mut inv);
    let d = inv.distribution.found.as_ref().unwrap();
    assert!(
        rest.notes
            .iter()
            .any(|n| n.contains(&format!("auth.example.com CNAME {}", d.domain_name))),
        "{:?}",
        rest.notes
    );
    assert!(!rest.steps.iter().any(|s| matches!(s, Step::Dns(DnsStep::PutAliasRecords { .. }))));
}

#[test]
fn moving_from_a_public_bucket_to_cloudfront_and_back_converges() {
    let public = stack(&CF_STACK.replace("cloudfront: true", "public: true"));
    let mut inv = cf_empty();
    deploy(&public, &mut inv);
    let old_issuer = inv.authorizer.as_ref().unwrap().issuer.clone();
    assert_eq!(old_issuer, "https://pantry-oidc-issuer.s3.eu-west-1.amazonaws.com");

    let behind = stack(CF_STACK);
    let (_, rest) = deploy(&behind, &mut inv);
    assert!(
        rest.notes.iter().any(|n| n.contains(&old_issuer) && n.contains("stops verifying")),
        "{:?}",
        rest.notes
    );
    // The public statement is gone, the distribution's is there; the authorizer changed last.
    let p = policy(&inv);
    let sids: Vec<&str> = p["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Sid"].as_str().unwrap())
        .collect();
    assert_eq!(sids, ["jwtstack-pantry-cloudfront-well-known"]);
    let authorizer = rest
        .steps
        .iter()
        .position(|s| matches!(s, Step::Api(ApiStep::Import { .. })))
        .unwrap();
    let wait = rest
        .steps
        .iter()
        .position(|s| matches!(s, Step::Distribution(DistributionStep::Await { .. })))
        .unwrap();
    assert!(wait < authorizer);
    assert!(plan(&crate::plan::resolve(&behind, &inv), &inv).unwrap().is_empty());

    // And back: public again, the distribution removed after everything else.
    let (_, back) = deploy(&public, &mut inv);
    let kinds = resources(&back);
    assert!(
        kinds.ends_with(&[
            "cloudfront_distribution",
            "cloudfront_distribution",
            "cloudfront_origin_access_control"
        ]),
        "{kinds:?}"
    );
    assert!(inv.distribution.found.is_none() && inv.distribution.origin_access_control.is_none());
    assert_eq!(inv.authorizer.as_ref().unwrap().issuer, old_issuer);
    assert!(plan(&public, &inv).unwrap().is_empty());
}

#[test]
fn a_distribution_whose_record_was_lost_is_recorded_again() {
    let s = stack(CF_STACK);
    let mut inv = cf_empty();
    deploy(&s, &mut inv);
    inv.distribution.record = None;
    let p = plan(&crate::plan::resolve(&s, &inv), &inv).unwrap();
    assert_eq!(resources(&p), ["ssm_parameter"], "{}", render_text(&p, false));
    assert!(
        matches!(&p.steps[0], Step::Distribution(DistributionStep::Record { id, .. }) if Some(id) == inv.distribution.found.as_ref().map(|d| &d.id))
    );
    simulate(&s, &mut inv, &p);
    assert!(plan(&crate::plan::resolve(&s, &inv), &inv).unwrap().is_empty());
}
