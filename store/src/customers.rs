//! Reading archives: lists, search and export, always through the policy.

use domain::archive::Customer;
use domain::ids::UserId;
use domain::import::Findable;
use domain::policy::{self, Placement, Scope, Sight, Viewer};
use domain::search::{SearchText, routes};
pub use domain::views::{CustomerListItem, CustomerQuery, MAX_PAGE};
use serde::Deserialize;

use crate::query::{take_all, take_one};
use crate::search::{Read, first_slice};
use crate::sync::{PullRow, seen_by};
use crate::{Store, StoreError};

#[derive(Deserialize)]
struct ListRow {
    id: String,
    name: String,
    initials: String,
    stage: String,
    category: String,
    city: Option<String>,
    owner: Option<String>,
    team: Option<String>,
    #[serde(default)]
    pool: Option<String>,
    shared_with: Vec<String>,
    version: i64,
    conflicted: bool,
}

/// The pools someone of team `$team` may claim from (`pool` of an archive
/// or a revocation): the company's, their team's, and every pool an admin
/// added (keys marked with `domain::pool::ADDED_MARK`).
macro_rules! claimable_pool {
    () => {
        "(pool = NONE OR pool = $team OR string::starts_with(pool, '*'))"
    };
}
pub(crate) use claimable_pool;

/// The SQL filter for a scope; binds `$team` and `$user`.
pub(crate) fn scope_filter(scope: &Scope) -> &'static str {
    match scope {
        Scope::All => "true",
        Scope::Team { .. } => concat!(
            "(team = $team OR (owner = NONE AND ",
            claimable_pool!(),
            ") OR owner = $user OR shared_with CONTAINS $user)"
        ),
        Scope::Own { .. } => {
            concat!(
                "(owner = $user OR shared_with CONTAINS $user OR (owner = NONE AND ",
                claimable_pool!(),
                "))"
            )
        }
    }
}

/// The archives of a scope, as [`scope_filter`], in branches whose union
/// is the scope. Each branch is read on its own along one index in version
/// order (keeper and version, team and version, pool archives by an absent
/// keeper, shared ones by whom), so a pull or a list reads what the viewer
/// sees and stops at the page, instead of every archive anyone changed.
/// (Asked as one `OR`, the engine reads every branch to the end and sorts
/// it all.) Binds `$team` and `$user`.
pub(crate) fn scope_branches(scope: &Scope) -> &'static [&'static str] {
    const POOL: &str = concat!("owner = NONE AND ", claimable_pool!());
    match scope {
        Scope::All => &["true"],
        Scope::Team { .. } => &["team = $team", "owner = $user", "shared_with CONTAINS $user", POOL],
        Scope::Own { .. } => &["owner = $user", "shared_with CONTAINS $user", POOL],
    }
}

/// A branch of [`scope_branches`] narrowed to what changed after `$since`:
/// still read along the branch's index, which ends in the version.
pub(crate) fn changed_since(branch: &str) -> String {
    format!("({branch}) AND version > $since")
}

/// The part of a scope where [`policy::sight`] is `Full`: the same archives
/// without those reached only by sharing (a shared archive is masked for
/// everyone but its keeper, the keeper's manager and admins). Sensitive
/// values may be matched only here, or a search would reveal them digit by
/// digit.
pub(crate) fn full_sight_filter(scope: &Scope) -> &'static str {
    match scope {
        Scope::All => "true",
        Scope::Team { .. } => {
            concat!("(team = $team OR (owner = NONE AND ", claimable_pool!(), ") OR owner = $user)")
        }
        Scope::Own { .. } => "owner = $user",
    }
}

/// The archives of a scope, in branches a key many share narrows along its
/// index by team and version: each branch one team (a pool's archives,
/// kept by nobody, have none), and the archives shared with the viewer
/// through sharing. An archive's team is its keeper's, so the branches
/// hold every archive of the scope; an admin's are one per team of `teams`
/// and one for none. The `j`th of `teams` is bound as `$t{j}`; `$team`
/// and `$user` as for [`scope_filter`].
pub(crate) fn paged_branches(scope: &Scope, teams: usize) -> Vec<String> {
    const POOL: &str = "team = NONE AND owner = NONE";
    const SHARED: &str = "shared_with CONTAINS $user";
    match scope {
        Scope::All => (0..teams).map(|j| format!("team = $t{j}")).chain(["team = NONE".to_owned()]).collect(),
        Scope::Team { .. } => vec!["team = $team".into(), POOL.into(), SHARED.into()],
        Scope::Own { team: Some(_), .. } => {
            vec!["team = $team AND owner = $user".into(), POOL.into(), SHARED.into()]
        }
        Scope::Own { team: None, .. } => {
            vec!["team = NONE AND owner = $user".into(), POOL.into(), SHARED.into()]
        }
    }
}

