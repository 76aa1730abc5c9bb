//! Pacing of API Gateway management calls to the account quota (10 requests per second, burst 40, shared by
//! every tool in the account and not raisable): a client-side token bucket and a cap on calls in flight,
//! applied to every HTTP attempt, retries included, by wrapping the SDK's HTTP client.

use std::sync::Arc;
use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use tokio::sync::{Mutex, Semaphore};
use tokio::time::Instant;

/// API Gateway's quota for the management API.
pub const QUOTA_RPS: f64 = 10.0;
pub const QUOTA_BURST: f64 = 40.0;
pub const DEFAULT_CONCURRENCY: usize = 8;

/// A token bucket: `rate` tokens a second, at most `burst` saved up. A rate of 0 turns pacing off.
#[derive(Debug)]
pub struct Pacer {
    rate: f64,
    burst: f64,
    state: Mutex<(f64, Instant)>,
    in_flight: Semaphore,
}

impl Pacer {
    pub fn new(rate: f64, burst: f64, concurrency: usize) -> Pacer {
        Pacer {
            rate,
            burst,
            state: Mutex::new((burst, Instant::now())),
            in_flight: Semaphore::new(concurrency.max(1)),
        }
    }

    /// Waits for a token.
    pub async fn take(&self) {
        if self.rate <= 0.0 {
            return;
        }
        loop {
            let wait = {
                let mut s = self.state.lock().await;
                let now = Instant::now();
                let tokens = (s.0 + now.duration_since(s.1).as_secs_f64() * self.rate).min(self.burst);
                if tokens >= 1.0 {
                    *s = (tokens - 1.0, now);
                    return;
                }
                *s = (tokens, now);
                Duration::from_secs_f64((1.0 - tokens) / self.rate)
            };
            tokio::time::sleep(wait).await;
        }
    }
}

/// The SDK's default HTTPS client (rustls with aws-lc, proxy settings from the environment), built here
/// because the configuration loader leaves the choice to each service client and the pacer must wrap it.
pub fn default_http_client() -> SharedHttpClient {
    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::{Builder, ConnectorBuilder, tls};
    Builder::new().build_with_connector_fn(move |settings, runtime_components| {
        let mut conn = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc));
        conn.set_connector_settings(settings.cloned());
        if let Some(components) = runtime_components {
            conn.set_sleep_impl(components.sleep_impl());
        }
        conn.set_proxy_config(Some(ProxyConfig::from_env()));
        conn.build()
    })
}

/// The SDK's HTTP client with every call paced.
#[derive(Debug, Clone)]
pub struct PacedClient {
    inner: SharedHttpClient,
    pacer: Arc<Pacer>,
}

impl PacedClient {
    pub fn new(inner: SharedHttpClient, pacer: Arc<Pacer>) -> PacedClient {
        PacedClient { inner, pacer }
    }
}

impl HttpClient for PacedClient {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(PacedConnector {
            inner: self.inner.http_connector(settings, components),
            pacer: self.pacer.clone(),
        })
    }
}

#[derive(Debug)]
struct PacedConnector {
    inner: SharedHttpConnector,
    pacer: Arc<Pacer>,
}

impl HttpConnector for PacedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let (inner, pacer) = (self.inner.clone(), self.pacer.clone());
        HttpConnectorFuture::new(async move {
            // The semaphore lives as long as the pacer, which this future holds.
            let _slot = pacer.in_flight.acquire().await.ok();
            pacer.take().await;
            inner.call(request).await
        })
    }
}

/// CreateDomainName, UpdateDomainName and DeleteDomainName: one request every 30 seconds per account, a quota
/// that cannot be raised ("Amazon API Gateway quotas"; AWS Knowledge Center, "api-gateway-delete-domain-name":
/// TooManyRequestsException past it).
pub const DOMAIN_CALL_INTERVAL: Duration = Duration::from_secs(30);

/// REST API calls with a per-account quota of their own, none raisable ("Amazon API Gateway quotas", quotas
/// for creating, deploying and managing an API): CreateRestApi one request every 3 seconds (every 30 seconds
/// for an edge-optimized API), DeleteRestApi one every 30 seconds, CreateDeployment one every 5 seconds.
pub const REST_CREATE_INTERVAL: Duration = Duration::from_secs(3);
pub const REST_EDGE_CREATE_INTERVAL: Duration = Duration::from_secs(30);
pub const REST_DELETE_INTERVAL: Duration = Duration::from_secs(30);
pub const REST_DEPLOYMENT_INTERVAL: Duration = Duration::from_secs(5);

