//! jwtstack's AWS side: the service clients (one module per service, each reading its part of the
//! [`Inventory`](jwtstack_core::plan::Inventory) and performing its steps), the inventory reader, the executor
//! (`apply`) and the engine every changing command shares (`converge`), the stack's run lock, and reading
//! issuers over HTTPS as API Gateway does (`fetch`, `jwks`). `retry` holds the retry rules, `pace` the API
//! Gateway pacing. SDK errors are classified here, with the context of the call that failed.

pub mod account;
pub mod acm;
pub mod apigw;
pub mod apigw_rest;
pub mod apply;
mod bounded;
pub mod clients;
pub mod cloudfront;
pub mod converge;
mod error;
pub mod event;
pub mod fetch;
pub mod function;
pub mod iam;
pub mod inventory;
pub mod jwks;
pub mod kms;
pub mod lambda;
pub mod lock;
pub mod logs;
mod modelled;
pub mod pace;
pub mod probe;
pub mod rest_jwt;
pub mod retry;
pub mod role;
pub mod route53;
pub mod s3;
/// Minting with a key in memory or in KMS (`key_store: kms`).
pub mod signer;
pub mod ssm;
mod stats;

pub use error::{AwsError, ErrorKind};
pub(crate) use error::{classify, ignore_missing};

pub use stats::CallStats;
use stats::CountingInterceptor;

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::timeout::TimeoutConfig;

/// Where and as whom to call AWS.
#[derive(Debug, Clone, Default)]
pub struct Connection {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    /// API Gateway calls per second (0: unpaced) and burst; calls in flight.
    pub max_rps: f64,
    pub max_concurrency: usize,
    /// Between two changes of a custom domain name (API Gateway's per-account quota; `None`: 30 s).
    pub domain_call_interval: Option<Duration>,
    /// Told, once per attempt, which call has had no answer for a while (`None`: nobody is told).
    pub slow_call: Option<fn(&str)>,
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
    /// API Gateway's REST APIs (v1), paced with `apigw`: the account's control-plane quota is one for both.
    pub apigw_rest: aws_sdk_apigateway::Client,
    pub lambda: aws_sdk_lambda::Client,
    pub iam: aws_sdk_iam::Client,
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
    /// The custom domain name changes of this run, spaced by API Gateway's per-account quota.
    pub domain_calls: std::sync::Arc<pace::Interval>,
    /// The REST API creates, deletes and deployments of this run, spaced by their per-account quotas.
    pub rest_quotas: std::sync::Arc<pace::RestQuotas>,
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
        if let Some(tell) = conn.slow_call {
            stats.watch_waits(endpoint.clone(), tell);
        }
        // Every client counts its calls (`--stats`, the benchmarks) and reads no answer past a bound.
        macro_rules! counted {
            ($sdk:ident) => {
                $sdk::config::Builder::from(&shared)
                    .interceptor(CountingInterceptor(stats.clone()))
                    .interceptor(bounded::BoundedBodies)
            };
        }
        let s3_conf = counted!(aws_sdk_s3).force_path_style(custom_endpoint).build();
        let mut apigw_conf = counted!(aws_sdk_apigatewayv2);
        let mut apigw_rest_conf = counted!(aws_sdk_apigateway);
        {
            // A hair under the rate and burst asked for, so that network jitter does not push a call over.
            let rate = conn.max_rps * 0.98;
            let burst = (pace::QUOTA_BURST.min(conn.max_rps * 4.0) - 1.0).max(1.0);
            let pacer = pace::Pacer::new(rate, burst, conn.max_concurrency);
            let http = shared.http_client().unwrap_or_else(pace::default_http_client);
            let paced = pace::PacedClient::new(http, std::sync::Arc::new(pacer));
            apigw_rest_conf = apigw_rest_conf.http_client(paced.clone());
            apigw_conf = apigw_conf.http_client(paced);
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
            apigw_rest: aws_sdk_apigateway::Client::from_conf(apigw_rest_conf.build()),
            lambda: aws_sdk_lambda::Client::from_conf(counted!(aws_sdk_lambda).build()),
            iam: aws_sdk_iam::Client::from_conf(counted!(aws_sdk_iam).build()),
            sts: aws_sdk_sts::Client::from_conf(counted!(aws_sdk_sts).build()),
            s3control: aws_sdk_s3control::Client::from_conf(s3control_conf.build()),
            region,
            stats,
            domain_calls: std::sync::Arc::new(pace::Interval::new(conn.domain_call_interval.unwrap_or(pace::DOMAIN_CALL_INTERVAL))),
            rest_quotas: Default::default(),
        })
    }
}
