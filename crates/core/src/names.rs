//! Every name jwtstack gives a thing in AWS, in one place: tags, markers, statement ids, SSM parameter paths,
//! ARNs. Ownership is found again through these names (the stack keeps no state file), so changing one here
//! changes what an existing stack recognises as its own: treat them as a stored format.
//!
//! Pure functions of the stack name (and region or ids); no I/O.

/// The tag key on everything the stack creates: `jwtstack:stack={name}`.
pub const TAG_KEY: &str = "jwtstack:stack";

/// The JWT authorizer's identity source: the bearer token in the `Authorization` header.
pub const IDENTITY_SOURCE: &str = "$request.header.Authorization";

/// The header that header carries the token in (a REST API's identity source is
/// `method.request.header.Authorization`).
pub const IDENTITY_HEADER: &str = "Authorization";

/// Where a REST API's JWT authorizer reads the token: the bearer token in the `Authorization` header.
pub fn rest_identity_source() -> String {
    format!("method.request.header.{IDENTITY_HEADER}")
}

/// The stage the stack creates (auto-deploy on), so route changes go live.
pub const STAGE_NAME: &str = "$default";

/// The stage a REST API the stack owns is deployed to (REST APIs have no `$default` stage): its invoke URL
/// is `https://{api}.execute-api.{region}.amazonaws.com/live`.
pub const REST_STAGE_NAME: &str = "live";

/// A REST API's invoke URL on its stage.
pub fn rest_invoke_url(api_id: &str, region: &str, stage: &str) -> String {
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!("https://{api_id}.execute-api.{region}.{suffix}/{stage}")
}

/// The description of a REST API deployment the stack made: it names what was deployed (a digest of the
/// methods, integrations and authorizer), so that a deploy cut off between a change and its deployment
/// deploys on the next run, and a run with nothing new deploys nothing.
pub fn rest_deployment_description(stack: &str, digest: &str) -> String {
    format!("jwtstack {stack} {digest}")
}

/// The digest a deployment's description names, when the stack made it.
pub fn rest_deployed_digest<'a>(stack: &str, description: &'a str) -> Option<&'a str> {
    description.strip_prefix("jwtstack ")?.strip_prefix(stack)?.strip_prefix(' ')
}

/// The marker in the description of every integration the stack creates.
pub fn integration_marker(stack: &str) -> String {
    format!("managed by jwtstack; {TAG_KEY}={stack}")
}

/// The JWT authorizer's name in the API.
pub fn authorizer_name(stack: &str) -> String {
    format!("{stack}-jwt")
}

/// The Sid of the stack's statement in the issuer bucket's policy.
pub fn statement_id(stack: &str) -> String {
    format!("jwtstack-{stack}-public-well-known")
}

/// The Sid of the stack's statement in a Lambda function's resource policy.
pub fn permission_id(stack: &str) -> String {
    format!("jwtstack-{stack}-invoke")
}

/// Everything the stack keeps in SSM lives under this path.
pub fn parameter_root(stack: &str) -> String {
    format!("/jwtstack/{stack}")
}

/// The path under which the stack's private keys live, one SecureString per kid.
pub fn key_parameter_prefix(stack: &str) -> String {
    format!("/jwtstack/{stack}/keys/")
}

/// The SSM parameter that holds the private key named `kid`.
pub fn key_parameter(stack: &str, kid: &str) -> String {
    format!("{}{kid}", key_parameter_prefix(stack))
}

/// The path of the public halves of the SSM keys (String parameters, public JWK JSON): `plan`, `status` and
/// `outputs` read them, so reading what exists never decrypts a private key.
pub fn public_key_prefix(stack: &str) -> String {
    format!("/jwtstack/{stack}/public-keys/")
}

/// The path of the token endpoint's client records (String parameters, JSON: scopes and secrets' hashes).
pub fn client_prefix(stack: &str) -> String {
    format!("/jwtstack/{stack}/clients/")
}

/// The record of the client `client_id`.
pub fn client_record(stack: &str, client_id: &str) -> String {
    format!("{}{client_id}", client_prefix(stack))
}