/// A read of the archives holding the `i`th key many share (bound as
/// `$s{i}`) within one slice of versions (`$floor` to `$top`), the
/// viewer's `scope` and the list's `filters`: [`paged_branches`] read
/// forward along their index in one statement, then sorted.
pub(crate) fn paged_slice(i: usize, scope: &Scope, teams: usize, filters: &str) -> String {
    let branches: Vec<String> = paged_branches(scope, teams)
        .iter()
        .map(|branch| format!("(paged_keys CONTAINS $s{i} AND {branch} AND version > $floor)"))
        .collect();
    format!(
        "({}) AND ({}) AND {filters} AND version <= $top ORDER BY version",
        branches.join(" OR "),
        scope_filter(scope)
    )
}

/// How many versions the next slice of a newest-first read spans, after
/// `read` versions (the last slice `width` of them) found `found` of the
/// `limit` a page holds: as many as the rate so far says the rest of the
/// page needs, and a half more, but at least twice and at most sixteen times
/// the last slice, so a rare match takes few round trips and a common one
/// never reads far past its page.
fn next_slice(width: u64, read: u64, found: u64, limit: u64) -> u64 {
    let wanted = match found {
        0 => u64::MAX,
        found => read.saturating_mul(limit.saturating_sub(found)) / found * 3 / 2,
    };
    wanted.clamp(width.saturating_mul(2), width.saturating_mul(16))
}

