//! Finding the archives a bulk reassignment moves, and the team overview.

use std::collections::BTreeMap;

use domain::ids::CustomerId;
use domain::policy::{self, Role, Viewer};
use domain::views::{Selection, TeamView};
use serde::Deserialize;

use crate::customers::full_sight_filter;
use crate::query::take_all;
use crate::{Store, StoreError};

/// At most this many archives move in one reassignment (a portfolio is far
/// smaller; the bound keeps one request's work finite).
pub const MAX_HANDOVER: usize = 20_000;

#[derive(Deserialize)]
struct SelectedRow {
    id: String,
    version: i64,
}

#[derive(Deserialize)]
struct KeptCount {
    owner: String,
    count: i64,
}

impl Store {
    /// The archives `selection` names that `viewer` sees in full (only
    /// those may be reassigned), with their versions, by name.
    pub async fn select_for_handover(
        &self,
        viewer: &Viewer,
        selection: &Selection,
    ) -> Result<Vec<(CustomerId, u64)>, StoreError> {
        let scope = policy::scope(viewer);
        let mut filters = vec![full_sight_filter(&scope), "deleted = false"];
        if selection.in_pool {
            filters.push("owner = NONE");
        }
        if selection.ids.is_empty() {
            filters.push(if selection.keeper.is_some() { "owner = $keeper" } else { "owner = NONE" });
            if selection.stage.is_some() {
                filters.push("stage = $stage");
            }
            if selection.category.is_some() {
                filters.push("category = $category");
            }
            if selection.city.is_some() {
                filters.push("city = $city");
            }
        }
        // Named archives are read by id, not looked for among all.
        let source = if selection.ids.is_empty() {
            "customer"
        } else {
            "array::map($ids, |$id| type::record('customer', $id))"
        };
        let sql = format!(
            "SELECT record::id(id) AS id, version, name FROM {source} WHERE {} ORDER BY name LIMIT $limit",
            filters.join(" AND ")
        );
        let mut response = self
            .db
            .query(sql)
            .bind(("team", viewer.team.clone().unwrap_or_default()))
            .bind(("user", viewer.user.0.clone()))
            .bind(("keeper", selection.keeper.as_ref().map(|k| k.0.clone()).unwrap_or_default()))
            .bind(("stage", selection.stage.clone().unwrap_or_default()))
            .bind(("category", selection.category.clone().unwrap_or_default()))
            .bind(("city", selection.city.clone().unwrap_or_default()))
            .bind(("ids", selection.ids.clone()))
            .bind(("limit", MAX_HANDOVER as i64))
            .await
            .map_err(StoreError::from_db)?;
        let rows: Vec<SelectedRow> = take_all(&mut response, 0)?;
        Ok(rows.into_iter().filter_map(|r| Some((r.id.parse().ok()?, r.version as u64))).collect())
    }

    /// The teams `viewer` runs (an admin: every team; a manager: their
    /// own), each with its members and how many archives each keeps.
    pub async fn teams(&self, viewer: &Viewer) -> Result<Vec<TeamView>, StoreError> {
        let users = self.list_users().await?;
        let mut response = self
            .db
            .query("SELECT owner, count() AS count FROM customer WHERE deleted = false AND owner != NONE GROUP BY owner")
            .await
            .map_err(StoreError::from_db)?;
        let counts: BTreeMap<String, u32> =
            take_all::<KeptCount>(&mut response, 0)?.into_iter().map(|r| (r.owner, r.count as u32)).collect();
        let mut teams: BTreeMap<String, Vec<_>> = BTreeMap::new();
        for user in users {
            let Some(team) = user.team.clone() else { continue };
            let visible = match viewer.role {
                Role::Admin => true,
                Role::Manager => viewer.team.as_ref() == Some(&team),
                Role::Rep => false,
            };
            if visible {
                let kept = counts.get(&user.id.0).copied().unwrap_or(0);
                teams.entry(team).or_default().push((user, kept));
            }
        }
        Ok(teams
            .into_iter()
            .map(|(name, mut members)| {
                // Managers first, then by name.
                members.sort_by(|(a, _), (b, _)| {
                    (a.role == Role::Rep, &a.id.0).cmp(&(b.role == Role::Rep, &b.id.0))
                });
                TeamView { name, members }
            })
            .collect())
    }
}
