//! The public pool (公海): who may claim an archive nobody keeps, and when a
//! neglected archive goes back. The one place that decides: the push asks
//! here before a claim or a recycle takes effect, the recycle run and the
//! preview ask here which archives are due, and a rep's Today asks here for
//! warnings, offline too.
//!
//! There is a company pool, one pool per team, and the pools an admin adds
//! (for a region, a product line, a campaign): their keys start with
//! [`ADDED_MARK`], and like the company pool every rep may claim from them.
//! An archive without a keeper sits in the pool its [`Customer::pool`]
//! names (none: the company's); one recycled goes to its keeper's team's
//! pool, one released to the pool its keeper picks (their team's unless
//! they pick another).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::archive::{Customer, wire_name};
use crate::field_error::FieldError;
use crate::time::Date;

/// Days before a recycle on which the keeper is warned.
pub const WARN_DAYS: u32 = 7;

/// The most days a window, cool-down or protection may last.
pub const MAX_DAYS: u32 = 3650;

/// The most rules one pool may hold.
pub const MAX_RULES: usize = 20;

/// What the key of a pool an admin added starts with; no team's name may.
pub const ADDED_MARK: char = '*';

/// The longest name of an added pool, in characters.
pub const MAX_POOL_NAME: usize = 30;

/// Whether `key` names a pool an admin added (not a team's).
pub fn is_added(key: &str) -> bool {
    added_name(key).is_some()
}

/// The name of the added pool whose key is `key`; `None` for a team's.
pub fn added_name(key: &str) -> Option<&str> {
    key.strip_prefix(ADDED_MARK)
}

/// The key of the added pool called `name` (trimmed); `Err` when the name
/// is empty or too long.
pub fn added_key(name: &str) -> Result<String, FieldError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(FieldError::new("pool", "required"));
    }
    if name.chars().count() > MAX_POOL_NAME {
        return Err(FieldError::new("pool", "too_long").with_limit(MAX_POOL_NAME as u32));
    }
    Ok(format!("{ADDED_MARK}{name}"))
}

/// Whether `team` may be a team's name: pools an admin adds are told
/// apart by their mark, so no team's name starts with it.
pub fn check_team_name(team: &str) -> Result<(), FieldError> {
    if team.starts_with(ADDED_MARK) {
        return Err(FieldError::new("team", "reserved"));
    }
    Ok(())
}

/// The rules of one pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolRules {
    /// Claims one rep may make from this pool per day; none: no cap.
    #[serde(default)]
    pub daily_claims: Option<u32>,
    /// How many archives a rep of this pool may keep before claiming more;
    /// none: no limit.
    #[serde(default)]
    pub hold_limit: Option<u32>,
    /// Categories (by wire name) that do not count toward the hold limit.
    #[serde(default)]
    pub exempt_categories: BTreeSet<String>,
    /// Days before a rep may claim again an archive they released or lost.
    #[serde(default)]
    pub cooldown_days: u32,
    /// Days after a claim during which the archive is not recycled.
    #[serde(default)]
    pub protection_days: u32,
    /// When archives kept by this pool's reps go back to it; the first rule
    /// that matches an archive decides.
    #[serde(default)]
    pub recycle: Vec<RecycleRule>,
}

impl Default for PoolRules {
    fn default() -> Self {
        Self {
            daily_claims: Some(20),
            hold_limit: None,
            exempt_categories: BTreeSet::new(),
            cooldown_days: 30,
            protection_days: 14,
            recycle: Vec::new(),
        }
    }
}

/// What a recycle rule counts days from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Silence {
    /// The last call, visit or other interaction.
    #[default]
    NoInteraction,
    /// The last order.
    NoOrder,
    /// The latest end of a contract or service sold (an order's end date);
    /// an archive with none is not one this rule is about.
    OrderEnded,
}

