//! What a device holds between syncs: the archives the server last sent, the
//! outbox of changes not yet confirmed, and the changes the server refused.
//!
//! The archives a person sees are the server's copies with the outbox applied
//! on top by the same [`apply`] the server runs, so an edit made offline shows
//! at once and a pull never hides an edit still waiting to be sent. Storage
//! sits behind [`Shelf`] (localStorage in the browser, a map in tests), and
//! every change is written there before the caller may say "saved".

mod packing;
#[cfg(test)]
pub(crate) mod testing;

use std::collections::{BTreeMap, HashMap};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::Refusal;
use crate::apply::{ApplyContext, Rejection, apply, apply_merge};
use crate::archive::Customer;
use crate::custom_field::{CustomFields, Writes};
use crate::dedup::SearchKeys;
use crate::field_error::FieldError;
use crate::ids::{CustomerId, MutationId, UserId};
use crate::mutation::{Change, Mutation, Sequencer};
use crate::sync::{Cookie, Outcome, PullPage, Pulled, PushReply};
use crate::time::{Date, Timestamp};

/// The layout of what a replica stores. A replica written under another
/// layout drops its cached archives and pulls them again; the outbox is kept.
pub const SCHEMA: u32 = 1;

/// Storage for a replica: strings under keys, read and written at once.
pub trait Shelf {
    /// The value under `key`.
    fn read(&self, key: &str) -> Option<String>;
    /// Stores `value` under `key`; fails, changing nothing, when storage is full.
    fn write(&mut self, key: &str, value: &str) -> Result<(), ShelfFull>;
    /// Removes `key`.
    fn delete(&mut self, key: &str);
    /// Every key that starts with `prefix`.
    fn keys(&self, prefix: &str) -> Vec<String>;
}

/// Storage had no room for a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("storage is full")]
pub struct ShelfFull;

/// A [`Shelf`] in memory, with an optional capacity in characters (keys and
/// values), for tests and simulations.
#[derive(Debug, Clone, Default)]
pub struct MemoryShelf {
    entries: BTreeMap<String, String>,
    /// At most this many characters stored; none is unlimited.
    pub capacity: Option<usize>,
}

impl MemoryShelf {
    /// Characters in use, counted as localStorage counts its quota.
    pub fn used(&self) -> usize {
        self.entries.iter().map(|(k, v)| k.chars().count() + v.chars().count()).sum()
    }
}

impl Shelf for MemoryShelf {
    fn read(&self, key: &str) -> Option<String> {
        self.entries.get(key).cloned()
    }

    fn write(&mut self, key: &str, value: &str) -> Result<(), ShelfFull> {
        if let Some(capacity) = self.capacity {
            let old = self.entries.get(key).map_or(0, |v| key.chars().count() + v.chars().count());
            if self.used() - old + key.chars().count() + value.chars().count() > capacity {
                return Err(ShelfFull);
            }
        }
        self.entries.insert(key.to_owned(), value.to_owned());
        Ok(())
    }

    fn delete(&mut self, key: &str) {
        self.entries.remove(key);
    }

    fn keys(&self, prefix: &str) -> Vec<String> {
        self.entries.keys().filter(|k| k.starts_with(prefix)).cloned().collect()
    }
}

/// One archive as the server last sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cached {
    /// The server's copy.
    pub customer: Customer,
    /// Sensitive fields are hidden from this user.
    pub masked: bool,
    /// Pinyin and initials of the name, computed by the server.
    pub keys: SearchKeys,
    /// When this device last opened it (ms), for evicting the least used.
    pub used: i64,
}

/// Changes made here that the server has not confirmed, with the counter
/// that numbers them. One key, so the counter and the queue never disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outbox {
    /// This device's client id and counter.
    pub sequencer: Sequencer,
    /// Not yet answered by the server, oldest first.
    pub pending: Vec<Mutation>,
    /// Applied by the server but not yet seen in a pull; still shown on top
    /// of the cached copies so nothing flickers away in between.
    pub sent: Vec<Mutation>,
}

/// A change the server refused, kept until the person resends or discards it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refused {
    /// The change as it was sent.
    pub mutation: Mutation,
    /// The server's reason, a stable code.
    pub code: String,
    /// Per-field errors when the code is `invalid`.
    pub errors: Vec<FieldError>,
    /// Who has the archive, when a claim came too late.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<UserId>,
}

/// Sync bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Meta {
    /// The storage layout it was written with.
    pub schema: u32,
    /// Where the next pull starts.
    pub cookie: Option<Cookie>,
    /// When the last complete pull ended (ms).
    pub last_synced: Option<i64>,
    /// Display names of the people the cached archives name, as pulls brought them.
    #[serde(default)]
    pub names: BTreeMap<UserId, String>,
    /// The company's custom field definitions, as the last pull that
    /// changed them brought them.
    #[serde(default)]
    pub custom_fields: CustomFields,
    /// The company's review rules, as the last pull that changed them
    /// brought them (the defaults until then).
    #[serde(default)]
    pub review_rules: crate::review::ReviewRules,
    /// Every pool's rules, as the last pull that changed them brought them.
    #[serde(default)]
    pub pool_rules: crate::pool::PoolSettings,
    /// The company's time zone, as the last pull that changed it brought it.
    #[serde(default)]
    pub time_zone: crate::time::Zone,
}

/// Why a change could not be recorded. Nothing of it was kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The change breaks a rule (the same rules the server applies).
    #[error("refused: {0}")]
    Refused(Rejection),
    /// Storage is full even after evicting every archive that could go.
    #[error("storage is full")]
    Full,
}

