//! jwtstack's AWS side: the service clients (one module per service, each reading its part of the
//! [`Inventory`](jwtstack_core::plan::Inventory) and performing its steps), the inventory reader, the executor
//! (`apply`) and the engine every changing command shares (`converge`), the stack's run lock, and reading
//! issuers over HTTPS as API Gateway does (`fetch`, `jwks`). `retry` holds the retry rules, `pace` the API
//! Gateway pacing. SDK errors are classified here, with the context of the call that failed.

pub mod account;
pub mod acm;
pub mod apigw;
pub mod apply;
pub mod cloudfront;
pub mod converge;
pub mod fetch;
pub mod inventory;
pub mod jwks;
pub mod kms;
pub mod lambda;
pub mod lock;
pub mod logs;
pub mod pace;
pub mod retry;
pub mod route53;
pub mod s3;
/// Minting with a key in memory or in KMS (`key_store: kms`).
pub mod signer;
pub mod ssm;
mod stats;

pub use stats::CallStats;
use stats::CountingInterceptor;

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::timeout::TimeoutConfig;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// What kind of failure an AWS call had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    NotFound,
    Conflict,
    Throttled,
    AccessDenied,
    /// AWS refused the call because another change to the same resource is in progress: API Gateway's 409
    /// "concurrent modification", S3's 409 `OperationAborted`. Nothing happened; try again after a pause.
    Busy,
    /// No credentials could be had: no call was sent.
    Credentials,
    /// No answer, a reset connection, or a timeout: the call may or may not have taken effect.
    Connection,
    /// A 5xx answer.
    Server,
    Other,
}

impl ErrorKind {
    /// Worth another attempt after a pause.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            ErrorKind::Throttled | ErrorKind::Busy | ErrorKind::Connection | ErrorKind::Server
        )
    }
}

/// A failed AWS call: what we were doing, how it failed, and AWS's own words.
#[derive(Debug, thiserror::Error)]
/// The hint is data: `output::render_error` shows it on a line of its own.
#[error("{context}: {message}")]
pub struct AwsError {
    pub context: String,
    pub kind: ErrorKind,
    pub code: Option<String>,
    pub message: String,
    pub hint: Option<String>,
}

impl AwsError {
    pub fn new(context: impl Into<String>, kind: ErrorKind, message: impl Into<String>) -> Self {
        AwsError {
            context: context.into(),
            kind,
            code: None,
            message: message.into(),
            hint: None,
        }
    }

