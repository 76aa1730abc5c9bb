//! A REST API's Lambda proxy integration, both ways: the event the function receives and how its answer
//! becomes the HTTP response. Pure functions.
//!
//! The rules, from AWS's documentation:
//! - The input and output formats: API Gateway Developer Guide, "Set up Lambda proxy integrations in API
//!   Gateway" (`set-up-lambda-proxy-integrations`: "Input format of a Lambda function for proxy integration",
//!   "Output format ..."): `headers` and `queryStringParameters` hold a name's last value,
//!   `multiValueHeaders` and `multiValueQueryStringParameters` every value; `pathParameters`,
//!   `queryStringParameters` and `body` are `null` when there are none; a response's `headers` and
//!   `multiValueHeaders` are merged into one list, a name and value given in both appearing once.
//! - The claims: "Pass JWT claims to your integration" (`rest-api-jwt-authorizer-claims`): a Lambda proxy
//!   integration receives each top-level claim with its JSON type, at `requestContext.authorizer.claims`
//!   (unlike an HTTP API, which flattens them to strings). AWS documents no scopes there, so none are sent.
//! - The failures: Lambda Developer Guide, "Handling Lambda errors with an API Gateway API"
//!   (`services-apigateway-errors`): a function that fails or answers in the wrong format gives 502, an
//!   invocation the Lambda API refuses 500, both with `{"message": "Internal server error"}`.
//! - Binary bodies: without binary media types on the API (jwtstack sets none), API Gateway passes a request
//!   body as text and a response body as the function gave it: `isBase64Encoded` is `false` in the event, and a
//!   base64 body the function marks `isBase64Encoded` reaches the client as that base64 text ("Working with
//!   binary media types for REST APIs").

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::event::{BadAnswer, Request, Response, decode};

/// Each name's values in the order received, and its last value.
fn single_and_multi(pairs: impl Iterator<Item = (String, String)>) -> (Value, Value) {
    let mut multi: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in pairs {
        multi.entry(k).or_default().push(v);
    }
    if multi.is_empty() {
        return (Value::Null, Value::Null);
    }
    let single: BTreeMap<&String, &String> = multi.iter().filter_map(|(k, vs)| vs.last().map(|v| (k, v))).collect();
    (json!(single), json!(multi))
}

/// The Lambda proxy integration's event of the method at `resource` (its path template, `/lists/{id}`), served
/// on `stage`.
pub fn build(r: &Request, resource: &str, stage: &str) -> Value {
    let (headers, multi_headers) = single_and_multi(r.headers.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.clone())));
    let (query, multi_query) = single_and_multi(r.raw_query.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (decode(k), decode(v))
    }));
    let user_agent = headers.get("user-agent").cloned().unwrap_or(Value::Null);
    let mut context = json!({
        "accountId": "anonymous",
        "apiId": "local",
        "domainName": r.domain,
        "domainPrefix": r.domain.split('.').next().unwrap_or(r.domain),
        "extendedRequestId": r.request_id,
        "httpMethod": r.method,
        "identity": {"sourceIp": r.source_ip, "userAgent": user_agent},
        "path": format!("/{stage}{}", r.path),
        "protocol": "HTTP/1.1",
        "requestId": r.request_id,
        "requestTime": jwtstack_core::clock::format_request_time((r.time_epoch_ms / 1000) as i64),
        "requestTimeEpoch": r.time_epoch_ms as u64,
        "resourceId": "local",
        "resourcePath": resource,
        "stage": stage,
    });
    if let Some(claims) = r.claims {
        context["authorizer"] = json!({ "claims": claims });
    }
    json!({
        "resource": resource,
        "path": r.path,
        "httpMethod": r.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": if r.path_parameters.is_empty() { Value::Null } else { json!(r.path_parameters) },
        "stageVariables": Value::Null,
        "requestContext": context,
        "body": if r.body.is_empty() { Value::Null } else { Value::String(String::from_utf8_lossy(r.body).into_owned()) },
        "isBase64Encoded": false,
    })
}