/// How much storage the replica takes, in characters (localStorage's unit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Usage {
    /// Cached archives.
    pub records: usize,
    /// Characters the cached archives take.
    pub record_chars: usize,
    /// Characters the outbox and the refused list take.
    pub outbox_chars: usize,
}

impl Usage {
    /// Average characters per cached archive.
    pub fn per_record(&self) -> usize {
        self.record_chars.checked_div(self.records).unwrap_or(0)
    }
}

/// Characters each cached archive takes, and their sum, kept as they
/// change: summing thousands of entries for every archive a first pull
/// stores made that pull quadratic.
#[derive(Debug, Default)]
struct Sizes {
    each: BTreeMap<CustomerId, usize>,
    total: usize,
}

impl Sizes {
    fn insert(&mut self, id: CustomerId, size: usize) {
        self.total += size;
        if let Some(old) = self.each.insert(id, size) {
            self.total -= old;
        }
    }

    fn remove(&mut self, id: &CustomerId) -> Option<usize> {
        let old = self.each.remove(id)?;
        self.total -= old;
        Some(old)
    }

    fn clear(&mut self) {
        self.each.clear();
        self.total = 0;
    }

    fn total(&self) -> usize {
        self.total
    }
}

/// One person's replica on one device.
pub struct Replica<S: Shelf> {
    shelf: S,
    prefix: String,
    meta: Meta,
    outbox: Outbox,
    /// The outbox as this replica last read or wrote it, so a change made
    /// here re-reads storage only when another tab has written since.
    outbox_text: String,
    outbox_parts: OutboxParts,
    refused: Vec<Refused>,
    records: BTreeMap<CustomerId, Cached>,
    views: BTreeMap<CustomerId, Customer>,
    /// Characters each cached archive's entry takes.
    sizes: Sizes,
    /// Cached archives may take at most this many characters, so the outbox
    /// always has room next to them.
    budget: usize,
}

impl<S: Shelf> Replica<S> {
    /// Opens `user`'s replica on `shelf`, keeping it apart from anyone else's
    /// on the same device. Archives cached under another layout are dropped
    /// (the next pull brings them back); the outbox never is.
    pub fn open(mut shelf: S, user: &UserId) -> Self {
        let prefix = format!("crm/{}/", user.0);
        let mut meta: Meta = read_json(&shelf, &format!("{prefix}meta")).unwrap_or_default();
        if meta.schema != SCHEMA {
            for key in shelf.keys(&format!("{prefix}rec/")) {
                shelf.delete(&key);
            }
            meta = Meta { schema: SCHEMA, ..Meta::default() };
            let _ = shelf.write(&format!("{prefix}meta"), &to_json(&meta));
        }
        let outbox_key = format!("{prefix}outbox");
        if let Some(raw) = shelf.read(&outbox_key)
            && serde_json::from_slice::<Outbox>(raw.as_bytes()).is_err()
        {
            // Never overwrite changes this version cannot read: set them aside.
            let _ = shelf.write(&format!("{prefix}outbox.unreadable"), &raw);
        }
        let outbox = read_json(&shelf, &outbox_key).unwrap_or_else(|| Outbox {
            sequencer: Sequencer::new(user.clone()),
            pending: Vec::new(),
            sent: Vec::new(),
        });
        let refused = read_json(&shelf, &format!("{prefix}refused")).unwrap_or_default();
        let mut replica = Self {
            shelf,
            prefix,
            meta,
            outbox,
            outbox_text: String::new(),
            outbox_parts: OutboxParts::default(),
            refused,
            records: BTreeMap::new(),
            views: BTreeMap::new(),
            sizes: Sizes::default(),
            budget: usize::MAX,
        };
        replica.reload();
        replica
    }

    /// Reads everything from storage again: another tab may have changed it.
    pub fn reload(&mut self) {
        self.refresh_outbox();
        self.refused = read_json(&self.shelf, &self.key("refused")).unwrap_or_default();
        if let Some(meta) = read_json(&self.shelf, &self.key("meta")) {
            self.meta = meta;
        }
        self.records.clear();
        self.sizes.clear();
        for key in self.shelf.keys(&self.key("rec/")) {
            let Some(raw) = self.shelf.read(&key) else { continue };
            // Read as bytes, as a pulled page is (see `read_json`).
            match packing::unpack(&raw)
                .and_then(|json| serde_json::from_slice::<Cached>(json.as_bytes()).ok())
            {
                Some(cached) => {
                    self.sizes.insert(cached.customer.id, key.chars().count() + raw.chars().count());
                    self.records.insert(cached.customer.id, cached);
                }
                // Unreadable cache is only a copy: drop it, the server has it.
                None => self.shelf.delete(&key),
            }
        }
        self.rebuild_all();
    }

    /// The storage underneath.
    pub fn shelf(&self) -> &S {
        &self.shelf
    }

    /// Lets cached archives take at most `chars` characters.
    pub fn set_budget(&mut self, chars: usize) {
        self.budget = chars;
    }

    /// What cached archives may take, in characters.
    pub fn budget(&self) -> usize {
        self.budget
    }

    /// This device's client id and counter.
    pub fn sequencer(&self) -> &Sequencer {
        &self.outbox.sequencer
    }

    /// Sync bookkeeping: cookie and last complete pull.
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// The display name of `user`, when a pull has brought it; else the sign-in id.
    pub fn name_of<'a>(&'a self, user: &'a UserId) -> &'a str {
        self.meta.names.get(user).map_or(user.0.as_str(), String::as_str)
    }

    /// Changes waiting to be sent, oldest first.
    pub fn pending(&self) -> &[Mutation] {
        &self.outbox.pending
    }