    /// The message with its hint, for where it is carried inside another error's text.
    pub fn with_hint(&self) -> String {
        match &self.hint {
            Some(h) => format!("{self}\n  hint: {h}"),
            None => self.to_string(),
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }

    pub fn is_transient(&self) -> bool {
        self.kind.is_transient()
    }
}

/// The IAM action behind an SDK error type, e.g. `aws_sdk_ssm::operation::put_parameter::PutParameterError`
/// is `ssm:PutParameter`. API Gateway's management API authorizes by HTTP verb.
fn iam_action<E>() -> Option<String> {
    let name = std::any::type_name::<E>();
    let service = name.strip_prefix("aws_sdk_")?.split("::").next()?;
    let op = name.rsplit("::").next()?.strip_suffix("Error")?;
    Some(match service {
        "apigatewayv2" => {
            let verb = if op.starts_with("Get") {
                "GET"
            } else if op.starts_with("Create") {
                "POST"
            } else if op.starts_with("Update") {
                "PATCH"
            } else if op.starts_with("Delete") {
                "DELETE"
            } else {
                "POST"
            };
            format!("apigateway:{verb}")
        }
        "s3" => match op {
            "HeadBucket" | "ListObjectsV2" => "s3:ListBucket".into(),
            "GetPublicAccessBlock" => "s3:GetBucketPublicAccessBlock".into(),
            "PutPublicAccessBlock" => "s3:PutBucketPublicAccessBlock".into(),
            "PutBucketTagging" | "GetBucketTagging" => format!("s3:{op}"),
            other => format!("s3:{other}"),
        },
        other => format!("{other}:{op}"),
    })
}

/// Classifies an SDK error by its modelled error code and the transport outcome.
pub(crate) fn classify<E>(context: impl Into<String>, err: SdkError<E, HttpResponse>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let context = context.into();
    // The SDK's full account of a failure to connect, for -v; it has no response body in it.
    if matches!(err, SdkError::DispatchFailure(_) | SdkError::TimeoutError(_)) {
        tracing::info!("{context}: {}", aws_smithy_types::error::display::DisplayErrorContext(&err));
    }
    if let Some(e) = credentials_error(&err) {
        return e.into_error(context);
    }
    let (kind, code, hint) = match &err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => (
            ErrorKind::Connection,
            None,
            Some("check the network, the region, and --endpoint-url / AWS_ENDPOINT_URL if you use an emulator".to_string()),
        ),
        SdkError::ServiceError(se) => {
            let code = se.err().code().map(str::to_string);
            let kind = match code.as_deref() {
                // terraform-provider-aws issues 7628 and 36873: right after CreateBucket and between bucket
                // configuration calls.
                Some("OperationAborted") => ErrorKind::Busy,
                // API Gateway serialises changes to one API (terraform-provider-aws issues 18018, 37897, 40575;
                // bref issue 868). The code is the same as for a real conflict ("Route with key ... already
                // exists"): only AWS's message tells them apart.
                Some("ConflictException") if se.err().message().is_some_and(|m| m.contains("concurrent modification")) => ErrorKind::Busy,
                Some(
                    "NotFoundException"
                    | "NoSuchBucket"
                    | "NoSuchKey"
                    | "NoSuchBucketPolicy"
                    | "NoSuchTagSet"
                    | "NotFound"
                    | "NoSuchPublicAccessBlockConfiguration"
                    | "ParameterNotFound"
                    | "ResourceNotFoundException"
                    | "NoSuchDistribution"
                    | "NoSuchOriginAccessControl"
                    | "NoSuchInvalidation",
                ) => ErrorKind::NotFound,
                // CloudFront's ETag check (IfMatch) failed: another change came in between; read again and retry.
                Some("PreconditionFailed") => ErrorKind::Busy,
                Some(
                    "ConflictException"
                    | "ParameterAlreadyExists"
                    | "BucketAlreadyExists"
                    | "BucketAlreadyOwnedByYou"
                    | "AlreadyExistsException"
                    | "ResourceConflictException"
                    | "DistributionAlreadyExists"
                    | "OriginAccessControlAlreadyExists",
                ) => ErrorKind::Conflict,
                Some("TooManyRequestsException" | "ThrottlingException" | "Throttling" | "SlowDown" | "ThrottledException") => {
                    ErrorKind::Throttled
                }
                Some(
                    "AccessDenied"
                    | "AccessDeniedException"
                    | "UnauthorizedOperation"
                    | "UnrecognizedClientException"
                    | "InvalidClientTokenId",
                ) => ErrorKind::AccessDenied,
                _ if se.raw().status().is_server_error() => ErrorKind::Server,
                _ => ErrorKind::Other,
            };
            let hint = (kind == ErrorKind::AccessDenied).then(|| {
                let action = iam_action::<E>()
                    .map(|a| format!("`{a}`"))
                    .unwrap_or_else(|| "an IAM action".into());
                format!(
                    "the credentials in use are not allowed {action} on the resource above; the README lists the IAM policy jwtstack needs"
                )
            });
            (kind, code, hint)
        }
        _ => (ErrorKind::Other, None, None),
    };
    let message = match &err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            match (e.code(), e.message()) {
                (Some(c), Some(m)) => format!("{c}: {m}"),
                (Some(c), None) => c.to_string(),
                _ => format!("HTTP {} with no error code", se.raw().status().as_u16()),
            }
        }
        other => causes(other),
    };
    AwsError {
        context,
        kind,
        code,
        message,
        hint,
    }
}

/// An error's causes in words, outermost first: each cause's `Display`, never its `Debug` form (the SDK's
/// debug dump carries raw responses, and the answer to a `GetParameter` is a private key).
fn causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = Some(err);
    while let Some(e) = cur {
        let text = e.to_string();
        // Outer errors often repeat their source's text; keep each piece once.
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = e.source();
    }
    parts.join(": ")
}

/// Credentials that could not be had: found in the error's chain by type.
struct CredentialsProblem<'a>(&'a aws_credential_types::provider::error::CredentialsError);

fn credentials_error<'a, E: std::error::Error + 'static>(err: &'a SdkError<E, HttpResponse>) -> Option<CredentialsProblem<'a>> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(c) = e.downcast_ref::<aws_credential_types::provider::error::CredentialsError>() {
            return Some(CredentialsProblem(c));
        }
        cur = e.source();
    }
    None
}

