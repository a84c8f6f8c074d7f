//! Who sees and changes what: the one place that decides.
//!
//! The server calls this from every read and write path (server functions,
//! push, pull, search, export, dashboards); the browser may call it too, but
//! only to hide what the server would refuse anyway.
//!
//! - rep: the archives they keep, those shared with them (masked), and
//!   those in the pools they may claim from (masked, only to claim);
//! - manager: every archive kept by their team, their team's pool and the
//!   company pool;
//! - admin: everything.
//!
//! Sensitive fields (ID number, personal phones, home address detail) are
//! masked for anyone but the record keeper, the keeper's manager and admins.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::Refusal;
use crate::apply::Rejection;
use crate::archive::{Customer, FieldName, FieldValue, PhoneLabel};
use crate::ids::UserId;
use crate::mutation::{Change, Mutation};

/// What a user may do in general.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A field sales rep.
    Rep,
    /// Leads a team of reps.
    Manager,
    /// Runs the system.
    Admin,
}

impl Role {
    /// The stable name stored and sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rep => "rep",
            Self::Manager => "manager",
            Self::Admin => "admin",
        }
    }

    /// Reads a stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "rep" => Some(Self::Rep),
            "manager" => Some(Self::Manager),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

/// The signed-in user a decision is made for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    /// Who.
    pub user: UserId,
    /// Their role.
    pub role: Role,
    /// Their team, if they belong to one.
    pub team: Option<String>,
}

/// Where an archive sits: who keeps it, in which team, shared with whom.
#[derive(Debug, Clone, Copy)]
pub struct Placement<'a> {
    /// The record keeper; none for the public pool.
    pub owner: Option<&'a UserId>,
    /// The record keeper's team.
    pub team: Option<&'a str>,
    /// With no keeper: the team whose pool holds it (none: the company's).
    pub pool: Option<&'a str>,
    /// Colleagues it is shared with.
    pub shared_with: &'a BTreeSet<UserId>,
}

/// How much of an archive a viewer sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sight {
    /// Nothing: for this viewer the archive does not exist.
    Hidden,
    /// In a pool they may claim from: masked, and they may only claim it.
    Pool,
    /// Everything but the sensitive fields; may edit the rest.
    Masked,
    /// Everything; may reassign, share, delete and merge.
    Full,
}

/// How much of an archive placed at `place` `viewer` sees.
pub fn sight(viewer: &Viewer, place: Placement<'_>) -> Sight {
    let same_team = place.team.is_some() && place.team == viewer.team.as_deref();
    let in_their_pool = place.owner.is_none() && may_claim_from(viewer, place.pool);
    match viewer.role {
        Role::Admin => Sight::Full,
        _ if place.owner == Some(&viewer.user) => Sight::Full,
        Role::Manager if same_team || in_their_pool => Sight::Full,
        _ if place.shared_with.contains(&viewer.user) => Sight::Masked,
        Role::Rep if in_their_pool => Sight::Pool,
        _ => Sight::Hidden,
    }
}

/// Whether `viewer` may claim from (and sees) the pool of `team` (none:
/// the company pool, which everyone may claim from, as from the pools an
/// admin added). Admins run every pool.
pub fn may_claim_from(viewer: &Viewer, team: Option<&str>) -> bool {
    match team {
        None => true,
        Some(added) if crate::pool::is_added(added) => true,
        Some(team) => viewer.role == Role::Admin || viewer.team.as_deref() == Some(team),
    }
}

/// Whether `viewer` sees `customer` only as an entry of a pool: masked,
/// and the one thing they may do with it is claim it. The device asks, to
/// offer a claim instead of forms the server would refuse.
pub fn only_claimable(viewer: &Viewer, customer: &Customer) -> bool {
    // An archive in a pool has no keeper, so no keeper's team either.
    let place = Placement {
        owner: customer.fields.owner.as_ref(),
        team: None,
        pool: customer.pool.as_deref(),
        shared_with: &customer.fields.shared_with,
    };
    sight(viewer, place) == Sight::Pool
}