/// The public half of the SSM key named `kid`, recorded when the key is created.
pub fn public_key_record(stack: &str, kid: &str) -> String {
    format!("{}{kid}", public_key_prefix(stack))
}

/// How long KMS waits before it deletes a key jwtstack scheduled for deletion (its default and longest
/// waiting period: `aws kms cancel-key-deletion` undoes it meanwhile).
pub const KMS_DELETION_DAYS: i32 = 30;

/// The KMS aliases of the stack's keys (`key_store: kms`) start with this.
pub fn kms_alias_prefix(stack: &str) -> String {
    format!("alias/jwtstack/{stack}/")
}

/// The alias of the KMS key named `kid`.
pub fn kms_alias(stack: &str, kid: &str) -> String {
    format!("{}{kid}", kms_alias_prefix(stack))
}

/// `/jwtstack/{name}/bucket`: written before the stack creates its bucket, so that the bucket counts as the
/// stack's even if the run dies between creating and tagging it.
pub fn bucket_marker(stack: &str) -> String {
    format!("/jwtstack/{stack}/bucket")
}

/// `/jwtstack/{name}/key-timeline`: when each key was published and signed (rotation timing); not secret.
pub fn key_timeline(stack: &str) -> String {
    format!("/jwtstack/{stack}/key-timeline")
}

/// `/jwtstack/buckets/{bucket}`: which stack created the bucket, put without overwrite before it is created,
/// so that of two stacks creating one bucket at once exactly one owns it.
pub fn bucket_claim(bucket: &str) -> String {
    format!("/jwtstack/buckets/{bucket}")
}

/// `/jwtstack/{name}/lock`: the run lock.
pub fn lock(stack: &str) -> String {
    format!("/jwtstack/{stack}/lock")
}

/// How many takeover marks a stack's lock has: the mark at level 1 guards the removal of a stale lock, the
/// mark at level `n + 1` the removal of a mark at level `n` left by a run that died holding it (see jwtstack-aws
/// `lock`). Each level up takes one more run killed at the worst moment in a row.
pub const LOCK_MARK_LEVELS: usize = 8;

/// The lock's takeover mark at `level` (1 to [`LOCK_MARK_LEVELS`]): `/jwtstack/{name}/lock-takeover`, then
/// `/jwtstack/{name}/lock-takeover-2` and up.
pub fn lock_mark(stack: &str, level: usize) -> String {
    match level {
        0 | 1 => format!("/jwtstack/{stack}/lock-takeover"),
        n => format!("/jwtstack/{stack}/lock-takeover-{n}"),
    }
}

/// The level of the takeover mark `parameter` names, if it names one of `stack`'s.
pub fn lock_mark_level(stack: &str, parameter: &str) -> Option<usize> {
    (1..=LOCK_MARK_LEVELS).find(|&level| lock_mark(stack, level) == parameter)
}

/// `/jwtstack/{name}/rest-resources`: the resources the stack made in an adopted REST API (which cannot tag
/// them), so that teardown removes those and no other.
pub fn rest_resources_record(stack: &str) -> String {
    format!("/jwtstack/{stack}/rest-resources")
}

/// The AWS partition of a region (aws, aws-cn, aws-us-gov).
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The execute-api ARN allowed to invoke a function: any stage, method and path of the API. The function's
/// account is taken as the API's (cross-account Lambda integrations are not supported).
pub fn source_arn(function_arn: &str, region: &str, api_id: &str) -> String {
    let account = function_arn.split(':').nth(4).unwrap_or("*");
    format!("arn:{}:execute-api:{region}:{account}:{api_id}/*/*", partition(region))
}

/// The objects a bucket policy statement covers: the issuer's `.well-known/` documents under `prefix`.
/// The Sid of the statement that lets the stack's CloudFront distribution read the documents.
pub fn cloudfront_statement_id(stack: &str) -> String {
    format!("jwtstack-{stack}-cloudfront-well-known")
}

/// The stack's origin access control (OAC names are unique in an account; 64 characters at most).
pub fn origin_access_control_name(stack: &str) -> String {
    format!("jwtstack-{stack}")
}

