//! What AWS holds that contradicts what the stack owns or needs: the plan is refused, nothing is changed.

/// AWS holds something that contradicts what the stack owns; nothing is changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    #[error("route `{key}` already exists in API {api} and is not managed by stack `{stack}` (route id {id})")]
    UnmanagedRoute {
        key: String,
        api: String,
        stack: String,
        id: String,
    },
    #[error("the key {parameter} exists but cannot be read as an RSA key")]
    UnreadableKey { parameter: String },
    #[error(
        "the public half of key `{kid}` ({parameter}) is not recorded yet, and reading it means decrypting the private key, which `plan` never does; run `jwtstack deploy` once: it reads the key and records its public half in {record}"
    )]
    PublicKeyNotRecorded { kid: String, parameter: String, record: String },
    #[error(
        "key `{kid}` is in {from}, but key_store is {to}: a stack changes key stores by rotating, never by moving a key. Put key_store back to {from}, or rotate: `jwtstack rotate start` creates the next key in {to}, and `activate` and `finish` complete the switch (docs/key-stores.md#switching-stores)"
    )]
    KeyStoreSwitch { kid: String, from: &'static str, to: &'static str },
    #[error(
        "KMS key {key_id} (alias {alias}) of key `{kid}` is scheduled for deletion, so it cannot sign or be published; cancel it with `aws kms cancel-key-deletion --key-id {key_id}` and `aws kms enable-key --key-id {key_id}`, or name a new key"
    )]
    KeyPendingDeletion { kid: String, alias: String, key_id: String },
    #[error(
        "previous key `{kid}` has no private key in SSM or KMS ({parameter}), so it cannot be published; remove it from previous_keys or restore the key"
    )]
    MissingKey { kid: String, parameter: String },
    #[error(
        "bucket {bucket} is in {bucket_region}, not in {region}: stack `{stack}` was deployed in {bucket_region}; run jwtstack with --region {bucket_region} (or set `region: {bucket_region}` in the stack file), or choose another issuer.bucket for {region}"
    )]
    BucketRegion {
        bucket: String,
        bucket_region: String,
        region: String,
        stack: String,
    },
    #[error(
        "bucket {bucket} is the issuer bucket of stack `{other}` (its jwtstack:stack tag), not of stack `{stack}`: sharing it would replace `{other}`'s JWKS and let either stack's teardown delete the other's documents; choose another issuer.bucket"
    )]
    BucketOfAnotherStack { bucket: String, other: String, stack: String },
    #[error(
        "the account's Block Public Access setting ({setting}) forbids the public bucket policy that issuer.bucket {bucket} needs, and no bucket setting can lift it.\n  Ways out: serve the issuer from a private bucket behind CloudFront (`cloudfront: true` under issuer; docs/cloudfront.md), or ask an administrator to allow public policies for this account"
    )]
    AccountBlocksPublicAccess { bucket: String, setting: &'static str },
    #[error(
        "the certificate {arn} cannot serve {domain}: {why}. CloudFront needs an ACM certificate in us-east-1 whose status is ISSUED and that covers the domain; request or import one there (`aws acm request-certificate --region us-east-1 --domain-name {domain} --validation-method DNS`), validate it, and name it in issuer.cloudfront.certificate_arn"
    )]
    CertificateNotUsable { arn: String, domain: String, why: String },
    #[error(
        "the {record_type} record of {domain} in hosted zone {zone} exists and points at {target}, not at the stack's {what}: jwtstack does not overwrite a record it did not write. Delete that record, or remove hosted_zone_id and point the name at the {what} yourself"
    )]
    AliasRecordTaken {
        what: &'static str,
        domain: String,
        zone: String,
        record_type: String,
        target: String,
    },
    #[error(
        "{domain} is an alternate domain name of CloudFront distribution {other}, and CloudFront gives a name to one distribution only: remove it from that distribution (`aws cloudfront get-distribution-config --id {other}`, then update-distribution without it), or choose another issuer.cloudfront.domain"
    )]
    DomainOnAnotherDistribution { domain: String, other: String },
    #[error(
        "{setting} {zone} is the hosted zone of {zone_name}, which does not hold {domain}: Route 53 would refuse the record after the rest was made. Name the zone of {domain} or of a parent domain (`aws route53 list-hosted-zones-by-name --dns-name {domain}`), or remove {setting} and add the record yourself"
    )]
    ZoneNotTheDomains {
        setting: &'static str,
        zone: String,
        zone_name: String,
        domain: String,
    },
    #[error(
        "hosted zone {zone} has a CNAME record `{domain} CNAME {target}`, and Route 53 allows no alias record beside a CNAME of the same name{}. Delete the CNAME (Route 53 console, or `aws route53 change-resource-record-sets --hosted-zone-id {zone}` with action DELETE and the record as `aws route53 list-resource-record-sets --hosted-zone-id {zone}` shows it) and deploy again, or remove hosted_zone_id and keep the CNAME",
        cname_note(*.ours, .what)
    )]
    CnameBesideAlias {
        what: &'static str,
        ours: bool,
        domain: String,
        zone: String,
        target: String,
    },
    #[error(
        "the certificate {arn} cannot serve the API's domain {domain}: {why}. A regional custom domain needs an ACM certificate in the stack's region ({region}) whose status is ISSUED and that covers the domain; request or import one there (`aws acm request-certificate --region {region} --domain-name {domain} --validation-method DNS`), validate it, and name it in domain.certificate_arn"
    )]
    ApiCertificateNotUsable {
        arn: String,
        domain: String,
        region: String,
        why: String,
    },
    #[error(
        "the custom domain name {domain} exists in API Gateway and is not this stack's ({owner}): jwtstack does not take over a domain it did not create. Choose another domain.name, or delete that domain name (`aws apigatewayv2 delete-domain-name --domain-name {domain}`) if nothing uses it"
    )]
    ApiDomainTaken { domain: String, owner: String },
    #[error(
        "the log group {name} exists and is not this stack's (it lacks the jwtstack:stack tag {stack}): jwtstack does not write its access log into a group it did not create. Delete or rename that group, or remove access_log"
    )]
    LogGroupTaken { name: String, stack: String },
    #[error(
        "the {what} {name} exists and is not this stack's (it lacks the jwtstack:stack tag {stack}): jwtstack does not take over the token endpoint's resources it did not create. Delete or rename it, or remove token_endpoint (docs/token-endpoint.md)"
    )]
    TokenEndpointTaken { what: &'static str, name: String, stack: String },
    #[error(
        "the token endpoint's function would have {bytes} bytes of environment variables (the issuer, audiences and the {scopes} scopes the routes grant), over the 4,096 Lambda allows: use fewer or shorter scopes or audiences, or remove token_endpoint"
    )]
    TokenEndpointEnvironmentTooLarge { bytes: usize, scopes: usize },
    #[error(
        "the key timeline would be {chars} characters for {keys} keys, over the 4,096 an SSM standard parameter holds; publish fewer keys at once (retire previous keys with `jwtstack rotate finish`) or use shorter kids"
    )]
    KeyTimelineTooLarge { chars: usize, keys: usize },
    #[error(
        "Lambda function {function} does not exist (used by {}); create it first, or correct the ARN in the stack file",
        routes.join(", ")
    )]
    MissingFunction { function: String, routes: Vec<String> },
    #[error(
        "the JWKS would be {bytes} bytes with {keys} keys, over API Gateway's 150,000-byte limit; retire previous keys with `jwtstack rotate finish`"
    )]
    JwksTooLarge { bytes: usize, keys: usize },
    #[error(
        "the REST API's authorizer trusts {issuer}, and API Gateway reads it when it makes or changes the authorizer, but it cannot be read: {why}. Run `jwtstack check` for the details, fix the issuer or remove it from trust"
    )]
    TrustedIssuerUnreadable { issuer: String, why: String },
    #[error(
        "stack `{stack}` has a{} {found} API ({id}, its jwtstack:stack tag), and the stack file now says api.type: {now}: jwtstack does not replace an API in one deploy, which would leave clients of the {found} API without it (or it serving without the stack). Nothing was changed. To move: tear the {found} API down with api.type: {} (`jwtstack teardown --keep-keys` keeps the signing keys), then deploy with api.type: {now}; or deploy the new API as another stack{}",
        if *found == "HTTP" { "n" } else { "" },
        found.to_ascii_lowercase(),
        if *both { ". This stack has an API of each type already (an earlier version let a switch through): delete the one it no longer needs in the API Gateway console, or remove that API's jwtstack:stack tag, then run again" } else { "" }
    )]
    ApiTypeSwitch {
        stack: String,
        id: String,
        /// The type of the API found: `HTTP` or `REST`.
        found: &'static str,
        /// The stack file's `api.type`.
        now: &'static str,
        /// The stack's API of the file's type exists too.
        both: bool,
    },
    #[error(
        "REST API {id} is {found}, and the stack file says endpoint: {}: changing a REST API's endpoint type is not done yet. Nothing was changed. Put endpoint back, or change it in the API Gateway console (it takes effect after some minutes) and deploy again",
        wanted.to_ascii_lowercase()
    )]
    RestEndpointChange { id: String, found: String, wanted: &'static str },
    #[error(
        "api.id `{id}` names no REST API in {region} (`aws apigateway get-rest-apis` lists them); use api.name to have the stack create one. Nothing was changed"
    )]
    RestApiMissing { id: String, region: String },
    #[error(
        "domain {domain}: the REST API is private, and the regional custom domain name jwtstack makes cannot map a private API. Remove domain (a private API is called through its VPC endpoints). Nothing was changed"
    )]
    RestPrivateDomain { domain: String },
    #[error(
        "REST API {api} has an authorizer named {name} ({id}) that is not a JWT authorizer: it is not the stack's, and the stack's would take its name. Rename or delete it, or adopt another API. Nothing was changed"
    )]
    RestAuthorizerTaken { name: String, api: String, id: String },
    #[error(
        "a route needs the resource {path} in REST API {api}, which has {existing} under the same parent: API Gateway allows one variable path part per parent. Name the parameter as the API does, or route elsewhere. Nothing was changed"
    )]
    RestVariableSibling { path: String, existing: String, api: String },
    #[error(
        "access_log on a REST API needs API Gateway's CloudWatch Logs role, an account setting of {region} that is not set: API Gateway refuses the stage's access log without it (\"CloudWatch Logs role ARN must be set in account settings to enable logging\"). Set it once for the account (a role that apigateway.amazonaws.com may assume, with the AmazonAPIGatewayPushToCloudWatchLogs policy): `aws apigateway update-account --region {region} --patch-operations op=replace,path=/cloudwatchRoleArn,value=ROLE_ARN`, or remove access_log (docs/rest-apis.md#what-works-now). Nothing was changed"
    )]
    RestLogRoleMissing { region: String },
}

/// What a CNAME in the way is, when it points where the alias will.
fn cname_note(ours: bool, what: &str) -> String {
    if ours {
        format!(
            ": it points at the stack's {what}, as the record added by hand does, and jwtstack now writes it as an alias; between the delete and the deploy the name does not resolve"
        )
    } else {
        String::new()
    }
}
