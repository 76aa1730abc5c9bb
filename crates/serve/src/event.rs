//! API Gateway's payload format 2.0, both ways: the event a Lambda integration receives, and how the
//! function's answer becomes the HTTP response. Pure functions.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

/// What an event is built from, for either API type.
pub struct Request<'a> {
    pub method: &'a str,
    /// The request's path (under the stage, on a REST API).
    pub path: &'a str,
    pub raw_query: &'a str,
    /// Header names as received; values as UTF-8 (lossy).
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
    pub path_parameters: &'a BTreeMap<String, String>,
    /// The verified claims (absent on a public route: `auth: none`).
    pub claims: Option<&'a Map<String, Value>>,
    pub source_ip: &'a str,
    pub request_id: &'a str,
    pub time_epoch_ms: u128,
    pub domain: &'a str,
}

/// A claim value as API Gateway passes it: strings as they are, numbers and booleans as their JSON text,
/// arrays flattened to `[a b]`, objects as JSON text (AWS documents strings and arrays only; this is the
/// strict reading).
pub fn flatten_claim(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let parts: Vec<String> = items
                .iter()
                .map(|i| match i {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            format!("[{}]", parts.join(" "))
        }
        other => other.to_string(),
    }
}

/// The token's scopes, from `scope` (space-separated) and `scp` (a list).
pub fn token_scopes(claims: &Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    for name in ["scope", "scp"] {
        match claims.get(name) {
            Some(Value::String(s)) => out.extend(s.split(' ').filter(|x| !x.is_empty()).map(String::from)),
            Some(Value::Array(a)) => out.extend(a.iter().filter_map(Value::as_str).map(String::from)),
            _ => {}
        }
    }
    out
}

/// Whether a body of this content type travels as text (else it is base64-encoded, `isBase64Encoded: true`).
pub fn is_text(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else { return false };
    let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence.starts_with("text/")
        || essence.ends_with("+json")
        || essence.ends_with("+xml")
        || matches!(
            essence.as_str(),
            "application/json" | "application/xml" | "application/javascript" | "application/x-www-form-urlencoded"
        )
}

/// A query string's name or value, percent- and plus-decoded.
pub(crate) fn decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The payload 2.0 event of the route `route_key`; `scopes` is `None` when the route has none (API Gateway then
/// sends `null`).
pub fn build(r: &Request, route_key: &str, scopes: Option<Vec<String>>) -> Value {
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    let mut cookies: Vec<String> = Vec::new();
    for (name, value) in r.headers {
        let name = name.to_ascii_lowercase();
        if name == "cookie" {
            cookies.extend(value.split(';').map(str::trim).filter(|c| !c.is_empty()).map(String::from));
            continue;
        }
        headers
            .entry(name)
            .and_modify(|v| {
                v.push(',');
                v.push_str(value);
            })
            .or_insert_with(|| value.clone());
    }
    let mut query: BTreeMap<String, String> = BTreeMap::new();
    for pair in r.raw_query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        query
            .entry(decode(k))
            .and_modify(|cur| {
                cur.push(',');
                cur.push_str(&decode(v));
            })
            .or_insert_with(|| decode(v));
    }
    let content_type = headers.get("content-type").map(String::as_str);
    let (body, base64) = match (is_text(content_type), std::str::from_utf8(r.body)) {
        _ if r.body.is_empty() => (None, false),
        (true, Ok(text)) => (Some(text.to_string()), false),
        _ => (Some(STANDARD.encode(r.body)), true),
    };
    let claims: Option<Map<String, Value>> = r
        .claims
        .map(|c| c.iter().map(|(k, v)| (k.clone(), Value::String(flatten_claim(v)))).collect());
    let mut event = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": r.path,
        "rawQueryString": r.raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "local",
            "domainName": r.domain,
            "domainPrefix": r.domain.split('.').next().unwrap_or(r.domain),
            "http": {
                "method": r.method,
                "path": r.path,
                "protocol": "HTTP/1.1",
                "sourceIp": r.source_ip,
                "userAgent": headers.get("user-agent").cloned().unwrap_or_default(),
            },
            "requestId": r.request_id,
            "routeKey": route_key,
            "stage": "$default",
            "timeEpoch": r.time_epoch_ms as u64,
        },
        "isBase64Encoded": base64,
    });
    if let Some(claims) = claims {
        event["requestContext"]["authorizer"] = json!({"jwt": {"claims": claims, "scopes": scopes}});
    }
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    if !query.is_empty() {
        event["queryStringParameters"] = json!(query);
    }
    if !r.path_parameters.is_empty() {
        event["pathParameters"] = json!(r.path_parameters);
    }
    if let Some(b) = body {
        event["body"] = Value::String(b);
    }
    event
}

/// The HTTP response a function's answer becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Why a function's answer cannot become a response (API Gateway answers 500 then).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the function's answer {0}")]
pub struct BadAnswer(pub String);

