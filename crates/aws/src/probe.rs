//! Sends the live probe's requests (`jwtstack_core::probe`) to a gateway over HTTP(S) and collects its answers:
//! the tokens are signed here, by the stack's signer (its key in SSM or KMS, or a PEM), or by a key generated
//! for the probe that no JWKS holds. Only the status and the headers API Gateway's authorizer sets are read; a
//! body is never read, and a token never leaves this module but in its request.

use std::time::Duration;

use futures_util::StreamExt;
use rand::rngs::OsRng;

use crate::signer::Signer;
use jwtstack_core::crypto::keys::SigningKey;
use jwtstack_core::crypto::token::{MintRequest, mint, prepare, sign_rs256};
use jwtstack_core::probe::{
    Answer, Case, CaseResult, Expect, OTHER_AUDIENCE, OTHER_ISSUER, PROBE_SUBJECT, PROBE_TTL_SECONDS, ProbePlan, ProbeReport, Token,
    UNKNOWN_KID, unsigned_token,
};

/// One request's time limit: API Gateway's own integration limit (a public route's integration may take it).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// A probe token's `iat` and `nbf` lie this far back, so a local clock ahead of AWS's does not make a valid
/// token look issued in the future (API Gateway documents no leeway).
const CLOCK_SKEW_SECONDS: u64 = 60;
/// A request throttled (429) is sent again after 1, 2, 4 and 8 seconds: a stage with low limits still gets
/// probed, and a 429 that stays is a finding.
const THROTTLED_RETRIES: u32 = 4;
/// Requests in flight at once.
const CONCURRENCY: usize = 4;

/// What the probe signs with, and the claims a valid token carries.
pub struct ProbeKeys<'a> {
    /// The stack's signer (`None`: an external issuer's provider signs, or the key could not be read).
    pub signer: Option<&'a Signer>,
    /// The stack's kid, named by the forged and the unsigned token.
    pub kid: Option<String>,
    pub issuer: String,
    pub audience: String,
    /// The claims a valid token of the stack carries beside the registered ones (a REST API's required ones).
    pub claims: Vec<(String, String)>,
}

/// How long to keep asking while a gateway that is still taking a change answers 404 (the route is not
/// deployed yet) or 401 where a valid token must get 403 (a new key not fetched yet).
#[derive(Debug, Clone, Copy)]
pub struct Patience {
    pub retries: u32,
    pub pause: Duration,
}

impl Patience {
    /// A gateway just deployed: a few tries over about 20 seconds.
    pub const AFTER_DEPLOY: Patience = Patience {
        retries: 5,
        pause: Duration::from_secs(4),
    };
    /// A gateway that should behave now.
    pub const NONE: Patience = Patience {
        retries: 0,
        pause: Duration::ZERO,
    };
}

/// Sends every case of `plan` to `endpoint` and judges the answers.
pub async fn run(plan: &ProbePlan, endpoint: &str, keys: &ProbeKeys<'_>, patience: Patience) -> ProbeReport {
    let client = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build();
    let base = endpoint.trim_end_matches('/').to_string();
    let unknown = tokio::task::spawn_blocking(|| SigningKey::generate(UNKNOWN_KID, 2048).ok())
        .await
        .ok()
        .flatten();
    let results = match &client {
        Ok(client) => {
            futures_util::stream::iter(plan.cases.iter().cloned())
                .map(|case| one(client, &base, case, keys, unknown.as_ref(), patience))
                .buffered(CONCURRENCY)
                .collect::<Vec<_>>()
                .await
        }
        Err(e) => plan
            .cases
            .iter()
            .map(|c| CaseResult::new(c.clone(), Err(format!("no HTTP client: {e}")), 0))
            .collect(),
    };
    ProbeReport {
        endpoint: endpoint.to_string(),
        results,
        unproven: plan.unproven.clone(),
    }
}

async fn one(
    client: &reqwest::Client,
    base: &str,
    case: Case,
    keys: &ProbeKeys<'_>,
    unknown: Option<&SigningKey>,
    patience: Patience,
) -> CaseResult {
    let token = match token_for(&case.token, keys, unknown).await {
        Ok(t) => t,
        Err(e) => return CaseResult::new(case, Err(e), 0),
    };
    let (mut retries, mut throttled) = (0, 0);
    loop {
        let answer = send(client, base, &case, token.as_deref()).await;
        if matches!(&answer, Ok(a) if a.status == 429) && throttled < THROTTLED_RETRIES {
            tokio::time::sleep(Duration::from_secs(1 << throttled)).await;
            throttled += 1;
            continue;
        }
        let again = match &answer {
            Ok(a) => a.no_route_yet() || (case.expect == Expect::Forbidden && a.status == 401),
            Err(_) => false,
        };
        if !again || retries >= patience.retries {
            return CaseResult::new(case, answer, retries);
        }
        retries += 1;
        tokio::time::sleep(patience.pause).await;
    }
}

