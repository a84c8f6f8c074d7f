//! Failed sign-ins (and wrong current passwords), kept in the database so
//! that every app server counts the same failures: guessing through several
//! servers behind a load balancer gains nothing. The limits themselves are
//! the app's (`app/src/auth/limiter.rs`); this only keeps the times.

use serde::Deserialize;

use crate::query::take_all;
use crate::{Store, StoreError};

#[derive(Deserialize)]
struct FailureRow {
    key: String,
    at: i64,
}

impl Store {
    /// The times (Unix ms, oldest first) of the failures recorded under
    /// each of `keys` at or after `since`.
    pub async fn failures_since(&self, keys: &[String], since: i64) -> Result<Vec<Vec<i64>>, StoreError> {
        let mut response = self
            .db
            .query("SELECT key, at FROM failed_attempt WHERE key IN $keys AND at >= $since ORDER BY at")
            .bind(("keys", keys.to_vec()))
            .bind(("since", since))
            .await
            .map_err(StoreError::from_db)?;
        let rows: Vec<FailureRow> = take_all(&mut response, 0)?;
        Ok(keys.iter().map(|key| rows.iter().filter(|r| &r.key == key).map(|r| r.at).collect()).collect())
    }

    /// Records a failure at `at` under each of `keys`, and forgets every
    /// failure from before `forget_before` (so the table holds one window).
    pub async fn record_failure(
        &self,
        keys: &[String],
        at: i64,
        forget_before: i64,
    ) -> Result<(), StoreError> {
        self.db
            .query(
                "DELETE failed_attempt WHERE at < $cutoff;
                 FOR $key IN $keys { CREATE failed_attempt SET key = $key, at = $at; };",
            )
            .bind(("cutoff", forget_before))
            .bind(("keys", keys.to_vec()))
            .bind(("at", at))
            .await
            .and_then(crate::error::explain)
            .map_err(StoreError::from_db)?;
        Ok(())
    }

    /// Forgets the failures recorded under `key` (the account signed in).
    pub async fn forgive_failures(&self, key: &str) -> Result<(), StoreError> {
        self.db
            .query("DELETE failed_attempt WHERE key = $key")
            .bind(("key", key.to_owned()))
            .await
            .and_then(crate::error::explain)
            .map_err(StoreError::from_db)?;
        Ok(())
    }
}