    /// Changes the server refused.
    pub fn refused(&self) -> &[Refused] {
        &self.refused
    }

    /// An archive as this person sees it now: the server's copy with every
    /// unconfirmed change of theirs applied.
    pub fn customer(&self, id: &CustomerId) -> Option<&Customer> {
        self.views.get(id).filter(|c| !c.deleted())
    }

    /// The server's copy of an archive, with its search keys and masking.
    pub fn cached(&self, id: &CustomerId) -> Option<&Cached> {
        self.records.get(id)
    }

    /// The ids of every archive the server has sent and this device keeps.
    pub fn cached_ids(&self) -> impl Iterator<Item = &CustomerId> {
        self.records.keys()
    }

    /// Every archive this person sees, not deleted.
    pub fn customers(&self) -> impl Iterator<Item = &Customer> {
        self.views.values().filter(|c| !c.deleted())
    }

    /// The archives someone keeps (this person's, their team's, shared
    /// ones): the list and Today. The pool's are [`Replica::pooled`].
    pub fn kept(&self) -> impl Iterator<Item = &Customer> {
        self.customers().filter(|c| c.fields.owner.is_some())
    }

    /// The archives in a pool this person sees (masked for a rep until
    /// they claim one).
    pub fn pooled(&self) -> impl Iterator<Item = &Customer> {
        self.customers().filter(|c| c.fields.owner.is_none())
    }

    /// Archives this device claimed that are not confirmed yet: the claim
    /// waits to be sent, or the server took it and the next pull brings
    /// the archive whole.
    pub fn claims_waiting(&self) -> Vec<CustomerId> {
        self.outbox
            .pending
            .iter()
            .chain(&self.outbox.sent)
            .filter(|m| matches!(m.change, Change::Claim { .. }))
            .map(|m| m.customer)
            .collect()
    }

    /// Whether `id` has a change of this device not yet confirmed.
    pub fn has_pending(&self, id: &CustomerId) -> bool {
        self.outbox.pending.iter().chain(&self.outbox.sent).any(|m| touches(m, id))
    }

    /// The server version an edit of `id` is based on: its cached copy's
    /// (0 for an archive created here and not yet pulled).
    pub fn base(&self, id: &CustomerId) -> u64 {
        self.records.get(id).map_or(0, |c| c.customer.version)
    }

    /// Records a change made by this person: checks it with the same rules
    /// the server applies, writes it to the outbox in storage, and only then
    /// shows it. On error nothing was kept.
    pub fn record(
        &mut self,
        customer: CustomerId,
        change: Change,
        now: Timestamp,
        today: Date,
    ) -> Result<Mutation, RecordError> {
        // Another tab may have queued changes since this one last looked.
        self.refresh_outbox();
        // Custom values are checked against the definitions the last pull
        // brought, as the server checks them against its own.
        if let Some(writes) = Writes::of(&change) {
            let stored = self.views.get(&customer).map(|c| &c.fields.custom);
            self.meta
                .custom_fields
                .check_writes(writes, stored)
                .map_err(|errors| RecordError::Refused(Rejection::invalid(errors)))?;
        }
        let mut sequencer = self.outbox.sequencer.clone();
        let mutation = sequencer.next(customer, change, now);
        let current = self.views.get(&customer);
        let ctx = ApplyContext { version: self.provisional_version(&customer), today };
        // What the person will see: the view with this change on top, the
        // same as replaying the whole outbox but without the cost of it.
        let shown: Vec<Customer> = if let Change::Merge { from, .. } = &mutation.change {
            let from = self
                .views
                .get(from)
                .ok_or(RecordError::Refused(Rejection::new(Refusal::CustomerNotFound)))?;
            let into = current.ok_or(RecordError::Refused(Rejection::new(Refusal::CustomerNotFound)))?;
            let (merged, gone, _) = apply_merge(into, from, &mutation, &ctx).map_err(RecordError::Refused)?;
            vec![merged, gone]
        } else {
            vec![apply(current, &mutation, &ctx).map_err(RecordError::Refused)?.0]
        };

        // Added in place (a copy of a long offline outbox per change made a
        // burst of edits quadratic) and taken back if storage refuses it.
        let before = std::mem::replace(&mut self.outbox.sequencer, sequencer);
        self.outbox.pending.push(mutation.clone());
        let json = self.outbox_parts.write(&self.outbox);
        if self.write_making_room(&self.key("outbox"), &json).is_err() {
            self.outbox.pending.pop();
            self.outbox.sequencer = before;
            return Err(RecordError::Full);
        }
        self.outbox_text = json;
        for archive in shown {
            self.views.insert(archive.id, archive);
        }
        Ok(mutation)
    }

    /// Up to `max` changes to send next, oldest first.
    pub fn outgoing(&self, max: usize) -> Vec<Mutation> {
        self.outbox.pending.iter().take(max).cloned().collect()
    }

