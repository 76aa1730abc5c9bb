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
    /// The routes: 1 to 300. Each is behind the JWT authorizer unless it says `auth: none`.
    #[schemars(length(min = 1, max = 300))]
    pub routes: Vec<RawRoute>,
    /// API Gateway's CORS configuration (an API the stack owns): API Gateway answers preflight requests itself
    /// and adds these headers to every response.
    #[serde(default)]
    pub cors: Option<RawCors>,
    /// An access log: a CloudWatch Logs group the stack owns (`/aws/vendedlogs/jwtstack/{name}/access`), written by the
    /// `$default` stage (a REST API's stage `live`). Read it with `jwtstack logs`.
    #[serde(default)]
    pub access_log: Option<RawAccessLog>,
    /// The `$default` stage's default route throttling (a REST API's: every method's).
    #[serde(default)]
    pub throttling: Option<RawThrottling>,
    /// The API's own hostname: a regional custom domain name mapped to the `$default` stage (a REST API's stage).
    #[serde(default)]
    pub domain: Option<RawDomain>,
    /// An OAuth 2.0 token endpoint (client credentials, RFC 6749 section 4.4) on the stack's API: services
    /// trade a client id and secret (`jwtstack clients add`) for a token signed by the stack's key.
    #[serde(default)]
    pub token_endpoint: Option<RawTokenEndpoint>,
    /// REST APIs only: claims a token of the stack's own issuer must carry besides iss, aud and exp (the
    /// authorizer's `additionalClaims`).
    #[serde(default)]
    pub require_claims: Option<Vec<RawClaim>>,
    /// REST APIs only: more issuers the authorizer trusts beside the stack's own, each with its audiences (a
    /// company's Auth0 or Cognito while services move to the stack's keys).
    #[serde(default)]
    pub trust: Option<Vec<RawTrust>>,
}

/// An issuer the REST API's authorizer trusts beside the stack's own.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTrust {
    /// The issuer URL exactly as in its tokens' `iss` (https, no query or fragment; a trailing slash counts).
    #[schemars(regex(pattern = r"^https://"))]
    pub issuer: String,
    /// The audiences accepted from this issuer: 1 to 50.
    #[schemars(length(min = 1, max = 50))]
    pub audience: Vec<String>,
    /// Claims this issuer's tokens must carry.
    #[serde(default)]
    pub require_claims: Option<Vec<RawClaim>>,
}

/// A claim the authorizer requires (API Gateway's `JwtAdditionalClaim`, format SINGLE_STRING).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawClaim {
    /// The claim's name; not iss, aud, exp, nbf, iat, scope or scp, which the authorizer checks itself.
    #[schemars(length(min = 1))]
    pub name: String,
    /// The values accepted (exact, case-sensitive); without them any string value passes.
    #[serde(default)]
    pub values: Option<Vec<String>>,
    /// true (default): a token without the claim is refused. false: the claim is checked only when present
    /// (then `values` is needed).
    #[serde(default)]
    pub required: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTokenEndpoint {
    /// The endpoint's path on the API (default /oauth2/token): a public `POST` route no other route takes.
    #[serde(default)]
    pub path: Option<String>,
    /// The lifetime of the tokens it issues: seconds, or 90s, 15m, 1h (default 15m; 60s to token_max_ttl).
    #[serde(default)]
    pub ttl: Option<RawDuration>,
    /// An IAM managed policy (`arn:aws:iam::ACCOUNT:policy/NAME`) set as the permissions boundary of the
    /// function's role: what the role may ever do, whatever its own policy says (docs/iam.md).
    #[serde(default)]
    pub permissions_boundary: Option<String>,
}

