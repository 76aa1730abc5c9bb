//! The issuer's rules: an external provider, CloudFront in front of the bucket, keys in KMS.

use super::*;

const EXTERNAL: &str = "name: shop\nissuer:\n  external: https://idp.example.com/realms/shop\naudience: [shop-api]\napi: {name: shop}\nroutes:\n  - route: GET /x\n    scopes: [x.read]\n    integration: {http: https://example.com}\n";

#[test]
fn an_external_issuer() {
    let s = parse_str("stack.yaml", EXTERNAL).unwrap();
    assert_eq!(
        s.issuer,
        Issuer::External {
            url: "https://idp.example.com/realms/shop".into()
        }
    );
    assert!(s.hosted().is_none());
    assert_eq!(s.issuer_url("us-east-1"), "https://idp.example.com/realms/shop");
    assert_eq!(
        s.discovery_url("x"),
        "https://idp.example.com/realms/shop/.well-known/openid-configuration"
    );
    assert_eq!(s.jwks_uri("x"), None);
    // A trailing slash is the provider's business (Auth0 writes one); deploy checks it against the provider.
    let slash = EXTERNAL.replace("realms/shop\n", "realms/shop/\n");
    assert_eq!(
        parse_str("stack.yaml", &slash).unwrap().discovery_url("x"),
        "https://idp.example.com/realms/shop/.well-known/openid-configuration"
    );
}

#[test]
fn an_external_issuer_takes_no_key_or_bucket_fields() {
    let text = EXTERNAL.replace(
        "issuer:\n",
        "key_id: k1\nkey_bits: 4096\nprevious_keys: [k0]\nissuer:\n  public: true\n",
    );
    let got = problems(&text);
    for f in ["key_id", "key_bits", "previous_keys", "issuer.public"] {
        assert!(
            got.iter().any(|g| g.contains(&format!("{f} is not allowed with issuer.external"))),
            "{f}: {got:?}"
        );
    }
    let both = EXTERNAL.replace("issuer:\n", "issuer:\n  bucket: b-123\n");
    assert!(
        problems(&both)
            .iter()
            .any(|g| g.contains("issuer has both `bucket` and `external`"))
    );
    let none = EXTERNAL.replace("  external: https://idp.example.com/realms/shop\n", "  public: true\n");
    assert!(problems(&none).iter().any(|g| g.contains("issuer needs `bucket` or `external`")));
    for (url, expected) in [
        ("http://idp.example.com", "is not https"),
        ("https://idp.example.com?x=1", "query or fragment"),
        ("https://IDP.example.com", "canonical form"),
        ("not a url", "is not a URL"),
    ] {
        let got = problems(&EXTERNAL.replace("https://idp.example.com/realms/shop", url));
        assert!(got.iter().any(|g| g.contains(expected)), "{url}: {got:?}");
    }
}

#[test]
fn key_store_kms_needs_alias_safe_kids() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../stack.yaml")).unwrap();
    let kms = text.replacen("key_id:", "key_store: kms\nkey_id:", 1);
    let s = parse_str("stack.yaml", &kms).unwrap();
    assert_eq!(s.hosted().unwrap().key_store, KeyStore::Kms);
    let dotted = kms.replacen("key_id: grocery-2026-11", "key_id: grocery.2026.11", 1);
    let err = parse_str("stack.yaml", &dotted).unwrap_err().to_string();
    assert!(
        err.contains("which a KMS alias name cannot hold") && err.contains("grocery-2026-11"),
        "{err}"
    );
    // In SSM a dot is fine.
    assert!(parse_str("stack.yaml", &dotted.replace("key_store: kms\n", "")).is_ok());
}

