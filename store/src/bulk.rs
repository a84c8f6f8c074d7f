//! Loading many archives at once, for benchmarks that need a database the
//! size of a large company in seconds rather than hours. The app never uses
//! this: every change it makes is a mutation through [`Store::push`].

use domain::archive::Customer;
use serde_json::{Value, json};

use crate::{Store, StoreError};

/// Archives written per transaction.
const BATCH: usize = 500;

impl Store {
    /// Writes `archives` (each with its keeper's team) as they are, with
    /// their search keys, and moves the version counter past them. No
    /// mutation log or audit: for benchmarks only.
    pub async fn bulk_load_for_benchmark(
        &self,
        archives: &[(Customer, Option<String>)],
    ) -> Result<(), StoreError> {
        let mut highest = 0;
        // Their teams are known, as a real company's are.
        let teams: std::collections::BTreeSet<&str> =
            archives.iter().filter_map(|(_, t)| t.as_deref()).collect();
        self.db
            .query("FOR $t IN $teams { UPSERT type::record('team', $t) SET name = $t; };")
            .bind(("teams", teams.into_iter().map(str::to_owned).collect::<Vec<_>>()))
            .await
            .and_then(crate::error::explain)
            .map_err(StoreError::from_db)?;
        for chunk in archives.chunks(BATCH) {
            let mut customers = Vec::with_capacity(chunk.len());
            let keys: Vec<Value> =
                chunk.iter().map(|(customer, _)| crate::sync::keys_row(customer)).collect();
            for (customer, team) in chunk {
                let key = customer.id.to_string();
                customers
                    .push(json!({ "key": key, "row": crate::sync::customer_row(customer, team.as_deref()) }));
                highest = highest.max(customer.version);
            }
            self.db
                .query(
                    "BEGIN TRANSACTION;
                     FOR $r IN $customers { UPSERT type::record('customer', $r.key) CONTENT $r.row; };
                     FOR $r IN $keys { UPSERT type::record('customer_keys', $r.key) SET keys = $r.keys; };
                     UPDATE counter:sync SET current = math::max([current, $highest]);
                     COMMIT TRANSACTION;",
                )
                .bind(("customers", Value::Array(customers)))
                .bind(("keys", Value::Array(keys)))
                .bind(("highest", highest as i64))
                .await
                .and_then(crate::error::explain)
                .map_err(StoreError::from_db)?;
        }
        Ok(())
    }
}