/// A header value of the answer as text: a string as it is, anything else as its JSON text.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Maps the function's answer as a REST API's Lambda proxy integration does: an object with a numeric
/// `statusCode`, optional `headers`, `multiValueHeaders` and a string `body`; anything else is the wrong
/// format (502). The content type is `application/json` unless the answer gives one.
pub fn response(answer: &[u8]) -> Result<Response, BadAnswer> {
    let value: Value = serde_json::from_slice(answer).map_err(|e| BadAnswer(format!("is not JSON: {e}")))?;
    let obj = value
        .as_object()
        .ok_or_else(|| BadAnswer("is not an object with a statusCode (a REST API's Lambda proxy format)".into()))?;
    // A number, or a string of one (the Lambda console's `microservice-http-endpoint` blueprint answers
    // `statusCode: '200'` behind a REST API).
    let status = obj
        .get("statusCode")
        .and_then(|s| s.as_u64().or_else(|| s.as_str().and_then(|s| s.parse().ok())))
        .filter(|s| (100..=599).contains(s))
        .ok_or_else(|| BadAnswer("has no statusCode that is an HTTP status".into()))? as u16;
    let mut multi: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if let Some(m) = obj.get("multiValueHeaders").filter(|v| !v.is_null()) {
        let m = m
            .as_object()
            .ok_or_else(|| BadAnswer("has multiValueHeaders that are not an object".into()))?;
        for (k, vs) in m {
            let vs = vs
                .as_array()
                .ok_or_else(|| BadAnswer(format!("has multiValueHeaders.{k} that is not a list")))?;
            multi.insert(k.to_ascii_lowercase(), vs.iter().map(text).collect());
        }
    }
    if let Some(h) = obj.get("headers").filter(|v| !v.is_null()) {
        let h = h
            .as_object()
            .ok_or_else(|| BadAnswer("has headers that are not an object".into()))?;
        // Merged into one list; a name and value given in both appears once.
        for (k, v) in h {
            let values = multi.entry(k.to_ascii_lowercase()).or_default();
            let v = text(v);
            if !values.contains(&v) {
                values.push(v);
            }
        }
    }
    let body = match obj.get("body") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => s.clone().into_bytes(),
        Some(_) => return Err(BadAnswer("has a body that is not a string".into())),
    };
    if !multi.contains_key("content-type") {
        multi.insert("content-type".into(), vec!["application/json".into()]);
    }
    let headers = multi
        .into_iter()
        .flat_map(|(k, vs)| vs.into_iter().map(move |v| (k.clone(), v)))
        .collect();
    Ok(Response { status, headers, body })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    fn request<'a>(
        headers: &'a [(String, String)],
        params: &'a BTreeMap<String, String>,
        claims: Option<&'a Map<String, Value>>,
    ) -> Request<'a> {
        Request {
            method: "POST",
            path: "/lists/42",
            raw_query: "q=a%20b&q=c&flag",
            headers,
            body: br#"{"name":"milk"}"#,
            path_parameters: params,
            claims,
            source_ip: "127.0.0.1",
            request_id: "r1",
            time_epoch_ms: 1_700_000_000_123,
            domain: "localhost",
        }
    }

    #[test]
    fn the_event_has_the_lambda_proxy_input_format() {
        let claims = json!({"sub": "alice", "iat": 1_516_239_022, "version": "42", "roles": ["user", "editor"],
            "address": {"city": "Seattle"}});
        let params = BTreeMap::from([("id".to_string(), "42".to_string())]);
        let headers = crate::event::tests::headers();
        let e = build(&request(&headers, &params, claims.as_object()), "/lists/{id}", "live");
        assert_eq!(
            (e["resource"].as_str(), e["path"].as_str()),
            (Some("/lists/{id}"), Some("/lists/42"))
        );
        assert_eq!(e["httpMethod"], "POST");
        assert_eq!(e["headers"]["x-dup"], "2", "the last value");
        assert_eq!(e["multiValueHeaders"]["x-dup"], json!(["1", "2"]));
        assert_eq!(e["headers"]["cookie"], "a=1; b=2", "a REST API passes the cookie header as it is");
        assert_eq!(e["queryStringParameters"], json!({"q": "c", "flag": ""}));
        assert_eq!(e["multiValueQueryStringParameters"], json!({"q": ["a b", "c"], "flag": [""]}));
        assert_eq!(e["pathParameters"], json!({"id": "42"}));
        assert_eq!(e["stageVariables"], Value::Null);
        assert_eq!(e["body"], r#"{"name":"milk"}"#);
        assert_eq!(e["isBase64Encoded"], false);
        let c = &e["requestContext"];
        assert_eq!(c["authorizer"]["claims"], claims, "each claim with its JSON type");
        assert_eq!(c["authorizer"].get("scopes"), None);
        assert_eq!((c["path"].as_str(), c["stage"].as_str()), (Some("/live/lists/42"), Some("live")));
        assert_eq!(c["resourcePath"], "/lists/{id}");
        assert_eq!(c["requestTime"], "14/Nov/2023:22:13:20 +0000");
        assert_eq!(c["requestTimeEpoch"], 1_700_000_000_123u64);
        assert_eq!(c["identity"]["sourceIp"], "127.0.0.1");

        let none = BTreeMap::new();
        let public = Request {
            raw_query: "",
            body: &[],
            ..request(&[], &none, None)
        };
        let e = build(&public, "/lists/{id}", "live");
        for absent in [
            "queryStringParameters",
            "multiValueQueryStringParameters",
            "pathParameters",
            "body",
            "headers",
        ] {
            assert_eq!(e[absent], Value::Null, "{absent}");
        }
        assert_eq!(e["requestContext"].get("authorizer"), None);
        let binary = Request {
            body: &[0xff, b'a'],
            ..public
        };
        assert_eq!(build(&binary, "/lists/{id}", "live")["body"], "\u{fffd}a", "passed as text");
    }

    #[test]
    fn answers_become_responses_or_the_wrong_format() {
        let r = response(
            br#"{"statusCode": 201, "headers": {"X-A": "1", "Set-Cookie": "s=0", "X-B": "2"},
                 "multiValueHeaders": {"set-cookie": ["s=1", "t=2"], "x-b": ["2"]}, "body": "made"}"#,
        )
        .unwrap();
        assert_eq!(r.status, 201);
        assert_eq!(
            r.headers,
            [
                ("content-type".into(), "application/json".into()),
                ("set-cookie".into(), "s=1".into()),
                ("set-cookie".into(), "t=2".into()),
                ("set-cookie".into(), "s=0".into()),
                ("x-a".into(), "1".into()),
                ("x-b".into(), "2".into()),
            ]
        );
        assert_eq!(r.body, b"made");
        let r = response(br#"{"statusCode": "200", "headers": {"content-type": "text/plain"}}"#).unwrap();
        assert_eq!((r.headers.len(), r.body.len()), (1, 0));
        let r = response(br#"{"statusCode": 200, "body": "/wA=", "isBase64Encoded": true}"#).unwrap();
        assert_eq!(r.body, b"/wA=", "no binary media types: the base64 text");
        for wrong in [
            &br#"{"ok": true}"#[..],
            b"\"just text\"",
            b"not json",
            br#"{"statusCode": "two hundred"}"#,
            br#"{"statusCode": 700}"#,
            br#"{"statusCode": 200, "body": {"a": 1}}"#,
            br#"{"statusCode": 200, "headers": ["a"]}"#,
            br#"{"statusCode": 200, "multiValueHeaders": {"a": "b"}}"#,
        ] {
            assert!(response(wrong).is_err(), "{}", String::from_utf8_lossy(wrong));
        }
    }
}