/// `/jwtstack/{name}/distribution`: the stack's distribution (`{"id", "arn", "domain"}`), written right after it
/// is created; `token`, `verify` and `serve` learn a `cloudfront: true` issuer's URL from it.
pub fn distribution_record(stack: &str) -> String {
    format!("/jwtstack/{stack}/distribution")
}

pub fn well_known_arn(region: &str, bucket: &str, prefix: &str) -> String {
    format!("arn:{}:s3:::{bucket}/{prefix}.well-known/*", partition(region))
}

/// The operation name of a public route the stack adds to an adopted HTTP API, and of every method it adds to
/// a REST API: how the stack finds it again.
pub fn route_marker(stack: &str) -> String {
    format!("jwtstack:{stack}")
}

/// The operation name of a method the stack adds to a REST API: its marker, then the method and path, so that
/// each method's is its own (an OpenAPI export of the API names operations by it).
pub fn rest_method_marker(stack: &str, method: &str, path: &str) -> String {
    format!("{}:{method} {path}", route_marker(stack))
}

/// Whether an operation name is the stack's marker on a REST method (or the bare marker).
pub fn is_rest_method_marker(stack: &str, operation: &str) -> bool {
    let marker = route_marker(stack);
    operation == marker || operation.strip_prefix(&marker).is_some_and(|rest| rest.starts_with(':'))
}

/// `/jwtstack/{name}/access-log`: the access log's group, written before the group is created and removed
/// after it is deleted, so that a stack that stops declaring `access_log` still finds (and removes) its group.
pub fn access_log_record(stack: &str) -> String {
    format!("/jwtstack/{stack}/access-log")
}

/// `/jwtstack/{name}/domain`: the API's custom domain name, recorded like the access log's group.
pub fn api_domain_record(stack: &str) -> String {
    format!("/jwtstack/{stack}/domain")
}

/// The CloudWatch Logs group of a new stack's access log. Under `/aws/vendedlogs/`: API Gateway's log delivery
/// adds every other group to the account's CloudWatch Logs resource policy, which is capped at 5,120 characters
/// and never shrinks, and near the cap only groups under `/aws/vendedlogs/` keep working (Step Functions
/// Developer Guide, "Avoiding CloudWatch Logs resource policy size restrictions"; serverless/serverless#10469).
pub fn access_log_group(stack: &str) -> String {
    format!("/aws/vendedlogs/jwtstack/{stack}/access")
}

/// The group stacks were given before `access_log_group`: one they recorded creating stays theirs.
pub fn legacy_access_log_group(stack: &str) -> String {
    format!("/jwtstack/{stack}/access")
}

/// A group jwtstack gives the stack's access log, now or before.
pub fn is_access_log_group(stack: &str, name: &str) -> bool {
    name == access_log_group(stack) || name == legacy_access_log_group(stack)
}

/// The group a stack's access log record names, when it is one jwtstack gives (a record naming any other
/// group is not the stack's to act on).
pub fn recorded_access_log_group(stack: &str, record: Option<&str>) -> String {
    match record {
        Some(r) if r == legacy_access_log_group(stack) => r.to_string(),
        _ => access_log_group(stack),
    }
}

/// `/jwtstack/{name}/token-endpoint`: the token endpoint's function, recorded like the access log's group
/// before its role is made, so that a stack that stops declaring `token_endpoint` (or a run killed half-way)
/// still finds its function, role and log group.
pub fn token_endpoint_record(stack: &str) -> String {
    format!("/jwtstack/{stack}/token-endpoint")
}

/// The token endpoint's Lambda function, and its IAM role (the same name: at most 55 characters for a stack
/// name of 40, under both services' 64).
pub fn token_function(stack: &str) -> String {
    format!("jwtstack-{stack}-token")
}

/// The token endpoint function's ARN in the account and region.
pub fn token_function_arn(region: &str, account: &str, stack: &str) -> String {
    format!(
        "arn:{}:lambda:{region}:{account}:function:{}",
        partition(region),
        token_function(stack)
    )
}

