//! The token endpoint function's log lines, as `jwtstack logs --token-endpoint` reads them. The function
//! (`functions/token-endpoint/index.mjs`) writes one JSON object per refusal or failure with `console.log`,
//! which the Lambda Node.js runtime prefixes with the time, the request id and the level, tab-separated
//! (Lambda Developer Guide, "Log and monitor Node.js Lambda functions": the plain-text log format). Every value
//! comes from the log, which a caller's request shaped: it is shown escaped.

use serde::{Deserialize, Serialize};

use crate::text::printable;

/// One refusal (`refused`: an OAuth error answered to the client) or failure (`failed`: a 500).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct TokenEvent {
    #[serde(rename = "token_endpoint")]
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The client id as the function logged it: an id jwtstack made, or `(not shown)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// A failure's error name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

impl TokenEvent {
    /// The event in a log message, or `None` for any other line (the runtime's START, END and REPORT lines).
    pub fn parse(message: &str) -> Option<TokenEvent> {
        let at = message.find(r#"{"token_endpoint":"#)?;
        let event: TokenEvent = serde_json::from_str(message[at..].trim_end()).ok()?;
        matches!(event.outcome.as_str(), "refused" | "failed").then_some(event)
    }

    /// One line: the time, the outcome, the error, the client and why.
    pub fn render(&self, time: &str) -> String {
        let field = |v: &Option<String>| v.as_deref().map(printable).unwrap_or_default().into_owned();
        let what = match self.outcome.as_str() {
            "failed" => format!("failed ({})", field(&self.cause)),
            _ => format!("refused {}", field(&self.error)),
        };
        let client = self.client_id.as_deref().map(printable).unwrap_or("(none)".into());
        let mut line = format!("{time}  {what}  client {client}");
        if let Some(d) = &self.description {
            line.push_str(&format!(": {}", printable(d)));
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_in_lambdas_text_format_is_read_and_shown_escaped() {
        let line = "2026-12-07T06:00:00.000Z\tc0ffee\tINFO\t{\"token_endpoint\":\"refused\",\"error\":\"invalid_client\",\"description\":\"client authentication failed\",\"client_id\":\"jwtsc_abc\\u001b[2J\"}\n";
        let e = TokenEvent::parse(line).unwrap();
        assert_eq!(e.error.as_deref(), Some("invalid_client"));
        let shown = e.render("12:00:00");
        assert_eq!(
            shown,
            "12:00:00  refused invalid_client  client jwtsc_abc\\u{1b}[2J: client authentication failed"
        );
        let failed = TokenEvent::parse(r#"{"token_endpoint":"failed","cause":"AccessDeniedException","client_id":null}"#).unwrap();
        assert_eq!(failed.render("t"), "t  failed (AccessDeniedException)  client (none)");
        for other in [
            "START RequestId: c0ffee Version: $LATEST",
            "REPORT RequestId: c0ffee\tDuration: 12.00 ms",
            r#"{"token_endpoint":"issued"}"#,
            r#"{"token_endpoint":"refused""#,
        ] {
            assert_eq!(TokenEvent::parse(other), None, "{other}");
        }
    }
}
