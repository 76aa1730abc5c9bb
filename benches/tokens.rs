//! Mint and verify throughput (tokens per second on one core): `cargo bench --bench tokens`.
//! Criterion reports time per token; tokens per second is its reciprocal. `sign_rsa_crate` and
//! `verify_signature_rsa_crate` measure the `rsa` crate's implementation, which jwtstack used before aws-lc-rs.
//! `token_endpoint/decide` is the token endpoint's work before the signature; `rest/*` a REST API's authorizer
//! deciding on a token of each of its two issuers (RS256 and ES256).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jwtstack::crypto::keys::{Jwks, SigningKey};
use jwtstack::crypto::token::{AuthorizerConfig, MintRequest, authorize, mint, sign_rs256, verify_rs256};
use rand::SeedableRng;
use rand::rngs::StdRng;

const NOW: u64 = 1_800_000_000;

fn bench(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(1);
    for bits in [2048usize, 3072, 4096] {
        let key = SigningKey::generate("k1", bits).unwrap();
        let req = MintRequest {
            issuer: "https://grocery-issuer-123.s3.us-east-1.amazonaws.com".into(),
            audience: vec!["grocery-api".into()],
            subject: "alice".into(),
            scopes: vec!["lists.read".into()],
            ttl_seconds: 900,
            ..Default::default()
        };
        let cfg = AuthorizerConfig::http(req.issuer.clone(), req.audience.clone());
        let jwks = Jwks {
            keys: vec![key.public_jwk()],
        };
        let token = mint(&key, &req, NOW, &mut rng).unwrap();
        let scopes = vec!["lists.read".to_string()];
        assert!(authorize(&cfg, &jwks, Some(&token), Some(&scopes), NOW + 1).allowed);

        let mut group = c.benchmark_group(format!("rs{bits}"));
        group.throughput(Throughput::Elements(1));
        group.bench_function("mint", |b| {
            b.iter(|| mint(black_box(&key), black_box(&req), NOW, &mut rng).unwrap())
        });
        group.bench_function("verify", |b| {
            b.iter(|| authorize(black_box(&cfg), black_box(&jwks), Some(black_box(&token)), Some(&scopes), NOW + 1))
        });
        // The implementation before aws-lc-rs, for comparison: the `rsa` crate's RSASSA-PKCS1-v1_5 over the same
        // signing input (not constant-time: RUSTSEC-2023-0071), and its verification.
        let input = token.rsplit_once('.').unwrap().0.as_bytes().to_vec();
        let pem = key.to_pem().unwrap();
        let old = <rsa::RsaPrivateKey as rsa::pkcs8::DecodePrivateKey>::from_pkcs8_pem(&pem).unwrap();
        let old_signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(old.clone());
        let old_verifier = rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(old.to_public_key());
        let new_sig = sign_rs256(&key, &input).unwrap();
        let old_sig = rsa::signature::SignatureEncoding::to_vec(&rsa::signature::Signer::sign(&old_signer, &input));
        assert_eq!(new_sig, old_sig, "both implementations give the same signature");
        let public = jwks.keys[0].to_public_key().unwrap();
        group.bench_function("sign", |b| b.iter(|| sign_rs256(black_box(&key), black_box(&input)).unwrap()));
        group.bench_function("sign_rsa_crate", |b| {
            b.iter(|| rsa::signature::Signer::sign(black_box(&old_signer), black_box(&input)))
        });
        group.bench_function("verify_signature", |b| {
            b.iter(|| verify_rs256(black_box(&public), black_box(&input), black_box(&new_sig)))
        });
        group.bench_function("verify_signature_rsa_crate", |b| {
            let sig = rsa::pkcs1v15::Signature::try_from(old_sig.as_slice()).unwrap();
            b.iter(|| rsa::signature::Verifier::verify(black_box(&old_verifier), black_box(&input), black_box(&sig)).is_ok())
        });
        group.finish();
    }
}

fn keygen(c: &mut Criterion) {
    let mut group = c.benchmark_group("keygen");
    group.sample_size(10);
    for bits in [2048usize, 3072, 4096] {
        group.bench_function(format!("rsa{bits}"), |b| b.iter(|| SigningKey::generate("k", bits).unwrap()));
    }
    group.finish();
}

