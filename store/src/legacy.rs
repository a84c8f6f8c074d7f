//! Customers saved by schema v1 (a name only) become archives.
//!
//! Migration 2 moved them aside into `legacy_customer`; here each becomes a
//! `Create` mutation of the system's own client, in the public pool, so it
//! syncs and is audited like any other archive. Then its legacy row goes.

use domain::archive::Fields;
use domain::ids::{ClientId, CustomerId, UserId};
use domain::mutation::Sequencer;
use domain::policy::{Role, Viewer};
use domain::sync::Outcome;
use domain::time::{Date, Timestamp};
use domain::{Change, CustomerName};
use serde::Deserialize;

use crate::query::{take_all, take_one};
use crate::{Store, StoreError};

/// The author of changes the server makes itself.
pub const SYSTEM_USER: &str = "system";

#[derive(Deserialize)]
struct LegacyRow {
    key: String,
    name: String,
}

#[derive(Deserialize)]
struct SeqRow {
    last_seq: i64,
}

impl Store {
    /// Adopts every customer left in `legacy_customer`; returns how many.
    pub async fn adopt_legacy_customers(&self, today: Date) -> Result<usize, StoreError> {
        let mut response = self
            .db
            .query("SELECT key, name FROM legacy_customer ORDER BY key LIMIT 100000")
            .await
            .map_err(StoreError::from_db)?;
        let rows: Vec<LegacyRow> = take_all(&mut response, 0)?;
        if rows.is_empty() {
            return Ok(0);
        }
        let client = ClientId(uuid::Uuid::from_u128(1));
        let mut response = self
            .db
            .query("SELECT last_seq FROM type::record('client', $client)")
            .bind(("client", client.to_string()))
            .await
            .map_err(StoreError::from_db)?;
        let last_seq = take_one::<SeqRow>(&mut response, 0)?.map_or(0, |r| r.last_seq as u64);
        let author = UserId(SYSTEM_USER.into());
        let viewer = Viewer { user: author.clone(), role: Role::Admin, team: None };
        let mut sequencer = Sequencer { client, author, last_seq };
        for batch in rows.chunks(100) {
            let adopted: Vec<(String, domain::Mutation)> = batch
                .iter()
                .filter_map(|row| {
                    // A v1 name broke no v1 rule; one that breaks today's stays aside.
                    let name = CustomerName::parse(&row.name).ok()?;
                    let id = row.key.parse().unwrap_or_else(|_| CustomerId::new());
                    let change = Change::Create { fields: Box::new(Fields::named(name)) };
                    Some((row.key.clone(), sequencer.next(id, change, Timestamp(0))))
                })
                .collect();
            if adopted.is_empty() {
                continue;
            }
            let mutations: Vec<_> = adopted.iter().map(|(_, m)| m.clone()).collect();
            let reply = self.push(&viewer, client, &mutations, today).await?;
            if let Some(bad) = reply.results.iter().find(|r| matches!(r.outcome, Outcome::Rejected { .. })) {
                tracing::warn!(mutation = %bad.id, outcome = ?bad.outcome, "a v1 customer was not adopted");
            }
            let keys: Vec<String> = adopted.into_iter().map(|(key, _)| key).collect();
            self.db
                .query("DELETE legacy_customer WHERE key IN $keys")
                .bind(("keys", keys))
                .await
                .and_then(crate::error::explain)
                .map_err(StoreError::from_db)?;
        }
        tracing::info!(count = rows.len(), "customers from schema v1 adopted into the public pool");
        Ok(rows.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn customers_saved_by_schema_v1_become_archives_in_the_public_pool() {
        let store = Store::connect("mem://", None).await.unwrap();
        store.migrate_to(1).await.unwrap();
        store
            .db
            .query("CREATE customer:⟨01890a5d-ac96-774b-bcce-b302099a8057⟩ SET name = '老客户'; CREATE customer SET name = 'Old Trading';")
            .await
            .and_then(crate::error::explain)
            .unwrap();
        store.migrate().await.unwrap();
        let today = Date::new(2026, 11, 23).unwrap();
        assert_eq!(store.adopt_legacy_customers(today).await.unwrap(), 2);
        assert_eq!(store.adopt_legacy_customers(today).await.unwrap(), 0, "adopted once only");

        let admin = Viewer { user: UserId("root".into()), role: Role::Admin, team: None };
        let page = store.pull(&admin, None, 10).await.unwrap();
        assert_eq!(page.changes.len(), 2);
        let (customer, _) = store
            .customer_for(&admin, "01890a5d-ac96-774b-bcce-b302099a8057")
            .await
            .unwrap()
            .expect("kept its id");
        assert_eq!(customer.fields.name.as_str(), "老客户");
        assert_eq!(customer.fields.owner, None);
    }
}
