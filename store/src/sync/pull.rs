//! Answering a pull: what changed after a cookie, as the viewer may see it.

use std::collections::{BTreeMap, BTreeSet};

use domain::archive::Customer;
use domain::dedup::SearchKeys;
use domain::ids::{CustomerId, UserId};
use domain::policy::{self, Scope, Sight, Viewer};
use serde::Deserialize;

use super::rows::placement;
use super::{CounterRow, MAX_PULL_PAGE, PullPage, Pulled};
use crate::custom_fields::{READ_CUSTOM_FIELDS, SettingRow};
use crate::customers::{changed_since, claimable_pool, scope_branches, scope_filter};
use crate::pool::READ_POOL_SETTINGS;
use crate::query::{take_all, take_one};
use crate::review::READ_REVIEW_RULES;
use crate::time_zone::READ_TIME_ZONE;
use crate::{Store, StoreError};
use domain::sync::Cookie;

impl Store {
    /// Everything `viewer` may see that changed after `cookie`, at most
    /// `limit` changes (capped at [`MAX_PULL_PAGE`]), with the next cookie.
    pub async fn pull(
        &self,
        viewer: &Viewer,
        cookie: Option<&str>,
        limit: u32,
    ) -> Result<PullPage, StoreError> {
        let limit = limit.clamp(1, MAX_PULL_PAGE);
        let scope = policy::scope(viewer);
        let scope_sql = scope_filter(&scope);
        let branches = scope_branches(&scope);
        let revocation_sql = match scope {
            Scope::All => "false",
            Scope::Team { .. } => concat!(
                "(users CONTAINS $user OR teams CONTAINS $team OR (from_pool = true AND ",
                claimable_pool!(),
                "))"
            ),
            Scope::Own { .. } => {
                concat!("(users CONTAINS $user OR (from_pool = true AND ", claimable_pool!(), "))")
            }
        };
        let parsed = cookie.filter(|c| !c.is_empty()).map(Cookie::parse);
        let since = parsed.as_ref().and_then(|p| p.as_ref().map(|c| c.version)).unwrap_or(0);
        let columns = "record::id(id) AS id, doc, version, team, pinyin, initials";
        // One read per branch of the scope, each along its own index in
        // version order up to the page's length.
        let reads: String = branches
            .iter()
            .map(|branch| {
                format!(
                    "SELECT {columns} FROM customer WHERE {} ORDER BY version LIMIT $limit;\n",
                    changed_since(branch)
                )
            })
            .collect();
        let mut response = self
            .db
            .query(format!(
                "BEGIN TRANSACTION;
                 SELECT current, epoch FROM counter:sync;
                 SELECT customer, version FROM revocation WHERE version > $since AND {revocation_sql} ORDER BY version LIMIT $limit;
                 {READ_CUSTOM_FIELDS};
                 {READ_REVIEW_RULES};
                 {READ_POOL_SETTINGS};
                 {READ_TIME_ZONE};
                 {reads}
                 COMMIT TRANSACTION;"
            ))
            .bind(("since", since as i64))
            .bind(("limit", i64::from(limit)))
            .bind(("team", viewer.team.clone().unwrap_or_default()))
            .bind(("user", viewer.user.0.clone()))
            .await
            .map_err(StoreError::from_db)?;
        // BEGIN is statement 0.
        let counter: CounterRow = take_one(&mut response, 1)?.ok_or(StoreError::Other)?;
        let revoked: Vec<RevokedRow> = take_all(&mut response, 2)?;
        let definitions: Option<SettingRow> = take_one(&mut response, 3)?;
        let review: Option<SettingRow> = take_one(&mut response, 4)?;
        let pools: Option<SettingRow> = take_one(&mut response, 5)?;
        let zone: Option<SettingRow> = take_one(&mut response, 6)?;
        let mut lists: Vec<Vec<PullRow>> = Vec::with_capacity(branches.len());
        for n in 0..branches.len() {
            lists.push(take_all(&mut response, 7 + n)?);
        }
        // The database's life and what the viewer may see: when either
        // changes (a restore; a new role or team), the device starts over.
        let epoch = format!("{}~{}", counter.epoch, policy::scope_stamp(viewer));
        // A cookie that does not parse, is from another database, or is from
        // after a restore put this one back: start over from nothing.
        let reset = match &parsed {
            None => false,
            Some(None) => true,
            Some(Some(sent)) => !same_life(&sent.epoch, &epoch) || (counter.current as u64) < since,
        };
        if reset && since > 0 {
            return Box::pin(self.pull(viewer, None, limit)).await.map(|p| PullPage { reset: true, ..p });
        }

        // A full page ends at the lowest "last version" of the lists that
        // filled; the changes sharing that version (a merge writes two
        // archives) are completed so that the next page can start strictly
        // after it. Archives two branches both found come once.
        let full = |len: usize| len as u32 >= limit;
        let mut upper = counter.current as u64;
        let mut cut = false;
        for list in &lists {
            if full(list.len()) {
                upper = upper.min(list.last().map_or(upper, |r| r.version as u64));
                cut = true;
            }
        }
        if full(revoked.len()) {
            upper = upper.min(revoked.last().map_or(upper, |r| r.version as u64));
            cut = true;
        }
        let mut rows: Vec<PullRow> = lists.into_iter().flatten().collect();
        rows.sort_by(|a, b| (a.version, &a.id).cmp(&(b.version, &b.id)));
        rows.dedup_by(|a, b| a.id == b.id);
        // Several branches together may hold more than a page.
        if rows.len() > limit as usize {
            upper = upper.min(rows[limit as usize - 1].version as u64);
            cut = true;
        }
        let more = upper < counter.current as u64;
        rows.retain(|r| r.version as u64 <= upper);
        let mut revoked: Vec<RevokedRow> =
            revoked.into_iter().filter(|r| r.version as u64 <= upper).collect();
        if cut {
            let mut rest = self
                .db
                .query(format!(
                    "SELECT {columns} FROM customer WHERE version = $upper AND {scope_sql};
                     SELECT customer, version FROM revocation WHERE version = $upper AND {revocation_sql};"
                ))
                .bind(("upper", upper as i64))
                .bind(("team", viewer.team.clone().unwrap_or_default()))
                .bind(("user", viewer.user.0.clone()))
                .await
                .map_err(StoreError::from_db)?;
            let extra_rows: Vec<PullRow> = take_all(&mut rest, 0)?;
            let extra_revoked: Vec<RevokedRow> = take_all(&mut rest, 1)?;
            for extra in extra_rows {
                if !rows.iter().any(|r| r.id == extra.id) {
                    rows.push(extra);
                }
            }
            for extra in extra_revoked {
                if !revoked.iter().any(|r| r.customer == extra.customer && r.version == extra.version) {
                    revoked.push(extra);
                }
            }
        }

        let mut changes: Vec<(u64, Pulled)> = Vec::with_capacity(rows.len() + revoked.len());
        let mut visible: BTreeSet<String> = BTreeSet::new();
        let mut named: BTreeSet<UserId> = BTreeSet::new();
        for row in rows {
            let mut customer: Customer = serde_json::from_str(&row.doc).map_err(|error| {
                tracing::error!(%error, customer = %row.id, "stored archive does not parse");
                StoreError::Other
            })?;
            let sight = policy::sight(viewer, placement(&customer, row.team.as_deref()));
            let version = row.version as u64;
            match sight {
                Sight::Hidden => {}
                _ if customer.deleted() => {
                    changes.push((version, Pulled::Delete { id: customer.id, version }))
                }
                sight => {
                    let masked = sight < Sight::Full;
                    if masked {
                        policy::mask(&mut customer);
                    }
                    visible.insert(row.id);
                    named.extend(customer.people().into_iter().cloned());
                    let keys = SearchKeys { pinyin: row.pinyin, initials: row.initials };
                    changes.push((version, Pulled::Put { customer: Box::new(customer), masked, keys }));
                }
            }
        }
        for revoked in revoked {
            if visible.contains(&revoked.customer) || self.visible_to(viewer, &revoked.customer).await? {
                continue;
            }
            let Ok(id) = revoked.customer.parse() else { continue };
            changes.push((revoked.version as u64, Pulled::Delete { id, version: revoked.version as u64 }));
        }
        changes.sort_by_key(|(version, _)| *version);
        // A quiet pull reads no names; one that brings archives reads the
        // names of the people they name, and only theirs.
        let names = if named.is_empty() {
            BTreeMap::new()
        } else {
            self.names_of(&named).await?.into_iter().collect()
        };
        Ok(PullPage {
            changes: changes.into_iter().map(|(_, c)| c).collect(),
            cookie: Cookie { epoch, version: upper },
            more,
            reset,
            head: counter.current as u64,
            names,
            // Only to a device that has not seen this list yet.
            custom_fields: definitions
                .filter(|d| d.version as u64 > since)
                .map(|d| d.custom_fields())
                .transpose()?,
            // The defaults need no travel: a device starts with them.
            review_rules: review
                .filter(|r| r.version as u64 > since)
                .map(|r| r.review_rules())
                .transpose()?,
            pool_rules: pools.filter(|r| r.version as u64 > since).map(|r| r.pool_settings()).transpose()?,
            time_zone: zone.filter(|r| r.version as u64 > since).map(|r| r.time_zone()).transpose()?,
        })
    }

