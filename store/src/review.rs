//! The company's review rules: one setting record, changed only by admins,
//! brought to devices by the pull that follows a change.

use domain::policy::{self, Viewer};
use domain::review::ReviewRules;

use crate::custom_fields::{SettingChange, SettingRow};
use crate::query::take_one;
use crate::{Store, StoreError};

/// The statement that reads the rules, for queries that read them with
/// other things in one round trip.
pub(crate) const READ_REVIEW_RULES: &str = "SELECT doc, version FROM setting:review";

impl SettingRow {
    pub(crate) fn review_rules(&self) -> Result<ReviewRules, StoreError> {
        let mut rules: ReviewRules = serde_json::from_str(&self.doc).map_err(|error| {
            tracing::error!(%error, "stored review rules do not parse");
            StoreError::Other
        })?;
        rules.version = self.version as u64;
        Ok(rules)
    }
}

impl Store {
    /// The review rules (never saved: the defaults, at version 0).
    pub async fn review_rules(&self) -> Result<ReviewRules, StoreError> {
        let mut response = self.db.query(READ_REVIEW_RULES).await.map_err(StoreError::from_db)?;
        let row: Option<SettingRow> = take_one(&mut response, 0)?;
        row.map_or_else(|| Ok(ReviewRules::default()), |r| r.review_rules())
    }

    /// Replaces the rules, as an admin. The change takes a sync version, so
    /// every device's next pull brings the new rules; it is audited.
    pub async fn save_review_rules(
        &self,
        viewer: &Viewer,
        rules: &ReviewRules,
    ) -> Result<ReviewRules, StoreError> {
        if !policy::may_set_review_rules(viewer) {
            return Err(StoreError::Forbidden("review_rules.forbidden".into()));
        }
        rules.check().map_err(StoreError::Invalid)?;
        let before = self.review_rules().await?;
        let stored = |r: &ReviewRules| serde_json::to_string(&ReviewRules { version: 0, ..r.clone() });
        let doc = stored(rules).map_err(|_| StoreError::Other)?;
        let old = stored(&before).map_err(|_| StoreError::Other)?;
        let change = SettingChange {
            key: "review",
            new: doc.clone(),
            doc,
            action: "review_rules",
            subject: None,
            old,
        };
        let saved = self.save_setting(&viewer.user, change).await?.review_rules()?;
        tracing::info!(user = %viewer.user, version = saved.version, "review rules saved");
        Ok(saved)
    }
}
