//! Counting every AWS call (`--stats`, the benchmarks), and saying which one has not answered for a while.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use crate::retry;

/// Counts every HTTP attempt by service and operation, and the throttled answers, for `--stats`.
#[derive(Debug, Default, Clone)]
pub struct CallStats {
    inner: Arc<Mutex<StatsInner>>,
}

#[derive(Debug, Default)]
struct StatsInner {
    calls: BTreeMap<(String, String), u64>,
    /// Each operation's HTTP method (API Gateway's IAM actions are named by it).
    methods: BTreeMap<(String, String), String>,
    throttled: u64,
    /// Attempts sent and not answered yet: service, operation, when sent, whether the wait was said.
    in_flight: std::collections::HashMap<u64, (String, String, std::time::Instant, bool)>,
    next_attempt: u64,
}

/// The id of an attempt in flight, kept in the attempt's config bag.
#[derive(Debug, Clone, Copy)]
struct InFlight(u64);

impl aws_smithy_types::config_bag::Storable for InFlight {
    type Storer = aws_smithy_types::config_bag::StoreReplace<Self>;
}

/// How long an attempt may go unanswered before jwtstack says what it is waiting for.
const SAY_WAITING_AFTER: Duration = Duration::from_secs(5);

impl CallStats {
    /// Tells, once per attempt, which call has had no answer for a while: an unanswering endpoint is otherwise
    /// silent until the call's time limit (120 s).
    pub(crate) fn watch_waits(&self, endpoint: Option<String>, tell: fn(&str)) {
        let stats = self.clone();
        let Ok(rt) = tokio::runtime::Handle::try_current() else { return };
        rt.spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let mut g = stats.inner.lock().unwrap_or_else(|p| p.into_inner());
                for (service, op, since, said) in g.in_flight.values_mut() {
                    if !*said && since.elapsed() >= SAY_WAITING_AFTER {
                        *said = true;
                        let at = endpoint
                            .as_deref()
                            .map(|e| format!(" at {}", jwtstack_core::text::redact_user_info(e)))
                            .unwrap_or_default();
                        tell(&format!(
                            "still waiting: {service} {op}{at} has not answered for {} s (an attempt gives up after {} s, the call after {} s; check the network or --endpoint-url)",
                            since.elapsed().as_secs(),
                            retry::ATTEMPT_TIMEOUT.as_secs(),
                            retry::CALL_TIMEOUT.as_secs()
                        ));
                    }
                }
            }
        });
    }
}

impl CallStats {
    /// Each operation called (service, operation, HTTP method), sorted.
    pub fn operations(&self) -> Vec<(String, String, String)> {
        let g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        g.methods.iter().map(|((s, o), m)| (s.clone(), o.clone(), m.clone())).collect()
    }

    /// Calls by `service:operation`, sorted.
    pub fn calls(&self) -> BTreeMap<String, u64> {
        let g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        g.calls.iter().map(|((s, o), n)| (format!("{s}:{o}"), *n)).collect()
    }

    pub fn total(&self) -> u64 {
        self.calls().values().sum()
    }

    pub fn throttled(&self) -> u64 {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).throttled
    }

    /// Write calls: everything that is not a Get/List/Head/Describe/Filter (or KMS Sign, which changes nothing).
    pub fn writes(&self) -> u64 {
        self.calls()
            .iter()
            .filter(|(k, _)| {
                let op = k.split(':').nth(1).unwrap_or("");
                !(op.starts_with("Get")
                    || op.starts_with("List")
                    || op.starts_with("Head")
                    || op.starts_with("Describe")
                    || op.starts_with("Filter")
                    || op == "Sign")
            })
            .map(|(_, n)| n)
            .sum()
    }
}

#[derive(Debug)]
pub(crate) struct CountingInterceptor(pub(crate) CallStats);

impl Intercept for CountingInterceptor {
    fn name(&self) -> &'static str {
        "jwtstack-call-counter"
    }

    fn read_before_transmit(
        &self,
        context: &aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let (service, op) = cfg
            .load::<Metadata>()
            .map(|m| (m.service().to_string(), m.name().to_string()))
            .unwrap_or_default();
        let mut g = self.0.inner.lock().unwrap_or_else(|p| p.into_inner());
        g.methods
            .insert((service.clone(), op.clone()), context.request().method().to_string());
        g.next_attempt += 1;
        let id = g.next_attempt;
        g.in_flight.insert(id, (service, op, std::time::Instant::now(), false));
        cfg.interceptor_state().store_put(InFlight(id));
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        if let Some(InFlight(id)) = cfg.load::<InFlight>().copied() {
            self.0.inner.lock().unwrap_or_else(|p| p.into_inner()).in_flight.remove(&id);
        }
        let (service, op) = cfg
            .load::<Metadata>()
            .map(|m| (m.service().to_string(), m.name().to_string()))
            .unwrap_or_default();
        let status = context.response().map(|r| r.status().as_u16());
        let attempt = cfg.load::<RequestAttempts>().map(|a| a.attempts()).unwrap_or(1);
        let mut g = self.0.inner.lock().unwrap_or_else(|p| p.into_inner());
        *g.calls.entry((service.clone(), op.clone())).or_default() += 1;
        if status == Some(429) || status == Some(503) {
            g.throttled += 1;
        }
        if attempt > 1 || status.is_none_or(|s| s >= 500 || s == 429) {
            tracing::info!(service, op, attempt, ?status, "AWS call attempt");
        } else {
            tracing::debug!(service, op, attempt, ?status, "AWS call");
        }
        Ok(())
    }
}
