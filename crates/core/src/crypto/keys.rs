//! RSA signing keys: generation, PKCS#8 PEM (the SSM form), and the public JWK that goes into the JWKS.
//!
//! Every operation on the private key (generation, parsing, signing) goes through aws-lc-rs, whose RSA is
//! constant-time and blinded. The `rsa` crate only handles public numbers here (JWK members, PEM-free public
//! keys): its private-key arithmetic is not constant-time (RUSTSEC-2023-0071, the Marvin attack).

use std::sync::Arc;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::LineEnding;
use rsa::pkcs8::der::pem;
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, RsaPublicKey};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("generating a {bits}-bit RSA key failed")]
    Generate { bits: usize },
    #[error("RSA keys are 2048, 3072 or 4096 bits, not {0}")]
    Size(usize),
    #[error("encoding the private key as PKCS#8 failed")]
    Encode,
    // The PEM itself never goes into a message.
    #[error("the private key is not a PKCS#8 PEM RSA key of 2048 to 8192 bits ({0})")]
    Decode(String),
    #[error("the JWK for kid `{kid}` is not a usable RSA public key: {why}")]
    Jwk { kid: String, why: String },
}

/// A signing key and its kid. The private half never leaves this type except as PEM for SSM.
#[derive(Clone)]
pub struct SigningKey {
    pub kid: String,
    key: Arc<KeyPair>,
    public: RsaPublicKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("bits", &self.bits())
            .finish_non_exhaustive()
    }
}

/// PKCS #1's `rsaEncryption`, the algorithm of a PKCS #8 RSA private key.
const RSA_ENCRYPTION_OID: &str = "1.2.840.113549.1.1.1";

/// A private key algorithm's name, for an error.
fn algorithm_name(oid: &str) -> &'static str {
    match oid {
        "1.2.840.10045.2.1" => "an EC key (ES256/384/512)",
        "1.3.101.112" => "an Ed25519 key",
        "1.3.101.113" => "an Ed448 key",
        "1.2.840.113549.1.1.10" => "an RSA-PSS key",
        "1.2.840.10040.4.1" => "a DSA key",
        _ => "a key of another algorithm",
    }
}

impl SigningKey {
    /// A new key from aws-lc's own DRBG. `bits` is 2048, 3072 or 4096 (what `key_bits` allows).
    pub fn generate(kid: &str, bits: usize) -> Result<Self, KeyError> {
        let size = match bits {
            2048 => KeySize::Rsa2048,
            3072 => KeySize::Rsa3072,
            4096 => KeySize::Rsa4096,
            other => return Err(KeyError::Size(other)),
        };
        let key = KeyPair::generate(size).map_err(|_| KeyError::Generate { bits })?;
        Self::new(kid, key)
    }

    pub fn from_pem(kid: &str, text: &str) -> Result<Self, KeyError> {
        let (label, der) = pem::decode_vec(text.trim().as_bytes()).map_err(|_| KeyError::Decode("not PEM".into()))?;
        let der = Zeroizing::new(der);
        if label != "PRIVATE KEY" {
            return Err(KeyError::Decode(format!("a PEM `{label}`, not `PRIVATE KEY`")));
        }
        Self::from_pkcs8_der(kid, &der)
    }

    pub fn from_pkcs8_der(kid: &str, der: &[u8]) -> Result<Self, KeyError> {
        // The key's own algorithm first: aws-lc-rs names RSA's OID when it meets another kind of key.
        if let Ok(info) = rsa::pkcs8::PrivateKeyInfo::try_from(der) {
            let oid = info.algorithm.oid.to_string();
            if oid != RSA_ENCRYPTION_OID {
                return Err(KeyError::Decode(format!(
                    "the key is {} (algorithm {oid}), not RSA: API Gateway's JWT authorizer takes RSA keys (RS256)",
                    algorithm_name(&oid)
                )));
            }
        }
        let key = KeyPair::from_pkcs8(der).map_err(|e| KeyError::Decode(e.to_string()))?;
        Self::new(kid, key)
    }

    fn new(kid: &str, key: KeyPair) -> Result<Self, KeyError> {
        // The public key as DER RSAPublicKey (PKCS #1): public numbers only.
        let public = RsaPublicKey::from_pkcs1_der(key.public_key().as_ref()).map_err(|e| KeyError::Decode(e.to_string()))?;
        Ok(SigningKey {
            kid: kid.into(),
            key: Arc::new(key),
            public,
        })
    }

    /// PKCS#8 PEM, zeroized on drop.
    pub fn to_pem(&self) -> Result<Zeroizing<String>, KeyError> {
        let der = self.key.as_der().map_err(|_| KeyError::Encode)?;
        pem::encode_string("PRIVATE KEY", LineEnding::LF, der.as_ref())
            .map(Zeroizing::new)
            .map_err(|_| KeyError::Encode)
    }

    pub fn bits(&self) -> usize {
        self.public.size() * 8
    }

    pub fn public_jwk(&self) -> Jwk {
        Jwk::from_public(&self.kid, &self.public)
    }

    pub(crate) fn private(&self) -> &KeyPair {
        &self.key
    }
}

/// A public RSA JWK as published: public members only, in a fixed member order so the bytes are deterministic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    pub kid: String,
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    #[serde(default)]
    pub n: String,
    #[serde(default)]
    pub e: String,
    /// An EC key's curve (`P-256`, `P-384`, `P-521`) and point: a REST API's authorizer accepts ES256/384/512
    /// from a trusted issuer. jwtstack's own keys are RSA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    /// The issuer whose key set this key came from, when an authorizer trusts several (REST APIs): never
    /// published or read from a document, set by whoever loaded the key set.
    #[serde(skip)]
    pub issuer: Option<String>,
}

