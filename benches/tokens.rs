//! Mint and verify throughput (tokens per second on one core): `cargo bench --bench tokens`.
//! Criterion reports time per token; tokens per second is its reciprocal.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jwtstack::crypto::keys::{Jwks, SigningKey};
use jwtstack::crypto::token::{AuthorizerConfig, MintRequest, authorize, mint};
use rand::SeedableRng;
use rand::rngs::StdRng;

const NOW: u64 = 1_800_000_000;

fn bench(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(1);
    for bits in [2048usize, 4096] {
        let key = SigningKey::generate("k1", bits, &mut rng).unwrap();
        let req = MintRequest {
            issuer: "https://grocery-issuer-123.s3.us-east-1.amazonaws.com".into(),
            audience: vec!["grocery-api".into()],
            subject: "alice".into(),
            scopes: vec!["lists.read".into()],
            ttl_seconds: 900,
            ..Default::default()
        };
        let cfg = AuthorizerConfig {
            issuer: req.issuer.clone(),
            audiences: req.audience.clone(),
        };
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
        group.finish();
    }
}

fn keygen(c: &mut Criterion) {
    let mut group = c.benchmark_group("keygen");
    group.sample_size(10);
    for bits in [2048usize, 4096] {
        group.bench_function(format!("rsa{bits}"), |b| {
            b.iter(|| SigningKey::generate("k", bits, &mut rand::rngs::OsRng).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench, keygen);
criterion_main!(benches);
