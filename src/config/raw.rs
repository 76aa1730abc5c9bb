//! The stack file exactly as written: a serde mirror that knows field names and types, not the rules.
//! It also gives the JSON Schema (`jwtstack schema`, `stack.schema.json`) that editors use to complete and
//! check the file; the doc comments become the schema's descriptions.

use schemars::JsonSchema;
use serde::Deserialize;

/// A jwtstack stack file: an issuer, audiences and the protected routes of one API Gateway HTTP API.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "jwtstack stack file")]
pub struct RawStack {
    /// Names and tags everything the stack owns: 1 to 40 characters of a-z, 0-9 and -.
    #[schemars(length(min = 1, max = 40), regex(pattern = r"^[a-z0-9-]+$"))]
    pub name: String,
    /// AWS region; otherwise --region or the AWS config chain.
    #[serde(default)]
    #[schemars(example = "us-east-1")]
    pub region: Option<String>,
    /// Who signs the tokens: jwtstack (`bucket`) or another identity provider (`external`).
    pub issuer: RawIssuer,
    /// The kid of the signing key (hosted issuer only). Generated on the first deploy, kept in SSM.
    #[serde(default)]
    #[schemars(length(min = 1, max = 128), regex(pattern = r"^[A-Za-z0-9._-]+$"))]
    pub key_id: Option<String>,
    /// A key published for verification only, ahead of signing with it (`jwtstack rotate start`).
    #[serde(default)]
    #[schemars(length(min = 1, max = 128), regex(pattern = r"^[A-Za-z0-9._-]+$"))]
    pub next_key: Option<String>,
    /// Keys that signed before and stay published until their tokens have expired (`jwtstack rotate finish`).
    #[serde(default)]
    pub previous_keys: Option<Vec<String>>,
    /// RSA key size for new keys: 2048 (default), 3072 or 4096.
    #[serde(default)]
    #[schemars(extend("enum" = [2048, 3072, 4096]))]
    pub key_bits: Option<u32>,
    /// Where new private keys live: `ssm` (default: an SSM SecureString PEM) or `kms` (an asymmetric KMS key
    /// that never leaves KMS; tokens are signed by kms:Sign).
    #[serde(default)]
    pub key_store: Option<KeyStore>,
    /// The audiences (client ids) the authorizer accepts: 1 to 50.
    #[schemars(length(min = 1, max = 50))]
    pub audience: Vec<String>,
    /// The longest lifetime `jwtstack token` mints: seconds, or 90s, 15m, 1h, 1d (default 1h, at most 7d).
    #[serde(default)]
    pub token_max_ttl: Option<RawDuration>,
    /// The HTTP API: `name` for one the stack creates, or `id` for an existing one.
    pub api: RawApi,
    /// The protected routes: 1 to 300.
    #[schemars(length(min = 1, max = 300))]
    pub routes: Vec<RawRoute>,
}

/// Where a stack's private keys live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum KeyStore {
    /// SSM Parameter Store, a SecureString PKCS#8 PEM under /jwtstack/{name}/keys/{kid}.
    #[default]
    Ssm,
    /// An asymmetric KMS key (SIGN_VERIFY) with the alias alias/jwtstack/{name}/{kid}.
    Kms,
}

impl KeyStore {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStore::Ssm => "ssm",
            KeyStore::Kms => "kms",
        }
    }
}

/// `bucket` (jwtstack hosts the issuer) or `external` (another identity provider), not both.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawIssuer {
    /// S3 bucket that hosts .well-known/openid-configuration and .well-known/jwks.json. Created when missing.
    #[serde(default)]
    #[schemars(length(min = 3, max = 63), regex(pattern = r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$"))]
    pub bucket: Option<String>,
    /// The issuer URL of an identity provider jwtstack does not host, exactly as in its tokens' `iss`.
    #[serde(default)]
    #[schemars(regex(pattern = r"^https://"))]
    pub external: Option<String>,
    /// The issuer URL when CloudFront or a custom domain fronts the bucket: https, no query, fragment or trailing slash.
    #[serde(default)]
    #[schemars(regex(pattern = r"^https://[^?#]*[^/?#]$"))]
    pub url: Option<String>,
    /// Default true (false with `cloudfront`): anyone may GET .well-known/* (and nothing else) from the bucket.
    #[serde(default)]
    pub public: Option<bool>,
    /// `true`: jwtstack serves the documents from the private bucket through a CloudFront distribution it
    /// creates, and the issuer is `https://{the distribution's domain}`. Or the distribution under the
    /// organisation's own domain (`domain` and `certificate_arn`).
    #[serde(default)]
    pub cloudfront: Option<RawCloudFront>,
}

/// `true`, `false`, or the distribution's settings.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RawCloudFront {
    Enabled(bool),
    Settings(RawCloudFrontSettings),
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCloudFrontSettings {
    /// The issuer's own hostname (an alternate domain name of the distribution): the issuer is `https://{domain}`.
    #[serde(default)]
    pub domain: Option<String>,
    /// The ACM certificate for `domain`: in us-east-1 (CloudFront reads certificates there only) and ISSUED.
    #[serde(default)]
    #[schemars(regex(pattern = r"^arn:aws[a-z-]*:acm:us-east-1:[0-9]{12}:certificate/"))]
    pub certificate_arn: Option<String>,
    /// The Route 53 hosted zone of `domain`: jwtstack writes its alias records (A and AAAA). Without it, deploy
    /// prints the record to add.
    #[serde(default)]
    pub hosted_zone_id: Option<String>,
    /// PriceClass_100 (default), PriceClass_200 or PriceClass_All.
    #[serde(default)]
    pub price_class: Option<String>,
}

/// `name` or `id`, not both.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawApi {
    /// An HTTP API the stack creates and owns.
    #[serde(default)]
    pub name: Option<String>,
    /// An existing HTTP API: the stack adds its authorizer, routes and integrations, and removes only those.
    #[serde(default)]
    #[schemars(regex(pattern = r"^[a-z0-9]+$"))]
    pub id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRoute {
    /// API Gateway route key: `METHOD /path` ({param}, greedy {proxy+} last) or `$default`.
    #[schemars(example = "GET /lists/{proxy+}")]
    pub route: String,
    /// 0 to 10 scopes; a token needs at least one of them (`scope` or `scp` claim).
    #[serde(default)]
    #[schemars(length(max = 10))]
    pub scopes: Vec<String>,
    pub integration: RawIntegration,
}

/// `http` or `lambda`, not both.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawIntegration {
    /// HTTP_PROXY to this URL with the route's method ({name} and {proxy} are path parameters).
    #[serde(default)]
    pub http: Option<String>,
    /// AWS_PROXY to this Lambda function ARN (payload 2.0).
    #[serde(default)]
    #[schemars(regex(pattern = r"^arn:aws[a-z-]*:lambda:"))]
    pub lambda: Option<String>,
}

/// `3600`, `"90s"`, `"15m"`, `"1h"`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RawDuration {
    Seconds(u64),
    Text(String),
    /// A negative or fractional number: read, so that validation can name the field and its position.
    #[schemars(skip)]
    Number(f64),
}

/// The JSON Schema of the stack file, as pretty JSON.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(RawStack);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}