impl CredentialsProblem<'_> {
    fn into_error(self, context: String) -> AwsError {
        use aws_credential_types::provider::error::CredentialsError;
        let message = match self.0 {
            CredentialsError::CredentialsNotLoaded(_) => "no AWS credentials were found. jwtstack looked where the AWS CLI looks: \
                 the environment (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), the profile in ~/.aws/config and \
                 ~/.aws/credentials (AWS_PROFILE or --profile), SSO, web identity, the ECS container and the EC2 instance role"
                .to_string(),
            other => format!("the AWS credentials could not be loaded: {}", causes(other)),
        };
        let mut e = AwsError::new(context, ErrorKind::Credentials, message);
        e.hint = Some(
            "run `aws configure` (access keys) or `aws sso login --profile NAME` and pass --profile NAME; \
             in CI, export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (an emulator accepts any non-empty values)"
                .into(),
        );
        e
    }
}

/// A delete of something already gone has reached the desired state.
pub(crate) fn ignore_missing<E, T>(result: Result<T, SdkError<E, HttpResponse>>, context: impl Into<String>) -> Result<(), AwsError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match result {
        Ok(_) => Ok(()),
        Err(e) => {
            let err = classify(context, e);
            if err.is_not_found() { Ok(()) } else { Err(err) }
        }
    }
}

/// Where and as whom to call AWS.
#[derive(Debug, Clone, Default)]
pub struct Connection {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    /// API Gateway calls per second (0: unpaced) and burst; calls in flight.
    pub max_rps: f64,
    pub max_concurrency: usize,
}

/// A profile named with --profile must exist: otherwise the SDK goes on without it and the user reads about a
/// missing region or missing credentials instead.
async fn check_profile(profile: &str) -> Result<(), AwsError> {
    use aws_types::os_shim_internal::{Env, Fs};
    let Ok(set) = aws_config::profile::load(&Fs::real(), &Env::real(), &Default::default(), None).await else {
        // An unreadable file: the SDK reports it better.
        return Ok(());
    };
    if set.get_profile(profile).is_some() || set.sso_session(profile).is_some() {
        return Ok(());
    }
    let files = |var: &str, default: &str| std::env::var(var).unwrap_or_else(|_| default.to_string());
    let mut found: Vec<&str> = set.profiles().collect();
    found.sort_unstable();
    let mut e = AwsError::new(
        "choosing the AWS profile",
        ErrorKind::Other,
        format!(
            "profile `{profile}` does not exist in {} or {}",
            files("AWS_CONFIG_FILE", "~/.aws/config"),
            files("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")
        ),
    );
    e.hint = Some(if found.is_empty() {
        format!("no profile is configured: run `aws configure --profile {profile}` or `aws configure sso --profile {profile}`")
    } else {
        format!(
            "profiles found: {}; or create it with `aws configure --profile {profile}`",
            found.join(", ")
        )
    });
    Err(e)
}

/// The service clients, sharing one configuration and one call counter.
#[derive(Clone, Debug)]
pub struct Clients {
    pub s3: aws_sdk_s3::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub kms: aws_sdk_kms::Client,
    pub apigw: aws_sdk_apigatewayv2::Client,
    pub lambda: aws_sdk_lambda::Client,
    pub sts: aws_sdk_sts::Client,
    pub s3control: aws_sdk_s3control::Client,
    pub cloudfront: aws_sdk_cloudfront::Client,
    /// ACM in us-east-1, the only region whose certificates CloudFront uses.
    pub acm_us_east_1: aws_sdk_acm::Client,
    /// ACM in the stack's region (the API's custom domain).
    pub acm: aws_sdk_acm::Client,
    pub route53: aws_sdk_route53::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    /// Calls go to `--endpoint-url` / `AWS_ENDPOINT_URL` (an emulator), which serves no public URL of AWS's.
    pub on_emulator: bool,
    pub region: String,
    pub stats: CallStats,
}

