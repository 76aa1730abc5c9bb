//! The JWS algorithms a REST API's JWT authorizer accepts (`JwtSigningAlgorithm`: RS256, RS384, RS512, ES256,
//! ES384, ES512), which key each needs, and their signature checks by aws-lc-rs. An HTTP API's authorizer
//! takes RS256 only (`crate::crypto::token`).

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P384_SHA384_FIXED, ECDSA_P521_SHA512_FIXED, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_2048_8192_SHA384,
    RSA_PKCS1_2048_8192_SHA512, RsaPublicKeyComponents, UnparsedPublicKey,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::keys::{Jwk, Jwks};

/// A signing algorithm of `JwtSigningAlgorithm` (HMAC and `none` are not among them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Alg {
    RS256,
    RS384,
    RS512,
    ES256,
    ES384,
    ES512,
}

/// The shortest RSA key accepted, as for HTTP APIs.
pub const MIN_RSA_BITS: usize = 2048;

impl Alg {
    pub const ALL: [Alg; 6] = [Alg::RS256, Alg::RS384, Alg::RS512, Alg::ES256, Alg::ES384, Alg::ES512];

    pub fn parse(name: &str) -> Option<Alg> {
        Alg::ALL.into_iter().find(|a| a.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Alg::RS256 => "RS256",
            Alg::RS384 => "RS384",
            Alg::RS512 => "RS512",
            Alg::ES256 => "ES256",
            Alg::ES384 => "ES384",
            Alg::ES512 => "ES512",
        }
    }

    /// The curve of an ES algorithm, and its coordinates' length in bytes.
    fn curve(self) -> Option<(&'static str, usize)> {
        match self {
            Alg::ES256 => Some(("P-256", 32)),
            Alg::ES384 => Some(("P-384", 48)),
            Alg::ES512 => Some(("P-521", 66)),
            _ => None,
        }
    }

    /// The algorithm a published key signs with: its `alg` when it names one of ours, else RS256 for an RSA
    /// key and the curve's for an EC key (the strict reading: a key without `alg` signs one algorithm).
    /// `None`: no algorithm the authorizer accepts (a key for another `alg` or `use`, another curve or type).
    pub fn of_key(jwk: &Jwk) -> Option<Alg> {
        if jwk.use_.as_deref().is_some_and(|u| u != "sig") {
            return None;
        }
        let by_type = match jwk.kty.as_str() {
            "RSA" => Alg::RS256,
            "EC" => match jwk.crv.as_deref()? {
                "P-256" => Alg::ES256,
                "P-384" => Alg::ES384,
                "P-521" => Alg::ES512,
                _ => return None,
            },
            _ => return None,
        };
        match jwk.alg.as_deref() {
            None => Some(by_type),
            Some(a) => {
                let named = Alg::parse(a)?;
                let same_type = named.curve().is_some() == (jwk.kty == "EC") && (named.curve().is_none() || named == by_type);
                same_type.then_some(named)
            }
        }
    }

    /// Checks `signature` over `message` with `jwk`, which must be a key of this algorithm.
    pub fn verify(self, jwk: &Jwk, message: &[u8], signature: &[u8]) -> Result<(), String> {
        if Alg::of_key(jwk) != Some(self) {
            return Err(format!("the JWKS key {:?} is not a {} signing key", jwk.kid, self.as_str()));
        }
        let b64 = |v: &str, what: &str| {
            URL_SAFE_NO_PAD
                .decode(v)
                .map_err(|_| format!("the JWKS key {:?}: {what} is not base64url", jwk.kid))
        };
        let ok = match self.curve() {
            None => {
                let n = b64(&jwk.n, "n")?;
                let bits = n.iter().position(|b| *b != 0).map_or(0, |first| (n.len() - first) * 8);
                if bits < MIN_RSA_BITS {
                    return Err(format!("the JWKS key {:?} is shorter than {MIN_RSA_BITS} bits", jwk.kid));
                }
                let components = RsaPublicKeyComponents { n, e: b64(&jwk.e, "e")? };
                let params = match self {
                    Alg::RS384 => &RSA_PKCS1_2048_8192_SHA384,
                    Alg::RS512 => &RSA_PKCS1_2048_8192_SHA512,
                    _ => &RSA_PKCS1_2048_8192_SHA256,
                };
                components.verify(params, message, signature).is_ok()
            }
            Some((_, len)) => {
                let (x, y) = (b64(jwk.x.as_deref().unwrap_or(""), "x")?, b64(jwk.y.as_deref().unwrap_or(""), "y")?);
                if x.len() != len || y.len() != len {
                    return Err(format!(
                        "the JWKS key {:?} is not a point of {}",
                        jwk.kid,
                        jwk.crv.as_deref().unwrap_or("?")
                    ));
                }
                let point = [&[0x04][..], &x, &y].concat();
                let params = match self {
                    Alg::ES384 => &ECDSA_P384_SHA384_FIXED,
                    Alg::ES512 => &ECDSA_P521_SHA512_FIXED,
                    _ => &ECDSA_P256_SHA256_FIXED,
                };
                UnparsedPublicKey::new(params, point).verify(message, signature).is_ok()
            }
        };
        if ok { Ok(()) } else { Err("signature verification failed".into()) }
    }
}

/// The algorithms a REST API's authorizer is given (`defaultAlgorithms`): those of the keys it trusts, in
/// `Alg` order.
pub fn algorithms_of(jwks: &Jwks) -> Vec<Alg> {
    let mut algs: Vec<Alg> = jwks.keys.iter().filter_map(Alg::of_key).collect();
    algs.sort();
    algs.dedup();
    algs
}

#[cfg(test)]
mod tests;
