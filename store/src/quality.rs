//! The data-quality report: every archive a manager or admin runs, held to
//! today's rules (`domain::quality`).

use domain::archive::Customer;
use domain::policy::{self, Viewer};
use domain::quality::{QualityReport, assess};
use domain::time::Date;
use serde::Deserialize;

use crate::customers::full_sight_filter;
use crate::query::take_all;
use crate::{Store, StoreError};

impl Store {
    /// Per team, how complete the archives `viewer` runs are and which
    /// values today's rules refuse. Managers see their team's archives and
    /// the pool's, admins everyone's; archives only shared with them are
    /// another team's to put right.
    pub async fn data_quality(&self, viewer: &Viewer, today: Date) -> Result<QualityReport, StoreError> {
        if !policy::may_check_quality(viewer) {
            return Err(StoreError::Forbidden("quality.forbidden".into()));
        }
        let scope = policy::scope(viewer);
        let mut response = self
            .db
            .query(format!(
                "SELECT doc, team FROM customer WHERE {} AND deleted = false",
                full_sight_filter(&scope)
            ))
            .bind(("team", viewer.team.clone().unwrap_or_default()))
            .bind(("user", viewer.user.0.clone()))
            .await
            .map_err(StoreError::from_db)?;
        #[derive(Deserialize)]
        struct Row {
            doc: String,
            team: Option<String>,
        }
        let rows: Vec<Row> = take_all(&mut response, 0)?;
        let mut archives = Vec::with_capacity(rows.len());
        for row in rows {
            let customer: Customer = serde_json::from_str(&row.doc).map_err(|error| {
                tracing::error!(%error, "a stored archive does not parse");
                StoreError::Other
            })?;
            archives.push((customer, row.team));
        }
        let definitions = self.custom_fields().await?;
        let teams = assess(archives.iter().map(|(c, t)| (c, t.as_deref())), &definitions, today);
        Ok(QualityReport { teams, custom_fields: definitions })
    }
}