/// One recycle rule: an archive that matches the filters and has been
/// silent for longer than its window goes back to the pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecycleRule {
    /// What the silence is measured from.
    pub silence: Silence,
    /// The window in days.
    pub days: u32,
    /// Other windows for some categories (a VIP may get longer).
    #[serde(default)]
    pub days_by_category: BTreeMap<String, u32>,
    /// Only archives in these stages (wire names); empty: any.
    #[serde(default)]
    pub stages: BTreeSet<String>,
    /// Only archives of these categories; empty: any.
    #[serde(default)]
    pub categories: BTreeSet<String>,
    /// Only archives with one of these tags; empty: any.
    #[serde(default)]
    pub tags: BTreeSet<String>,
}

impl RecycleRule {
    /// Whether `customer` is one this rule is about.
    pub fn applies_to(&self, customer: &Customer) -> bool {
        let fields = &customer.fields;
        (self.stages.is_empty() || self.stages.contains(&wire_name(&fields.stage)))
            && (self.categories.is_empty() || self.categories.contains(&wire_name(&fields.category)))
            && (self.tags.is_empty() || customer.visible_tags().any(|t| self.tags.contains(t)))
    }

    /// The window for `customer`'s category.
    pub fn window(&self, customer: &Customer) -> u32 {
        self.days_by_category.get(&wire_name(&customer.fields.category)).copied().unwrap_or(self.days)
    }
}

/// Every pool's rules, as an admin set them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PoolSettings {
    /// Bumped by the server at each change (0: never saved, the defaults).
    #[serde(default)]
    pub version: u64,
    /// Rules per pool: by team name, the company pool under "", the pools
    /// an admin added by their [`ADDED_MARK`]ed keys.
    #[serde(default)]
    pub pools: BTreeMap<String, PoolRules>,
}

impl PoolSettings {
    /// The rules of the pool of `team` (none: the company's); a pool never
    /// set has the defaults.
    pub fn rules(&self, team: Option<&str>) -> PoolRules {
        self.pools.get(team.unwrap_or("")).cloned().unwrap_or_default()
    }

    /// The keys of the pools an admin added.
    pub fn added_pools(&self) -> impl Iterator<Item = &String> {
        self.pools.keys().filter(|key| is_added(key))
    }

    /// Every number in range and every list within bounds; the error names
    /// the pool (its key, `company` for "") and what is wrong.
    pub fn check(&self) -> Result<(), FieldError> {
        for (key, rules) in &self.pools {
            if let Some(name) = added_name(key) {
                added_key(name)?;
            }
            let field = if key.is_empty() { "company" } else { key.as_str() };
            let too_long = |days: u32| days > MAX_DAYS;
            let windows = rules
                .recycle
                .iter()
                .flat_map(|r| std::iter::once(r.days).chain(r.days_by_category.values().copied()));
            if too_long(rules.cooldown_days)
                || too_long(rules.protection_days)
                || windows.clone().any(too_long)
            {
                return Err(FieldError::new(field, "out_of_range").with_limit(MAX_DAYS));
            }
            if rules.recycle.iter().any(|r| r.days == 0) {
                return Err(FieldError::new(field, "window_zero"));
            }
            if rules.recycle.len() > MAX_RULES {
                return Err(FieldError::new(field, "too_many").with_limit(MAX_RULES as u32));
            }
        }
        Ok(())
    }
}

/// What the store knows of a rep when they claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClaimFacts {
    /// Claims they made today from any pool.
    pub claims_today: u32,
    /// Archives they keep now that count toward the hold limit.
    pub held: u32,
    /// When they last released or lost this archive.
    pub last_lost: Option<Date>,
}

/// Why a claim is refused, besides the archive having a keeper already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimRefusal {
    /// Today's claims are used up; the cap.
    DailyCap(u32),
    /// They keep as many archives as they may; the limit.
    HoldLimit(u32),
    /// They released or lost it too recently; the days still to wait.
    Cooldown(u32),
}

impl ClaimRefusal {
    /// The stable code and the number the message names.
    pub fn error(self) -> FieldError {
        match self {
            Self::DailyCap(n) => FieldError::new("pool", "daily_cap").with_limit(n),
            Self::HoldLimit(n) => FieldError::new("pool", "hold_limit").with_limit(n),
            Self::Cooldown(n) => FieldError::new("pool", "cooldown").with_limit(n),
        }
    }
}