/// Maps the function's answer as API Gateway does for payload 2.0: an object with `statusCode` gives the
/// status, `headers`, `cookies`, `body` and `isBase64Encoded`; any other valid JSON is a 200 whose body is
/// that JSON, with `content-type: application/json`.
pub fn response(answer: &[u8]) -> Result<Response, BadAnswer> {
    let value: Value = serde_json::from_slice(answer).map_err(|e| BadAnswer(format!("is not JSON: {e}")))?;
    let Some(obj) = value.as_object().filter(|o| o.contains_key("statusCode")) else {
        return Ok(Response {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: value.to_string().into_bytes(),
        });
    };
    let status = obj
        .get("statusCode")
        .and_then(Value::as_u64)
        .filter(|s| (100..=599).contains(s))
        .ok_or_else(|| BadAnswer("has a statusCode that is not an HTTP status".into()))? as u16;
    let mut headers = Vec::new();
    if let Some(h) = obj.get("headers") {
        let h = h
            .as_object()
            .ok_or_else(|| BadAnswer("has headers that are not an object".into()))?;
        for (k, v) in h {
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            headers.push((k.to_ascii_lowercase(), v));
        }
    }
    if let Some(c) = obj.get("cookies").and_then(Value::as_array) {
        headers.extend(
            c.iter()
                .filter_map(Value::as_str)
                .map(|c| ("set-cookie".to_string(), c.to_string())),
        );
    }
    let body = match obj.get("body") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) if obj.get("isBase64Encoded").and_then(Value::as_bool) == Some(true) => STANDARD
            .decode(s)
            .map_err(|_| BadAnswer("says isBase64Encoded but its body is not base64".into()))?,
        Some(Value::String(s)) => s.clone().into_bytes(),
        Some(other) => other.to_string().into_bytes(),
    };
    Ok(Response { status, headers, body })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A request's headers: a JSON body, one name sent twice in two cases, cookies.
    pub(crate) fn headers() -> Vec<(String, String)> {
        [
            ("Content-Type", "application/json"),
            ("X-Dup", "1"),
            ("x-dup", "2"),
            ("Cookie", "a=1; b=2"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .to_vec()
    }

    #[test]
    fn claims_are_flattened_as_api_gateway_does() {
        assert_eq!(flatten_claim(&json!("alice")), "alice");
        assert_eq!(flatten_claim(&json!(1_700_000_000)), "1700000000");
        assert_eq!(flatten_claim(&json!(true)), "true");
        assert_eq!(flatten_claim(&json!(["a", "b"])), "[a b]");
        assert_eq!(flatten_claim(&json!({"x": 1})), r#"{"x":1}"#);
        let claims = json!({"scope": "a b", "scp": ["c"]});
        assert_eq!(token_scopes(claims.as_object().unwrap()), ["a", "b", "c"]);
    }

    #[test]
    fn the_event_has_api_gateway_shape() {
        let claims = json!({"sub": "alice", "exp": 5, "groups": ["x", "y"], "scope": "lists.read"});
        let params = BTreeMap::from([("id".to_string(), "42".to_string())]);
        let headers = headers();
        let r = Request {
            method: "POST",
            path: "/lists/42",
            raw_query: "q=a%20b&q=c&flag",
            headers: &headers,
            body: br#"{"name":"milk"}"#,
            path_parameters: &params,
            claims: claims.as_object(),
            source_ip: "127.0.0.1",
            request_id: "r1",
            time_epoch_ms: 1,
            domain: "localhost",
        };
        let e = build(&r, "POST /lists/{id}", Some(vec!["lists.read".into()]));
        assert_eq!(e["version"], "2.0");
        assert_eq!(e["routeKey"], "POST /lists/{id}");
        assert_eq!(e["rawQueryString"], "q=a%20b&q=c&flag");
        assert_eq!(e["queryStringParameters"], json!({"q": "a b,c", "flag": ""}));
        assert_eq!(e["headers"]["x-dup"], "1,2");
        assert_eq!(e["headers"].get("cookie"), None);
        assert_eq!(e["cookies"], json!(["a=1", "b=2"]));
        assert_eq!(e["pathParameters"], json!({"id": "42"}));
        assert_eq!(e["body"], r#"{"name":"milk"}"#);
        assert_eq!(e["isBase64Encoded"], false);
        let jwt = &e["requestContext"]["authorizer"]["jwt"];
        assert_eq!(
            jwt["claims"],
            json!({"sub": "alice", "exp": "5", "groups": "[x y]", "scope": "lists.read"})
        );
        assert_eq!(jwt["scopes"], json!(["lists.read"]));
        assert_eq!(e["requestContext"]["http"]["method"], "POST");

        let binary = Request {
            body: &[0xff, 0x00],
            headers: &[],
            ..r
        };
        let e = build(&binary, "POST /lists/{id}", None);
        assert_eq!((e["body"].as_str(), e["isBase64Encoded"].as_bool()), (Some("/wA="), Some(true)));
        assert_eq!(e["requestContext"]["authorizer"]["jwt"]["scopes"], Value::Null);
    }

    #[test]
    fn answers_become_responses() {
        let r = response(br#"{"statusCode": 201, "headers": {"X-A": "1"}, "cookies": ["s=1"], "body": "made"}"#).unwrap();
        assert_eq!(r.status, 201);
        assert_eq!(r.headers, [("x-a".into(), "1".into()), ("set-cookie".into(), "s=1".into())]);
        assert_eq!(r.body, b"made");
        let r = response(br#"{"statusCode": 200, "body": "/wA=", "isBase64Encoded": true}"#).unwrap();
        assert_eq!(r.body, [0xff, 0x00]);
        let r = response(br#"{"ok": true}"#).unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, br#"{"ok":true}"#.as_slice()));
        assert_eq!(r.headers, [("content-type".into(), "application/json".into())]);
        let r = response(b"\"just text\"").unwrap();
        assert_eq!(r.body, b"\"just text\"");
        assert!(response(b"not json").is_err());
        assert!(response(br#"{"statusCode": "abc"}"#).is_err());
        assert!(response(br#"{"statusCode": 200, "body": "!!", "isBase64Encoded": true}"#).is_err());
    }
}