/// The token endpoint's decision without the signature (which `rs2048/mint` measures): reading a Basic request,
/// hashing the secret and comparing it in constant time, granting the scopes. `cargo bench --bench tokens --
/// token_endpoint`.
fn token_endpoint(c: &mut Criterion) {
    use base64::Engine;
    use jwtstack::oauth::{Allowed, ClientRecord, grant, hash_secret, parse};
    let secret = "jwtss_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG";
    let record = ClientRecord::new(
        "billing",
        "cid-billing",
        vec!["lists.read".into(), "lists.write".into()],
        hash_secret(secret),
        1,
    );
    let (scopes, audiences) = (
        vec!["lists.read".to_string(), "lists.write".to_string()],
        vec!["grocery-api".to_string()],
    );
    let allowed = Allowed {
        route_scopes: &scopes,
        audiences: &audiences,
        max_ttl: 900,
    };
    let header = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("cid-billing:{secret}"))
    );
    let form = Some("application/x-www-form-urlencoded");
    let body = b"grant_type=client_credentials&scope=lists.read";
    let mut group = c.benchmark_group("token_endpoint");
    group.throughput(Throughput::Elements(1));
    group.bench_function("decide", |b| {
        b.iter(|| {
            let req = parse("POST", form, Some(black_box(&header)), black_box(body)).unwrap();
            grant(&req, Some(&record), &allowed, NOW).unwrap()
        })
    });
    group.finish();
}

/// A REST API's authorizer trusting two issuers (the stack's RS256 key and an ES256 provider's): the whole
/// decision for a token of each. `cargo bench --bench tokens -- rest`.
fn rest(c: &mut Criterion) {
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use jwtstack::config::{ApiType, ClaimRule};
    use jwtstack::crypto::keys::Jwk;
    use jwtstack::crypto::token::IssuerRule;
    const OWN: &str = "https://grocery-issuer-123.s3.us-east-1.amazonaws.com";
    const OTHER: &str = "https://acme.eu.auth0.com/";
    let key = SigningKey::generate("k1", 2048).unwrap();
    let ec = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
    let point = ec.public_key().as_ref().to_vec();
    let ec_jwk = Jwk {
        kty: "EC".into(),
        kid: "ec-1".into(),
        use_: Some("sig".into()),
        alg: Some("ES256".into()),
        n: String::new(),
        e: String::new(),
        crv: Some("P-256".into()),
        x: Some(URL_SAFE_NO_PAD.encode(&point[1..33])),
        y: Some(URL_SAFE_NO_PAD.encode(&point[33..])),
        issuer: None,
    };
    let mut keys = Jwks {
        keys: vec![key.public_jwk()],
    }
    .of_issuer(OWN)
    .keys;
    keys.extend(Jwks { keys: vec![ec_jwk] }.of_issuer(OTHER).keys);
    let jwks = Jwks { keys };
    let tenant = ClaimRule {
        name: "tenant".into(),
        required: true,
        values: vec!["acme".into()],
    };
    let cfg = AuthorizerConfig {
        api: ApiType::Rest,
        issuers: vec![
            IssuerRule {
                issuer: OWN.into(),
                audiences: vec!["grocery-api".into()],
                claims: vec![tenant.clone()],
            },
            IssuerRule {
                issuer: OTHER.into(),
                audiences: vec!["grocery-api".into()],
                claims: vec![tenant],
            },
        ],
    };
    let mut extra = serde_json::Map::new();
    extra.insert("tenant".into(), "acme".into());
    let req = MintRequest {
        issuer: OWN.into(),
        audience: vec!["grocery-api".into()],
        subject: "alice".into(),
        scopes: vec!["lists.read".into()],
        ttl_seconds: 900,
        extra,
    };
    let ours = mint(&key, &req, NOW, &mut StdRng::seed_from_u64(1)).unwrap();
    let claims =
        serde_json::json!({"iss": OTHER, "aud": "grocery-api", "sub": "svc", "exp": NOW + 900, "scope": "lists.read", "tenant": "acme"});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"ES256","kid":"ec-1","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let sig = ec.sign(&aws_lc_rs::rand::SystemRandom::new(), input.as_bytes()).unwrap();
    let theirs = format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()));
    let scopes = vec!["lists.read".to_string()];
    for token in [&ours, &theirs] {
        let d = authorize(&cfg, &jwks, Some(token), Some(&scopes), NOW + 1);
        assert!(d.allowed, "{d:?}");
    }
    let mut group = c.benchmark_group("rest");
    group.throughput(Throughput::Elements(1));
    group.bench_function("verify_rs256_two_issuers", |b| {
        b.iter(|| authorize(black_box(&cfg), black_box(&jwks), Some(black_box(&ours)), Some(&scopes), NOW + 1))
    });
    group.bench_function("verify_es256_two_issuers", |b| {
        b.iter(|| authorize(black_box(&cfg), black_box(&jwks), Some(black_box(&theirs)), Some(&scopes), NOW + 1))
    });
    group.finish();
}

criterion_group!(benches, bench, keygen, token_endpoint, rest);
criterion_main!(benches);