/// Whether `viewer` may assign archives out of the pool of `team` to
/// others and set its rules: admins, and a team's managers for their
/// team's pool (the company pool and the added ones are the admins').
pub fn runs_pool(viewer: &Viewer, team: Option<&str>) -> bool {
    match viewer.role {
        Role::Admin => true,
        Role::Manager => team.is_some_and(|t| !crate::pool::is_added(t)) && viewer.team.as_deref() == team,
        Role::Rep => false,
    }
}

/// The archives a viewer may see, as a filter a database query can apply
/// before [`sight`] decides row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every archive.
    All,
    /// The team's archives, the team's and the company's pools, and the
    /// viewer's own and shared ones.
    Team {
        /// The team.
        team: String,
        /// The viewer.
        user: UserId,
    },
    /// The viewer's own archives, those shared with them, and those in the
    /// company pool and their team's.
    Own {
        /// The viewer.
        user: UserId,
        /// Their team, whose pool they see.
        team: Option<String>,
    },
}

/// The query filter for `viewer`.
pub fn scope(viewer: &Viewer) -> Scope {
    match (viewer.role, &viewer.team) {
        (Role::Admin, _) => Scope::All,
        (Role::Manager, Some(team)) => Scope::Team { team: team.clone(), user: viewer.user.clone() },
        _ => Scope::Own { user: viewer.user.clone(), team: viewer.team.clone() },
    }
}

/// Who, besides admins, sees an archive placed somewhere: its keeper and
/// the colleagues it is shared with, the keeper's team, and, for an archive
/// with no keeper, whoever may claim from its pool.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Audience {
    /// The keeper and the colleagues it is shared with.
    pub users: BTreeSet<UserId>,
    /// The keeper's team.
    pub teams: BTreeSet<String>,
    /// It has no keeper.
    pub pool: bool,
    /// With no keeper: the team whose pool holds it (none: the company's).
    pub pool_team: Option<String>,
}

impl Audience {
    /// The audience of an archive placed at `placement`.
    pub fn of(placement: Placement<'_>) -> Self {
        Self {
            users: placement.owner.into_iter().chain(placement.shared_with).cloned().collect(),
            teams: placement.team.map(str::to_owned).into_iter().collect(),
            pool: placement.owner.is_none(),
            pool_team: placement.pool.filter(|_| placement.owner.is_none()).map(str::to_owned),
        }
    }
}

/// Whether `viewer` is told of a change to an archive with `audience` (live
/// updates): exactly when a pull of theirs would bring it, or take it away.
pub fn is_told(viewer: &Viewer, audience: &Audience) -> bool {
    match scope(viewer) {
        Scope::All => true,
        Scope::Team { team, user } => {
            audience.teams.contains(&team)
                || (audience.pool && may_claim_from(viewer, audience.pool_team.as_deref()))
                || audience.users.contains(&user)
        }
        Scope::Own { user, .. } => {
            audience.users.contains(&user)
                || (audience.pool && may_claim_from(viewer, audience.pool_team.as_deref()))
        }
    }
}

/// Whether `viewer` may have the churn model fitted again on request. A fit
/// reads every customer of the company: managers and admins may ask (the
/// store still refits at most once a minute); a rep's request reuses the last fit.
pub fn may_refit_model(viewer: &Viewer) -> bool {
    viewer.role != Role::Rep
}

/// Whether `viewer` may define the company's custom fields. They shape
/// every archive of every team, so only admins; everyone reads them.
pub fn may_define_fields(viewer: &Viewer) -> bool {
    viewer.role == Role::Admin
}

/// Whether `viewer` may set the company's review cycles and quiet spell:
/// like custom fields, they apply to every team, so only admins.
pub fn may_set_review_rules(viewer: &Viewer) -> bool {
    viewer.role == Role::Admin
}

/// Whether `viewer` may run the day's automation by hand (reminders to
/// every keeper of the company): what the daily job does, so admins.
pub fn may_run_automation(viewer: &Viewer) -> bool {
    viewer.role == Role::Admin
}

