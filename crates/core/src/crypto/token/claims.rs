//! The claims half of a decision: issuer, audience, times, a REST API's required claims, then scopes.
//!
//! HTTP APIs follow the order and words of the HTTP API developer guide (docs/tokens.md). For REST APIs AWS
//! documents the rules but not their order: we check the issuer (the one the token's `iss` names, whose keys
//! verified it), its audiences (`aud` only: AWS does not say REST APIs fall back to `client_id`, so we do
//! not), the times as for HTTP APIs, the issuer's required claims, then scopes, the only failure AWS
//! documents as 403.

use serde_json::{Map, Value};

use super::{AuthorizerConfig, Decision, IssuerRule, Verified, b64};
use crate::config::{ApiType, ClaimRule};

/// The outcome, and the trusted issuer the token named (once its `iss` matched one).
pub(super) fn check(
    cfg: &AuthorizerConfig,
    v: &Verified,
    route_scopes: Option<&[String]>,
    now: u64,
) -> (Result<(), Decision>, Option<String>) {
    let claims = &v.claims;
    let iss = claims.get("iss").and_then(Value::as_str);
    let rule = match cfg.api {
        ApiType::Http => cfg.issuers.first().filter(|r| Some(r.issuer.as_str()) == iss),
        // The key set that verified the token must be the issuer's the token names.
        ApiType::Rest => cfg
            .issuers
            .iter()
            .find(|r| Some(r.issuer.as_str()) == iss && v.issuer.as_deref() == Some(r.issuer.as_str())),
    };
    let Some(rule) = rule else {
        return (Err(Decision::unauthorized("issuer does not match")), None);
    };
    let issuer = Some(rule.issuer.clone());
    (check_rule(cfg.api, rule, claims, route_scopes, now), issuer)
}

fn check_rule(
    api: ApiType,
    rule: &IssuerRule,
    claims: &Map<String, Value>,
    route_scopes: Option<&[String]>,
    now: u64,
) -> Result<(), Decision> {
    let audience_ok = match claims.get("aud") {
        Some(Value::String(a)) => rule.audiences.contains(a),
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).any(|a| rule.audiences.iter().any(|c| c == a)),
        Some(_) => false,
        None if api == ApiType::Http => claims
            .get("client_id")
            .and_then(Value::as_str)
            .is_some_and(|c| rule.audiences.iter().any(|a| a == c)),
        None => false,
    };
    if !audience_ok {
        return Err(Decision::unauthorized("the token does not have a valid audience"));
    }
    times(claims, now)?;
    for c in &rule.claims {
        additional_claim(c, claims)?;
    }
    scopes(claims, route_scopes)
}

fn times(claims: &Map<String, Value>, now: u64) -> Result<(), Decision> {
    let time = |name: &str| -> Result<Option<f64>, Decision> {
        match claims.get(name) {
            None => Ok(None),
            Some(v) => v
                .as_f64()
                .map(Some)
                .ok_or_else(|| Decision::unauthorized(format!("claim {name} is not a number"))),
        }
    };
    let now_f = now as f64;
    match time("exp")? {
        None => return Err(Decision::unauthorized("token has no exp claim")),
        Some(exp) if exp <= now_f => return Err(Decision::unauthorized("token is expired")),
        Some(_) => {}
    }
    if time("nbf")?.is_some_and(|nbf| nbf > now_f) {
        return Err(Decision::unauthorized("token is not valid yet (nbf is in the future)"));
    }
    if time("iat")?.is_some_and(|iat| iat > now_f) {
        return Err(Decision::unauthorized("token was issued in the future (iat)"));
    }
    Ok(())
}

/// API Gateway's `JwtAdditionalClaim` with format SINGLE_STRING: a required claim must be there; a present
/// one must be a non-empty string, and one of the expected values when there are some (exact,
/// case-sensitive). A claim of another type is refused: SINGLE_STRING is the only format AWS offers, and it says nothing of
/// lists or numbers, so we take the strict reading.
fn additional_claim(rule: &ClaimRule, claims: &Map<String, Value>) -> Result<(), Decision> {
    match claims.get(&rule.name) {
        None if rule.required => Err(Decision::unauthorized(format!("required claim {:?} is missing", rule.name))),
        None => Ok(()),
        // An empty string is no value: AWS refuses one as an expected value, and says nothing of it in a
        // token, so it passes no rule.
        Some(Value::String(s)) if s.is_empty() => Err(Decision::unauthorized(format!("claim {:?} is empty", rule.name))),
        Some(Value::String(s)) if rule.values.is_empty() || rule.values.contains(s) => Ok(()),
        Some(Value::String(_)) => Err(Decision::unauthorized(format!(
            "claim {:?} does not have an expected value",
            rule.name
        ))),
        Some(_) => Err(Decision::unauthorized(format!("claim {:?} is not a single string", rule.name))),
    }
}

fn scopes(claims: &Map<String, Value>, route_scopes: Option<&[String]>) -> Result<(), Decision> {
    let Some(required) = route_scopes.filter(|s| !s.is_empty()) else {
        return Ok(());
    };
    let mut held: Vec<&str> = Vec::new();
    for claim in ["scope", "scp"] {
        match claims.get(claim) {
            Some(Value::String(s)) => held.extend(s.split(' ').filter(|x| !x.is_empty())),
            Some(Value::Array(a)) => held.extend(a.iter().filter_map(Value::as_str)),
            _ => {}
        }
    }
    if required.iter().any(|r| held.contains(&r.as_str())) {
        return Ok(());
    }
    let list = required.join(" ");
    let mut d = Decision::local(false, 403, format!("insufficient scope: expected one of [{list}]"));
    d.www_authenticate = Some(format!(
        r#"Bearer scope="{list}" error="insufficient_scope" error_description="expected scopes: [{list}]""#
    ));
    Err(d)
}

/// The `iss` of a token whose signature is not checked yet: only to choose whose keys check it.
pub(super) fn unverified_issuer(payload: &str) -> Result<String, Decision> {
    let Some(claims) = b64(payload).and_then(|p| serde_json::from_slice::<Map<String, Value>>(&p).ok()) else {
        return Err(Decision::unauthorized("malformed token: payload is not base64url JSON"));
    };
    match claims.get("iss") {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(Decision::unauthorized("claim iss is not a string")),
        None => Err(Decision::unauthorized(
            "token has no iss claim: the authorizer cannot tell whose keys to check it with",
        )),
    }
}
