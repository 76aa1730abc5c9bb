//! API Gateway route keys (`GET /lists/{id}`, `ANY /{proxy+}`, `$default`): syntax and matching.

use std::collections::BTreeMap;
use std::fmt;

pub const HINT: &str = "a route key is \"METHOD /path\" with METHOD one of GET POST PUT PATCH DELETE HEAD OPTIONS ANY \
     (e.g. \"GET /lists/{id}\", \"ANY /{proxy+}\"), or \"$default\"";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Method {
    Any,
    Get,
    Post,
    Put,
    Patch,
    Delete,
    Head,
    Options,
}

impl Method {
    fn parse(s: &str) -> Option<Method> {
        Some(match s {
            "ANY" => Method::Any,
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            "HEAD" => Method::Head,
            "OPTIONS" => Method::Options,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Any => "ANY",
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
            Method::Options => "OPTIONS",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Segment {
    Literal(String),
    Param(String),
    Greedy(String),
}

/// A validated route key. Displays exactly as API Gateway stores it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RouteKey {
    text: String,
    /// `None` for `$default`.
    method: Option<Method>,
    segments: Vec<Segment>,
}

impl fmt::Display for RouteKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialEq<str> for RouteKey {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl PartialEq<&str> for RouteKey {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl PartialOrd for RouteKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for RouteKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.text.cmp(&other.text)
    }
}

impl RouteKey {
    pub fn default_route() -> RouteKey {
        RouteKey {
            text: "$default".into(),
            method: None,
            segments: Vec::new(),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn method(&self) -> Option<Method> {
        self.method
    }

    pub fn is_default(&self) -> bool {
        self.method.is_none()
    }

    /// The path of a `METHOD /path` key (`None` for `$default`).
    pub fn path(&self) -> Option<&str> {
        self.method.and_then(|_| self.text.split_once(' ')).map(|(_, p)| p)
    }

    /// The path parameters as OpenAPI names them: `id` for `{id}`, `proxy+` for `{proxy+}`.
    pub fn path_parameters(&self) -> Vec<String> {
        self.segments
            .iter()
            .filter_map(|s| match s {
                Segment::Literal(_) => None,
                Segment::Param(n) => Some(n.clone()),
                Segment::Greedy(n) => Some(format!("{n}+")),
            })
            .collect()
    }

    pub fn parse(text: &str) -> Result<RouteKey, String> {
        if text == "$default" {
            return Ok(RouteKey::default_route());
        }
        let Some((method, path)) = text.split_once(' ') else {
            return Err("expected a method, one space and a path".into());
        };
        let method = Method::parse(method).ok_or_else(|| {
            if Method::parse(&method.to_ascii_uppercase()).is_some() {
                format!("method `{method}` must be upper case")
            } else {
                format!("unknown method `{method}`")
            }
        })?;
        if !path.starts_with('/') {
            return Err("the path must start with /".into());
        }
        let mut segments = Vec::new();
        if path != "/" {
            let parts: Vec<&str> = path[1..].split('/').collect();
            let last = parts.len() - 1;
            for (i, part) in parts.iter().enumerate() {
                if part.is_empty() {
                    return Err("the path has an empty segment (a `//` or a trailing /)".into());
                }
                if let Some(inner) = part.strip_prefix('{') {
                    let Some(inner) = inner.strip_suffix('}') else {
                        return Err(format!("segment `{part}` opens `{{` without closing it"));
                    };
                    let (name, greedy) = match inner.strip_suffix('+') {
                        Some(n) => (n, true),
                        None => (inner, false),
                    };
                    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                        return Err(format!("path parameter `{part}` needs a name of letters, digits, _ or -"));
                    }
                    if greedy && i != last {
                        return Err(format!("greedy parameter `{part}` must be the last segment"));
                    }
                    if segments
                        .iter()
                        .any(|s| matches!(s, Segment::Param(n) | Segment::Greedy(n) if n == name))
                    {
                        return Err(format!("path parameter `{name}` appears twice"));
                    }
                    segments.push(if greedy {
                        Segment::Greedy(name.into())
                    } else {
                        Segment::Param(name.into())
                    });
                } else {
                    let ok = part.chars().all(|c| c.is_ascii_alphanumeric() || "-._~:@!$&'()*+,;=%".contains(c));
                    if !ok {
                        return Err(format!("segment `{part}` has a character API Gateway does not accept in a path"));
                    }
                    segments.push(Segment::Literal((*part).into()));
                }
            }
        }
        Ok(RouteKey {
            text: text.into(),
            method: Some(method),
            segments,
        })
    }

    /// The key with parameter names erased: two keys with the same shape collide in API Gateway.
    pub fn shape(&self) -> String {
        let Some(m) = self.method else { return "$default".into() };
        let mut s = m.as_str().to_string();
        s.push(' ');
        if self.segments.is_empty() {
            s.push('/');
        }
        for seg in &self.segments {
            s.push('/');
            match seg {
                Segment::Literal(l) => s.push_str(l),
                Segment::Param(_) => s.push_str("{}"),
                Segment::Greedy(_) => s.push_str("{+}"),
            }
        }
        s
    }

    /// Matches a request; returns the path parameters on a match. `$default` matches everything.
    pub fn matches(&self, method: &str, path: &str) -> Option<BTreeMap<String, String>> {
        let Some(m) = self.method else { return Some(BTreeMap::new()) };
        if m != Method::Any && m.as_str() != method {
            return None;
        }
        let path = path.split('?').next().unwrap_or("");
        let parts: Vec<&str> = if path == "/" || path.is_empty() {
            Vec::new()
        } else {
            path.trim_start_matches('/').split('/').collect()
        };
        let mut params = BTreeMap::new();
        for (i, seg) in self.segments.iter().enumerate() {
            match seg {
                Segment::Literal(l) => {
                    if parts.get(i) != Some(&l.as_str()) {
                        return None;
                    }
                }
                Segment::Param(n) => {
                    let v = parts.get(i).filter(|v| !v.is_empty())?;
                    params.insert(n.clone(), (*v).to_string());
                }
                Segment::Greedy(n) => {
                    let rest = parts.get(i..).filter(|r| !r.is_empty())?.join("/");
                    if rest.is_empty() {
                        return None;
                    }
                    params.insert(n.clone(), rest);
                    return Some(params);
                }
            }
        }
        (parts.len() == self.segments.len()).then_some(params)
    }

    /// Orders matching routes by API Gateway's preference: larger is more specific. Literal segments beat
    /// parameters, parameters beat a greedy parameter, a named method beats ANY, and `$default` is last.
    pub fn specificity(&self) -> (u8, Vec<u8>, u8) {
        let Some(m) = self.method else { return (0, Vec::new(), 0) };
        let segs = self
            .segments
            .iter()
            .map(|s| match s {
                Segment::Literal(_) => 3,
                Segment::Param(_) => 2,
                Segment::Greedy(_) => 1,
            })
            .collect();
        (1, segs, u8::from(m != Method::Any))
    }
}

/// The route that API Gateway would pick for a request among `keys`, with its path parameters.
pub fn select<'a>(
    keys: impl IntoIterator<Item = &'a RouteKey>,
    method: &str,
    path: &str,
) -> Option<(&'a RouteKey, BTreeMap<String, String>)> {
    keys.into_iter()
        .filter_map(|k| k.matches(method, path).map(|p| (k, p)))
        .max_by(|a, b| a.0.specificity().cmp(&b.0.specificity()))
}

/// Why a request path is refused (`serve` answers 400, `verify --route` decides nothing): a dot segment or a
/// backslash, raw or percent-encoded, which a client or an integration may resolve to another route than the
/// one matched.
pub fn unsafe_path(path: &str) -> Option<String> {
    let decoded = percent_decode(path);
    if decoded.contains('\\') {
        return Some("a backslash in the path".into());
    }
    decoded
        .split('/')
        .any(|s| s == "." || s == "..")
        .then(|| "a dot segment (. or ..) in the path".into())
}

/// `%2e` -> `.`, `%5c` -> `\\`, `%2f` -> `/`: the characters that change what a path means.
fn percent_decode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let code = rest.get(i + 1..i + 3).map(str::to_ascii_lowercase);
        match code.as_deref() {
            Some("2e") => out.push('.'),
            Some("5c") => out.push('\\'),
            Some("2f") => out.push('/'),
            _ => {
                out.push('%');
                rest = &rest[i + 1..];
                continue;
            }
        }
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_valid_keys() {
        for k in [
            "$default",
            "GET /",
            "ANY /{proxy+}",
            "GET /lists/{id}",
            "POST /a-b/c.d/~x",
            "DELETE /a/{b}/c/{d+}",
        ] {
            assert_eq!(RouteKey::parse(k).unwrap().as_str(), k);
        }
    }

    #[test]
    fn rejects_invalid_keys() {
        for (k, why) in [
            ("GET lists", "start with /"),
            ("get /lists", "upper case"),
            ("FETCH /x", "unknown method"),
            ("GET  /x", "start with /"),
            ("GET /a//b", "empty segment"),
            ("GET /a/", "empty segment"),
            ("GET /{a+}/b", "last segment"),
            ("GET /{a", "without closing"),
            ("GET /{}", "needs a name"),
            ("GET /{a}/{a}", "appears twice"),
            ("GET /a b", "character"),
            ("$DEFAULT", "method"),
            ("", "method"),
        ] {
            let err = RouteKey::parse(k).unwrap_err();
            assert!(err.contains(why), "{k}: {err}");
        }
    }

    #[test]
    fn shapes_ignore_parameter_names() {
        let a = RouteKey::parse("GET /a/{x}").unwrap();
        let b = RouteKey::parse("GET /a/{y}").unwrap();
        assert_eq!(a.shape(), b.shape());
        assert_ne!(a.shape(), RouteKey::parse("GET /a/{y+}").unwrap().shape());
    }

    #[test]
    fn most_specific_route_wins() {
        let keys: Vec<RouteKey> = [
            "$default",
            "ANY /{proxy+}",
            "GET /lists/{proxy+}",
            "GET /lists/{id}",
            "GET /lists/mine",
            "ANY /lists/{id}",
        ]
        .iter()
        .map(|k| RouteKey::parse(k).unwrap())
        .collect();
        let pick = |m: &str, p: &str| select(&keys, m, p).map(|(k, _)| k.as_str().to_string());
        assert_eq!(pick("GET", "/lists/mine").as_deref(), Some("GET /lists/mine"));
        assert_eq!(pick("GET", "/lists/42").as_deref(), Some("GET /lists/{id}"));
        assert_eq!(pick("PUT", "/lists/42").as_deref(), Some("ANY /lists/{id}"));
        assert_eq!(pick("GET", "/lists/42/items").as_deref(), Some("GET /lists/{proxy+}"));
        assert_eq!(pick("POST", "/other").as_deref(), Some("ANY /{proxy+}"));
        assert_eq!(pick("GET", "/").as_deref(), Some("$default"));
        let (_, params) = select(&keys, "GET", "/lists/42/items").unwrap();
        assert_eq!(params.get("proxy").map(String::as_str), Some("42/items"));
    }

    #[test]
    fn dot_segments_and_backslashes_are_found_encoded_or_not() {
        for bad in [
            "/a/../b",
            "/a/%2e%2e/b",
            "/a/%2E./b",
            "/a/./b",
            "/a/..%5cb",
            "/a\\b",
            "/a/x%2f..%2fb",
            "/..",
        ] {
            assert!(unsafe_path(bad).is_some(), "{bad}");
        }
        for ok in ["/a/b", "/a/..b/c", "/a/b..", "/a/%41/b", "/a/%2"] {
            assert!(unsafe_path(ok).is_none(), "{ok}");
        }
    }
}