/// Whether `viewer` may read how complete and how sound the archives are:
/// managers (their team's) and admins (everyone's).
pub fn may_check_quality(viewer: &Viewer) -> bool {
    viewer.role != Role::Rep
}

/// Whether `viewer` may import customers from a file: managers (into
/// their own team; the push refuses a keeper outside it) and admins.
pub fn may_import(viewer: &Viewer) -> bool {
    viewer.role != Role::Rep
}

/// Whether `viewer` may undo an import `importer` made: the person who
/// imported (while they still may import), and admins any import. The
/// changes that undo it are checked by the push like any edit.
pub fn may_undo_import(viewer: &Viewer, importer: &UserId) -> bool {
    viewer.role == Role::Admin || (may_import(viewer) && viewer.user == *importer)
}

/// Whether `viewer` works the duplicates queue (sweeps, merges, "not a
/// duplicate"): managers within their team and admins. Each merge still
/// needs full sight of both archives.
pub fn may_merge(viewer: &Viewer) -> bool {
    viewer.role != Role::Rep
}

/// A short stamp of what `viewer` may see (their scope), for the pull
/// cookie: a device whose user changed role or team starts its archive over.
/// FNV-1a, so the stamp is the same on every server and in every build.
pub fn scope_stamp(viewer: &Viewer) -> String {
    let text = match scope(viewer) {
        Scope::All => "all".to_owned(),
        Scope::Team { team, .. } => format!("team:{team}"),
        Scope::Own { .. } => "own".to_owned(),
    };
    let hash = text
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("{:08x}", hash as u32)
}

/// Whether `viewer` may move archives between keepers in bulk (a whole
/// portfolio, or everything a filter selects): managers (within their
/// team; the push refuses a keeper outside it) and admins.
pub fn may_reassign(viewer: &Viewer) -> bool {
    viewer.role != Role::Rep
}

/// The fields only a viewer with [`Sight::Full`] sees and edits.
pub const SENSITIVE: &[FieldName] = &[FieldName::IdNumber, FieldName::Phones, FieldName::Address];

/// What the policy needs to know about a user named in a mutation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Colleague {
    /// Their team.
    pub team: Option<String>,
    /// Whether they may still sign in and hold archives.
    pub active: bool,
}

