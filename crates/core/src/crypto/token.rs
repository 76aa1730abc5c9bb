//! Minting RS256 tokens, and deciding on a token exactly as API Gateway's JWT authorizer does.
//!
//! The clock and the RNG are parameters, so every output is reproducible in tests. Where AWS documents nothing
//! we take the strict reading (see docs/tokens.md, "How verify decides"): RS256 only, `exp` required, no clock leeway,
//! `crit` rejected, embedded `jwk`/`jku`/`x5u`/`x5c` headers ignored.

use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaPublicKeyComponents};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::{CryptoRng, RngCore};
use rsa::traits::PublicKeyParts;
use serde::Serialize;
use serde_json::{Map, Value};

use super::jws::{Alg, MIN_RSA_BITS, algorithms_of};
use super::keys::{Jwks, KeyError, SigningKey};
use crate::config::{ApiType, ClaimRule, Stack};

/// API Gateway's limit on the request line and headers bounds the token.
pub const MAX_TOKEN_BYTES: usize = 10_240;

/// What goes into a minted token besides the registered claims.
#[derive(Debug, Clone, Default)]
pub struct MintRequest {
    pub issuer: String,
    pub audience: Vec<String>,
    pub subject: String,
    pub scopes: Vec<String>,
    pub ttl_seconds: u64,
    /// Extra claims; they may not override the registered ones.
    pub extra: Map<String, Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum MintError {
    #[error("claim `{0}` is set by jwtstack and cannot be given as an extra claim")]
    Reserved(String),
    #[error("the token needs at least one audience")]
    NoAudience,
    #[error("the token is {0} bytes, over API Gateway's {MAX_TOKEN_BYTES}-byte header limit")]
    TooLarge(usize),
    #[error("signing failed")]
    Sign,
    #[error(transparent)]
    Key(#[from] KeyError),
}

const RESERVED: [&str; 8] = ["iss", "aud", "sub", "iat", "nbf", "exp", "jti", "scope"];

/// Signs a compact RS256 JWT with `kid` = the key's kid.
pub fn mint<R: RngCore + CryptoRng>(key: &SigningKey, req: &MintRequest, now: u64, rng: &mut R) -> Result<String, MintError> {
    let unsigned = prepare(&key.kid, req, now, rng)?;
    let signature = sign_rs256(key, unsigned.signing_input())?;
    unsigned.finish(&signature)
}

/// A token's header and claims, encoded, waiting for its signature: minting with a key held elsewhere (KMS)
/// is [`prepare`], a signature of [`Unsigned::signing_input`], then [`Unsigned::finish`].
#[derive(Debug, Clone)]
pub struct Unsigned {
    signing_input: String,
}

impl Unsigned {
    /// `base64url(header) "." base64url(claims)`: the bytes RS256 signs.
    pub fn signing_input(&self) -> &[u8] {
        self.signing_input.as_bytes()
    }

    /// The compact token with `signature` appended.
    pub fn finish(self, signature: &[u8]) -> Result<String, MintError> {
        let token = format!("{}.{}", self.signing_input, URL_SAFE_NO_PAD.encode(signature));
        if token.len() > MAX_TOKEN_BYTES {
            return Err(MintError::TooLarge(token.len()));
        }
        Ok(token)
    }
}

/// The most KMS's Sign takes as a `RAW` message; a longer signing input is sent as its SHA-256 `DIGEST`.
pub const KMS_RAW_MAX_BYTES: usize = 4096;

/// What KMS's Sign is given for `input` (RSASSA_PKCS1_V1_5_SHA_256): the input itself (`RAW`) up to
/// [`KMS_RAW_MAX_BYTES`], else its SHA-256 (`DIGEST`), which KMS pads and signs without hashing again (the
/// Sign API reference, MessageType). Both give the signature of `input`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KmsMessage<'a> {
    Raw(&'a [u8]),
    Digest([u8; 32]),
}

pub fn kms_message(input: &[u8]) -> KmsMessage<'_> {
    if input.len() <= KMS_RAW_MAX_BYTES {
        KmsMessage::Raw(input)
    } else {
        let mut digest = [0; 32];
        digest.copy_from_slice(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, input).as_ref());
        KmsMessage::Digest(digest)
    }
}

