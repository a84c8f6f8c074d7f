//! The company's custom field definitions: one setting record, changed
//! only by admins, read by every push (to check values) and every pull (to
//! bring the definitions to devices when they changed).

use domain::custom_field::{CustomField, CustomFields};
use domain::policy::{self, Viewer};
use serde::Deserialize;

use crate::query::take_one;
use crate::{Store, StoreError};

#[derive(Deserialize)]
pub(crate) struct SettingRow {
    pub(crate) doc: String,
    pub(crate) version: i64,
}

impl SettingRow {
    pub(crate) fn custom_fields(&self) -> Result<CustomFields, StoreError> {
        let fields: Vec<CustomField> = serde_json::from_str(&self.doc).map_err(|error| {
            tracing::error!(%error, "stored custom field definitions do not parse");
            StoreError::Other
        })?;
        Ok(CustomFields { version: self.version as u64, fields })
    }
}

/// One change of a company setting, written by [`Store::save_setting`].
pub(crate) struct SettingChange<'a> {
    /// The setting record's key (`review`, `pools`).
    pub(crate) key: &'static str,
    /// Its new document.
    pub(crate) doc: String,
    /// The audit action, and what the audit entry names, old and new.
    pub(crate) action: &'static str,
    pub(crate) subject: Option<&'a str>,
    pub(crate) old: String,
    pub(crate) new: String,
}

impl Store {
    /// Replaces a company setting as `user`: it takes the next sync version
    /// (so every device's next pull brings it) and is audited, in one
    /// transaction. Returns the setting as stored.
    pub(crate) async fn save_setting(
        &self,
        user: &domain::ids::UserId,
        change: SettingChange<'_>,
    ) -> Result<SettingRow, StoreError> {
        let record = format!("setting:{}", change.key);
        let mut response = self
            .db
            .query(format!(
                "BEGIN TRANSACTION;
                 LET $next = (SELECT VALUE current FROM counter:sync)[0] + 1;
                 UPDATE counter:sync SET current = $next;
                 UPSERT {record} CONTENT {{ doc: $doc, version: $next }};
                 CREATE audit CONTENT object::extend($entry, {{ version: $next }});
                 COMMIT TRANSACTION;
                 SELECT doc, version FROM {record};"
            ))
            .bind((
                "entry",
                crate::query::without_nulls(serde_json::json!({
                    "user": user.0, "action": change.action, "subject": change.subject,
                    "old": change.old, "new": change.new,
                })),
            ))
            .bind(("doc", change.doc))
            .await
            .and_then(crate::error::explain)
            .map_err(StoreError::from_db)?;
        let last = response.num_statements() - 1;
        take_one(&mut response, last)?.ok_or(StoreError::Other)
    }
}

/// The statement that reads the definitions, for queries that read them
/// with other things in one round trip.
pub(crate) const READ_CUSTOM_FIELDS: &str = "SELECT doc, version FROM setting:custom_fields";

impl Store {
    /// The custom field definitions (none defined: an empty list at version 0).
    pub async fn custom_fields(&self) -> Result<CustomFields, StoreError> {
        let mut response = self.db.query(READ_CUSTOM_FIELDS).await.map_err(StoreError::from_db)?;
        let row: Option<SettingRow> = take_one(&mut response, 0)?;
        row.map_or_else(|| Ok(CustomFields::default()), |r| r.custom_fields())
    }

    /// Replaces the definitions with `fields`, as an admin. The new list must
    /// keep every field and choice the old one had, with the same kinds, so
    /// no stored value loses its meaning. The change takes a sync version,
    /// so every device's next pull brings the new list.
    pub async fn save_custom_fields(
        &self,
        viewer: &Viewer,
        fields: Vec<CustomField>,
    ) -> Result<CustomFields, StoreError> {
        if !policy::may_define_fields(viewer) {
            return Err(StoreError::Forbidden("custom_fields.forbidden".into()));
        }
        for _ in 0..5 {
            let before = self.custom_fields().await?;
            let after = CustomFields { version: 0, fields: fields.clone() };
            after.check_change(&before).map_err(StoreError::Invalid)?;
            let doc = serde_json::to_string(&after.fields).map_err(|_| StoreError::Other)?;
            let old = serde_json::to_string(&before.fields).map_err(|_| StoreError::Other)?;
            let saved = self
                .db
                .query(
                    "BEGIN TRANSACTION;
                     LET $seen = (SELECT VALUE version FROM setting:custom_fields)[0] ?? 0;
                     IF $seen != $before { THROW 'crm:stale' };
                     LET $next = (SELECT VALUE current FROM counter:sync)[0] + 1;
                     UPDATE counter:sync SET current = $next;
                     UPSERT setting:custom_fields CONTENT { doc: $doc, version: $next };
                     CREATE audit CONTENT { user: $user, action: 'custom_fields', version: $next, old: $old, new: $doc };
                     COMMIT TRANSACTION;
                     SELECT doc, version FROM setting:custom_fields;",
                )
                .bind(("before", before.version as i64))
                .bind(("doc", doc))
                .bind(("old", old))
                .bind(("user", viewer.user.0.clone()))
                .await
                .and_then(crate::error::explain);
            match saved {
                Ok(mut response) => {
                    let last = response.num_statements() - 1;
                    let row: SettingRow = take_one(&mut response, last)?.ok_or(StoreError::Other)?;
                    let saved = row.custom_fields()?;
                    tracing::info!(user = %viewer.user, fields = saved.fields.len(), version = saved.version, "custom fields saved");
                    return Ok(saved);
                }
                Err(error) if error.to_string().contains("crm:stale") => continue,
                Err(error) => return Err(StoreError::from_db(error)),
            }
        }
        Err(StoreError::Conflict("custom_fields.busy".into()))
    }
}