/// Decides whether `viewer` may make `mutation`.
///
/// `sight_before` is the viewer's sight of the archive as it is (`None` for a
/// create), `merged_from` their sight of the archive a merge takes in, and
/// `colleague` looks up users the mutation hands the archive to.
pub fn check_mutation(
    viewer: &Viewer,
    mutation: &Mutation,
    sight_before: Option<Sight>,
    merged_from: Option<Sight>,
    colleague: &dyn Fn(&UserId) -> Option<Colleague>,
) -> Result<(), Rejection> {
    if mutation.author != viewer.user {
        return Err(Rejection::new(Refusal::ForbiddenAuthor));
    }
    let new_owner_allowed = |owner: Option<&UserId>| -> Result<(), Rejection> {
        let Some(owner) = owner else {
            return if viewer.role == Role::Rep && mutation_is_create(mutation) {
                Err(Rejection::new(Refusal::ForbiddenOwner))
            } else {
                Ok(())
            };
        };
        let target =
            colleague(owner).filter(|c| c.active).ok_or_else(|| Rejection::new(Refusal::OwnerUnknown))?;
        let allowed = match viewer.role {
            Role::Admin => true,
            Role::Manager => *owner == viewer.user || (target.team.is_some() && target.team == viewer.team),
            // A rep keeps what they create and hands archives only to teammates.
            Role::Rep => {
                *owner == viewer.user
                    || (!mutation_is_create(mutation) && target.team.is_some() && target.team == viewer.team)
            }
        };
        if allowed { Ok(()) } else { Err(Rejection::new(Refusal::ForbiddenOwner)) }
    };
    let shared_allowed = |users: &BTreeSet<UserId>| -> Result<(), Rejection> {
        if users.iter().all(|u| colleague(u).is_some_and(|c| c.active)) {
            Ok(())
        } else {
            Err(Rejection::new(Refusal::SharedWithUnknown))
        }
    };

    let Some(sight) = sight_before else {
        return match &mutation.change {
            Change::Create { fields } => {
                new_owner_allowed(fields.owner.as_ref())?;
                shared_allowed(&fields.shared_with)
            }
            _ => Err(Rejection::new(Refusal::CustomerNotFound)),
        };
    };
    if sight == Sight::Hidden {
        return Err(Rejection::new(Refusal::CustomerNotFound));
    }
    // From a pool a rep may only claim; what else they may do comes with it.
    if sight == Sight::Pool && !matches!(mutation.change, Change::Claim { .. }) {
        return Err(Rejection::new(Refusal::Forbidden));
    }
    let full = sight == Sight::Full;
    let forbidden = || Err(Rejection::new(Refusal::Forbidden));
    match &mutation.change {
        Change::Create { .. } => Ok(()),
        Change::SetFields { edits } | Change::ResolveConflict { edits } => {
            for edit in edits {
                let name = edit.value.name();
                if !full
                    && (SENSITIVE.contains(&name) || matches!(name, FieldName::Owner | FieldName::SharedWith))
                {
                    return Err(Rejection::new(Refusal::ForbiddenSensitive));
                }
                match &edit.value {
                    FieldValue::Owner(owner) => new_owner_allowed(owner.as_ref())?,
                    FieldValue::SharedWith(users) => shared_allowed(users)?,
                    _ => {}
                }
            }
            Ok(())
        }
        Change::Reassign { owner: None, pool, .. } if full => {
            if may_claim_from(viewer, pool.as_deref()) {
                Ok(())
            } else {
                forbidden()
            }
        }
        Change::Reassign { owner, .. } if full => new_owner_allowed(owner.as_ref()),
        // Whether it is still free, and the pool's rules, are checked as it applies.
        Change::Claim { .. } => Ok(()),
        // Recycles are the server's runs (an admin's, by their role).
        Change::Recycle { .. } if viewer.role == Role::Admin => Ok(()),
        Change::Merge { edits, .. } if full && merged_from == Some(Sight::Full) => {
            for edit in edits {
                match &edit.value {
                    FieldValue::Owner(owner) => new_owner_allowed(owner.as_ref())?,
                    FieldValue::SharedWith(users) => shared_allowed(users)?,
                    _ => {}
                }
            }
            Ok(())
        }
        Change::Delete { .. } | Change::Restore { .. } if full => Ok(()),
        Change::Reassign { .. }
        | Change::Recycle { .. }
        | Change::Merge { .. }
        | Change::Delete { .. }
        | Change::Restore { .. } => forbidden(),
        Change::AddTag { .. }
        | Change::RemoveTag { .. }
        | Change::SetCustom { .. }
        | Change::PutContact { .. }
        | Change::PutOrder { .. }
        | Change::PutInteraction { .. }
        | Change::PutFeedback { .. }
        | Change::PutTask { .. }
        | Change::RemoveItem { .. } => Ok(()),
    }
}

fn mutation_is_create(mutation: &Mutation) -> bool {
    matches!(mutation.change, Change::Create { .. })
}

/// What a masked viewer sees instead of a sensitive value.
pub const MASK: &str = "******";

/// Hides the sensitive fields of `customer`, in its current values and in
/// every competing value of an open conflict.
pub fn mask(customer: &mut Customer) {
    mask_value_in_fields(customer);
    for name in SENSITIVE {
        if let Some(meta) = customer.field_meta.get_mut(name) {
            for rival in &mut meta.rivals {
                rival.value = masked_value(rival.value.clone());
            }
        }
    }
}

fn mask_value_in_fields(customer: &mut Customer) {
    for &name in SENSITIVE {
        masked_value(FieldValue::read(&customer.fields, name)).write_into(&mut customer.fields);
    }
}

/// `value` with what a masked viewer may not see removed.
pub fn masked_value(value: FieldValue) -> FieldValue {
    match value {
        FieldValue::IdNumber(Some(_)) => FieldValue::IdNumber(Some(MASK.to_owned())),
        FieldValue::Phones(phones) => {
            FieldValue::Phones(phones.into_iter().filter(|p| p.label == PhoneLabel::Work).collect())
        }
        FieldValue::Address(mut address) => {
            address.detail = address.detail.map(|_| MASK.to_owned());
            FieldValue::Address(address)
        }
        other => other,
    }
}