    /// Takes the server's answer to a push of `sent`: applied changes wait
    /// for the next pull, refused ones move to the refused list.
    pub fn acknowledge(&mut self, reply: &PushReply) -> Result<(), ShelfFull> {
        let mut outbox = self.outbox.clone();
        let mut refused = self.refused.clone();
        for result in &reply.results {
            let Some(at) = outbox.pending.iter().position(|m| m.id == result.id) else { continue };
            let mutation = outbox.pending.remove(at);
            match &result.outcome {
                Outcome::Applied { .. } | Outcome::Conflict { .. } => outbox.sent.push(mutation),
                Outcome::Rejected { code, errors, by } => refused.push(Refused {
                    mutation,
                    code: code.clone(),
                    errors: errors.clone(),
                    by: by.clone(),
                }),
            }
        }
        // The server has taken every number up to `last_seq`: anything still
        // pending at or below it was answered in an earlier reply that got lost.
        let taken: Vec<Mutation> =
            outbox.pending.iter().filter(|m| m.seq <= reply.last_seq).cloned().collect();
        outbox.pending.retain(|m| m.seq > reply.last_seq);
        outbox.sent.extend(taken);
        outbox.sequencer.last_seq = outbox.sequencer.last_seq.max(reply.last_seq);
        self.write_making_room(&self.key("refused"), &to_json(&refused))?;
        if reply.names.iter().any(|(id, name)| self.meta.names.get(id) != Some(name)) {
            let mut meta = self.meta.clone();
            meta.names.extend(reply.names.iter().map(|(id, name)| (id.clone(), name.clone())));
            self.write_making_room(&self.key("meta"), &to_json(&meta))?;
            self.meta = meta;
        }
        let json = self.outbox_parts.write(&outbox);
        self.write_making_room(&self.key("outbox"), &json)?;
        // Each archive once: a long offline outbox names the same few many times.
        let touched: std::collections::BTreeSet<CustomerId> =
            self.outbox.pending.iter().map(|m| m.customer).collect();
        self.outbox = outbox;
        self.outbox_text = json;
        self.refused = refused;
        for id in touched {
            self.rebuild(&id);
        }
        Ok(())
    }

    /// The server expects `expected` next but the outbox starts later
    /// (storage was restored from elsewhere): number the waiting changes
    /// from `expected` on, keeping their order.
    pub fn renumber_from(&mut self, expected: u64) -> Result<(), ShelfFull> {
        let mut outbox = self.outbox.clone();
        let mut seq = expected;
        for mutation in &mut outbox.pending {
            mutation.seq = seq;
            seq += 1;
        }
        outbox.sequencer.last_seq = seq - 1;
        let json = self.outbox_parts.write(&outbox);
        self.write_making_room(&self.key("outbox"), &json)?;
        self.outbox = outbox;
        self.outbox_text = json;
        Ok(())
    }

    /// Takes one page of a pull. The cookie moves only once every archive
    /// of the page is stored, so a full storage never skips a change.
    /// The page's archives move into the cache (no copy of each).
    pub fn take_page(&mut self, mut page: PullPage, now: i64) -> Result<(), ShelfFull> {
        if page.reset {
            for id in self.records.keys().copied().collect::<Vec<_>>() {
                self.shelf.delete(&self.record_key(&id));
            }
            self.records.clear();
            self.sizes.clear();
        }
        // Only archives the page or a settled change touched are shown anew:
        // a quiet periodic pull must not replay the whole portfolio.
        let mut touched = std::collections::BTreeSet::new();
        for change in std::mem::take(&mut page.changes) {
            match change {
                Pulled::Put { customer, masked, keys } => {
                    let id = customer.id;
                    touched.insert(id);
                    let used = self.records.get(&id).map_or(0, |c| c.used);
                    self.store_record(Cached { customer: *customer, masked, keys, used })?;
                }
                Pulled::Delete { id, .. } => {
                    touched.insert(id);
                    self.records.remove(&id);
                    self.sizes.remove(&id);
                    self.shelf.delete(&self.record_key(&id));
                }
            }
        }
        let mut meta = self.meta.clone();
        meta.cookie = Some(page.cookie);
        meta.names.extend(page.names);
        if let Some(definitions) = page.custom_fields {
            meta.custom_fields = definitions;
        }
        if let Some(rules) = page.review_rules {
            meta.review_rules = rules;
        }
        if let Some(rules) = page.pool_rules {
            meta.pool_rules = rules;
        }
        if let Some(zone) = page.time_zone {
            meta.time_zone = zone;
        }
        if !page.more {
            meta.last_synced = Some(now);
            // Everything the server confirmed before this pull is in it now.
            if !self.outbox.sent.is_empty() {
                for m in &self.outbox.sent {
                    touched.insert(m.customer);
                    if let Change::Merge { from, .. } = &m.change {
                        touched.insert(*from);
                    }
                }
                self.outbox.sent.clear();
                let json = self.outbox_parts.write(&self.outbox);
                self.write_making_room(&self.key("outbox"), &json)?;
                self.outbox_text = json;
            }
        }
        self.write_making_room(&self.key("meta"), &to_json(&meta))?;
        self.meta = meta;
        if page.reset {
            self.rebuild_all();
        } else {
            for id in touched {
                self.rebuild(&id);
            }
        }
        Ok(())
    }

    /// Puts an archive fetched on its own (opened online after it was evicted).
    pub fn keep(&mut self, cached: Cached) -> Result<(), ShelfFull> {
        let id = cached.customer.id;
        self.store_record(cached)?;
        self.rebuild(&id);
        Ok(())
    }

    /// Marks an archive as just opened, for least-recently-used eviction.
    /// Written at most once an hour per archive: opening must stay cheap.
    pub fn touch(&mut self, id: &CustomerId, now: i64) {
        let Some(cached) = self.records.get(id) else { return };
        if now - cached.used < 3_600_000 {
            return;
        }
        let mut cached = cached.clone();
        cached.used = now;
        let _ = self.store_record(cached);
    }

    /// Drops a refused change for good.
    pub fn discard(&mut self, id: &MutationId) -> Result<(), ShelfFull> {
        let mut refused = self.refused.clone();
        let Some(at) = refused.iter().position(|r| r.mutation.id == *id) else { return Ok(()) };
        let gone = refused.remove(at);
        self.write_making_room(&self.key("refused"), &to_json(&refused))?;
        self.refused = refused;
        self.rebuild(&gone.mutation.customer);
        Ok(())
    }

