//! Sign-in attempts are limited per account and per address, so a password
//! cannot be guessed quickly. An attempt is counted *before* the password is
//! hashed, so a burst of parallel guesses is refused up front instead of
//! being checked all at once. That count is kept in memory and bounded.
//! Failures are also kept in the database ([`held_for`] reads them), so that
//! with several app servers behind a load balancer every server counts the
//! failures of all: spreading guesses over servers gains nothing.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How far back attempts count.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failed attempts per account within the window before it is held.
pub const PER_ACCOUNT: usize = 5;
/// Failed attempts per address within the window (offices share an address).
pub const PER_ADDRESS: usize = 30;
/// Accounts and addresses remembered at once. Past this, expired entries
/// are dropped, then the quietest ones: memory stays bounded under a flood
/// of made-up names.
pub const MAX_KEYS: usize = 20_000;

/// An attempt that was let through to the password check. Report how it
/// ended with [`SignInLimiter::succeeded`]; a failure needs nothing more,
/// because it was counted when it was reserved.
#[derive(Debug)]
pub struct Reservation {
    account: String,
    address: String,
    at: Instant,
}

/// Recent sign-in attempts that have not (yet) succeeded.
#[derive(Debug, Default)]
pub struct SignInLimiter {
    attempts: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl SignInLimiter {
    /// Counts an attempt for `account` from `address`, or `Err(wait)` when
    /// either has failed too often lately. `account` must already be a
    /// checked user name: it is kept in memory.
    pub fn reserve(&self, account: &str, address: &str, now: Instant) -> Result<Reservation, Duration> {
        let mut attempts = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        let keys = [(account_key(account), PER_ACCOUNT), (address_key(address), PER_ADDRESS)];
        let mut wait = Duration::ZERO;
        for (key, limit) in &keys {
            if let Some(times) = attempts.get_mut(key) {
                forget_expired(times, now);
                if times.len() >= *limit {
                    let oldest = times[times.len() - limit];
                    wait = wait.max(WINDOW.saturating_sub(now.duration_since(oldest)));
                }
            }
        }
        if !wait.is_zero() {
            return Err(wait.max(Duration::from_secs(1)));
        }
        if attempts.len() + 2 > MAX_KEYS {
            make_room(&mut attempts, now);
        }
        for (key, limit) in keys {
            let times = attempts.entry(key).or_default();
            times.push_back(now);
            while times.len() > limit {
                times.pop_front();
            }
        }
        Ok(Reservation { account: account.to_owned(), address: address.to_owned(), at: now })
    }

    /// The attempt signed in: the account's failures are forgiven, and the
    /// address no longer counts this attempt against it.
    pub fn succeeded(&self, reservation: Reservation) {
        let mut attempts = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        attempts.remove(&account_key(&reservation.account));
        let key = address_key(&reservation.address);
        if let Some(times) = attempts.get_mut(&key) {
            if let Some(at) = times.iter().rposition(|t| *t == reservation.at) {
                times.remove(at);
            }
            if times.is_empty() {
                attempts.remove(&key);
            }
        }
    }

    /// How many accounts and addresses are remembered (for tests and metrics).
    pub fn remembered(&self) -> usize {
        self.attempts.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

fn account_key(account: &str) -> String {
    format!("user:{account}")
}

fn address_key(address: &str) -> String {
    format!("addr:{address}")
}

impl Reservation {
    /// The keys its failure is recorded under, each with its limit.
    pub fn keys(&self) -> [(String, usize); 2] {
        [(account_key(&self.account), PER_ACCOUNT), (address_key(&self.address), PER_ADDRESS)]
    }

    /// The account's key, whose failures a success forgives.
    pub fn account_key(&self) -> String {
        account_key(&self.account)
    }
}

/// How long a key with failures at `times` (Unix ms, oldest first, all
/// within the window) is held, if it has `limit` or more: until the oldest
/// of its last `limit` failures leaves the window.
pub fn held_for(times: &[i64], limit: usize, now_ms: i64) -> Option<Duration> {
    let oldest = *times.len().checked_sub(limit).and_then(|i| times.get(i))?;
    let left = WINDOW.as_millis() as i64 - (now_ms - oldest);
    Some(Duration::from_millis(left.max(1_000) as u64))
}

fn forget_expired(times: &mut VecDeque<Instant>, now: Instant) {
    while times.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
        times.pop_front();
    }
}

/// Drops expired entries; if that is not enough, the entries with a single
/// attempt (they hold nobody yet), oldest first, down to three quarters.
fn make_room(attempts: &mut HashMap<String, VecDeque<Instant>>, now: Instant) {
    attempts.retain(|_, times| {
        forget_expired(times, now);
        !times.is_empty()
    });
    let target = MAX_KEYS * 3 / 4;
    if attempts.len() <= target {
        return;
    }
    let mut singles: Vec<(Instant, String)> = attempts
        .iter()
        .filter(|(_, times)| times.len() == 1)
        .map(|(key, times)| (times[0], key.clone()))
        .collect();
    singles.sort();
    let excess = attempts.len() - target;
    for (_, key) in singles.into_iter().take(excess) {
        attempts.remove(&key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_held_after_five_attempts_and_free_again_after_the_window() {
        let limiter = SignInLimiter::default();
        let start = Instant::now();
        for i in 0..PER_ACCOUNT {
            assert!(limiter.reserve("a", "10.0.0.1", start).is_ok(), "attempt {i}");
        }
        let wait = limiter.reserve("a", "10.0.0.2", start).unwrap_err();
        assert!(wait <= WINDOW && wait > Duration::from_secs(60), "{wait:?}");
        assert!(limiter.reserve("b", "10.0.0.2", start).is_ok(), "another account is not held");
        assert!(limiter.reserve("a", "10.0.0.2", start + WINDOW).is_ok());
    }

    #[test]
    fn attempts_in_flight_count_before_their_answer_is_known() {
        // Forty guesses arrive together: only the first five are let through
        // to the slow password check.
        let limiter = SignInLimiter::default();
        let now = Instant::now();
        let passed = (0..40).filter(|_| limiter.reserve("a", "10.0.0.1", now).is_ok()).count();
        assert_eq!(passed, PER_ACCOUNT);
    }

    #[test]
    fn one_address_trying_many_accounts_is_held() {
        let limiter = SignInLimiter::default();
        let now = Instant::now();
        for i in 0..PER_ADDRESS {
            limiter.reserve(&format!("user{i}"), "10.0.0.9", now).unwrap();
        }
        assert!(limiter.reserve("fresh", "10.0.0.9", now).is_err());
        assert!(limiter.reserve("fresh", "10.0.0.10", now).is_ok());
    }

    #[test]
    fn success_forgives_the_account_and_the_address_keeps_only_failures() {
        let limiter = SignInLimiter::default();
        let now = Instant::now();
        for _ in 0..PER_ACCOUNT - 1 {
            limiter.reserve("a", "x", now).unwrap();
        }
        let good = limiter.reserve("a", "x", now).unwrap();
        limiter.succeeded(good);
        assert!(limiter.reserve("a", "y", now).is_ok());
        // A whole office signing in successfully never holds its address.
        let limiter = SignInLimiter::default();
        for i in 0..PER_ADDRESS * 2 {
            let ok = limiter.reserve(&format!("u{i}"), "office", now).unwrap();
            limiter.succeeded(ok);
        }
        assert_eq!(limiter.remembered(), 0);
    }

    #[test]
    fn a_flood_of_made_up_names_stays_within_the_key_bound() {
        let limiter = SignInLimiter::default();
        let now = Instant::now();
        for i in 0..MAX_KEYS * 2 {
            let address = format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255);
            let _ = limiter.reserve(&format!("name{i}"), &address, now);
        }
        assert!(limiter.remembered() <= MAX_KEYS, "{}", limiter.remembered());
    }

    #[test]
    fn failures_recorded_by_every_server_hold_the_account_until_the_window_passes() {
        let now = 10_000_000;
        let window = WINDOW.as_millis() as i64;
        let four: Vec<i64> = (0..4).map(|i| now - 60_000 + i).collect();
        assert_eq!(held_for(&four, PER_ACCOUNT, now), None, "four failures hold nobody");
        let five: Vec<i64> = (0..5).map(|i| now - 60_000 + i * 1_000).collect();
        let wait = held_for(&five, PER_ACCOUNT, now).expect("five hold the account");
        assert_eq!(
            wait.as_millis() as i64,
            window - 60_000,
            "until the first of the five is out of the window"
        );
        let almost_out = [now - window + 10, now, now, now, now];
        assert_eq!(
            held_for(&almost_out, PER_ACCOUNT, now),
            Some(Duration::from_secs(1)),
            "at least a second"
        );
    }
}
