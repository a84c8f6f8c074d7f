//! Hearing the commits of other app servers on the same database, so that
//! live updates reach a device whichever server it is connected to.
//!
//! A server announces its own commits the moment they land. Those of other
//! servers it learns by following the version counter: while some device
//! listens, it reads the counter a few times a second and, when it moved,
//! works out who sees what changed from the same two lists a pull reads
//! (archives and revocations with versions in the new range), leaving out
//! the versions it committed and announced itself. Only a store on a
//! database server follows: an embedded engine has one app server.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use domain::archive::Customer;
use domain::ids::UserId;
use domain::policy::Audience;
use serde::Deserialize;

use super::push::Notice;
use super::rows::audience;
use crate::query::{take_all, take_one};
use crate::{Store, StoreError};

/// How often the counter is read while devices listen: a colleague's
/// change on another server is heard within about this long.
const FOLLOW_EVERY: Duration = Duration::from_millis(250);

#[derive(Deserialize)]
struct CurrentRow {
    current: i64,
}

#[derive(Deserialize)]
struct ChangedRow {
    doc: String,
    team: Option<String>,
    version: i64,
}

#[derive(Deserialize)]
struct RevokedRow {
    users: Vec<String>,
    teams: Vec<String>,
    from_pool: bool,
    version: i64,
}

impl Store {
    /// Starts following other servers' commits, unless this store already
    /// does or has nobody to tell.
    pub(super) fn follow_other_servers(&self) {
        if self.shared && !self.pushes.following.swap(true, Ordering::SeqCst) {
            tokio::spawn(self.clone().follow());
        }
    }

    /// Runs while some device listens, then ends (dropping its handle on
    /// the database, so the store can close).
    async fn follow(self) {
        let mut followed: Option<u64> = None;
        loop {
            tokio::time::sleep(FOLLOW_EVERY).await;
            if self.pushes.live.receiver_count() == 0 {
                self.pushes.following.store(false, Ordering::SeqCst);
                // A listener that came meanwhile saw "following" and started
                // nothing: carry on for it.
                if self.pushes.live.receiver_count() > 0 && !self.pushes.following.swap(true, Ordering::SeqCst) {
                    continue;
                }
                return;
            }
            match self.commits_of_others(&mut followed).await {
                Ok(Some(notice)) => {
                    let _ = self.pushes.live.send(Arc::new(notice));
                }
                Ok(None) => {}
                Err(error) => tracing::debug!(%error, "following other servers' commits failed; trying again"),
            }
        }
    }

    /// What other servers committed since `followed`, as a notice, if
    /// anything; moves `followed` to the counter.
    async fn commits_of_others(&self, followed: &mut Option<u64>) -> Result<Option<Notice>, StoreError> {
        let mut response =
            self.db.query("SELECT current FROM counter:sync").await.map_err(StoreError::from_db)?;
        let current = take_one::<CurrentRow>(&mut response, 0)?.map_or(0, |r| r.current as u64);
        let from = match *followed {
            // A restore can put the counter back: follow from there.
            Some(from) if from <= current => from,
            _ => {
                *followed = Some(current);
                return Ok(None);
            }
        };
        if current == from {
            return Ok(None);
        }
        let mut response = self
            .db
            .query(
                "SELECT doc, team, version FROM customer WHERE version > $from AND version <= $to;
                 SELECT users, teams, from_pool, version FROM revocation WHERE version > $from AND version <= $to;",
            )
            .bind(("from", from as i64))
            .bind(("to", current as i64))
            .await
            .map_err(StoreError::from_db)?;
        let changed: Vec<ChangedRow> = take_all(&mut response, 0)?;
        let revoked: Vec<RevokedRow> = take_all(&mut response, 1)?;
        *followed = Some(current);
        let own = self.pushes.own_commits_up_to(current);
        let by_others = |version: i64| !own.iter().any(|range| range.contains(&(version as u64)));
        let mut audiences = Vec::new();
        for row in changed.into_iter().filter(|r| by_others(r.version)) {
            let customer: Customer = serde_json::from_str(&row.doc).map_err(|error| {
                tracing::error!(%error, "stored archive does not parse");
                StoreError::Other
            })?;
            audiences.push(audience(&customer, row.team.as_deref()));
        }
        for row in revoked.into_iter().filter(|r| by_others(r.version)) {
            audiences.push(Audience {
                users: row.users.into_iter().map(UserId).collect(),
                teams: row.teams.into_iter().collect(),
                pool: row.from_pool,
            });
        }
        Ok((!audiences.is_empty()).then_some(Notice { version: current, audiences }))
    }
}