    /// Queues a refused change again, as a new change based on what this
    /// device sees now; it leaves the refused list once it is queued.
    pub fn resend(&mut self, id: &MutationId, now: Timestamp, today: Date) -> Result<Mutation, RecordError> {
        let Some(refused) = self.refused.iter().find(|r| r.mutation.id == *id).cloned() else {
            return Err(RecordError::Refused(Rejection::new(Refusal::RefusedNotFound)));
        };
        let customer = refused.mutation.customer;
        let change = rebased(refused.mutation.change, self.base(&customer));
        let mutation = self.record(customer, change, now, today)?;
        self.discard(id).map_err(|_| RecordError::Full)?;
        Ok(mutation)
    }

    /// How much storage the replica takes.
    pub fn usage(&self) -> Usage {
        let outbox_chars = ["outbox", "refused", "meta"]
            .iter()
            .map(|k| self.shelf.read(&self.key(k)).map_or(0, |v| v.chars().count() + k.len()))
            .sum();
        Usage { records: self.records.len(), record_chars: self.sizes.total(), outbox_chars }
    }

    /// Removes cached archives with no unconfirmed change, least recently
    /// opened first, until at least `chars` characters are freed. Returns
    /// what was freed; the outbox is never touched.
    pub fn evict(&mut self, chars: usize) -> usize {
        let mut candidates: Vec<(i64, CustomerId)> = self
            .records
            .iter()
            .filter(|(id, _)| !self.has_pending(id))
            .map(|(id, c)| (c.used, *id))
            .collect();
        candidates.sort();
        let mut freed = 0;
        for (_, id) in candidates {
            if freed >= chars {
                break;
            }
            freed += self.sizes.remove(&id).unwrap_or(0);
            self.records.remove(&id);
            self.shelf.delete(&self.record_key(&id));
            self.rebuild(&id);
        }
        freed
    }

    fn store_record(&mut self, cached: Cached) -> Result<(), ShelfFull> {
        let id = cached.customer.id;
        let key = self.record_key(&id);
        let json = packing::pack(&to_json(&cached));
        let size = key.chars().count() + json.chars().count();
        // Over the budget, the least used archives make room; the one being
        // stored is the most recent, so it stays.
        let old = self.sizes.remove(&id).unwrap_or(0);
        let total = self.sizes.total();
        if total + size > self.budget {
            self.evict(total + size - self.budget);
        }
        if self.sizes.total() + size > self.budget {
            self.sizes.insert(id, old);
            return Err(ShelfFull);
        }
        if let Err(full) = self.write_making_room(&key, &json) {
            self.sizes.insert(id, old);
            return Err(full);
        }
        self.sizes.insert(id, size);
        self.records.insert(id, cached);
        Ok(())
    }

    /// Takes the outbox from storage when it differs from what this replica
    /// last read or wrote (another tab queued or confirmed changes). An
    /// unreadable one is left alone: `open` has set it aside already.
    fn refresh_outbox(&mut self) {
        let Some(raw) = self.shelf.read(&self.key("outbox")) else { return };
        if raw != self.outbox_text
            && let Ok(outbox) = serde_json::from_slice(raw.as_bytes())
        {
            self.outbox = outbox;
            self.outbox_text = raw;
        }
    }

    /// Writes, evicting cached archives (least recently used, none with an
    /// unconfirmed change) until the write fits or nothing is left to evict.
    fn write_making_room(&mut self, key: &str, value: &str) -> Result<(), ShelfFull> {
        loop {
            match self.shelf.write(key, value) {
                Ok(()) => return Ok(()),
                Err(ShelfFull) => {
                    let need = key.chars().count() + value.chars().count();
                    if self.evict(need.min(64 * 1024)) == 0 {
                        return Err(ShelfFull);
                    }
                }
            }
        }
    }

    /// A version above anything the server has given this archive, for
    /// stamping changes made here until the server stamps them for real.
    fn provisional_version(&self, id: &CustomerId) -> u64 {
        self.views.get(id).map_or(0, |c| c.version) + 1
    }

    fn rebuild_all(&mut self) {
        let mut ids: Vec<CustomerId> = self.records.keys().copied().collect();
        ids.extend(self.outbox.pending.iter().chain(&self.outbox.sent).map(|m| m.customer));
        self.views.clear();
        for id in ids {
            self.rebuild(&id);
        }
    }

    /// Recomputes what this person sees of `id`: the cached copy, then each
    /// unconfirmed change in order. A change that no longer applies (the
    /// archive went away meanwhile) is left for the server to answer.
    fn rebuild(&mut self, id: &CustomerId) {
        let mut view = self.records.get(id).map(|c| c.customer.clone());
        let changes: Vec<&Mutation> =
            self.outbox.sent.iter().chain(&self.outbox.pending).filter(|m| touches(m, id)).collect();
        for mutation in changes {
            let version = view.as_ref().map_or(0, |c| c.version) + 1;
            // Checked against the calendar when it was recorded; replaying
            // it later must not refuse it for the date alone.
            let ctx = ApplyContext { version, today: Date::from_days_since_epoch(1 << 24) };
            match &mutation.change {
                Change::Merge { from, .. } => {
                    let other = if mutation.customer == *id { *from } else { mutation.customer };
                    let Some(other) = self.records.get(&other).map(|c| c.customer.clone()) else { continue };
                    let Some(current) = view.as_ref() else { continue };
                    let (into, from) =
                        if mutation.customer == *id { (current, &other) } else { (&other, current) };
                    if let Ok((merged, gone, _)) = apply_merge(into, from, mutation, &ctx) {
                        view = Some(if mutation.customer == *id { merged } else { gone });
                    }
                }
                _ => {
                    if let Ok((next, _)) = apply(view.as_ref(), mutation, &ctx) {
                        view = Some(next);
                    }
                }
            }
        }
        match view {
            Some(view) => self.views.insert(*id, view),
            None => self.views.remove(id),
        };
    }

    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn record_key(&self, id: &CustomerId) -> String {
        format!("{}rec/{id}", self.prefix)
    }
}

