//! What a probe found: each request's answer and verdict, rendered for a terminal (findings first, an open
//! route loudest) and as JSON. The gateway's answer is quoted (status, `www-authenticate`); a token never is.

use schemars::JsonSchema;
use serde::Serialize;

use super::{Answer, Case, Expect, Verdict, judge};

/// One request and how it went.
#[derive(Debug, Clone)]
pub struct CaseResult {
    pub case: Case,
    /// The answer, or why there was none.
    pub answer: Result<Answer, String>,
    pub verdict: Verdict,
    /// Times the request was sent again while the gateway answered 401 where a valid token must get 403 (a
    /// new key or deployment still reaching API Gateway).
    pub retries: u32,
}

impl CaseResult {
    pub fn new(case: Case, answer: Result<Answer, String>, retries: u32) -> CaseResult {
        let verdict = match &answer {
            Ok(a) => judge(&case, a),
            Err(_) => Verdict::NoAnswer,
        };
        CaseResult {
            case,
            answer,
            verdict,
            retries,
        }
    }
}

/// The whole probe.
#[derive(Debug, Clone, Default)]
pub struct ProbeReport {
    /// Where the requests went.
    pub endpoint: String,
    pub results: Vec<CaseResult>,
    pub unproven: Vec<String>,
}

/// A value from outside, made safe for a terminal (and for `--json` read on one): control characters (C0, DEL,
/// C1) escaped, at most 300 characters.
fn quoted(s: &str) -> String {
    let clean = crate::text::printable(s);
    if clean.chars().count() > 300 {
        format!("{}...", clean.chars().take(300).collect::<String>())
    } else {
        clean.into_owned()
    }
}

impl ProbeReport {
    /// Every request answered as API Gateway must.
    pub fn behaves(&self) -> bool {
        self.results.iter().all(|r| r.verdict == Verdict::Behaves)
    }

    /// A protected route let a request through its authorizer.
    pub fn open(&self) -> bool {
        self.results.iter().any(|r| r.verdict == Verdict::Misbehaves { open: true })
    }

    /// One line per request that did not behave, the open ones first.
    pub fn findings(&self) -> Vec<String> {
        let mut bad: Vec<&CaseResult> = self.results.iter().filter(|r| r.verdict != Verdict::Behaves).collect();
        bad.sort_by_key(|r| r.verdict != Verdict::Misbehaves { open: true });
        bad.into_iter().map(finding).collect()
    }

    /// The report for a terminal.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let routes: std::collections::BTreeSet<&str> = self.results.iter().map(|r| r.case.route.as_str()).collect();
        let good = self.results.iter().filter(|r| r.verdict == Verdict::Behaves).count();
        if self.results.is_empty() {
            out.push_str(&format!(
                "probe: nothing was sent to {}: no request of the probe applies to the routes probed, so nothing is proven\n",
                quoted(&self.endpoint)
            ));
        } else if self.behaves() {
            out.push_str(&format!(
                "probe: {} behaves on {} route(s): {} request(s) answered as API Gateway's JWT authorizer must\n",
                quoted(&self.endpoint),
                routes.len(),
                self.results.len()
            ));
        } else {
            out.push_str(&format!(
                "probe: {} does NOT behave: {} of {} request(s) answered otherwise than API Gateway's JWT authorizer must\n",
                quoted(&self.endpoint),
                self.results.len() - good,
                self.results.len()
            ));
            for f in self.findings() {
                out.push_str(&format!("  {f}\n"));
            }
        }
        for u in &self.unproven {
            out.push_str(&format!("  not proven: {}\n", quoted(u)));
        }
        let retried: u32 = self.results.iter().map(|r| r.retries).sum();
        if retried > 0 {
            out.push_str(&format!(
                "  {retried} request(s) were sent again while the gateway still refused a valid token with 401 (a key or deployment on its way)\n"
            ));
        }
        out
    }

    pub fn to_json(&self) -> ProbeJson {
        ProbeJson {
            endpoint: self.endpoint.clone(),
            behaves: self.behaves(),
            open: self.open(),
            requests: self
                .results
                .iter()
                .map(|r| RequestJson {
                    route: r.case.route.clone(),
                    case: r.case.token.name(),
                    method: r.case.method.clone(),
                    path: r.case.path.clone(),
                    origin: r.case.preflight.as_ref().map(|p| p.origin.clone()),
                    expected: r.case.expect.describe(),
                    status: r.answer.as_ref().ok().map(|a| a.status),
                    www_authenticate: r.answer.as_ref().ok().and_then(|a| a.www_authenticate.as_deref().map(quoted)),
                    error: r.answer.as_ref().err().map(|e| quoted(e)),
                    behaves: r.verdict == Verdict::Behaves,
                    retries: r.retries,
                })
                .collect(),
            findings: self.findings(),
            unproven: self.unproven.clone(),
        }
    }
}

fn finding(r: &CaseResult) -> String {
    let c = &r.case;
    let what = match &c.preflight {
        Some(p) => format!("a preflight from {} for {}", p.origin, p.method),
        None => c.token.describe(),
    };
    let tag = match r.verdict {
        Verdict::Misbehaves { open: true } => "OPEN",
        Verdict::NoAnswer => "NO ANSWER",
        _ => "WRONG",
    };
    let got = match &r.answer {
        Ok(a) => {
            let mut s = format!("answered {}", a.status);
            if let Some(w) = &a.www_authenticate {
                s.push_str(&format!(" (www-authenticate: {})", quoted(w)));
            }
            if matches!(c.expect, Expect::Preflight { .. }) {
                s.push_str(&format!(
                    " (access-control-allow-origin: {})",
                    a.allow_origin.as_deref().map_or("none".to_string(), quoted)
                ));
            }
            s
        }
        Err(e) => format!("got no answer: {}", quoted(e)),
    };
    let open = if r.verdict == (Verdict::Misbehaves { open: true }) {
        ": the route is open to requests its authorizer must refuse"
    } else {
        ""
    };
    format!(
        "{tag} route `{}`: {} {} {what} {got}, want {}{open}",
        c.route,
        c.method,
        c.path,
        c.expect.describe()
    )
}

/// `probe --json`, and the `probe` member of `deploy --json`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ProbeJson {
    pub endpoint: String,
    pub behaves: bool,
    /// A protected route let a request past its authorizer.
    pub open: bool,
    pub requests: Vec<RequestJson>,
    pub findings: Vec<String>,
    pub unproven: Vec<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RequestJson {
    pub route: String,
    /// `no_token`, `malformed`, `unknown_key`, `expired`, `other_audience`, `other_issuer`, `missing_scope`,
    /// `through`.
    pub case: &'static str,
    pub method: String,
    pub path: String,
    /// A preflight's origin.
    pub origin: Option<String>,
    pub expected: &'static str,
    pub status: Option<u16>,
    pub www_authenticate: Option<String>,
    pub error: Option<String>,
    pub behaves: bool,
    pub retries: u32,
}
