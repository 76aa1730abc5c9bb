//! The stack file exactly as written: a serde mirror that knows field names and types, not the rules.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStack {
    pub name: String,
    #[serde(default)]
    pub region: Option<String>,
    pub issuer: RawIssuer,
    #[serde(default)]
    pub key_id: Option<String>,
    #[serde(default)]
    pub next_key: Option<String>,
    #[serde(default)]
    pub previous_keys: Option<Vec<String>>,
    #[serde(default)]
    pub key_bits: Option<u32>,
    pub audience: Vec<String>,
    #[serde(default)]
    pub token_max_ttl: Option<RawDuration>,
    pub api: RawApi,
    pub routes: Vec<RawRoute>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIssuer {
    #[serde(default)]
    pub bucket: Option<String>,
    #[serde(default)]
    pub external: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub public: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawApi {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRoute {
    pub route: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    pub integration: RawIntegration,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIntegration {
    #[serde(default)]
    pub http: Option<String>,
    #[serde(default)]
    pub lambda: Option<String>,
}

/// `3600`, `"90s"`, `"15m"`, `"1h"`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawDuration {
    Seconds(u64),
    Text(String),
}
