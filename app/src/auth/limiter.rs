//! Failed sign-ins are limited per account and per address, so a password
//! cannot be guessed quickly. Kept in memory: with several app servers each
//! counts its own share, which still bounds guessing.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How far back failures count.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failures per account within the window before it is locked for a while.
pub const PER_ACCOUNT: usize = 5;
/// Failures per address within the window (offices share an address).
pub const PER_ADDRESS: usize = 30;

/// Recent failed sign-ins.
#[derive(Debug, Default)]
pub struct SignInLimiter {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl SignInLimiter {
    /// `Err(wait)` when `account` or `address` has failed too often lately.
    pub fn check(&self, account: &str, address: &str, now: Instant) -> Result<(), Duration> {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = Duration::ZERO;
        for (key, limit) in
            [(format!("user:{account}"), PER_ACCOUNT), (format!("addr:{address}"), PER_ADDRESS)]
        {
            if let Some(times) = failures.get_mut(&key) {
                while times.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
                    times.pop_front();
                }
                if times.len() >= limit {
                    let oldest = times[times.len() - limit];
                    wait = wait.max(WINDOW.saturating_sub(now.duration_since(oldest)));
                }
            }
        }
        if wait.is_zero() { Ok(()) } else { Err(wait.max(Duration::from_secs(1))) }
    }

    /// Counts a failed attempt.
    pub fn failed(&self, account: &str, address: &str, now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for key in [format!("user:{account}"), format!("addr:{address}")] {
            let times = failures.entry(key).or_default();
            times.push_back(now);
            // Old entries are dropped lazily; cap the memory one key can take.
            while times.len() > PER_ADDRESS {
                times.pop_front();
            }
        }
    }

    /// A successful sign-in clears the account's failures.
    pub fn succeeded(&self, account: &str) {
        self.failures.lock().unwrap_or_else(|e| e.into_inner()).remove(&format!("user:{account}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_held_after_five_failures_and_free_again_after_the_window() {
        let limiter = SignInLimiter::default();
        let start = Instant::now();
        for i in 0..PER_ACCOUNT {
            assert!(limiter.check("a", "10.0.0.1", start).is_ok(), "attempt {i}");
            limiter.failed("a", "10.0.0.1", start);
        }
        let wait = limiter.check("a", "10.0.0.2", start).unwrap_err();
        assert!(wait <= WINDOW && wait > Duration::from_secs(60), "{wait:?}");
        assert!(limiter.check("b", "10.0.0.2", start).is_ok(), "another account is not held");
        assert!(limiter.check("a", "10.0.0.2", start + WINDOW).is_ok());
    }

    #[test]
    fn one_address_trying_many_accounts_is_held() {
        let limiter = SignInLimiter::default();
        let now = Instant::now();
        for i in 0..PER_ADDRESS {
            limiter.failed(&format!("user{i}"), "10.0.0.9", now);
        }
        assert!(limiter.check("fresh", "10.0.0.9", now).is_err());
        assert!(limiter.check("fresh", "10.0.0.10", now).is_ok());
    }

    #[test]
    fn success_clears_the_account() {
        let limiter = SignInLimiter::default();
        let now = Instant::now();
        for _ in 0..PER_ACCOUNT {
            limiter.failed("a", "x", now);
        }
        limiter.succeeded("a");
        assert!(limiter.check("a", "y", now).is_ok());
    }
}