/// API Gateway's CORS configuration (`CorsConfiguration` of the HTTP API).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCors {
    /// Origins allowed to call the API: `scheme://host[:port]` (no path), or a wildcard `*`, `https://*` or
    /// `http://*` (none with allow_credentials).
    #[serde(default)]
    pub allow_origins: Vec<String>,
    /// Methods allowed in a preflight: GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, or `*`.
    #[serde(default)]
    pub allow_methods: Vec<String>,
    /// Request headers allowed in a preflight (e.g. authorization, content-type), or `*`.
    #[serde(default)]
    pub allow_headers: Vec<String>,
    /// Response headers the browser lets scripts read.
    #[serde(default)]
    pub expose_headers: Vec<String>,
    /// How long a browser may cache a preflight answer, in seconds: 0 to 86400.
    #[serde(default)]
    pub max_age: Option<i64>,
    /// Whether the browser sends cookies and Authorization with cross-origin requests (default false).
    #[serde(default)]
    pub allow_credentials: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAccessLog {
    /// Days CloudWatch Logs keeps the requests: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545,
    /// 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653 (default 30).
    #[serde(default)]
    pub retention_days: Option<i64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawThrottling {
    /// Steady-state requests per second for each route (a whole number, at least 1).
    pub rate: i64,
    /// Requests allowed in a burst above the rate (at least 1).
    pub burst: i64,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDomain {
    /// The API's hostname, e.g. api.example.com.
    pub name: String,
    /// An ACM certificate for `name` in the stack's region (a regional custom domain), ISSUED.
    #[schemars(regex(pattern = r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/"))]
    pub certificate_arn: String,
    /// The Route 53 hosted zone of `name`: jwtstack writes its alias records (A, and AAAA when the domain is
    /// dualstack). Without it, deploy prints the record to add.
    #[serde(default)]
    pub hosted_zone_id: Option<String>,
    /// Who can call the domain: `ipv4` (API Gateway's default) or `dualstack` (IPv4 and IPv6). Without it, a
    /// new domain is ipv4 and an existing one keeps the type it has.
    #[serde(default)]
    pub ip_address_type: Option<IpAddressType>,
}

/// The IP address types a custom domain name answers (apigatewayv2 `IpAddressType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum IpAddressType {
    /// IPv4 only: an A record.
    #[default]
    Ipv4,
    /// IPv4 and IPv6: A and AAAA records.
    Dualstack,
}

impl IpAddressType {
    pub fn as_str(self) -> &'static str {
        match self {
            IpAddressType::Ipv4 => "ipv4",
            IpAddressType::Dualstack => "dualstack",
        }
    }

    /// API Gateway's answer (`None`: it names none, which is its default, ipv4).
    pub fn from_aws(s: Option<&str>) -> IpAddressType {
        match s {
            Some(t) if t.eq_ignore_ascii_case("dualstack") => IpAddressType::Dualstack,
            _ => IpAddressType::Ipv4,
        }
    }
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
    /// An existing API: the stack adds its authorizer, routes (REST: resources and methods) and integrations,
    /// and removes only those.
    #[serde(default)]
    #[schemars(regex(pattern = r"^[a-z0-9]+$"))]
    pub id: Option<String>,
    /// `http` (the default) or `rest`: a REST API with API Gateway's JWT authorizer for REST APIs, deployed
    /// call by call to a stage (`live`, or `stage` for an adopted one).
    #[serde(default, rename = "type")]
    pub api_type: Option<ApiType>,
    /// REST APIs the stack creates: `regional` (default), `edge` or `private` (with `vpc_endpoints`).
    #[serde(default)]
    pub endpoint: Option<RestEndpoint>,
    /// `endpoint: private`: the VPC endpoints of execute-api (`vpce-...`) that may call the API; the stack writes
    /// the resource policy that lets them, and nothing else, in.
    #[serde(default)]
    pub vpc_endpoints: Option<Vec<String>>,
    /// An adopted REST API (`api.id`, required there): the stage deploy deploys to (created, and tagged, when
    /// the API has none of that name).
    #[serde(default)]
    #[schemars(regex(pattern = r"^[A-Za-z0-9_-]{1,128}$"))]
    pub stage: Option<String>,
}

/// The kind of API Gateway API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ApiType {
    /// An HTTP API (API Gateway v2), with its JWT authorizer.
    #[default]
    Http,
    /// A REST API (API Gateway v1), with the JWT authorizer for REST APIs: several issuers, claim rules.
    Rest,
}

impl ApiType {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiType::Http => "http",
            ApiType::Rest => "rest",
        }
    }
}

/// A REST API's endpoint type (`EndpointConfiguration.types`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RestEndpoint {
    /// Served from the API's region.
    #[default]
    Regional,
    /// Through CloudFront's edge locations.
    Edge,
    /// Only from VPCs, through an interface endpoint (not done yet: it needs a resource policy).
    Private,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRoute {
    /// API Gateway route key: `METHOD /path` ({param}, greedy {proxy+} last) or `$default`.
    #[schemars(example = "GET /lists/{proxy+}")]
    pub route: String,
    /// `jwt` (default): behind the stack's JWT authorizer. `none`: a public route (a login or health
    /// endpoint), no token checked and no scopes.
    #[serde(default)]
    pub auth: Option<RouteAuth>,
    /// 0 to 10 scopes; a token needs at least one of them (`scope` or `scp` claim).
    #[serde(default)]
    #[schemars(length(max = 10))]
    pub scopes: Vec<String>,
    pub integration: RawIntegration,
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum RouteAuth {
    /// The stack's JWT authorizer (the default).
    #[serde(rename = "jwt")]
    Jwt,
    /// Anyone: authorization type NONE.
    #[serde(rename = "none")]
    Public,
}

/// `http` or `lambda`, not both.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawIntegration {
    /// HTTP_PROXY to this URL with the route's method ({name} and {proxy} are path parameters).
    #[serde(default)]
    pub http: Option<String>,
    /// AWS_PROXY to this Lambda function ARN (payload 2.0; a REST API's Lambda proxy event).
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