/// Whether a rep with `facts` may claim `customer` under `rules` on `today`.
pub fn check_claim(
    rules: &PoolRules,
    facts: &ClaimFacts,
    customer: &Customer,
    today: Date,
) -> Result<(), ClaimRefusal> {
    if let Some(cap) = rules.daily_claims
        && facts.claims_today >= cap
    {
        return Err(ClaimRefusal::DailyCap(cap));
    }
    check_hold(rules, facts.held, customer).map_err(ClaimRefusal::HoldLimit)?;
    if let Some(lost) = facts.last_lost {
        let waited = lost.days_until(today);
        let cooldown = i64::from(rules.cooldown_days);
        if waited < cooldown {
            return Err(ClaimRefusal::Cooldown((cooldown - waited) as u32));
        }
    }
    Ok(())
}

/// Whether someone who keeps `held` archives that count may take
/// `customer` too under `rules`; `Err` is the limit they are at.
pub fn check_hold(rules: &PoolRules, held: u32, customer: &Customer) -> Result<(), u32> {
    match rules.hold_limit {
        Some(limit) if held >= limit && counts_toward_hold(rules, &wire_name(&customer.fields.category)) => {
            Err(limit)
        }
        _ => Ok(()),
    }
}

/// Why an assignment out of a pool is refused: the new keeper is at the
/// pool's hold limit (the author may go past it, with a reason).
pub fn over_hold_limit(limit: u32) -> FieldError {
    FieldError::new("keeper", OVER_HOLD_LIMIT).with_limit(limit)
}

const OVER_HOLD_LIMIT: &str = "over_hold_limit";

/// Whether `error` is [`over_hold_limit`]'s.
pub fn is_over_hold_limit(error: &FieldError) -> bool {
    error.code == over_hold_limit(0).code
}

/// Whether an archive of `category` counts toward `rules`' hold limit.
pub fn counts_toward_hold(rules: &PoolRules, category: &str) -> bool {
    !rules.exempt_categories.contains(category)
}

/// When a kept archive goes back to the pool, and by which rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recycle {
    /// The rule's place in its pool's list (0 is the first).
    pub rule: usize,
    /// What the rule measures.
    pub silence: Silence,
    /// The day it goes: on this day or after, the run recycles it.
    pub on: Date,
}

impl Recycle {
    /// Days left before it goes (0 or less: due).
    pub fn days_left(&self, today: Date) -> i64 {
        today.days_until(self.on)
    }

    /// Whether it is due on `today`.
    pub fn is_due(&self, today: Date) -> bool {
        self.days_left(today) <= 0
    }

    /// Whether the keeper is warned on `today`: within [`WARN_DAYS`] of it.
    pub fn warns(&self, today: Date) -> bool {
        (1..=i64::from(WARN_DAYS)).contains(&self.days_left(today))
    }
}

/// When `customer`, kept by someone, goes back to the pool under `rules`:
/// the first rule that applies to it decides, counting from its last
/// interaction, its last order or the latest end of what it bought (or
/// from when its keeper took it, if later), and
/// never before its protection after a claim ends. None: no rule applies,
/// or it has no keeper, or it is deleted.
pub fn recycle_date(rules: &PoolRules, customer: &Customer) -> Option<Recycle> {
    if customer.fields.owner.is_none() || customer.deleted() {
        return None;
    }
    let kept_since = customer.kept_since.unwrap_or_else(|| customer.created_at.local_date());
    let orders = || customer.orders.values().filter(|i| !i.hidden()).map(|i| i.value());
    let (index, rule, last) = rules.recycle.iter().enumerate().find_map(|(index, rule)| {
        if !rule.applies_to(customer) {
            return None;
        }
        let last = match rule.silence {
            Silence::NoInteraction => customer
                .interactions
                .values()
                .filter(|i| !i.hidden())
                .map(|i| i.value().at.local_date())
                .max(),
            Silence::NoOrder => orders().map(|o| o.date).max(),
            // Nothing ends, so nothing to count from: the next rule decides.
            Silence::OrderEnded => Some(orders().filter_map(|o| o.ends_on).max()?),
        };
        Some((index, rule, last))
    })?;
    let from = last.map_or(kept_since, |last| last.max(kept_since));
    let on = days_after(from, rule.window(customer));
    // However long the silence, a keeper gets the protection period to work it.
    let protected_until = days_after(kept_since, rules.protection_days);
    Some(Recycle { rule: index, silence: rule.silence, on: on.max(protected_until) })
}

