//! The keys `serve` checks tokens against, kept fresh, and a per-token cache of signature checks.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use jwtstack_core::config::ApiType;
use jwtstack_core::crypto::keys::Jwks;
use jwtstack_core::crypto::token::{Decision, Verified, verify_token};
pub use jwtstack_core::jwks::{Freshness, JwksSource};

type Checked = Arc<Result<Verified, Decision>>;

/// The current JWKS and the signature checks made against it. A check depends only on the token's bytes and
/// the JWKS, so it is kept per token until the JWKS changes; the clock and the route are checked on every
/// request.
pub struct Keys {
    /// Whose authorizer decides: a REST API's looks for a key among its token's issuer's keys only.
    api: ApiType,
    current: RwLock<Arc<Jwks>>,
    cache: Mutex<HashMap<Box<str>, Checked>>,
    last_refresh_request: Mutex<Option<Instant>>,
    pub refresh: tokio::sync::Notify,
}

/// Entries kept before the cache starts over (a flood of distinct tokens costs a signature check each, as
/// without a cache, and no more memory than this).
const CACHE_ENTRIES: usize = 10_000;
/// An unknown kid asks for a fresh JWKS at most this often.
const REFRESH_ON_UNKNOWN_KID: Duration = Duration::from_secs(5);

impl Keys {
    pub fn new(api: ApiType, jwks: Jwks) -> Keys {
        Keys {
            api,
            current: RwLock::new(Arc::new(jwks)),
            cache: Mutex::new(HashMap::new()),
            last_refresh_request: Mutex::new(None),
            refresh: tokio::sync::Notify::new(),
        }
    }

    pub fn jwks(&self) -> Arc<Jwks> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Replaces the JWKS if it changed; returns whether it did.
    pub fn replace(&self, jwks: Jwks) -> bool {
        let mut cur = self.current.write().unwrap_or_else(|e| e.into_inner());
        if **cur == jwks {
            return false;
        }
        *cur = Arc::new(jwks);
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).clear();
        true
    }

    /// The signature check of an identity source value, from the cache when it was made before.
    pub fn check(&self, identity: Option<&str>) -> Checked {
        let Some(token) = identity.filter(|t| t.len() <= 16 * 1024) else {
            return Arc::new(verify_token(self.api, &self.jwks(), identity));
        };
        if let Some(hit) = self.cache.lock().unwrap_or_else(|e| e.into_inner()).get(token) {
            return hit.clone();
        }
        let jwks = self.jwks();
        let result = Arc::new(verify_token(self.api, &jwks, Some(token)));
        if let Err(d) = result.as_ref()
            && d.reason.starts_with("unknown kid")
        {
            self.ask_for_refresh();
            // Not kept: the refreshed JWKS may know the kid.
            return result;
        }
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHE_ENTRIES {
            cache.clear();
        }
        // Only when the JWKS did not change meanwhile.
        if Arc::ptr_eq(&jwks, &self.jwks()) {
            cache.insert(token.into(), result.clone());
        }
        result
    }

    fn ask_for_refresh(&self) {
        let mut last = self.last_refresh_request.lock().unwrap_or_else(|e| e.into_inner());
        if last.is_none_or(|t| t.elapsed() >= REFRESH_ON_UNKNOWN_KID) {
            *last = Some(Instant::now());
            self.refresh.notify_one();
        }
    }
}

/// Keeps `keys` fresh from `source`: on its interval, when a file changes, and when an unknown kid shows up.
pub async fn keep_fresh(source: impl JwksSource, keys: Arc<Keys>) {
    let mut stamp = source.freshness();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(source.interval()) => {}
            _ = keys.refresh.notified() => {}
        }
        let now = source.freshness();
        if matches!(now, Freshness::Modified(_)) {
            if now == stamp {
                continue;
            }
            stamp = now;
        }
        match source.load().await {
            Ok(jwks) => {
                let n = jwks.keys.len();
                if keys.replace(jwks) {
                    eprintln!("keys: reloaded {n} key(s) from {}", source.describe());
                }
            }
            // The reason can quote what a JWKS URL answered.
            Err(e) => eprintln!(
                "keys: keeping the current JWKS: {}",
                jwtstack_core::text::neutralize(&e.to_string())
            ),
        }
    }
}
