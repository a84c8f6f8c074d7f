//! Read-only views of the sync bookkeeping, for operators checking a
//! database and for the sync simulation's invariants: the mutation log, the
//! versions the audit log stamped, the counter and raw archives.

use domain::archive::Customer;
use domain::ids::{ClientId, MutationId};
use serde::Deserialize;

use crate::query::{take_all, take_one};
use crate::{Store, StoreError};

/// One row of the mutation log: what became of one pushed mutation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedMutation {
    /// The mutation.
    pub mutation: MutationId,
    /// The client that sent it.
    pub client: ClientId,
    /// Its sequence number on that client.
    pub seq: u64,
    /// `applied`, `conflict` or `rejected`.
    pub status: String,
    /// The version it took effect at (none when rejected).
    pub version: Option<u64>,
}

/// One audit entry written for a mutation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditStamp {
    /// The mutation.
    pub mutation: MutationId,
    /// The version the entry was written at.
    pub version: u64,
}

fn parse<T: std::str::FromStr>(raw: &str) -> Result<T, StoreError> {
    raw.parse().map_err(|_| {
        tracing::error!(value = raw, "a logged id does not parse");
        StoreError::Other
    })
}

impl Store {
    /// The whole mutation log, oldest client sequence first. Meant for small
    /// databases (tests, checks): it reads every row.
    pub async fn mutation_log(&self) -> Result<Vec<LoggedMutation>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            mutation: String,
            client: String,
            seq: i64,
            status: String,
            version: Option<i64>,
        }
        let mut response = self
            .db
            .query("SELECT mutation, client, seq, status, version FROM mutation ORDER BY client, seq")
            .await
            .map_err(StoreError::from_db)?;
        let rows: Vec<Row> = take_all(&mut response, 0)?;
        rows.into_iter()
            .map(|r| {
                Ok(LoggedMutation {
                    mutation: parse(&r.mutation)?,
                    client: parse(&r.client)?,
                    seq: r.seq as u64,
                    status: r.status,
                    version: r.version.map(|v| v as u64),
                })
            })
            .collect()
    }

    /// Every audit entry written for a mutation, with its version.
    pub async fn audit_stamps(&self) -> Result<Vec<AuditStamp>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            mutation: String,
            version: i64,
        }
        let mut response = self
            .db
            .query("SELECT mutation, version FROM audit WHERE mutation != NONE AND version != NONE")
            .await
            .map_err(StoreError::from_db)?;
        let rows: Vec<Row> = take_all(&mut response, 0)?;
        rows.into_iter()
            .map(|r| Ok(AuditStamp { mutation: parse(&r.mutation)?, version: r.version as u64 }))
            .collect()
    }

    /// The versions taken by changes of the company's settings (custom field
    /// definitions, rules, the time zone), not by a mutation: a pull brings the settings by them.
    pub async fn setting_versions(&self) -> Result<Vec<u64>, StoreError> {
        let mut response = self
            .db
            .query("SELECT VALUE version FROM audit WHERE action IN ['custom_fields', 'review_rules', 'pool_rules', 'time_zone'] AND version != NONE")
            .await
            .map_err(StoreError::from_db)?;
        let versions: Vec<i64> = take_all(&mut response, 0)?;
        Ok(versions.into_iter().map(|v| v as u64).collect())
    }

    /// The newest version handed out.
    pub async fn head(&self) -> Result<u64, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            current: i64,
        }
        let mut response =
            self.db.query("SELECT current FROM counter:sync").await.map_err(StoreError::from_db)?;
        let row: Row = take_one(&mut response, 0)?.ok_or(StoreError::Other)?;
        Ok(row.current as u64)
    }

    /// Every archive as stored, deleted ones included, unmasked.
    pub async fn raw_customers(&self) -> Result<Vec<Customer>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            doc: String,
        }
        let mut response = self.db.query("SELECT doc FROM customer").await.map_err(StoreError::from_db)?;
        let rows: Vec<Row> = take_all(&mut response, 0)?;
        rows.into_iter()
            .map(|r| {
                serde_json::from_str(&r.doc).map_err(|error| {
                    tracing::error!(%error, "stored archive does not parse");
                    StoreError::Other
                })
            })
            .collect()
    }
}
