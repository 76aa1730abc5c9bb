//! `token_endpoint`: where the client-credentials endpoint answers and how long its tokens live.

use super::super::raw::RawTokenEndpoint;
use super::Validator;
use crate::config::route::{self, RouteKey};
use crate::config::{Issuer, Route, TokenEndpoint, parse_duration};
use crate::oauth::{DEFAULT_PATH, DEFAULT_TTL};

/// The shortest token the endpoint issues: a token that expires in flight helps nobody.
pub const MIN_TTL: u64 = 60;

impl Validator<'_> {
    pub(super) fn token_endpoint(
        &mut self,
        raw: &RawTokenEndpoint,
        issuer: &Issuer,
        routes: &[Route],
        token_max_ttl: u64,
    ) -> TokenEndpoint {
        if let Issuer::External { .. } = issuer {
            self.at_key(
                "token_endpoint",
                "a token endpoint signs with the stack's own key, and this stack's issuer is external",
                Some(
                    "the external provider issues its own tokens (its token endpoint is in its discovery document): remove token_endpoint"
                        .into(),
                ),
            );
        }
        let path = raw.path.clone().unwrap_or_else(|| DEFAULT_PATH.to_string());
        let plain = path.starts_with('/')
            && path.len() <= 128
            && path != "/"
            && !path.ends_with('/')
            && path[1..]
                .split('/')
                .all(|s| !s.is_empty() && s != "." && s != ".." && s.chars().all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c)));
        if !plain {
            self.at(
                "token_endpoint.path",
                format!("token_endpoint.path `{path}` is not a plain path"),
                Some(
                    "a path of letters, digits, `-`, `.`, `_` and `~` segments, such as /oauth2/token (no parameters, no trailing /)"
                        .into(),
                ),
            );
        } else if let Some((taken, _)) = route::select(routes.iter().map(|r| &r.key), "POST", &path) {
            let taken: &RouteKey = taken;
            self.at(
                "token_endpoint.path",
                format!("route `{taken}` already takes POST {path}, where the token endpoint would answer"),
                Some("give the token endpoint a path no route matches (token_endpoint.path), or narrow that route".into()),
            );
        }
        let ttl = match &raw.ttl {
            None => DEFAULT_TTL.min(token_max_ttl),
            Some(d) => match parse_duration("token_endpoint.ttl", d) {
                Ok(s) if (MIN_TTL..=token_max_ttl).contains(&s) => s,
                Ok(s) => {
                    self.at(
                        "token_endpoint.ttl",
                        format!("token_endpoint.ttl is {s} seconds, outside {MIN_TTL}s to token_max_ttl ({token_max_ttl}s)"),
                        Some("rotation waits out token_max_ttl before it retires a key, so no token may outlive it: shorten the ttl, or raise token_max_ttl".into()),
                    );
                    DEFAULT_TTL.min(token_max_ttl)
                }
                Err(m) => {
                    self.at(
                        "token_endpoint.ttl",
                        m,
                        Some("write a number of seconds or a duration such as 15m or 1h".into()),
                    );
                    DEFAULT_TTL
                }
            },
        };
        let permissions_boundary = raw.permissions_boundary.clone();
        if let Some(arn) = &permissions_boundary
            && !is_policy_arn(arn)
        {
            self.at(
                "token_endpoint.permissions_boundary",
                format!("token_endpoint.permissions_boundary `{arn}` is not an IAM managed policy's ARN"),
                Some("name a managed policy: arn:aws:iam::123456789012:policy/NAME (docs/iam.md has one to start from)".into()),
            );
        }
        TokenEndpoint {
            path,
            ttl,
            permissions_boundary,
        }
    }
}

/// `arn:{partition}:iam::{account}:policy/{path}{name}`: IAM's managed-policy ARN (a permissions boundary is
/// one: IAM API Reference, PutRolePermissionsBoundary), the account 12 digits or `aws` for an AWS managed policy.
fn is_policy_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [arn_, partition, "iam", "", account, resource] = parts.as_slice() else {
        return false;
    };
    let name = resource.strip_prefix("policy/").unwrap_or_default();
    *arn_ == "arn"
        && matches!(*partition, "aws" | "aws-cn" | "aws-us-gov")
        && (*account == "aws" || (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())))
        && !name.is_empty()
        && arn.len() <= 2048
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@-_/".contains(c))
}