/// Whether `mutation` changes the archive `id` (a merge changes two).
fn touches(mutation: &Mutation, id: &CustomerId) -> bool {
    mutation.customer == *id || matches!(&mutation.change, Change::Merge { from, .. } if from == id)
}

/// The same change based on server version `base`: a resent change says
/// it has seen what the device has seen now.
fn rebased(change: Change, base: u64) -> Change {
    use Change::*;
    match change {
        SetFields { edits } => {
            SetFields { edits: edits.into_iter().map(|e| crate::mutation::FieldEdit { base, ..e }).collect() }
        }
        ResolveConflict { edits } => ResolveConflict {
            edits: edits.into_iter().map(|e| crate::mutation::FieldEdit { base, ..e }).collect(),
        },
        SetCustom { edits } => SetCustom {
            edits: edits.into_iter().map(|e| crate::custom_field::CustomEdit { base, ..e }).collect(),
        },
        Reassign { owner, reason, pool, over_limit, .. } => {
            Reassign { owner, base, reason, pool, over_limit }
        }
        Claim { .. } => Claim { base },
        Recycle { keeper, pool, rule, .. } => Recycle { keeper, pool, rule, base },
        AddTag { tag, .. } => AddTag { tag, base },
        RemoveTag { tag, .. } => RemoveTag { tag, base },
        PutContact { id, contact, .. } => PutContact { id, contact, base },
        PutOrder { id, order, .. } => PutOrder { id, order, base },
        PutInteraction { id, interaction, .. } => PutInteraction { id, interaction, base },
        PutFeedback { id, feedback, .. } => PutFeedback { id, feedback, base },
        PutTask { id, task, .. } => PutTask { id, task, base },
        RemoveItem { kind, id, .. } => RemoveItem { kind, id, base },
        Delete { .. } => Delete { base },
        Merge { from, edits, .. } => Merge { from, base, edits },
        Restore { .. } => Restore { base },
        create @ Create { .. } => create,
    }
}

/// Each queued change's JSON, kept between writes of the outbox: the outbox
/// is one key, rewritten after every change, and serialising a long offline
/// queue afresh each time made a burst of edits quadratic. Keyed by id and
/// number, since renumbering is the only thing that changes a queued change.
#[derive(Debug, Default)]
struct OutboxParts {
    parts: HashMap<(MutationId, u64), String>,
}

impl OutboxParts {
    /// The same text as `serde_json::to_string(outbox)`.
    fn write(&mut self, outbox: &Outbox) -> String {
        let mut kept = HashMap::with_capacity(outbox.pending.len() + outbox.sent.len());
        let mut out = String::from("{\"sequencer\":");
        out.push_str(&to_json(&outbox.sequencer));
        for (name, list) in [("pending", &outbox.pending), ("sent", &outbox.sent)] {
            out.push_str(",\"");
            out.push_str(name);
            out.push_str("\":[");
            for (n, mutation) in list.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                let key = (mutation.id, mutation.seq);
                let text = self.parts.remove(&key).unwrap_or_else(|| to_json(mutation));
                out.push_str(&text);
                kept.insert(key, text);
            }
            out.push(']');
        }
        out.push('}');
        self.parts = kept;
        out
    }
}