fn days_after(day: Date, days: u32) -> Date {
    Date::from_days_since_epoch(day.days_since_epoch() + i64::from(days))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CustomerName;
    use crate::apply::{ApplyContext, apply};
    use crate::archive::{Category, Fields, Interaction, InteractionKind, Order};
    use crate::ids::{ClientId, CustomerId, ItemId, UserId};
    use crate::money::Money;
    use crate::mutation::{Change, Sequencer};
    use crate::time::Timestamp;

    fn date(s: &str) -> Date {
        Date::parse_field(s, "date").unwrap()
    }

    fn kept(on: &str) -> (Customer, Sequencer) {
        let mut seq = Sequencer { client: ClientId::new(), author: UserId("a".into()), last_seq: 0 };
        let mut fields = Fields::named(CustomerName::parse("张三").unwrap());
        fields.owner = Some(UserId("a".into()));
        let m = seq.next(CustomerId::new(), Change::Create { fields: Box::new(fields) }, Timestamp(0));
        let (c, _) = apply(None, &m, &ApplyContext { version: 1, today: date(on) }).unwrap();
        (c, seq)
    }

    fn with(customer: Customer, seq: &mut Sequencer, change: Change, on: &str) -> Customer {
        let m = seq.next(customer.id, change, Timestamp(0));
        apply(Some(&customer), &m, &ApplyContext { version: customer.version + 1, today: date(on) })
            .unwrap()
            .0
    }

    fn visit(on: &str) -> Change {
        // Noon in China on that day.
        let at = Timestamp(date(on).days_since_epoch() * 86_400_000 + 4 * 3_600_000);
        let interaction = Interaction {
            kind: InteractionKind::Visit,
            at,
            summary: "拜访".into(),
            satisfaction: None,
            next_follow_up: None,
        };
        Change::PutInteraction { id: ItemId::new(), interaction, base: 1 }
    }

    fn rule(silence: Silence, days: u32) -> RecycleRule {
        RecycleRule {
            silence,
            days,
            days_by_category: BTreeMap::new(),
            stages: BTreeSet::new(),
            categories: BTreeSet::new(),
            tags: BTreeSet::new(),
        }
    }

    fn rules(recycle: Vec<RecycleRule>) -> PoolRules {
        PoolRules { recycle, protection_days: 0, ..PoolRules::default() }
    }

    #[test]
    fn an_archive_goes_back_a_window_after_its_last_interaction() {
        let (c, mut seq) = kept("2026-01-01");
        let c = with(c, &mut seq, visit("2026-03-01"), "2026-03-01");
        let due = recycle_date(&rules(vec![rule(Silence::NoInteraction, 30)]), &c).unwrap();
        assert_eq!(due.on, date("2026-03-31"));
        assert!(!due.is_due(date("2026-03-30")));
        assert!(due.is_due(date("2026-03-31")));
        assert!(due.warns(date("2026-03-24")) && !due.warns(date("2026-03-23")));
    }

    #[test]
    fn an_archive_never_contacted_counts_from_when_it_was_taken() {
        let (c, _) = kept("2026-01-01");
        let due = recycle_date(&rules(vec![rule(Silence::NoInteraction, 30)]), &c).unwrap();
        assert_eq!(due.on, date("2026-01-31"));
    }

    #[test]
    fn a_vip_can_have_a_longer_window() {
        let (c, mut seq) = kept("2026-01-01");
        let c = with(
            c,
            &mut seq,
            Change::SetFields {
                edits: vec![crate::mutation::FieldEdit {
                    value: crate::archive::FieldValue::Category(Category::Vip),
                    base: 1,
                }],
            },
            "2026-01-01",
        );
        let mut longer = rule(Silence::NoInteraction, 30);
        longer.days_by_category.insert("vip".into(), 90);
        assert_eq!(recycle_date(&rules(vec![longer]), &c).unwrap().on, date("2026-04-01"));
    }

    #[test]
    fn the_first_rule_that_applies_wins() {
        let (c, _) = kept("2026-01-01");
        let mut only_vips = rule(Silence::NoInteraction, 10);
        only_vips.categories.insert("vip".into());
        let orders = rule(Silence::NoOrder, 60);
        let talks = rule(Silence::NoInteraction, 20);
        let due = recycle_date(&rules(vec![only_vips, orders, talks]), &c).unwrap();
        assert_eq!((due.rule, due.silence, due.on), (1, Silence::NoOrder, date("2026-03-02")));
    }

    #[test]
    fn an_order_restarts_a_no_order_window() {
        let (c, mut seq) = kept("2026-01-01");
        let order = Order {
            product: "空调".into(),
            quantity: 1,
            amount: Money::parse("100", crate::money::Currency::cny()).unwrap(),
            date: date("2026-02-10"),
            channel: None,
            ends_on: None,
        };
        let c = with(c, &mut seq, Change::PutOrder { id: ItemId::new(), order, base: 1 }, "2026-02-10");
        let due = recycle_date(&rules(vec![rule(Silence::NoOrder, 30)]), &c).unwrap();
        assert_eq!(due.on, date("2026-03-12"));
    }

    #[test]
    fn a_contract_end_rule_counts_from_the_latest_end_and_skips_archives_without_one() {
        let (c, mut seq) = kept("2026-01-01");
        let ended = rule(Silence::OrderEnded, 15);
        let talks = rule(Silence::NoInteraction, 90);
        let without = recycle_date(&rules(vec![ended.clone(), talks.clone()]), &c).unwrap();
        assert_eq!((without.rule, without.silence), (1, Silence::NoInteraction), "no end date: next rule");
        let contract = |ends: &str| Order {
            product: "保养合同".into(),
            quantity: 1,
            amount: Money::parse("1200", crate::money::Currency::cny()).unwrap(),
            date: date("2026-01-05"),
            channel: None,
            ends_on: Some(date(ends)),
        };
        let c = with(
            c,
            &mut seq,
            Change::PutOrder { id: ItemId::new(), order: contract("2026-06-30"), base: 1 },
            "2026-01-05",
        );
        let c = with(
            c,
            &mut seq,
            Change::PutOrder { id: ItemId::new(), order: contract("2026-03-31"), base: 2 },
            "2026-01-05",
        );
        let due = recycle_date(&rules(vec![ended, talks]), &c).unwrap();
        assert_eq!((due.rule, due.silence, due.on), (0, Silence::OrderEnded, date("2026-07-15")));
    }

    #[test]
    fn a_claim_protects_an_archive_for_the_protection_period() {
        let (mut c, _) = kept("2025-01-01");
        c.fields.owner = None;
        let mut seq = Sequencer { client: ClientId::new(), author: UserId("b".into()), last_seq: 0 };
        let c = with(c, &mut seq, Change::Claim { base: 1 }, "2026-05-01");
        assert_eq!(c.fields.owner, Some(UserId("b".into())));
        let mut protected = rules(vec![rule(Silence::NoInteraction, 1)]);
        protected.protection_days = 14;
        assert_eq!(recycle_date(&protected, &c).unwrap().on, date("2026-05-15"));
    }

    #[test]
    fn a_claim_too_late_names_who_has_it() {
        let (c, _) = kept("2026-01-01");
        let mut late = Sequencer { client: ClientId::new(), author: UserId("b".into()), last_seq: 0 };
        let m = late.next(c.id, Change::Claim { base: 1 }, Timestamp(0));
        let refused =
            apply(Some(&c), &m, &ApplyContext { version: 2, today: date("2026-01-02") }).unwrap_err();
        assert_eq!(
            (refused.refusal(), refused.by),
            (Some(crate::Refusal::PoolClaimed), Some(UserId("a".into())))
        );
    }

    #[test]
    fn a_release_puts_the_archive_in_the_pool_it_names_and_a_recycle_checks_the_keeper() {
        let (c, mut seq) = kept("2026-01-01");
        let release = Change::Reassign {
            owner: None,
            base: 1,
            reason: Some("离职".into()),
            pool: Some("north".into()),
            over_limit: false,
        };
        let released = with(c.clone(), &mut seq, release, "2026-02-01");
        assert_eq!(
            (released.fields.owner.clone(), released.pool.as_deref(), released.kept_since),
            (None, Some("north"), None)
        );
        let recycle = |keeper: &str| Change::Recycle {
            keeper: UserId(keeper.into()),
            pool: Some("north".into()),
            rule: 0,
            base: 1,
        };
        let m = seq.next(c.id, recycle("someone else"), Timestamp(0));
        let refused =
            apply(Some(&c), &m, &ApplyContext { version: 2, today: date("2026-02-01") }).unwrap_err();
        assert_eq!(refused.refusal(), Some(crate::Refusal::PoolMoved));
        let recycled = with(c, &mut seq, recycle("a"), "2026-02-01");
        assert_eq!((recycled.fields.owner, recycled.pool.as_deref()), (None, Some("north")));
    }

    #[test]
    fn an_archive_in_the_pool_is_not_recycled_again() {
        let (mut c, _) = kept("2026-01-01");
        c.fields.owner = None;
        assert_eq!(recycle_date(&rules(vec![rule(Silence::NoInteraction, 1)]), &c), None);
    }

    #[test]
    fn claims_stop_at_the_daily_cap_and_the_hold_limit() {
        let (c, _) = kept("2026-01-01");
        let today = date("2026-06-01");
        let capped = PoolRules { daily_claims: Some(2), hold_limit: Some(5), ..PoolRules::default() };
        let facts = |claims_today, held| ClaimFacts { claims_today, held, last_lost: None };
        assert_eq!(check_claim(&capped, &facts(1, 4), &c, today), Ok(()));
        assert_eq!(check_claim(&capped, &facts(2, 0), &c, today), Err(ClaimRefusal::DailyCap(2)));
        assert_eq!(check_claim(&capped, &facts(0, 5), &c, today), Err(ClaimRefusal::HoldLimit(5)));
        let mut exempt = capped.clone();
        exempt.exempt_categories.insert("regular".into());
        assert_eq!(check_claim(&exempt, &facts(0, 5), &c, today), Ok(()));
    }

    #[test]
    fn a_lost_archive_waits_out_the_cooldown() {
        let (c, _) = kept("2026-01-01");
        let rules = PoolRules { cooldown_days: 30, ..PoolRules::default() };
        let lost = |on: &str| ClaimFacts { last_lost: Some(date(on)), ..ClaimFacts::default() };
        assert_eq!(
            check_claim(&rules, &lost("2026-05-20"), &c, date("2026-06-01")),
            Err(ClaimRefusal::Cooldown(18))
        );
        assert_eq!(check_claim(&rules, &lost("2026-05-02"), &c, date("2026-06-01")), Ok(()));
    }

    #[test]
    fn settings_out_of_range_are_refused_with_the_pool_named() {
        let mut settings = PoolSettings::default();
        settings
            .pools
            .insert("north".into(), PoolRules { cooldown_days: MAX_DAYS + 1, ..PoolRules::default() });
        assert_eq!(settings.check().unwrap_err().code, "north.out_of_range");
        settings.pools.insert("north".into(), rules(vec![rule(Silence::NoOrder, 0)]));
        assert_eq!(settings.check().unwrap_err().code, "north.window_zero");
    }
}