impl Store {
    /// The archives `viewer` may see that match `query`, most recently changed first.
    pub async fn list_customers(
        &self,
        viewer: &Viewer,
        query: &CustomerQuery,
    ) -> Result<Vec<CustomerListItem>, StoreError> {
        let scope = policy::scope(viewer);
        let mut filters = vec!["deleted = false"];
        let search = query.text.as_deref().and_then(SearchText::parse);
        let limit = if query.limit == 0 { 100 } else { query.limit.min(MAX_PAGE) };
        let read = match &search {
            Some(search) => self.plan_read(&routes(search), limit).await?,
            // Nothing typed: nearly every archive in reach belongs on the page.
            None => Read::NewestFirst { about: u64::from(limit) },
        };
        let narrowing = match &read {
            Read::Keys { whole, sliced, .. } if whole.is_empty() && sliced.is_empty() => {
                return Ok(Vec::new());
            }
            Read::Keys { whole, sliced, .. } => Some((whole, sliced)),
            Read::NewestFirst { .. } => None,
        };
        let (text, digits) = match search {
            Some(SearchText { text, digits }) => (Some(text), digits),
            None => (None, None),
        };
        let text_filter;
        if text.is_some() {
            let by_name = "string::contains(string::lowercase(name), $text) OR string::starts_with(initials, $text) OR string::contains(pinyin, $text)";
            text_filter = match digits {
                Some(_) => format!(
                    "({by_name} OR ({} AND string::contains(array::join(phones, ' '), $digits)))",
                    full_sight_filter(&scope)
                ),
                None => format!("({by_name})"),
            };
            filters.push(&text_filter);
        }
        if query.stage.is_some() {
            filters.push("stage = $stage");
        }
        if query.category.is_some() {
            filters.push("category = $category");
        }
        if query.city.is_some() {
            filters.push("city = $city");
        }
        const COLUMNS: &str = "record::id(id) AS id, name, initials, stage, category, city, owner, team, pool, shared_with, version, conflicted";
        let filters = filters.join(" AND ");
        // Newest first, a slice of the latest versions at a time, each read
        // forward along its index and the newest taken here: on the embedded
        // engine a backward read costs in proportion to the whole index (a
        // filtered one reads all of it before the page is full), a forward
        // read of a range only the range. Each slice lies below the one
        // before and is wider (see `next_slice`), until the page is full or
        // the slices reach the first version. Through keys, only a common
        // key of those many share is read so (their index ends in the
        // version): other keys are chosen because few archives hold them,
        // and are read whole.
        let (others, paged): (&[String], &[String]) = match narrowing {
            Some((whole, sliced)) => (whole, sliced),
            None => (&[], &[]),
        };
        let mut window = match &read {
            Read::Keys { about, .. } if !paged.is_empty() => Some(*about),
            Read::Keys { .. } => None,
            Read::NewestFirst { about } => Some(*about),
        }
        .map(|about| first_slice(about, limit));
        let (in_slice, order) = match window {
            Some(_) => (" AND version > $floor AND version <= $top", "ORDER BY version"),
            None => ("", "ORDER BY version DESC LIMIT $limit"),
        };
        let scope_within = |branch: &str| format!("({branch}) AND {filters}{in_slice} {order};\n");
        let mut reads: Vec<String> = Vec::new();
        if narrowing.is_none() {
            // Each branch of the scope along its own index.
            for branch in scope_branches(&scope) {
                reads.push(format!("SELECT {COLUMNS} FROM customer WHERE {}", scope_within(branch)));
            }
        }
        if !others.is_empty() {
            // Only archives holding one of the chosen keys are read, then
            // held to the same filters as a full read. (Read as rows first:
            // a page sorted straight from their ids came in the ids' order.)
            let holding = (0..others.len()).map(|i| format!("keys CONTAINS $n{i}")).collect::<Vec<_>>();
            reads.push(format!(
                "SELECT {COLUMNS} FROM (SELECT id, name, initials, pinyin, phones, stage, category, city, owner, team, pool, shared_with, version, conflicted, deleted
                  FROM (SELECT VALUE type::record('customer', record::id(id)) FROM customer_keys WHERE {})) WHERE {}",
                holding.join(" OR "),
                scope_within(scope_filter(&scope))
            ));
        }
        // An admin's read of a key many share goes team by team: every
        // team a user is in, and every team there was.
        let teams: Vec<String> = match (&scope, paged.is_empty()) {
            (Scope::All, false) => {
                let mut response = self
                    .db
                    .query(
                        "array::distinct(array::concat(
                             (SELECT VALUE team FROM user WHERE team != NONE),
                             (SELECT VALUE record::id(id) FROM team)))",
                    )
                    .await
                    .map_err(StoreError::from_db)?;
                take_all(&mut response, 0)?
            }
            _ => Vec::new(),
        };
        for i in 0..paged.len() {
            reads.push(format!(
                "SELECT {COLUMNS} FROM customer WHERE {};\n",
                paged_slice(i, &scope, teams.len(), &filters)
            ));
        }
        let sql = format!(
            "LET $top = IF $ceiling < 0 {{ (SELECT VALUE current FROM counter:sync)[0] }} ELSE {{ $ceiling }};
             LET $floor = $top - $window;
             {}RETURN $floor;",
            reads.concat()
        );
        let reads = reads.len();
        // The first slice ends at the newest version.
        let mut ceiling: i64 = -1;
        let mut spanned: u64 = 0;
        let mut rows: Vec<ListRow> = Vec::new();
        loop {
            let mut statement = self.db.query(sql.as_str());
            for (i, key) in others.iter().enumerate() {
                statement = statement.bind((format!("n{i}"), key.clone()));
            }
            for (i, key) in paged.iter().enumerate() {
                statement = statement.bind((format!("s{i}"), key.clone()));
            }
            for (j, team) in teams.iter().enumerate() {
                statement = statement.bind((format!("t{j}"), team.clone()));
            }
            let mut response = statement
                .bind(("team", viewer.team.clone().unwrap_or_default()))
                .bind(("user", viewer.user.0.clone()))
                .bind(("text", text.clone().unwrap_or_default()))
                .bind(("digits", digits.clone().unwrap_or_default()))
                .bind(("stage", query.stage.clone().unwrap_or_default()))
                .bind(("category", query.category.clone().unwrap_or_default()))
                .bind(("city", query.city.clone().unwrap_or_default()))
                .bind(("limit", i64::from(limit)))
                .bind(("ceiling", ceiling))
                .bind(("window", window.map_or(0, |w| w.min(i64::MAX as u64) as i64)))
                .await
                .map_err(StoreError::from_db)?;
            for n in 0..reads {
                rows.extend(take_all::<ListRow>(&mut response, 2 + n)?);
            }
            // Newest first; an archive two reads both found comes once.
            rows.sort_by(|a, b| (b.version, &b.id).cmp(&(a.version, &a.id)));
            rows.dedup_by(|a, b| a.id == b.id);
            let floor: Option<i64> = take_one(&mut response, 2 + reads)?;
            match (window, floor) {
                (Some(w), Some(floor)) if rows.len() < limit as usize && floor > 0 => {
                    ceiling = floor;
                    spanned = spanned.saturating_add(w);
                    window = Some(next_slice(w, spanned, rows.len() as u64, u64::from(limit)));
                }
                _ => break,
            }
        }
        rows.truncate(limit as usize);
        Ok(rows
            .into_iter()
            .filter(|row| {
                let owner = row.owner.clone().map(domain::ids::UserId);
                let shared = row.shared_with.iter().cloned().map(domain::ids::UserId).collect();
                let place = Placement {
                    owner: owner.as_ref(),
                    team: row.team.as_deref(),
                    pool: row.pool.as_deref(),
                    shared_with: &shared,
                };
                policy::sight(viewer, place) != Sight::Hidden
            })
            .map(|row| CustomerListItem {
                id: row.id,
                name: row.name,
                initials: row.initials,
                stage: row.stage,
                category: row.category,
                city: row.city,
                owner: row.owner,
                version: row.version as u64,
                conflicted: row.conflicted,
            })
            .collect())
    }

    /// Every archive `viewer` may see, as they may see it, all at once: what
    /// the paged reads (search, the export, an import's matching) must agree with.
    pub async fn every_visible_customer(
        &self,
        viewer: &Viewer,
    ) -> Result<Vec<(Customer, Sight)>, StoreError> {
        let rows: Vec<PullRow> = self.in_scope(viewer, "doc, version, team").await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.extend(seen_by(viewer, row)?);
        }
        Ok(out)
    }

    /// `columns` (and the id) of every archive in `viewer`'s scope that is
    /// not deleted, by name: what they may see, before masking.
    async fn in_scope<T: serde::de::DeserializeOwned>(
        &self,
        viewer: &Viewer,
        columns: &str,
    ) -> Result<Vec<T>, StoreError> {
        let sql = format!(
            "SELECT record::id(id) AS id, {columns} FROM customer WHERE {} AND deleted = false ORDER BY name",
            scope_filter(&policy::scope(viewer))
        );
        let mut response = self
            .db
            .query(sql)
            .bind(("team", viewer.team.clone().unwrap_or_default()))
            .bind(("user", viewer.user.0.clone()))
            .await
            .map_err(StoreError::from_db)?;
        take_all(&mut response, 0)
    }

    /// Those of the archives `ids` that `viewer` sees in full (any other,
    /// and a deleted one, is left out), read a few hundred at a time.
    pub async fn customers_in_full(
        &self,
        viewer: &Viewer,
        ids: &[domain::ids::CustomerId],
    ) -> Result<Vec<Customer>, StoreError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let keys: Vec<String> = chunk.iter().map(ToString::to_string).collect();
            let mut response = self
                .db
                .query(
                    "SELECT record::id(id) AS id, doc, version, team \
                     FROM array::map($keys, |$k| type::record('customer', $k))",
                )
                .bind(("keys", keys))
                .await
                .map_err(StoreError::from_db)?;
            let rows: Vec<PullRow> = take_all(&mut response, 0)?;
            for row in &rows {
                if let Some((customer, Sight::Full)) = seen_by(viewer, row)? {
                    out.push(customer);
                }
            }
        }
        Ok(out)
    }

    /// Every archive `viewer` sees in full, as an import's match keys find
    /// it (by name, as [`Store::every_visible_customer`] orders them): read from
    /// its columns, without its document.
    pub async fn findable_customers(&self, viewer: &Viewer) -> Result<Vec<Findable>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            owner: Option<String>,
            team: Option<String>,
            #[serde(default)]
            pool: Option<String>,
            #[serde(default)]
            phones: Vec<String>,
            #[serde(default)]
            emails: Vec<String>,
            name: String,
            city: Option<String>,
        }
        let rows: Vec<Row> = self.in_scope(viewer, "owner, team, pool, phones, emails, name, city").await?;
        // Sharing never makes the sight full: it is not read.
        let nobody = Default::default();
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let owner = row.owner.map(UserId);
                let place = Placement {
                    owner: owner.as_ref(),
                    team: row.team.as_deref(),
                    pool: row.pool.as_deref(),
                    shared_with: &nobody,
                };
                let full = policy::sight(viewer, place) == Sight::Full;
                let id = row.id.parse().ok().filter(|_| full)?;
                Some(Findable { id, phones: row.phones, emails: row.emails, name: row.name, city: row.city })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use domain::ids::UserId;
    use domain::policy::Scope;

    #[test]
    fn a_slice_grows_by_what_the_page_still_needs_within_bounds() {
        // Nothing found yet: as wide as it may grow.
        assert_eq!(super::next_slice(200, 200, 0, 100), 3200);
        // 10 of 100 in 200 versions: 90 more need about 1,800, and a half more.
        assert_eq!(super::next_slice(200, 200, 10, 100), 2700);
        // 90 of 100: the rest is near, yet the slice at least doubles.
        assert_eq!(super::next_slice(800, 1000, 90, 100), 1600);
    }

    #[test]
    fn the_pool_filter_knows_the_mark_of_added_pools() {
        let mark = format!("'{}'", domain::pool::ADDED_MARK);
        assert!(claimable_pool!().contains(&mark), "{}", claimable_pool!());
    }

    /// The engine's plan for a pull's read of one branch, as text.
    async fn pull_plan(store: &crate::Store, branch: &str) -> String {
        let sql = format!(
            "SELECT record::id(id) AS id, doc FROM customer WHERE {branch} ORDER BY version LIMIT 500 EXPLAIN"
        );
        let mut response = store
            .db
            .query(sql)
            .bind(("since", 10))
            .bind(("team", "east"))
            .bind(("user", "alice"))
            .await
            .unwrap();
        let plan: Option<serde_json::Value> = response.take(0).unwrap();
        plan.unwrap().to_string()
    }

    #[tokio::test]
    async fn each_branch_of_a_pull_reads_along_its_own_index_not_every_change_since_its_cookie() {
        let store = crate::Store::connect("mem://", None).await.unwrap();
        store.migrate().await.unwrap();
        let user = UserId("alice".into());
        for scope in [
            Scope::Own { user: user.clone(), team: Some("east".into()) },
            Scope::Team { team: "east".into(), user: user.clone() },
            Scope::All,
        ] {
            for branch in super::scope_branches(&scope) {
                let plan = pull_plan(&store, &super::changed_since(branch)).await;
                let (index, stops_at_the_page) = if branch.starts_with("owner = $user") {
                    ("customer_owner_version", true)
                } else if branch.starts_with("team = $team") {
                    ("customer_team_version", true)
                } else if branch.starts_with("owner = NONE") {
                    ("customer_owner_version", true)
                } else if branch.starts_with("shared_with") {
                    // The few archives shared with the viewer, then sorted.
                    ("customer_shared_with", false)
                } else {
                    assert_eq!(scope, Scope::All, "{branch}");
                    ("customer_version", true)
                };
                assert!(plan.contains(&format!("\"index\":\"{index}\"")), "{branch}: {plan}");
                assert!(!plan.contains("TableScan"), "{branch}: {plan}");
                if stops_at_the_page {
                    assert!(!plan.contains("Sort"), "read in version order up to the page: {branch}: {plan}");
                }
            }
        }
    }

    #[tokio::test]
    async fn a_key_many_share_is_read_in_slices_along_its_index_a_team_at_a_time_in_every_scope() {
        let store = crate::Store::connect("mem://", None).await.unwrap();
        store.migrate().await.unwrap();
        let user = UserId("alice".into());
        for scope in [
            Scope::Own { user: user.clone(), team: Some("east".into()) },
            Scope::Own { user: user.clone(), team: None },
            Scope::Team { team: "east".into(), user: user.clone() },
            Scope::All,
        ] {
            let filters = "deleted = false AND string::contains(string::lowercase(name), $text)";
            let sql = format!(
                "SELECT record::id(id) AS id FROM customer WHERE {} EXPLAIN",
                super::paged_slice(0, &scope, 2, filters)
            );
            let mut response = store
                .db
                .query(sql)
                .bind(("s0", "n1:王"))
                .bind(("text", "王"))
                .bind(("floor", 10))
                .bind(("top", 20))
                .bind(("team", "east"))
                .bind(("t0", "east"))
                .bind(("t1", "west"))
                .bind(("user", "alice"))
                .await
                .unwrap();
            let plan: Option<serde_json::Value> = response.take(0).unwrap();
            let plan = plan.unwrap().to_string();
            assert!(!plan.contains("TableScan"), "{scope:?}: {plan}");
            for branch in super::paged_branches(&scope, 2) {
                if branch.starts_with("shared_with") {
                    // The few archives shared with the viewer.
                    assert!(plan.contains(r#""index":"customer_shared_with""#), "{branch}: {plan}");
                    continue;
                }
                let team = if branch.starts_with("team = NONE") {
                    "NONE"
                } else if branch.contains("$t1") {
                    "'west'"
                } else {
                    "'east'"
                };
                // One team's holders, from the slice's floor.
                let access = format!(
                    r#""access":"['n1:王', {team}] MoreThan 10","direction":"Forward","index":"customer_paged_keys_team_version""#
                );
                assert!(plan.contains(&access), "{branch}: {plan}");
            }
        }
    }

    #[tokio::test]
    async fn the_branches_of_a_pull_find_together_what_the_scope_filter_finds_after_the_version() {
        let store = crate::Store::connect("mem://", None).await.unwrap();
        store.migrate().await.unwrap();
        // Archives of every placement: kept by alice, bob or nobody (in the
        // company pool, east's or west's pool, or one an admin added), of
        // team east or west, some shared with alice.
        store
            .db
            .query(
                "FOR $i IN 1..=240 {
                     LET $owner = ['alice', 'bob', NONE][$i % 3];
                     CREATE customer CONTENT {
                         doc: '{}', version: $i, deleted: false, conflicted: false,
                         owner: $owner,
                         team: ['east', 'west', NONE][$i % 5 % 3],
                         pool: IF $owner = NONE { [NONE, 'east', 'west', '*fair'][$i % 4] } ELSE { NONE },
                         shared_with: IF $i % 7 = 0 { ['alice'] } ELSE { [] },
                         name: 'n', pinyin: 'n', initials: 'n', phones: [], emails: [],
                         stage: 'lead', category: 'regular', created_at: 0, updated_at: 0,
                     };
                 };",
            )
            .await
            .and_then(crate::error::explain)
            .unwrap();
        let alice = UserId("alice".into());
        for scope in [
            Scope::Own { user: alice.clone(), team: Some("east".into()) },
            Scope::Team { team: "east".into(), user: alice.clone() },
            Scope::All,
        ] {
            for since in [0, 100, 239, 240] {
                let read = |filter: String| {
                    let store = store.clone();
                    async move {
                        let mut response = store
                            .db
                            .query(format!(
                                "SELECT VALUE version FROM customer WHERE {filter} ORDER BY version"
                            ))
                            .bind(("since", since))
                            .bind(("team", "east"))
                            .bind(("user", "alice"))
                            .await
                            .unwrap();
                        response.take::<Vec<i64>>(0).unwrap()
                    }
                };
                let expected = read(format!("version > $since AND {}", super::scope_filter(&scope))).await;
                let branches =
                    super::scope_branches(&scope).iter().map(|b| format!("({})", super::changed_since(b)));
                let found = read(branches.collect::<Vec<_>>().join(" OR ")).await;
                assert_eq!(found, expected, "{scope:?} since {since}");
                let listed =
                    super::scope_branches(&scope).iter().map(|b| format!("({b})")).collect::<Vec<_>>();
                let listed = read(format!("version > $since AND ({})", listed.join(" OR "))).await;
                assert_eq!(listed, expected, "a list's branches, {scope:?} since {since}");
                if since == 0 && scope != Scope::All {
                    assert!(expected.len() > 80 && expected.len() < 240, "{scope:?}: {}", expected.len());
                }
            }
        }
    }
}