impl Clients {
    /// Loads the normal credential chain (env, profile, SSO, IMDS...). `--endpoint-url` wins over
    /// `AWS_ENDPOINT_URL`, which aws-config reads itself.
    pub async fn connect(conn: &Connection) -> Result<Clients, AwsError> {
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(5))
            .operation_attempt_timeout(retry::ATTEMPT_TIMEOUT)
            .operation_timeout(retry::CALL_TIMEOUT)
            .build();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(retry::retry_config())
            .timeout_config(timeouts);
        if let Some(r) = &conn.region {
            loader = loader.region(aws_config::Region::new(r.clone()));
        }
        if let Some(p) = &conn.profile {
            check_profile(p).await?;
            loader = loader.profile_name(p);
        }
        if let Some(e) = &conn.endpoint_url {
            loader = loader.endpoint_url(e);
        }
        let shared = loader.load().await;
        let region = shared.region().map(|r| r.to_string()).ok_or_else(|| {
            let mut e = AwsError::new("resolving the AWS region", ErrorKind::Other, "no region is configured");
            e.hint = Some("set `region:` in the stack file, pass --region, or set AWS_REGION / a profile region".into());
            e
        })?;
        if !jwtstack_core::config::is_region(&region) {
            let mut e = AwsError::new(
                "resolving the AWS region",
                ErrorKind::Other,
                format!("`{region}` is not an AWS region name"),
            );
            e.hint = Some("a region is written like us-east-1 or eu-central-1 (--region, AWS_REGION, the profile's region)".into());
            return Err(e);
        }
        // The emulator or proxy every call goes to, if any (`--endpoint-url`, else `AWS_ENDPOINT_URL`).
        let endpoint = conn.endpoint_url.clone().or_else(|| std::env::var("AWS_ENDPOINT_URL").ok());
        let custom_endpoint = endpoint.is_some();
        let stats = CallStats::default();
        stats.watch_waits(endpoint.clone());
        // Every client counts its calls (`--stats`, the benchmarks).
        macro_rules! counted {
            ($sdk:ident) => {
                $sdk::config::Builder::from(&shared).interceptor(CountingInterceptor(stats.clone()))
            };
        }
        let s3_conf = counted!(aws_sdk_s3).force_path_style(custom_endpoint).build();
        let mut apigw_conf = counted!(aws_sdk_apigatewayv2);
        {
            // A hair under the rate and burst asked for, so that network jitter does not push a call over.
            let rate = conn.max_rps * 0.98;
            let burst = (pace::QUOTA_BURST.min(conn.max_rps * 4.0) - 1.0).max(1.0);
            let pacer = pace::Pacer::new(rate, burst, conn.max_concurrency);
            let http = shared.http_client().unwrap_or_else(pace::default_http_client);
            apigw_conf = apigw_conf.http_client(pace::PacedClient::new(http, std::sync::Arc::new(pacer)));
        }
        let mut s3control_conf = counted!(aws_sdk_s3control);
        if let Some(endpoint) = endpoint {
            s3control_conf = s3control_conf.endpoint_resolver(account::FixedEndpoint(endpoint));
        }
        // CloudFront and Route 53 are global services; CloudFront's certificates are asked in us-east-1
        // whatever the stack's region, the API domain's in the stack's region.
        let acm_us_east_1 = counted!(aws_sdk_acm).region(aws_config::Region::new("us-east-1")).build();
        Ok(Clients {
            cloudfront: aws_sdk_cloudfront::Client::from_conf(counted!(aws_sdk_cloudfront).build()),
            acm_us_east_1: aws_sdk_acm::Client::from_conf(acm_us_east_1),
            acm: aws_sdk_acm::Client::from_conf(counted!(aws_sdk_acm).build()),
            route53: aws_sdk_route53::Client::from_conf(counted!(aws_sdk_route53).build()),
            logs: aws_sdk_cloudwatchlogs::Client::from_conf(counted!(aws_sdk_cloudwatchlogs).build()),
            on_emulator: custom_endpoint,
            s3: aws_sdk_s3::Client::from_conf(s3_conf),
            ssm: aws_sdk_ssm::Client::from_conf(counted!(aws_sdk_ssm).build()),
            kms: aws_sdk_kms::Client::from_conf(counted!(aws_sdk_kms).build()),
            apigw: aws_sdk_apigatewayv2::Client::from_conf(apigw_conf.build()),
            lambda: aws_sdk_lambda::Client::from_conf(counted!(aws_sdk_lambda).build()),
            sts: aws_sdk_sts::Client::from_conf(counted!(aws_sdk_sts).build()),
            s3control: aws_sdk_s3control::Client::from_conf(s3control_conf.build()),
            region,
            stats,
        })
    }
}