/// The `Authorization` value of a case (`None`: no header).
async fn token_for(token: &Token, keys: &ProbeKeys<'_>, unknown: Option<&SigningKey>) -> Result<Option<String>, String> {
    let now = jwtstack_core::clock::now_secs().saturating_sub(CLOCK_SKEW_SECONDS);
    // A required `sub` is the token's subject; the other required claims are extra ones.
    let subject = keys
        .claims
        .iter()
        .find(|(n, _)| n == "sub")
        .map_or(PROBE_SUBJECT, |(_, v)| v.as_str());
    let mut req = MintRequest {
        issuer: keys.issuer.clone(),
        audience: vec![keys.audience.clone()],
        subject: subject.into(),
        scopes: Vec::new(),
        ttl_seconds: PROBE_TTL_SECONDS + CLOCK_SKEW_SECONDS,
        extra: keys
            .claims
            .iter()
            .filter(|(name, _)| name != "sub")
            .map(|(name, value)| (name.clone(), serde_json::Value::String(value.clone())))
            .collect(),
    };
    let mut at = now;
    let own_key = || unknown.ok_or("could not generate the probe's own key");
    let stack_kid = || keys.kid.as_deref().ok_or("the stack's kid is not known here");
    match token {
        Token::None => return Ok(None),
        Token::Malformed => return Ok(Some("jwtstack-probe.not-a-token".into())),
        Token::UnknownKey => return mint(own_key()?, &req, now, &mut OsRng).map(Some).map_err(|e| e.to_string()),
        Token::ForgedSignature => {
            let unsigned = prepare(stack_kid()?, &req, now, &mut OsRng).map_err(|e| e.to_string())?;
            let signature = sign_rs256(own_key()?, unsigned.signing_input()).map_err(|e| e.to_string())?;
            return unsigned.finish(&signature).map(Some).map_err(|e| e.to_string());
        }
        Token::Unsigned => {
            let unsigned = prepare(stack_kid()?, &req, now, &mut OsRng).map_err(|e| e.to_string())?;
            return Ok(Some(unsigned_token(&unsigned, stack_kid()?)));
        }
        Token::Expired => at = now.saturating_sub(3600),
        Token::OtherAudience => req.audience = vec![OTHER_AUDIENCE.into()],
        Token::OtherIssuer => req.issuer = OTHER_ISSUER.into(),
        Token::IssuerWithSlash => req.issuer = format!("{}/", keys.issuer),
        Token::MissingClaim { name } => {
            req.extra.remove(name);
        }
        Token::TrustedIssuer { issuer } => req.issuer = issuer.clone(),
        Token::WithoutScopes { scope } => req.scopes = vec![scope.clone()],
        Token::WithScopes { scopes } => req.scopes = scopes.clone(),
    }
    let signer = keys.signer.ok_or("the stack's key cannot be read here")?;
    signer.mint(&req, at, &mut OsRng).await.map(Some).map_err(|e| e.to_string())
}

async fn send(client: &reqwest::Client, base: &str, case: &Case, token: Option<&str>) -> Result<Answer, String> {
    let url = format!("{base}{}", case.path);
    let method = reqwest::Method::from_bytes(case.method.as_bytes()).map_err(|e| e.to_string())?;
    let mut req = client.request(method, &url);
    if let Some(t) = token {
        req = req.header(reqwest::header::AUTHORIZATION, format!("Bearer {t}"));
    }
    if let Some(p) = &case.preflight {
        req = req
            .header(reqwest::header::ORIGIN, &p.origin)
            .header(reqwest::header::ACCESS_CONTROL_REQUEST_METHOD, &p.method);
        if let Some(h) = &p.headers {
            req = req.header(reqwest::header::ACCESS_CONTROL_REQUEST_HEADERS, h);
        }
    }
    let resp = req.send().await.map_err(|e| {
        if e.is_timeout() {
            format!("no answer from {url} within {} s", REQUEST_TIMEOUT.as_secs())
        } else {
            crate::fetch::with_causes(&e)
        }
    })?;
    let header = |name: reqwest::header::HeaderName| resp.headers().get(name).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    Ok(Answer {
        status: resp.status().as_u16(),
        www_authenticate: header(reqwest::header::WWW_AUTHENTICATE),
        allow_origin: header(reqwest::header::ACCESS_CONTROL_ALLOW_ORIGIN),
        error_type: header(reqwest::header::HeaderName::from_static("x-amzn-errortype")),
    })
}
