use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, ECDSA_P521_SHA512_FIXED_SIGNING, EcdsaKeyPair, KeyPair,
    RSA_PKCS1_SHA256, RSA_PKCS1_SHA384, RSA_PKCS1_SHA512,
};

use super::*;
use crate::crypto::keys::SigningKey;

fn ec_key(alg: Alg) -> (EcdsaKeyPair, Jwk) {
    let (signing, crv, len) = match alg {
        Alg::ES256 => (&ECDSA_P256_SHA256_FIXED_SIGNING, "P-256", 32),
        Alg::ES384 => (&ECDSA_P384_SHA384_FIXED_SIGNING, "P-384", 48),
        _ => (&ECDSA_P521_SHA512_FIXED_SIGNING, "P-521", 66),
    };
    let pair = EcdsaKeyPair::generate(signing).unwrap();
    let point = pair.public_key().as_ref().to_vec();
    assert_eq!((point[0], point.len()), (0x04, 1 + 2 * len));
    let jwk = Jwk {
        kty: "EC".into(),
        kid: format!("ec-{crv}"),
        use_: Some("sig".into()),
        alg: None,
        n: String::new(),
        e: String::new(),
        crv: Some(crv.into()),
        x: Some(URL_SAFE_NO_PAD.encode(&point[1..=len])),
        y: Some(URL_SAFE_NO_PAD.encode(&point[1 + len..])),
        issuer: None,
    };
    (pair, jwk)
}

#[test]
fn each_algorithm_verifies_its_own_signatures_only() {
    let message = b"eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0";
    for alg in [Alg::ES256, Alg::ES384, Alg::ES512] {
        let (pair, jwk) = ec_key(alg);
        assert_eq!(Alg::of_key(&jwk), Some(alg));
        let sig = pair.sign(&SystemRandom::new(), message).unwrap();
        assert_eq!(alg.verify(&jwk, message, sig.as_ref()), Ok(()), "{alg:?}");
        assert!(alg.verify(&jwk, b"other", sig.as_ref()).is_err());
        // The key of one curve is no key of another algorithm.
        let other = if alg == Alg::ES256 { Alg::ES384 } else { Alg::ES256 };
        assert!(other.verify(&jwk, message, sig.as_ref()).unwrap_err().contains("is not a"));
        assert!(Alg::RS256.verify(&jwk, message, sig.as_ref()).is_err());
    }
    let key = SigningKey::generate("k1", 2048).unwrap();
    for (alg, params) in [
        (Alg::RS256, &RSA_PKCS1_SHA256),
        (Alg::RS384, &RSA_PKCS1_SHA384),
        (Alg::RS512, &RSA_PKCS1_SHA512),
    ] {
        let mut jwk = key.public_jwk();
        jwk.alg = Some(alg.as_str().into());
        let mut sig = vec![0; key.private().public_modulus_len()];
        key.private().sign(params, &SystemRandom::new(), message, &mut sig).unwrap();
        assert_eq!(alg.verify(&jwk, message, &sig), Ok(()), "{alg:?}");
        // Another hash over the same key: refused, the key being for `alg` only.
        let other = if alg == Alg::RS256 { Alg::RS512 } else { Alg::RS256 };
        assert!(other.verify(&jwk, message, &sig).is_err());
    }
}

#[test]
fn a_key_signs_one_algorithm_and_odd_keys_none() {
    let rsa = SigningKey::generate("k1", 2048).unwrap().public_jwk();
    let mut bare = rsa.clone();
    bare.alg = None;
    assert_eq!(Alg::of_key(&bare), Some(Alg::RS256), "an RSA key without alg: RS256");
    let (_, ec) = ec_key(Alg::ES256);
    for (alg, expected) in [
        ("ES384", None),
        ("RS256", None),
        ("ES256", Some(Alg::ES256)),
        ("HS256", None),
        ("none", None),
    ] {
        let mut k = ec.clone();
        k.alg = Some(alg.into());
        assert_eq!(Alg::of_key(&k), expected, "EC P-256 with alg {alg}");
    }
    for alg in ["ES256", "HS256", "PS256"] {
        let mut k = rsa.clone();
        k.alg = Some(alg.into());
        assert_eq!(Alg::of_key(&k), None, "RSA with alg {alg}");
    }
    let mut enc = rsa.clone();
    enc.use_ = Some("enc".into());
    assert_eq!(Alg::of_key(&enc), None);
    let mut curve = ec.clone();
    curve.crv = Some("secp256k1".into());
    assert_eq!(Alg::of_key(&curve), None);
    // An EC key without a curve is no key at all (never an RSA one).
    let mut no_curve = ec.clone();
    no_curve.crv = None;
    assert_eq!(Alg::of_key(&no_curve), None);
    no_curve.alg = Some("RS256".into());
    assert_eq!(Alg::of_key(&no_curve), None);
    let mut short = ec.clone();
    short.x = Some("AQAB".into());
    assert!(
        Alg::ES256
            .verify(&short, b"m", &[0; 64])
            .unwrap_err()
            .contains("not a point of P-256")
    );
    let small = SigningKey::generate("s", 1024).map(|k| k.public_jwk());
    if let Ok(small) = small {
        assert!(
            Alg::RS256
                .verify(&small, b"m", &[0; 128])
                .unwrap_err()
                .contains("shorter than 2048 bits")
        );
    }
    let jwks = Jwks {
        keys: vec![rsa.clone(), ec.clone(), rsa, enc],
    };
    assert_eq!(algorithms_of(&jwks), [Alg::RS256, Alg::ES256]);
}