/// Encodes the header (`kid`) and the claims of a token; see [`Unsigned`].
pub fn prepare<R: RngCore + CryptoRng>(kid: &str, req: &MintRequest, now: u64, rng: &mut R) -> Result<Unsigned, MintError> {
    if let Some(r) = req.extra.keys().find(|k| RESERVED.contains(&k.as_str())) {
        return Err(MintError::Reserved(r.clone()));
    }
    let aud = match req.audience.as_slice() {
        [] => return Err(MintError::NoAudience),
        [one] => Value::String(one.clone()),
        many => Value::Array(many.iter().cloned().map(Value::String).collect()),
    };
    let mut jti = [0u8; 16];
    rng.fill_bytes(&mut jti);
    let mut claims = Map::new();
    claims.insert("iss".into(), Value::String(req.issuer.clone()));
    claims.insert("aud".into(), aud);
    claims.insert("sub".into(), Value::String(req.subject.clone()));
    claims.insert("iat".into(), now.into());
    claims.insert("nbf".into(), now.into());
    claims.insert("exp".into(), now.saturating_add(req.ttl_seconds).into());
    claims.insert("jti".into(), Value::String(URL_SAFE_NO_PAD.encode(jti)));
    if !req.scopes.is_empty() {
        claims.insert("scope".into(), Value::String(req.scopes.join(" ")));
    }
    for (k, v) in &req.extra {
        claims.insert(k.clone(), v.clone());
    }
    #[derive(Serialize)]
    struct Header<'a> {
        alg: &'a str,
        typ: &'a str,
        kid: &'a str,
    }
    let header = Header {
        alg: "RS256",
        typ: "JWT",
        kid,
    };
    let header = serde_json::to_vec(&header).map_err(|_| MintError::Sign)?;
    let payload = serde_json::to_vec(&claims).map_err(|_| MintError::Sign)?;
    let signing_input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(payload));
    // Even unsigned, a token this long cannot pass API Gateway (an RS256 signature is at least 342 characters).
    if signing_input.len() + 1 > MAX_TOKEN_BYTES {
        return Err(MintError::TooLarge(signing_input.len() + 1));
    }
    Ok(Unsigned { signing_input })
}

/// RSASSA-PKCS1-v1_5 with SHA-256 over `message`: the RS256 primitive (aws-lc: the padding is rebuilt and
/// compared whole, so only the strict DER DigestInfo encoding passes; moduli of 2048 to 8192 bits).
pub fn verify_rs256(key: &rsa::RsaPublicKey, message: &[u8], signature: &[u8]) -> bool {
    let components = RsaPublicKeyComponents {
        n: key.n().to_bytes_be(),
        e: key.e().to_bytes_be(),
    };
    components.verify(&RSA_PKCS1_2048_8192_SHA256, message, signature).is_ok()
}

/// RS256 signature of `message` (deterministic: the same key and message give the same bytes), made by
/// aws-lc's constant-time, blinded RSA.
pub fn sign_rs256(key: &SigningKey, message: &[u8]) -> Result<Vec<u8>, MintError> {
    let pair = key.private();
    let mut signature = vec![0; pair.public_modulus_len()];
    pair.sign(&RSA_PKCS1_SHA256, &aws_lc_rs::rand::SystemRandom::new(), message, &mut signature)
        .map_err(|_| MintError::Sign)?;
    Ok(signature)
}

/// The authorizer's configuration: what the stack deploys.
#[derive(Debug, Clone)]
pub struct AuthorizerConfig {
    /// An HTTP API's JWT authorizer, or a REST API's: they decide differently (docs/tokens.md).
    pub api: ApiType,
    /// The issuers it trusts, the stack's own first; an HTTP API's trusts exactly one.
    pub issuers: Vec<IssuerRule>,
}

/// One trusted issuer: its exact URL, the audiences accepted from it, and (REST APIs) the claims its tokens
/// must carry.
#[derive(Debug, Clone)]
pub struct IssuerRule {
    pub issuer: String,
    pub audiences: Vec<String>,
    pub claims: Vec<ClaimRule>,
}

impl AuthorizerConfig {
    /// An HTTP API's authorizer: one issuer, its audiences.
    pub fn http(issuer: impl Into<String>, audiences: Vec<String>) -> AuthorizerConfig {
        AuthorizerConfig {
            api: ApiType::Http,
            issuers: vec![IssuerRule {
                issuer: issuer.into(),
                audiences,
                claims: Vec::new(),
            }],
        }
    }

    /// The authorizer `stack` deploys, its own issuer being `issuer_url`.
    pub fn of_stack(stack: &Stack, issuer_url: String) -> AuthorizerConfig {
        let mut issuers = vec![IssuerRule {
            issuer: issuer_url,
            audiences: stack.audience.clone(),
            claims: stack.require_claims.clone(),
        }];
        issuers.extend(stack.trust.iter().map(|t| IssuerRule {
            issuer: t.issuer.clone(),
            audiences: t.audience.clone(),
            claims: t.require_claims.clone(),
        }));
        AuthorizerConfig {
            api: stack.api_type,
            issuers,
        }
    }
}