#[test]
fn cloudfront_makes_the_bucket_private_and_derives_the_issuer() {
    let s = parse_str(
        "stack.yaml",
        &with(
            "  bucket: grocery-issuer-123\n",
            "  bucket: grocery-issuer-123\n  cloudfront: true\n",
        ),
    )
    .unwrap();
    let h = s.hosted().unwrap();
    assert!(!h.public);
    assert!(h.awaits_distribution() && h.served_by_aws());
    assert_eq!(s.issuer_url("us-east-1"), NEW_DISTRIBUTION_URL);
    let resolved = s.with_distribution_domain("d111111abcdef8.cloudfront.net");
    assert_eq!(resolved.issuer_url("us-east-1"), "https://d111111abcdef8.cloudfront.net");
    assert_eq!(
        resolved.jwks_uri("us-east-1").unwrap(),
        "https://d111111abcdef8.cloudfront.net/.well-known/jwks.json"
    );
    let cf = h.cloudfront.as_ref().unwrap();
    assert_eq!(cf.price_class, "PriceClass_100");
    // `cloudfront: false` is the default.
    let off = parse_str(
        "stack.yaml",
        &with(
            "  bucket: grocery-issuer-123\n",
            "  bucket: grocery-issuer-123\n  cloudfront: false\n",
        ),
    )
    .unwrap();
    assert!(off.hosted().unwrap().cloudfront.is_none() && off.hosted().unwrap().public);

    let domain = "  bucket: grocery-issuer-123\n  cloudfront:\n    domain: auth.example.com\n    certificate_arn: arn:aws:acm:us-east-1:123456789012:certificate/abc\n";
    let s = parse_str("stack.yaml", &with("  bucket: grocery-issuer-123\n", domain)).unwrap();
    assert_eq!(s.issuer_url("eu-west-1"), "https://auth.example.com");
    assert!(!s.hosted().unwrap().awaits_distribution());
    // An issuer.url equal to the derived one is accepted.
    let same = domain.to_string() + "  url: https://auth.example.com\n";
    assert!(problems(&with("  bucket: grocery-issuer-123\n", &same)).is_empty());
}

#[test]
fn cloudfront_refuses_what_cannot_work_with_positions() {
    let cases = [
        (
            "  cloudfront: true\n  public: true\n",
            "6:11: issuer.public: true with issuer.cloudfront",
        ),
        (
            "  cloudfront: true\n  url: https://auth.example.com\n",
            "6:8: issuer.url `https://auth.example.com` with `cloudfront: true`",
        ),
        (
            "  cloudfront:\n    domain: auth.example.com\n",
            "6:5: issuer.cloudfront.domain needs certificate_arn",
        ),
        (
            "  cloudfront:\n    domain: auth.example.com\n    certificate_arn: arn:aws:acm:eu-west-1:123456789012:certificate/abc\n",
            "7:22: the certificate is in eu-west-1, not in us-east-1",
        ),
        (
            "  cloudfront:\n    domain: auth.example.com\n    certificate_arn: not-an-arn\n",
            "7:22: `not-an-arn` is not an ACM certificate ARN",
        ),
        (
            "  cloudfront:\n    hosted_zone_id: Z123\n",
            "6:5: issuer.cloudfront.hosted_zone_id without domain",
        ),
        (
            "  cloudfront:\n    price_class: PriceClass_Cheap\n",
            "6:18: price_class `PriceClass_Cheap` is not a CloudFront price class",
        ),
        (
            "  cloudfront:\n    domain: d1.cloudfront.net\n    certificate_arn: arn:aws:acm:us-east-1:123456789012:certificate/abc\n",
            "6:13: `d1.cloudfront.net` is a name AWS gives its own resources",
        ),
        (
            "  cloudfront:\n    domain: Auth.Example.com/x\n    certificate_arn: arn:aws:acm:us-east-1:123456789012:certificate/abc\n",
            "6:13: `Auth.Example.com/x` is not a hostname",
        ),
    ];
    for (extra, want) in cases {
        let text = with("  bucket: grocery-issuer-123\n", &format!("  bucket: grocery-issuer-123\n{extra}"));
        let got = problems(&text);
        assert!(got.iter().any(|p| p.starts_with(want)), "{extra}: want {want}, got {got:?}");
    }
    // Not with an external issuer.
    let external = VALID
        .replace(
            "  bucket: grocery-issuer-123\n",
            "  external: https://idp.example.com\n  cloudfront: true\n",
        )
        .replace("key_id: grocery-2026-11\n", "");
    assert!(
        problems(&external)
            .iter()
            .any(|p| p.contains("issuer.cloudfront is not allowed with issuer.external"))
    );
}