/// The REST API calls of one run that have a quota of their own, each spaced by it.
#[derive(Debug)]
pub struct RestQuotas {
    pub creates: Interval,
    pub edge_creates: Interval,
    pub deletes: Interval,
    pub deployments: Interval,
}

impl Default for RestQuotas {
    fn default() -> RestQuotas {
        RestQuotas {
            creates: Interval::new(REST_CREATE_INTERVAL),
            edge_creates: Interval::new(REST_EDGE_CREATE_INTERVAL),
            deletes: Interval::new(REST_DELETE_INTERVAL),
            deployments: Interval::new(REST_DEPLOYMENT_INTERVAL),
        }
    }
}

/// Calls spaced `interval` apart: the first goes at once, each next one an interval after the one before.
#[derive(Debug)]
pub struct Interval {
    interval: Duration,
    next: std::sync::Mutex<Option<Instant>>,
}

impl Interval {
    pub fn new(interval: Duration) -> Interval {
        Interval {
            interval,
            next: std::sync::Mutex::new(None),
        }
    }

    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Takes the next slot; returns how long to wait for it.
    pub fn reserve(&self) -> Duration {
        self.take_slot().1
    }

    /// Takes the next slot: when it is, and how long to wait for it.
    pub fn take_slot(&self) -> (Instant, Duration) {
        let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let at = next.map_or(now, |t| t.max(now));
        *next = Some(at + self.interval);
        (at, at - now)
    }

    /// The call of the slot at `at` was refused before it counted (a 409, a 5xx): the slot is given back, unless
    /// a later one was taken meanwhile. Should AWS have counted it, the next call is refused for the quota and
    /// waits as [`pushed_back`](Self::pushed_back) says.
    pub fn give_back(&self, at: Instant) {
        let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
        if *next == Some(at + self.interval) {
            *next = Some(at);
        }
    }

    /// Someone else in the account made such a call just now (AWS answered TooManyRequests): the next slot
    /// is an interval from now.
    pub fn pushed_back(&self) {
        *self.next.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now() + self.interval);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_bucket_allows_the_burst_then_the_rate() {
        let p = Pacer::new(10.0, 40.0, 8);
        let start = tokio::time::Instant::now();
        for _ in 0..40 {
            p.take().await;
        }
        assert!(start.elapsed() < Duration::from_millis(1));
        for _ in 0..20 {
            p.take().await;
        }
        let elapsed = start.elapsed().as_secs_f64();
        assert!((1.9..2.2).contains(&elapsed), "{elapsed}");
    }

    #[tokio::test(start_paused = true)]
    async fn rate_zero_is_unpaced() {
        let p = Pacer::new(0.0, 0.0, 1);
        let start = tokio::time::Instant::now();
        for _ in 0..1000 {
            p.take().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn an_interval_spaces_calls_and_is_pushed_back_by_a_refusal() {
        let i = Interval::new(Duration::from_secs(30));
        assert_eq!(i.reserve(), Duration::ZERO);
        assert_eq!(i.reserve(), Duration::from_secs(30));
        tokio::time::sleep(Duration::from_secs(45)).await;
        // The second slot was at 30 s, the third is at 60 s: 15 s from now.
        assert_eq!(i.reserve(), Duration::from_secs(15));
        tokio::time::sleep(Duration::from_secs(100)).await;
        assert_eq!(i.reserve(), Duration::ZERO);
        i.pushed_back();
        assert_eq!(i.reserve(), Duration::from_secs(30));
        // A slot given back is the next one again; one given back after a later was taken is not.
        tokio::time::sleep(Duration::from_secs(100)).await;
        let (at, wait) = i.take_slot();
        assert_eq!(wait, Duration::ZERO);
        i.give_back(at);
        assert_eq!(i.reserve(), Duration::ZERO);
        // (Slots at 30 s and 60 s from now are taken; the one at 30 s stays taken.)
        let (at, _) = i.take_slot();
        i.reserve();
        i.give_back(at);
        assert_eq!(i.reserve(), Duration::from_secs(90));
    }
}