/// The group Lambda writes the function's log to (its default, `/aws/lambda/{function}`), which the stack
/// makes itself so that it carries the tag and a retention, and the role needs no `logs:CreateLogGroup`.
pub fn token_function_log_group(stack: &str) -> String {
    format!("/aws/lambda/{}", token_function(stack))
}

/// The name of the role's one inline policy.
pub const TOKEN_POLICY_NAME: &str = "jwtstack-token-endpoint";

/// The access log's format: one JSON object per request, with API Gateway's `$context` variables. The field
/// names are what `jwtstack logs` reads; `authorizerError` is the JWT authorizer's reason for a 401/403
/// ("Customizing HTTP API access logs": `$context.authorizer.error`).
pub const ACCESS_LOG_FORMAT: &str = concat!(
    r#"{"requestId":"$context.requestId","requestTime":"$context.requestTimeEpoch","ip":"$context.identity.sourceIp","#,
    r#""method":"$context.httpMethod","path":"$context.path","routeKey":"$context.routeKey","status":"$context.status","#,
    r#""authorizerError":"$context.authorizer.error","integrationError":"$context.integrationErrorMessage","#,
    r#""responseLatency":"$context.responseLatency","integrationLatency":"$context.integrationLatency","#,
    r#""errorMessage":"$context.error.message","sub":"$context.authorizer.claims.sub"}"#
);

/// The access log format deploy sets on a REST API's stage: the keys of [`ACCESS_LOG_FORMAT`], with REST's
/// variables ("Variables for access logging for API Gateway": a REST API has no `$context.routeKey`; its
/// method and resource path name the route).
pub const REST_ACCESS_LOG_FORMAT: &str = concat!(
    r#"{"requestId":"$context.requestId","requestTime":"$context.requestTimeEpoch","ip":"$context.identity.sourceIp","#,
    r#""method":"$context.httpMethod","path":"$context.path","routeKey":"$context.httpMethod $context.resourcePath","status":"$context.status","#,
    r#""authorizerError":"$context.authorizer.error","integrationError":"$context.integrationErrorMessage","#,
    r#""responseLatency":"$context.responseLatency","integrationLatency":"$context.integrationLatency","#,
    r#""errorMessage":"$context.error.message","sub":"$context.authorizer.claims.sub"}"#
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_a_stored_format() {
        assert_eq!(integration_marker("g"), "managed by jwtstack; jwtstack:stack=g");
        assert_eq!(authorizer_name("g"), "g-jwt");
        assert_eq!(statement_id("g"), "jwtstack-g-public-well-known");
        assert_eq!(permission_id("g"), "jwtstack-g-invoke");
        assert_eq!(key_parameter("g", "k1"), "/jwtstack/g/keys/k1");
        assert_eq!(bucket_marker("g"), "/jwtstack/g/bucket");
        assert_eq!(key_timeline("g"), "/jwtstack/g/key-timeline");
        assert_eq!(lock("g"), "/jwtstack/g/lock");
        assert_eq!(lock_mark("g", 1), "/jwtstack/g/lock-takeover");
        assert_eq!(lock_mark("g", 3), "/jwtstack/g/lock-takeover-3");
        assert_eq!(lock_mark_level("g", "/jwtstack/g/lock-takeover"), Some(1));
        assert_eq!(lock_mark_level("g", "/jwtstack/g/lock-takeover-8"), Some(LOCK_MARK_LEVELS));
        assert_eq!(lock_mark_level("g", "/jwtstack/g/lock-takeover-9"), None);
        assert_eq!(lock_mark_level("g", "/jwtstack/gg/lock-takeover"), None);
        assert_eq!(token_endpoint_record("g"), "/jwtstack/g/token-endpoint");
        assert_eq!(token_function("g"), "jwtstack-g-token");
        assert_eq!(token_function_log_group("g"), "/aws/lambda/jwtstack-g-token");
        assert_eq!(
            source_arn("arn:aws:lambda:us-east-1:123456789012:function:f", "us-east-1", "a1"),
            "arn:aws:execute-api:us-east-1:123456789012:a1/*/*"
        );
        assert_eq!(well_known_arn("cn-north-1", "b", "auth/"), "arn:aws-cn:s3:::b/auth/.well-known/*");
    }
}