    /// Whether `viewer` can currently see the archive `id`.
    async fn visible_to(&self, viewer: &Viewer, id: &str) -> Result<bool, StoreError> {
        Ok(self.customer_for(viewer, id).await?.is_some())
    }

    /// The archive `id` as `viewer` may see it (masked when they must not see
    /// sensitive fields), or `None` when it does not exist for them.
    pub async fn customer_for(
        &self,
        viewer: &Viewer,
        id: &str,
    ) -> Result<Option<(Customer, Sight)>, StoreError> {
        // Only a well-formed id can name an archive (and reach the query).
        if id.parse::<CustomerId>().is_err() {
            return Ok(None);
        }
        let mut response = self
            .db
            .query("SELECT record::id(id) AS id, doc, version, team FROM type::record('customer', $id)")
            .bind(("id", id.to_owned()))
            .await
            .map_err(StoreError::from_db)?;
        let Some(row): Option<PullRow> = take_one(&mut response, 0)? else { return Ok(None) };
        seen_by(viewer, &row)
    }
}

/// The archive in `row` as `viewer` may see it: masked when they must not
/// see sensitive fields, `None` when it is deleted or hidden from them.
pub(crate) fn seen_by(viewer: &Viewer, row: &PullRow) -> Result<Option<(Customer, Sight)>, StoreError> {
    let mut customer: Customer = serde_json::from_str(&row.doc).map_err(|error| {
        tracing::error!(%error, customer = %row.id, "stored archive does not parse");
        StoreError::Other
    })?;
    let sight = policy::sight(viewer, placement(&customer, row.team.as_deref()));
    match sight {
        Sight::Hidden => Ok(None),
        _ if customer.deleted() => Ok(None),
        Sight::Pool | Sight::Masked => {
            policy::mask(&mut customer);
            Ok(Some((customer, sight)))
        }
        Sight::Full => Ok(Some((customer, sight))),
    }
}

#[derive(Deserialize)]
pub(crate) struct PullRow {
    id: String,
    doc: String,
    version: i64,
    team: Option<String>,
    #[serde(default)]
    pinyin: String,
    #[serde(default)]
    initials: String,
}

#[derive(Deserialize)]
struct RevokedRow {
    customer: String,
    version: i64,
}

/// Whether a cookie's epoch is the one a pull would give now. A cookie from
/// before scopes were stamped carries the database's epoch alone: it stays
/// good, so an upgrade does not make every device download everything again.
fn same_life(sent: &str, now: &str) -> bool {
    sent == now || now.split_once('~').is_some_and(|(database, _)| sent == database)
}