/// Stored JSON is read as bytes, as every answer from the server is: the
/// browser's code then carries one reader per type, not two.
fn read_json<T: DeserializeOwned>(shelf: &impl Shelf, key: &str) -> Option<T> {
    serde_json::from_slice(shelf.read(key)?.as_bytes()).ok()
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("replica data serialises")
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;
    use crate::CustomerName;
    use crate::archive::Fields;

    #[test]
    fn a_recorded_change_shows_at_once_and_survives_a_reload() {
        let mut replica = Replica::open(MemoryShelf::default(), &rep());
        let id = CustomerId::new();
        replica.record(id, create("张三"), Timestamp(1), today()).unwrap();
        replica.record(id, phone_edit("13800138000", 0), Timestamp(2), today()).unwrap();
        assert_eq!(replica.customer(&id).unwrap().fields.phones.len(), 1);

        let reopened = Replica::open(replica.shelf().clone(), &rep());
        assert_eq!(reopened.pending().len(), 2);
        assert_eq!(reopened.customer(&id).unwrap().fields.name.as_str(), "张三");
        assert_eq!(reopened.sequencer().last_seq, 2);
    }

    #[test]
    fn names_and_the_time_zone_a_pull_brings_are_kept_and_read_back_after_a_reload() {
        let mut replica = Replica::open(MemoryShelf::default(), &rep());
        let li = UserId("li".into());
        assert_eq!(replica.name_of(&li), "li", "the id until a pull names them");
        assert_eq!(replica.meta().time_zone, crate::time::Zone::china(), "China time until a pull says");
        let urumqi = crate::time::Zone::fixed("Asia/Urumqi", 360).unwrap();
        let page = PullPage {
            changes: Vec::new(),
            cookie: Cookie { epoch: "e".into(), version: 1 },
            more: false,
            reset: false,
            head: 1,
            names: BTreeMap::from([(li.clone(), "李雷".to_owned())]),
            custom_fields: None,
            review_rules: None,
            pool_rules: None,
            time_zone: Some(urumqi.clone()),
        };
        replica.take_page(page.clone(), 1).unwrap();
        assert_eq!(replica.name_of(&li), "李雷");
        let quiet = PullPage { names: BTreeMap::new(), time_zone: None, ..page };
        replica.take_page(quiet, 2).unwrap();
        let reopened = Replica::open(replica.shelf().clone(), &rep());
        assert_eq!(reopened.name_of(&li), "李雷", "a quiet pull forgets nobody");
        assert_eq!(reopened.meta().time_zone, urumqi, "nor the zone");
    }

    #[test]
    fn the_stored_outbox_is_exactly_what_serde_writes_through_changes_answers_and_renumbering() {
        let mut replica = Replica::open(MemoryShelf::default(), &rep());
        let stored = |replica: &Replica<MemoryShelf>| replica.shelf().read(&replica.key("outbox")).unwrap();
        let id = CustomerId::new();
        replica.record(id, create("张三"), Timestamp(1), today()).unwrap();
        replica.record(id, phone_edit("13800138000", 0), Timestamp(2), today()).unwrap();
        assert_eq!(stored(&replica), serde_json::to_string(&replica.outbox).unwrap());

        // Another tab queues a change: this one picks it up before its own.
        let mut other = Replica::open(replica.shelf().clone(), &rep());
        other.record(id, phone_edit("13900139000", 0), Timestamp(3), today()).unwrap();
        replica.shelf = other.shelf().clone();
        replica.record(id, phone_edit("13700137000", 0), Timestamp(4), today()).unwrap();
        assert_eq!(replica.pending().len(), 4);
        assert_eq!(stored(&replica), serde_json::to_string(&replica.outbox).unwrap());

        replica.renumber_from(7).unwrap();
        assert_eq!(replica.pending()[0].seq, 7);
        assert_eq!(stored(&replica), serde_json::to_string(&replica.outbox).unwrap());

        let mut server = Server::default();
        let reply = server.push(&replica.outgoing(2));
        replica.acknowledge(&reply).unwrap();
        assert_eq!(replica.outbox.sent.len(), 2);
        assert_eq!(stored(&replica), serde_json::to_string(&replica.outbox).unwrap());
    }

    #[test]
    fn a_change_that_breaks_a_rule_is_refused_and_nothing_is_queued() {
        let mut replica = Replica::open(MemoryShelf::default(), &rep());
        let id = CustomerId::new();
        replica.record(id, create("李四"), Timestamp(1), today()).unwrap();
        let mut future = Fields::named(CustomerName::parse("王五").unwrap());
        future.birthday = Date::new(2030, 1, 1);
        let error = replica
            .record(CustomerId::new(), Change::Create { fields: Box::new(future) }, Timestamp(2), today())
            .unwrap_err();
        assert!(matches!(error, RecordError::Refused(r) if r.code == "invalid"));
        assert_eq!(replica.pending().len(), 1);
        assert_eq!(replica.sequencer().last_seq, 1, "a refused change uses no number");
    }

    #[test]
    fn push_then_pull_leaves_the_server_copy_and_an_empty_outbox() {
        let mut server = Server::default();
        let mut replica = Replica::open(MemoryShelf::default(), &rep());
        let id = CustomerId::new();
        replica.record(id, create("张三"), Timestamp(1), today()).unwrap();
        let reply = server.push(&replica.outgoing(100));
        replica.acknowledge(&reply).unwrap();
        assert!(replica.pending().is_empty());
        assert!(replica.customer(&id).is_some(), "still shown between the push and the pull");
        replica.take_page(server.pull(0), 10).unwrap();
        assert_eq!(replica.customer(&id), server.archives.get(&id));
        assert_eq!(replica.meta().cookie, Some(Cookie { epoch: "e".into(), version: 1 }));
        assert_eq!(replica.meta().last_synced, Some(10));
    }

    #[test]
    fn a_pull_never_hides_an_edit_still_waiting_to_be_sent() {
        let mut server = Server::default();
        let mut replica = Replica::open(MemoryShelf::default(), &rep());
        let id = CustomerId::new();
        replica.record(id, create("张三"), Timestamp(1), today()).unwrap();
        replica.acknowledge(&server.push(&replica.outgoing(100))).unwrap();
        replica.take_page(server.pull(0), 10).unwrap();

        replica.record(id, phone_edit("13800138000", replica.base(&id)), Timestamp(2), today()).unwrap();
        replica.take_page(server.pull(0), 20).unwrap();
        assert_eq!(replica.customer(&id).unwrap().fields.phones.len(), 1);
        assert_eq!(replica.pending().len(), 1);
    }

    #[test]
    fn a_lost_reply_is_settled_by_the_next_one() {
        let mut server = Server::default();
        let mut replica = Replica::open(MemoryShelf::default(), &rep());
        let id = CustomerId::new();
        replica.record(id, create("张三"), Timestamp(1), today()).unwrap();
        let _lost = server.push(&replica.outgoing(100));
        replica.record(id, phone_edit("13800138000", 0), Timestamp(2), today()).unwrap();
        let reply = server.push(&replica.outgoing(100));
        replica.acknowledge(&reply).unwrap();
        assert!(replica.pending().is_empty());
        assert_eq!(server.version, 2, "the retried change took effect once");
    }

    #[test]
    fn refused_changes_wait_for_the_person_and_can_be_resent_or_discarded() {
        let mut server = Server::default();
        let mut replica = Replica::open(MemoryShelf::default(), &rep());
        let id = CustomerId::new();
        // An edit of an archive the server has never heard of.
        replica.record(id, create("张三"), Timestamp(1), today()).unwrap();
        let orphan = replica.outgoing(1);
        server.push(&[]);
        let mut reply = server.push(&orphan);
        reply.results[0].outcome =
            Outcome::Rejected { code: "forbidden.edit".into(), errors: vec![], by: None };
        server.archives.clear();
        replica.acknowledge(&reply).unwrap();
        assert_eq!(replica.refused().len(), 1);
        assert!(replica.pending().is_empty());

        let refused = replica.refused()[0].mutation.id;
        let again = replica.resend(&refused, Timestamp(3), today()).unwrap();
        assert!(replica.refused().is_empty());
        assert_eq!(replica.pending(), std::slice::from_ref(&again));
        assert!(again.seq > 1);
    }

    #[test]
    fn a_full_storage_refuses_the_change_and_keeps_everything_already_saved() {
        let shelf = MemoryShelf { capacity: Some(1_500), ..MemoryShelf::default() };
        let mut replica = Replica::open(shelf, &rep());
        let mut saved = 0;
        let error = loop {
            match replica.record(CustomerId::new(), create("客户"), Timestamp(1), today()) {
                Ok(_) => saved += 1,
                Err(error) => break error,
            }
        };
        assert_eq!(error, RecordError::Full);
        assert!(saved > 0);
        let reopened = Replica::open(replica.shelf().clone(), &rep());
        assert_eq!(reopened.pending().len(), saved);
    }

    #[test]
    fn eviction_takes_the_least_recently_opened_archives_and_never_pending_ones() {
        let mut server = Server::default();
        let mut writer = Replica::open(MemoryShelf::default(), &UserId("other".into()));
        let ids: Vec<CustomerId> = (0..4).map(|_| CustomerId::new()).collect();
        for id in &ids {
            writer.record(*id, create("客户"), Timestamp(1), today()).unwrap();
        }
        server.push(&writer.outgoing(100));

        let mut replica = Replica::open(MemoryShelf::default(), &rep());
        replica.take_page(server.pull(0), 1).unwrap();
        replica.touch(&ids[0], 10_000_000);
        replica.touch(&ids[1], 20_000_000);
        replica.record(ids[2], phone_edit("13800138000", 1), Timestamp(2), today()).unwrap();
        let kept = |r: &Replica<MemoryShelf>| ids.iter().map(|id| r.cached(id).is_some()).collect::<Vec<_>>();
        replica.evict(1);
        assert_eq!(kept(&replica), [true, true, true, false], "ids[3] was opened least recently");
        replica.evict(usize::MAX);
        assert_eq!(kept(&replica), [false, false, true, false], "ids[2] has a change waiting");
        assert_eq!(replica.pending().len(), 1);
    }

    #[test]
    fn a_new_storage_layout_drops_the_cache_and_keeps_the_outbox() {
        let mut server = Server::default();
        let mut replica = Replica::open(MemoryShelf::default(), &rep());
        let id = CustomerId::new();
        replica.record(id, create("张三"), Timestamp(1), today()).unwrap();
        replica.acknowledge(&server.push(&replica.outgoing(100))).unwrap();
        replica.take_page(server.pull(0), 10).unwrap();
        replica.record(id, phone_edit("13800138000", 1), Timestamp(2), today()).unwrap();

        let mut shelf = replica.shelf().clone();
        shelf.write("crm/rep/meta", r#"{"schema":0,"cookie":"e.1","last_synced":10}"#).unwrap();
        let upgraded = Replica::open(shelf, &rep());
        assert!(upgraded.cached(&id).is_none());
        assert_eq!(upgraded.meta().cookie, None, "the next pull starts from nothing");
        assert_eq!(upgraded.pending().len(), 1);
    }

    #[test]
    fn two_tabs_on_one_storage_never_hand_out_the_same_number() {
        let shelf = std::rc::Rc::new(std::cell::RefCell::new(MemoryShelf::default()));
        let mut first = Replica::open(SharedShelf(shelf.clone()), &rep());
        let mut second = Replica::open(SharedShelf(shelf.clone()), &rep());
        let a = first.record(CustomerId::new(), create("甲"), Timestamp(1), today()).unwrap();
        let b = second.record(CustomerId::new(), create("乙"), Timestamp(2), today()).unwrap();
        assert_eq!((a.seq, b.seq), (1, 2));
        first.reload();
        assert_eq!(first.pending().len(), 2);
    }

    #[test]
    fn an_outbox_this_version_cannot_read_is_set_aside_not_overwritten() {
        let mut shelf = MemoryShelf::default();
        shelf.write("crm/rep/outbox", "{\"from\":\"the future\"}").unwrap();
        let mut replica = Replica::open(shelf, &rep());
        replica.record(CustomerId::new(), create("甲"), Timestamp(1), today()).unwrap();
        assert_eq!(
            replica.shelf().read("crm/rep/outbox.unreadable").as_deref(),
            Some("{\"from\":\"the future\"}")
        );
    }

    /// Two replicas over one storage, as two tabs share localStorage.
    struct SharedShelf(std::rc::Rc<std::cell::RefCell<MemoryShelf>>);

    impl Shelf for SharedShelf {
        fn read(&self, key: &str) -> Option<String> {
            self.0.borrow().read(key)
        }
        fn write(&mut self, key: &str, value: &str) -> Result<(), ShelfFull> {
            self.0.borrow_mut().write(key, value)
        }
        fn delete(&mut self, key: &str) {
            self.0.borrow_mut().delete(key)
        }
        fn keys(&self, prefix: &str) -> Vec<String> {
            self.0.borrow().keys(prefix)
        }
    }
}
