//! The company's time zone: set in the server's configuration, recorded
//! here as a company setting so every device's next pull brings it (the
//! way review rules travel), and a phone names the company's day offline.

use domain::time::Zone;

use crate::custom_fields::{SettingChange, SettingRow};
use crate::legacy::SYSTEM_USER;
use crate::query::take_one;
use crate::{Store, StoreError};

/// The statement that reads the recorded zone, for queries that read it
/// with other things in one round trip.
pub(crate) const READ_TIME_ZONE: &str = "SELECT doc, version FROM setting:time_zone";

impl SettingRow {
    pub(crate) fn time_zone(&self) -> Result<Zone, StoreError> {
        serde_json::from_str(&self.doc).map_err(|error| {
            tracing::error!(%error, "the stored time zone does not parse");
            StoreError::Other
        })
    }
}

impl Store {
    /// Records `zone` as the company's unless it is already: a change takes
    /// a sync version (devices pull it) and an audit entry; the same zone
    /// again writes nothing, so every start of every server may call this.
    /// Says whether it changed.
    pub async fn record_time_zone(&self, zone: &Zone) -> Result<bool, StoreError> {
        let mut response = self.db.query(READ_TIME_ZONE).await.map_err(StoreError::from_db)?;
        let stored: Option<Zone> =
            take_one::<SettingRow>(&mut response, 0)?.map(|r| r.time_zone()).transpose()?;
        if stored.as_ref() == Some(zone) {
            return Ok(false);
        }
        let doc = serde_json::to_string(zone).map_err(|_| StoreError::Other)?;
        let change = SettingChange {
            key: "time_zone",
            doc,
            action: "time_zone",
            subject: None,
            old: stored.map_or_else(|| Zone::DEFAULT_NAME.to_owned(), |z| z.name().to_owned()),
            new: zone.name().to_owned(),
        };
        self.save_setting(&domain::ids::UserId(SYSTEM_USER.into()), change).await?;
        Ok(true)
    }
}