/// API Gateway's answer.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Decision {
    pub allowed: bool,
    /// 200, 401 or 403.
    pub status: u16,
    /// The reason, in API Gateway's words where it has them.
    pub reason: String,
    /// HTTP APIs only: AWS documents no such header for REST APIs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub www_authenticate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// The trusted issuer the token's `iss` named, once its signature checked out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    // Boxed, so that a decision stays small where it is an error.
    /// The verified claims (only when the signature checked out).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Map<String, Value>>")]
    pub claims: Option<Box<Map<String, Value>>>,
}

impl Decision {
    fn unauthorized(reason: impl Into<String>) -> Decision {
        let reason = reason.into();
        Decision {
            allowed: false,
            status: 401,
            www_authenticate: Some(format!(
                r#"Bearer scope="" error="invalid_token" error_description="{}""#,
                reason.replace('"', "'")
            )),
            reason,
            kid: None,
            issuer: None,
            claims: None,
        }
    }

    /// A decision that is not API Gateway's (no route, an unsafe path): `status` and why.
    pub fn local(allowed: bool, status: u16, reason: impl Into<String>) -> Decision {
        Decision {
            allowed,
            status,
            reason: reason.into(),
            www_authenticate: None,
            kid: None,
            issuer: None,
            claims: None,
        }
    }

    /// As a REST API answers: no `WWW-Authenticate` header.
    fn for_api(mut self, api: ApiType) -> Decision {
        if api == ApiType::Rest {
            self.www_authenticate = None;
        }
        self
    }
}

/// Decides on the identity source's value (bare token or `Bearer <token>`) for a route with `route_scopes`
/// (`None`: no route given, so no scope check).
pub fn authorize(cfg: &AuthorizerConfig, jwks: &Jwks, identity: Option<&str>, route_scopes: Option<&[String]>, now: u64) -> Decision {
    match verify_token(cfg.api, jwks, identity) {
        Ok(v) => {
            let mut d = decide(cfg, &v, route_scopes, now);
            d.claims = Some(Box::new(v.claims));
            d
        }
        Err(d) => d,
    }
}

/// A token whose form, algorithm, kid and signature checked out: what no clock or route changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub kid: String,
    pub claims: Map<String, Value>,
    /// The issuer whose key set held the key (REST APIs, where each issuer has its own).
    pub issuer: Option<String>,
}

/// The time- and route-independent half of [`authorize`]: the token's form, header and signature against the
/// JWKS. Its result depends only on the token bytes and the JWKS, so a server may keep it per token.
///
/// A REST API's authorizer trusts several issuers, each with its own key set (each key marked with its
/// issuer, [`Jwks::of_issuer`]): the key is looked for only among the keys of the issuer the token names, so
/// one issuer's key never vouches for another issuer's `iss`.
pub fn verify_token(api: ApiType, jwks: &Jwks, identity: Option<&str>) -> Result<Verified, Decision> {
    let token = bare_token(identity).map_err(|d| d.for_api(api))?;
    verify_bare(api, jwks, token).map_err(|d| d.for_api(api))
}

/// The token in an identity source value: the bare token, or what follows `Bearer `.
pub fn bare_token(identity: Option<&str>) -> Result<&str, Decision> {
    let token = match identity.map(str::trim_end) {
        None | Some("") => return Err(Decision::unauthorized("missing: token not provided")),
        Some(v) => match v.get(..7) {
            Some(p) if p.eq_ignore_ascii_case("bearer ") => &v[7..],
            _ => v,
        },
    };
    if token.is_empty() {
        return Err(Decision::unauthorized("missing: token not provided"));
    }
    Ok(token)
}

/// The RSA public key of an HTTP API's JWKS key, or why it signs no token the authorizer accepts.
fn http_key(kid: &str, jwk: &super::keys::Jwk) -> Result<rsa::RsaPublicKey, String> {
    if jwk.alg.as_deref().is_some_and(|a| a != "RS256") || jwk.use_.as_deref().is_some_and(|u| u != "sig") {
        return Err(format!("the JWKS key {kid:?} is not an RS256 signing key"));
    }
    match jwk.to_public_key() {
        Ok(k) if k.size() * 8 >= MIN_RSA_BITS => Ok(k),
        Ok(_) => Err(format!("the JWKS key {kid:?} is shorter than {MIN_RSA_BITS} bits")),
        Err(e) => Err(e.to_string()),
    }
}

fn b64(s: &str) -> Option<Vec<u8>> {
    if s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        URL_SAFE_NO_PAD.decode(s).ok()
    } else {
        None
    }
}