/// What a read shows of an archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// The archive itself (a record page, a pulled copy).
    Archive,
    /// Only the competing values of its open conflicts.
    Conflicts,
}

/// Whether showing `customer`, as `sight` lets `viewer` see it, is a
/// sensitive view for the audit trail: someone other than its keeper sees
/// sensitive values in full. Every read path asks this, so they agree.
pub fn view_is_audited(viewer: &Viewer, customer: &Customer, sight: Sight, shown: Shown) -> bool {
    if sight != Sight::Full || customer.fields.owner.as_ref() == Some(&viewer.user) {
        return false;
    }
    match shown {
        Shown::Archive => has_sensitive_values(customer),
        Shown::Conflicts => SENSITIVE
            .iter()
            .any(|name| customer.field_meta.get(name).is_some_and(|meta| !meta.rivals.is_empty())),
    }
}

/// True when `customer` holds a sensitive value a masked viewer would not see.
pub fn has_sensitive_values(customer: &Customer) -> bool {
    SENSITIVE.iter().any(|&name| {
        let value = FieldValue::read(&customer.fields, name);
        masked_value(value.clone()) != value
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::{ApplyContext, apply};
    use crate::archive::{Address, Fields, LabelledPhone};
    use crate::ids::{ClientId, CustomerId, MutationId};
    use crate::mutation::FieldEdit;
    use crate::time::{Date, Timestamp};
    use crate::{CustomerName, Phone};

    fn viewer(user: &str, role: Role, team: Option<&str>) -> Viewer {
        Viewer { user: UserId(user.into()), role, team: team.map(Into::into) }
    }

    fn place<'a>(
        owner: Option<&'a UserId>,
        team: Option<&'a str>,
        shared: &'a BTreeSet<UserId>,
    ) -> Placement<'a> {
        Placement { owner, team, pool: None, shared_with: shared }
    }

    fn team_of(user: &UserId) -> Option<Colleague> {
        let team = match user.0.as_str() {
            "a" | "b" | "m" => "north",
            "c" | "n" => "south",
            _ => return None,
        };
        Some(Colleague { team: Some(team.into()), active: true })
    }

    #[test]
    fn only_admins_run_the_days_automation_by_hand() {
        assert!(may_run_automation(&viewer("root", Role::Admin, None)));
        assert!(!may_run_automation(&viewer("m", Role::Manager, Some("north"))));
        assert!(!may_run_automation(&viewer("a", Role::Rep, Some("north"))));
    }

    #[test]
    fn an_import_is_undone_by_whoever_made_it_or_an_admin() {
        let importer = UserId("m".into());
        assert!(may_undo_import(&viewer("m", Role::Manager, Some("north")), &importer));
        assert!(may_undo_import(&viewer("root", Role::Admin, None), &importer));
        assert!(!may_undo_import(&viewer("n", Role::Manager, Some("south")), &importer));
        // A manager who became a rep no longer imports, nor undoes.
        assert!(!may_undo_import(&viewer("m", Role::Rep, Some("north")), &importer));
    }

    /// A live notice reaches exactly those who see the archive: the rule
    /// for who is told agrees with the rule for who sees, everywhere.
    #[test]
    fn whoever_sees_an_archive_is_told_of_its_changes_and_nobody_else() {
        let (a, b, c) = (UserId("a".into()), UserId("b".into()), UserId("c".into()));
        let none = BTreeSet::new();
        let with_c: BTreeSet<UserId> = [c.clone()].into();
        let placements = [
            place(Some(&a), Some("north"), &none),
            place(Some(&a), Some("north"), &with_c),
            place(Some(&b), Some("north"), &none),
            place(Some(&c), Some("south"), &none),
            place(None, None, &none),
            place(None, None, &with_c),
        ];
        let viewers = [
            viewer("a", Role::Rep, Some("north")),
            viewer("c", Role::Rep, Some("south")),
            viewer("m", Role::Manager, Some("north")),
            viewer("n", Role::Manager, Some("south")),
            viewer("root", Role::Admin, None),
        ];
        for placement in placements {
            for v in &viewers {
                let sees = sight(v, placement) != Sight::Hidden;
                assert_eq!(is_told(v, &Audience::of(placement)), sees, "{} and {placement:?}", v.user);
            }
        }
    }

    fn mutation(author: &str, change: Change) -> Mutation {
        Mutation {
            id: MutationId::new(),
            client: ClientId::new(),
            seq: 1,
            author: UserId(author.into()),
            client_time: Timestamp(0),
            customer: CustomerId::new(),
            change,
        }
    }

    fn create_owned_by(author: &str, owner: Option<&str>) -> Mutation {
        let mut fields = Fields::named(CustomerName::parse("张三").unwrap());
        fields.owner = owner.map(|o| UserId(o.into()));
        mutation(author, Change::Create { fields: Box::new(fields) })
    }

    #[test]
    fn each_role_sees_what_the_design_says() {
        let (a, b) = (UserId("a".into()), UserId("b".into()));
        let none = BTreeSet::new();
        let shared_with_b: BTreeSet<_> = [b.clone()].into();
        let owned_by_a = place(Some(&a), Some("north"), &none);
        assert_eq!(sight(&viewer("a", Role::Rep, Some("north")), owned_by_a), Sight::Full);
        assert_eq!(sight(&viewer("b", Role::Rep, Some("north")), owned_by_a), Sight::Hidden);
        assert_eq!(
            sight(&viewer("b", Role::Rep, Some("north")), place(Some(&a), Some("north"), &shared_with_b)),
            Sight::Masked
        );
        assert_eq!(sight(&viewer("m", Role::Manager, Some("north")), owned_by_a), Sight::Full);
        assert_eq!(sight(&viewer("n", Role::Manager, Some("south")), owned_by_a), Sight::Hidden);
        assert_eq!(sight(&viewer("n", Role::Manager, Some("south")), place(None, None, &none)), Sight::Full);
        assert_eq!(sight(&viewer("c", Role::Rep, Some("south")), place(None, None, &none)), Sight::Pool);
        assert_eq!(sight(&viewer("root", Role::Admin, None), owned_by_a), Sight::Full);
    }

    #[test]
    fn a_team_pool_is_seen_by_its_team_and_the_company_pool_by_everyone() {
        let none = BTreeSet::new();
        let north_pool = Placement { owner: None, team: None, pool: Some("north"), shared_with: &none };
        let company_pool = Placement { pool: None, ..north_pool };
        assert_eq!(sight(&viewer("a", Role::Rep, Some("north")), north_pool), Sight::Pool);
        assert_eq!(sight(&viewer("c", Role::Rep, Some("south")), north_pool), Sight::Hidden);
        assert_eq!(sight(&viewer("c", Role::Rep, None), company_pool), Sight::Pool);
        assert_eq!(sight(&viewer("m", Role::Manager, Some("north")), north_pool), Sight::Full);
        assert_eq!(sight(&viewer("n", Role::Manager, Some("south")), north_pool), Sight::Hidden);
        assert!(runs_pool(&viewer("m", Role::Manager, Some("north")), Some("north")));
        assert!(!runs_pool(&viewer("m", Role::Manager, Some("north")), None));
        let audience = Audience::of(north_pool);
        assert!(is_told(&viewer("a", Role::Rep, Some("north")), &audience));
        assert!(!is_told(&viewer("c", Role::Rep, Some("south")), &audience));
    }

    #[test]
    fn from_a_pool_a_rep_may_only_claim() {
        let rep = viewer("a", Role::Rep, Some("north"));
        let claim = mutation("a", Change::Claim { base: 1 });
        assert!(check_mutation(&rep, &claim, Some(Sight::Pool), None, &team_of).is_ok());
        let edit = mutation("a", Change::AddTag { tag: "好客户".into(), base: 1 });
        assert_eq!(
            check_mutation(&rep, &edit, Some(Sight::Pool), None, &team_of).unwrap_err().refusal(),
            Some(Refusal::Forbidden)
        );
        let recycle =
            mutation("a", Change::Recycle { keeper: UserId("b".into()), pool: None, rule: 0, base: 1 });
        assert!(check_mutation(&rep, &recycle, Some(Sight::Full), None, &team_of).is_err());
    }

    #[test]
    fn a_keeper_releases_only_into_a_pool_they_may_claim_from() {
        let rep = viewer("a", Role::Rep, Some("north"));
        let release = |pool: Option<&str>| {
            mutation(
                "a",
                Change::Reassign {
                    owner: None,
                    base: 1,
                    reason: None,
                    pool: pool.map(Into::into),
                    over_limit: false,
                },
            )
        };
        assert!(check_mutation(&rep, &release(Some("north")), Some(Sight::Full), None, &team_of).is_ok());
        assert!(check_mutation(&rep, &release(None), Some(Sight::Full), None, &team_of).is_ok());
        assert!(check_mutation(&rep, &release(Some("south")), Some(Sight::Full), None, &team_of).is_err());
        assert!(check_mutation(&rep, &release(Some("*大客户")), Some(Sight::Full), None, &team_of).is_ok());
    }

    #[test]
    fn a_pool_an_admin_added_is_everyones_to_claim_from_and_the_admins_to_run() {
        let none = BTreeSet::new();
        let added = Placement { owner: None, team: None, pool: Some("*大客户"), shared_with: &none };
        assert_eq!(sight(&viewer("a", Role::Rep, Some("north")), added), Sight::Pool);
        assert_eq!(sight(&viewer("c", Role::Rep, None), added), Sight::Pool);
        assert_eq!(sight(&viewer("m", Role::Manager, Some("north")), added), Sight::Full);
        assert!(!runs_pool(&viewer("m", Role::Manager, Some("north")), Some("*大客户")));
        assert!(runs_pool(&viewer("root", Role::Admin, None), Some("*大客户")));
        assert!(is_told(&viewer("c", Role::Rep, Some("south")), &Audience::of(added)));
        assert_eq!(crate::pool::check_team_name("*大客户").unwrap_err().code, "team.reserved");
        assert_eq!(crate::pool::added_name("*大客户"), Some("大客户"));
    }

    #[test]
    fn a_manager_without_a_team_sees_only_their_own() {
        assert_eq!(
            scope(&viewer("m", Role::Manager, None)),
            Scope::Own { user: UserId("m".into()), team: None }
        );
    }

    #[test]
    fn a_rep_creates_archives_for_themselves_only() {
        let rep = viewer("a", Role::Rep, Some("north"));
        assert!(check_mutation(&rep, &create_owned_by("a", Some("a")), None, None, &team_of).is_ok());
        for owner in [Some("b"), None] {
            let err = check_mutation(&rep, &create_owned_by("a", owner), None, None, &team_of).unwrap_err();
            assert_eq!(err.code, "forbidden.owner");
        }
    }

    #[test]
    fn a_manager_assigns_within_their_team_and_an_admin_anywhere() {
        let manager = viewer("m", Role::Manager, Some("north"));
        assert!(check_mutation(&manager, &create_owned_by("m", Some("b")), None, None, &team_of).is_ok());
        let err =
            check_mutation(&manager, &create_owned_by("m", Some("c")), None, None, &team_of).unwrap_err();
        assert_eq!(err.code, "forbidden.owner");
        let admin = viewer("root", Role::Admin, None);
        assert!(check_mutation(&admin, &create_owned_by("root", Some("c")), None, None, &team_of).is_ok());
        let err = check_mutation(&admin, &create_owned_by("root", Some("ghost")), None, None, &team_of)
            .unwrap_err();
        assert_eq!(err.code, "owner.unknown");
    }

    #[test]
    fn someone_elses_mutation_is_refused() {
        let rep = viewer("a", Role::Rep, Some("north"));
        let err = check_mutation(&rep, &create_owned_by("b", Some("a")), None, None, &team_of).unwrap_err();
        assert_eq!(err.code, "forbidden.author");
    }

    #[test]
    fn a_masked_viewer_edits_plain_fields_but_not_sensitive_ones_nor_ownership() {
        let rep = viewer("b", Role::Rep, Some("north"));
        let edit = |value| mutation("b", Change::SetFields { edits: vec![FieldEdit { value, base: 1 }] });
        let plain = edit(FieldValue::Region(Some("华东".into())));
        assert!(check_mutation(&rep, &plain, Some(Sight::Masked), None, &team_of).is_ok());
        let sensitive = edit(FieldValue::IdNumber(None));
        assert_eq!(
            check_mutation(&rep, &sensitive, Some(Sight::Masked), None, &team_of).unwrap_err().code,
            "forbidden.sensitive"
        );
        let delete = mutation("b", Change::Delete { base: 1 });
        assert_eq!(
            check_mutation(&rep, &delete, Some(Sight::Masked), None, &team_of).unwrap_err().code,
            "forbidden"
        );
        assert_eq!(
            check_mutation(&rep, &plain, Some(Sight::Hidden), None, &team_of).unwrap_err().code,
            "customer.not_found"
        );
    }

    #[test]
    fn masking_hides_sensitive_values_and_competing_ones_too() {
        let mut fields = Fields::named(CustomerName::parse("李四").unwrap());
        fields.id_number = Some("110101199003071233".into());
        fields.phones = vec![
            LabelledPhone { label: PhoneLabel::Mobile, number: Phone::parse("13800138000").unwrap() },
            LabelledPhone { label: PhoneLabel::Work, number: Phone::parse("01062345678").unwrap() },
        ];
        fields.address =
            Address {
                city: Some("北京".into()), detail: Some("朝阳路1号".into()), ..Address::default()
            };
        let create = mutation("a", Change::Create { fields: Box::new(fields) });
        let today = Date::new(2026, 1, 1).unwrap();
        let (mut customer, _) = apply(None, &create, &ApplyContext { version: 1, today }).unwrap();
        assert!(has_sensitive_values(&customer));

        let mut rival_edit = create.clone();
        rival_edit.client = ClientId::new();
        rival_edit.seq = 1;
        rival_edit.change = Change::SetFields {
            edits: vec![FieldEdit {
                value: FieldValue::IdNumber(Some("110101199003079999".into())),
                base: 0,
            }],
        };
        customer = apply(Some(&customer), &rival_edit, &ApplyContext { version: 2, today }).unwrap().0;
        assert!(customer.has_conflicts());

        // Who reading it is a sensitive view: one rule for every path.
        customer.fields.owner = Some(UserId("a".into()));
        let manager = viewer("m", Role::Manager, Some("north"));
        let keeper = viewer("a", Role::Rep, Some("north"));
        for shown in [Shown::Archive, Shown::Conflicts] {
            assert!(view_is_audited(&manager, &customer, Sight::Full, shown), "{shown:?}");
            assert!(!view_is_audited(&keeper, &customer, Sight::Full, shown), "the keeper's own: {shown:?}");
            assert!(!view_is_audited(&manager, &customer, Sight::Masked, shown), "nothing seen: {shown:?}");
        }
        let mut settled = customer.clone();
        settled.field_meta.values_mut().for_each(|meta| meta.rivals.clear());
        assert!(!view_is_audited(&manager, &settled, Sight::Full, Shown::Conflicts), "no rival values shown");

        mask(&mut customer);
        assert_eq!(customer.fields.id_number.as_deref(), Some(MASK));
        assert_eq!(customer.fields.phones.len(), 1);
        assert_eq!(customer.fields.address.city.as_deref(), Some("北京"));
        assert_eq!(customer.fields.address.detail.as_deref(), Some(MASK));
        let json = serde_json::to_string(&customer).unwrap();
        assert!(
            !json.contains("199003071233") && !json.contains("199003079999") && !json.contains("朝阳路"),
            "{json}"
        );
        assert!(!has_sensitive_values(&customer));
    }
}
