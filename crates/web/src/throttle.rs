//! A per-address limit on failures: refused requests, failed logins and requests without
//! a valid session. Each address has a bucket of failures it may make
//! ([`EdgeLimits::failure_burst`], refilled at [`EdgeLimits::failures_per_minute`]); once
//! it is empty, that address's logins and its requests without a session are answered 429
//! with `Retry-After` until the bucket refills, without hashing a password or writing an
//! audit event each. People already signed in from the same address (behind one proxy,
//! say) go on working.
//!
//! The buckets live in memory, in a map behind a mutex pruned as it grows: no dependency,
//! and each server counts for itself, which is enough to make a flood expensive.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use mamori_app::EdgeLimits;

use crate::AppState;
use crate::error::Failure;
use crate::extract::MaybeSession;

/// Requests that try a password or a code: limited even with a session, since a
/// signed-in attacker could otherwise guess other people's passwords at full speed.
const LOGIN_PATHS: &[&str] = &["/api/v1/session", "/login", "/login/totp", "/first-run"];

/// Addresses tracked at once; beyond it new ones share one bucket, so that a flood from
/// many addresses cannot grow memory without limit.
const MAX_TRACKED: usize = 100_000;

/// The map is pruned of full buckets when it reaches this size.
const PRUNE_AT: usize = 4_096;

/// The longest `Retry-After` given (a limit of zero per minute would mean forever).
const MAX_WAIT_SECS: u64 = 3_600;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Failure buckets per client address.
#[derive(Debug)]
pub struct Throttle {
    burst: f64,
    per_sec: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl Throttle {
    /// Buckets sized by `limits`.
    pub fn new(limits: &EdgeLimits) -> Self {
        Self {
            burst: f64::from(limits.failure_burst),
            per_sec: f64::from(limits.failures_per_minute) / 60.0,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn refilled(&self, b: Bucket, now: Instant) -> f64 {
        (b.tokens + now.duration_since(b.at).as_secs_f64() * self.per_sec).min(self.burst)
    }

    /// Seconds until `ip` may fail again, if it has no failure left now.
    pub fn wait(&self, ip: IpAddr) -> Option<u64> {
        let key = key(ip);
        let now = Instant::now();
        let buckets = self.buckets.lock().ok()?;
        let tokens = match buckets.get(&key).or_else(|| buckets.get(&overflow())) {
            Some(b) => self.refilled(*b, now),
            None => self.burst,
        };
        if tokens >= 1.0 {
            return None;
        }
        if self.per_sec <= 0.0 {
            return Some(MAX_WAIT_SECS);
        }
        let secs = ((1.0 - tokens) / self.per_sec).ceil();
        // Float to integer: the value is positive and at most MAX_WAIT_SECS here.
        Some((secs.min(MAX_WAIT_SECS as f64) as u64).max(1))
    }

    /// Spends one of `ip`'s failures.
    pub fn spend(&self, ip: IpAddr) {
        let now = Instant::now();
        let Ok(mut buckets) = self.buckets.lock() else {
            return;
        };
        let mut key = key(ip);
        if !buckets.contains_key(&key) && buckets.len() >= PRUNE_AT {
            buckets.retain(|_, b| {
                (b.tokens + now.duration_since(b.at).as_secs_f64() * self.per_sec) < self.burst
            });
            if buckets.len() >= MAX_TRACKED {
                tracing::warn!("too many client addresses to track; new ones share one limit");
                key = overflow();
            }
        }
        let tokens = match buckets.get(&key) {
            Some(b) => self.refilled(*b, now),
            None => self.burst,
        };
        buckets.insert(
            key,
            Bucket {
                tokens: (tokens - 1.0).max(0.0),
                at: now,
            },
        );
    }
}

/// The bucket an address fills: IPv6 clients by their /64, which one host usually holds
/// whole, so that cycling through its addresses does not buy a fresh limit.
fn key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

fn overflow() -> IpAddr {
    IpAddr::V4(Ipv4Addr::UNSPECIFIED)
}

/// Whether a response is a failure that spends one of the address's allowance.
fn is_failure(res: &Response) -> bool {
    match res.extensions().get::<Failure>().map(Failure::code) {
        // The password was right; only the code is missing.
        Some("totp_required") => false,
        Some("cross_site" | "csrf_token" | "locked") => true,
        // Login pages answer 401 with the form again, not with a `Failure`.
        _ => res.status() == StatusCode::UNAUTHORIZED,
    }
}

/// Answers 429 to an address whose failures are spent, and counts failures.
pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(ip) = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
    else {
        return next.run(req).await;
    };
    let exempt = {
        let path = req.uri().path();
        path == "/healthz" || path.starts_with("/assets/")
    };
    if exempt {
        return next.run(req).await;
    }
    let mut req = req;
    if let Some(secs) = state.throttle.wait(ip) {
        let path = req.uri().path().to_owned();
        let login = req.method() == Method::POST && LOGIN_PATHS.contains(&path.as_str());
        let (mut parts, body) = req.into_parts();
        // Only when the limit is reached does a request cost a session lookup here; the
        // extractor keeps what it found for the handler.
        let signed_in = !login
            && MaybeSession::from_request_parts(&mut parts, &state)
                .await
                .is_ok_and(|s| s.0.is_some());
        if !signed_in {
            tracing::debug!(%ip, path, "request over the address's failure limit");
            // Counted with the other refusals: a handful are written, the rest summed up.
            if let Err(e) = state
                .app
                .record_refused_request(None, Some(ip.to_string()), "rate_limited", &path)
                .await
            {
                return Failure::from(e).into_response();
            }
            return Failure::too_many_requests(secs).into_response();
        }
        req = Request::from_parts(parts, body);
    }
    let res = next.run(req).await;
    if is_failure(&res) {
        state.throttle.spend(ip);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(burst: u32, per_minute: u32) -> EdgeLimits {
        EdgeLimits {
            failure_burst: burst,
            failures_per_minute: per_minute,
            ..EdgeLimits::default()
        }
    }

    #[test]
    fn an_address_is_limited_after_its_burst_and_others_are_not() {
        let t = Throttle::new(&limits(3, 6));
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(t.wait(a), None);
            t.spend(a);
        }
        let wait = t.wait(a).expect("limited after three failures");
        assert!((1..=10).contains(&wait), "one failure back in 10 s: {wait}");
        assert_eq!(t.wait(b), None);
    }

    #[test]
    fn ipv6_addresses_of_one_network_share_a_bucket() {
        let t = Throttle::new(&limits(1, 1));
        t.spend("2001:db8:1:2::1".parse().unwrap());
        assert!(t.wait("2001:db8:1:2::ffff".parse().unwrap()).is_some());
        assert!(t.wait("2001:db8:1:3::1".parse().unwrap()).is_none());
        t.spend("::ffff:192.0.2.7".parse().unwrap());
        assert!(t.wait("192.0.2.7".parse().unwrap()).is_some());
    }

    #[test]
    fn no_refill_waits_the_longest() {
        let t = Throttle::new(&limits(1, 0));
        let a: IpAddr = "192.0.2.9".parse().unwrap();
        t.spend(a);
        assert_eq!(t.wait(a), Some(MAX_WAIT_SECS));
    }
}