fn verify_bare(api: ApiType, jwks: &Jwks, token: &str) -> Result<Verified, Decision> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Decision::unauthorized(format!("token is over {MAX_TOKEN_BYTES} bytes")));
    }
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(Decision::unauthorized(format!(
            "malformed token: {} segments, expected 3",
            parts.len()
        )));
    }
    let Some(header) = b64(parts[0]).and_then(|h| serde_json::from_slice::<Map<String, Value>>(&h).ok()) else {
        return Err(Decision::unauthorized("malformed token: header is not base64url JSON"));
    };
    let alg = match (api, header.get("alg").and_then(Value::as_str)) {
        (_, None) => return Err(Decision::unauthorized("malformed token: header has no alg")),
        (ApiType::Http, Some("RS256")) => Alg::RS256,
        (ApiType::Http, Some(alg)) => {
            return Err(Decision::unauthorized(format!(
                "unsupported algorithm {alg:?}: only RS256 is accepted"
            )));
        }
        // The authorizer's `defaultAlgorithms`: those of the keys it trusts.
        (ApiType::Rest, Some(name)) => {
            let accepted = algorithms_of(jwks);
            match Alg::parse(name).filter(|a| accepted.contains(a)) {
                Some(a) => a,
                None => {
                    let list: Vec<&str> = accepted.iter().map(|a| a.as_str()).collect();
                    return Err(Decision::unauthorized(format!(
                        "unsupported algorithm {name:?}: the authorizer accepts {}",
                        list.join(", ")
                    )));
                }
            }
        }
    };
    if header.contains_key("crit") {
        return Err(Decision::unauthorized("token header has a crit parameter, which is not supported"));
    }
    let Some(kid) = header.get("kid").and_then(Value::as_str) else {
        return Err(Decision::unauthorized("token header has no kid"));
    };
    let jwk = match api {
        ApiType::Http => jwks.find(kid),
        ApiType::Rest => {
            let iss = claims::unverified_issuer(parts[1])?;
            if !jwks.keys.iter().any(|k| k.issuer.as_deref() == Some(iss.as_str())) {
                return Err(Decision::unauthorized(format!("issuer {iss:?} is not one the authorizer trusts")));
            }
            jwks.keys.iter().find(|k| k.kid == kid && k.issuer.as_deref() == Some(iss.as_str()))
        }
    };
    let Some(jwk) = jwk else {
        let mut d = Decision::unauthorized(format!("unknown kid {kid:?}: not in the JWKS"));
        d.kid = Some(kid.into());
        return Err(d);
    };
    let with_kid = |mut d: Decision| {
        d.kid = Some(kid.into());
        Err(d)
    };
    // An HTTP API's key: RSA, RS256, 2048 bits or more, checked before the token's other segments.
    let rs256 = match api {
        ApiType::Http => match http_key(kid, jwk) {
            Ok(k) => Some(k),
            Err(why) => return with_kid(Decision::unauthorized(why)),
        },
        ApiType::Rest => None,
    };
    let (Some(sig), Some(payload)) = (b64(parts[2]), b64(parts[1])) else {
        return with_kid(Decision::unauthorized("malformed token: payload or signature is not base64url"));
    };
    let signed = format!("{}.{}", parts[0], parts[1]);
    let checked = match &rs256 {
        Some(public) => verify_rs256(public, signed.as_bytes(), &sig)
            .then_some(())
            .ok_or_else(|| "signature verification failed".to_string()),
        None => alg.verify(jwk, signed.as_bytes(), &sig),
    };
    if let Err(why) = checked {
        return with_kid(Decision::unauthorized(why));
    }
    let Ok(claims) = serde_json::from_slice::<Map<String, Value>>(&payload) else {
        return with_kid(Decision::unauthorized("malformed token: payload is not a JSON object"));
    };
    Ok(Verified {
        kid: kid.to_string(),
        claims,
        issuer: jwk.issuer.clone(),
    })
}

/// The clock- and route-dependent half of [`authorize`]: issuer, audience, times, (REST APIs) the required
/// claims, and scopes. The decision names the kid and the issuer; the claims stay in `v`.
pub fn decide(cfg: &AuthorizerConfig, v: &Verified, route_scopes: Option<&[String]>, now: u64) -> Decision {
    let (result, issuer) = claims::check(cfg, v, route_scopes, now);
    let mut d = match result {
        Ok(()) => Decision::local(true, 200, "allowed"),
        Err(d) => d,
    };
    d.kid = Some(v.kid.clone());
    d.issuer = issuer;
    d.for_api(cfg.api)
}

mod claims;
#[cfg(test)]
mod tests;