impl Jwk {
    pub fn from_public(kid: &str, key: &RsaPublicKey) -> Jwk {
        Jwk {
            kty: "RSA".into(),
            kid: kid.into(),
            use_: Some("sig".into()),
            alg: Some("RS256".into()),
            n: URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
            e: URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
            crv: None,
            x: None,
            y: None,
            issuer: None,
        }
    }

    pub fn to_public_key(&self) -> Result<RsaPublicKey, KeyError> {
        let err = |why: &str| KeyError::Jwk {
            kid: self.kid.clone(),
            why: why.into(),
        };
        if self.kty != "RSA" {
            return Err(err("kty is not RSA"));
        }
        let n = URL_SAFE_NO_PAD.decode(&self.n).map_err(|_| err("n is not unpadded base64url"))?;
        let e = URL_SAFE_NO_PAD.decode(&self.e).map_err(|_| err("e is not unpadded base64url"))?;
        RsaPublicKey::new(BigUint::from_bytes_be(&n), BigUint::from_bytes_be(&e)).map_err(|e| err(&e.to_string()))
    }

    /// The modulus size in bits, when `n` decodes.
    pub fn bits(&self) -> Option<usize> {
        let n = URL_SAFE_NO_PAD.decode(&self.n).ok()?;
        let first = n.iter().position(|b| *b != 0)?;
        Some((n.len() - first) * 8)
    }

    /// The JWK of a DER SubjectPublicKeyInfo RSA public key (what KMS's GetPublicKey returns), and its bits.
    pub fn from_spki_der(kid: &str, der: &[u8]) -> Result<(Jwk, usize), KeyError> {
        use rsa::pkcs8::DecodePublicKey;
        let key = RsaPublicKey::from_public_key_der(der).map_err(|e| KeyError::Jwk {
            kid: kid.into(),
            why: format!("not a DER RSA public key ({e})"),
        })?;
        Ok((Jwk::from_public(kid, &key), key.size() * 8))
    }

    /// RFC 7638 thumbprint (SHA-256, base64url): the members e, kty, n in lexicographic order.
    pub fn thumbprint(&self) -> String {
        let canonical = format!(r#"{{"e":"{}","kty":"{}","n":"{}"}}"#, self.e, self.kty, self.n);
        URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes()))
    }
}

/// `{"keys":[...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

impl Jwks {
    pub fn find(&self, kid: &str) -> Option<&Jwk> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// The same keys, each marked as `issuer`'s.
    pub fn of_issuer(mut self, issuer: &str) -> Jwks {
        for k in &mut self.keys {
            k.issuer = Some(issuer.to_string());
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector(name: &str) -> serde_json::Value {
        let path = format!("{}/../../tests/vectors/rfc/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))).unwrap()
    }

    #[test]
    fn jwk_members_are_unpadded_base64url_big_endian() {
        // RFC 7520 3.3's public key: its n and e must round-trip exactly through our encoding.
        let v = vector("rfc7520_3_3.rsa_public_key.json");
        let jwk: Jwk = serde_json::from_value(v.clone()).unwrap();
        let public = jwk.to_public_key().unwrap();
        let again = Jwk::from_public(&jwk.kid, &public);
        assert_eq!(again.n, v["n"].as_str().unwrap());
        assert_eq!(again.e, "AQAB");
        assert!(!again.n.contains('=') && !again.n.contains('+') && !again.n.contains('/'));
    }

    /// SSM standard parameters hold 4,096 characters, and the largest key a stack may have must fit one.
    #[test]
    fn a_4096_bit_key_fits_an_ssm_standard_parameter() {
        let key = SigningKey::generate("k", 4096).unwrap();
        let pem = key.to_pem().unwrap();
        assert!(pem.len() < 4096, "{} characters", pem.len());
    }

    #[test]
    fn thumbprint_matches_rfc7638_example() {
        // RFC 7638 section 3.1.
        let jwk = Jwk {
            kty: "RSA".into(),
            kid: "2011-04-29".into(),
            use_: None,
            alg: Some("RS256".into()),
            n: "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw".into(),
            e: "AQAB".into(),
            crv: None,
            x: None,
            y: None,
            issuer: None,
        };
        assert_eq!(jwk.thumbprint(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }

    #[test]
    fn pem_round_trip_and_public_only_jwk() {
        let key = SigningKey::generate("k1", 2048).unwrap();
        let pem = key.to_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        let back = SigningKey::from_pem("k1", &pem).unwrap();
        assert_eq!(back.public_jwk(), key.public_jwk());
        let json = serde_json::to_string(&key.public_jwk()).unwrap();
        assert!(
            json.starts_with(r#"{"kty":"RSA","kid":"k1","use":"sig","alg":"RS256","n":""#),
            "{json}"
        );
        assert!(json.ends_with(r#"","e":"AQAB"}"#), "{json}");
        let members = serde_json::from_str::<serde_json::Value>(&json).unwrap().as_object().unwrap().len();
        assert_eq!(members, 6);
        assert!(!format!("{key:?}").contains(&pem[40..80]));
    }

    #[test]
    fn bad_pem_error_does_not_echo_input() {
        let err = SigningKey::from_pem("k", "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----").unwrap_err();
        assert!(!err.to_string().contains("c2VjcmV0"));
    }
}
