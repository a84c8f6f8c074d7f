//! What must hold once the network has healed and every device is quiet.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use domain::ids::MutationId;

use crate::world::World;

/// The findings of one run. Every list names what broke, for people.
#[derive(Debug, Default, Clone)]
pub struct Verdict {
    /// Changes the devices recorded.
    pub edits: usize,
    /// Faults that happened.
    pub faults: usize,
    /// Changes the server took with a conflict.
    pub conflicts: usize,
    /// Changes the server refused, each with a reason the device shows.
    pub refused: usize,
    /// Changes that neither took effect, nor sit in a conflict, nor were
    /// refused with a reason the device shows.
    pub lost: Vec<String>,
    /// Changes that took effect more than once (or versions shared by two).
    pub twice: Vec<String>,
    /// Archives a device holds differently from the server, or holds when it
    /// may not see them, or lacks when it may.
    pub diverged: Vec<String>,
    /// Sync cookies that moved backwards.
    pub backwards: Vec<String>,
}

impl Verdict {
    /// Nothing broke.
    pub fn passed(&self) -> bool {
        self.lost.is_empty() && self.twice.is_empty() && self.diverged.is_empty() && self.backwards.is_empty()
    }

    /// One line per broken promise, at most `max` lines.
    pub fn summary(&self, max: usize) -> String {
        let all = self
            .lost
            .iter()
            .map(|l| format!("lost: {l}"))
            .chain(self.twice.iter().map(|l| format!("twice: {l}")))
            .chain(self.diverged.iter().map(|l| format!("diverged: {l}")))
            .chain(self.backwards.iter().map(|l| format!("backwards: {l}")));
        let lines: Vec<String> = all.take(max).collect();
        lines.join("\n")
    }
}

pub(crate) async fn check(world: &World) -> Result<Verdict, String> {
    let store = world.store();
    let fail = |what: &str, e: store::StoreError| format!("{what}: {e}");
    let log = store.mutation_log().await.map_err(|e| fail("mutation log", e))?;
    let stamps = store.audit_stamps().await.map_err(|e| fail("audit", e))?;
    let head = store.head().await.map_err(|e| fail("counter", e))?;
    let settings: BTreeSet<u64> =
        store.setting_versions().await.map_err(|e| fail("settings", e))?.into_iter().collect();
    let archives: HashMap<_, _> = store
        .raw_customers()
        .await
        .map_err(|e| fail("archives", e))?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();

    let mut verdict = Verdict { edits: world.made.len(), faults: world.faults, ..Verdict::default() };
    verdict.backwards = world.backwards.clone();

    verdict.conflicts = log.iter().filter(|r| r.status == "conflict").count();
    verdict.refused = log.iter().filter(|r| r.status == "rejected").count();
    let mut logged: HashMap<MutationId, Vec<&store::LoggedMutation>> = HashMap::new();
    for row in &log {
        logged.entry(row.mutation).or_default().push(row);
    }
    for made in &world.made {
        let device = &world.devices[made.device];
        let name = format!("device {} {} {} of {}", made.device, made.label, made.mutation, made.customer);
        if device.replica.pending().iter().any(|m| m.id == made.mutation) {
            verdict.lost.push(format!("{name} is still waiting to be sent"));
            continue;
        }
        let Some(rows) = logged.get(&made.mutation) else {
            verdict.lost.push(format!("{name} never reached the server"));
            continue;
        };
        if rows.len() > 1 {
            let seqs: Vec<u64> = rows.iter().map(|r| r.seq).collect();
            verdict.twice.push(format!("{name} was logged {} times (seq {seqs:?})", rows.len()));
        }
        match rows[0].status.as_str() {
            "rejected" => {
                if !device.replica.refused().iter().any(|r| r.mutation.id == made.mutation) {
                    verdict.lost.push(format!("{name} was refused but the device does not show it"));
                }
            }
            _ => {
                if let Some((item, order)) = made.item {
                    let present = archives.get(&made.customer).is_some_and(|c| {
                        if order { c.orders.contains_key(&item) } else { c.interactions.contains_key(&item) }
                    });
                    if !present {
                        verdict
                            .lost
                            .push(format!("{name} took effect but its item {item} is not in the archive"));
                    }
                }
            }
        }
    }

    // Every version was handed to exactly one mutation (or to a change of
    // the settings, and to no mutation), and every mutation that took effect
    // did so at exactly one version.
    let mut by_version: BTreeMap<u64, BTreeSet<MutationId>> = BTreeMap::new();
    let mut by_mutation: BTreeMap<MutationId, BTreeSet<u64>> = BTreeMap::new();
    for stamp in &stamps {
        by_version.entry(stamp.version).or_default().insert(stamp.mutation);
        by_mutation.entry(stamp.mutation).or_default().insert(stamp.version);
    }
    for version in 1..=head {
        match by_version.get(&version).map_or(0, BTreeSet::len) {
            0 if settings.contains(&version) => {}
            1 if !settings.contains(&version) => {}
            n => verdict.twice.push(format!("version {version} was stamped by {n} mutations")),
        }
    }
    for (mutation, versions) in &by_mutation {
        if versions.len() > 1 {
            verdict.twice.push(format!("mutation {mutation} took effect at versions {versions:?}"));
        }
    }

    // Every device holds exactly what its user may see, as the server has it.
    for (d, device) in world.devices.iter().enumerate() {
        let truth = world.truth_for(d).await?;
        for (id, (customer, masked)) in &truth {
            match device.replica.cached(id) {
                None => {
                    verdict.diverged.push(format!("device {d} lacks {id} (version {})", customer.version))
                }
                Some(cached) if cached.customer != *customer || cached.masked != *masked => {
                    verdict.diverged.push(format!(
                        "device {d} holds {id} at version {}, the server at {}",
                        cached.customer.version, customer.version
                    ))
                }
                Some(_) => {
                    if device.replica.customer(id) != Some(customer) {
                        verdict.diverged.push(format!("device {d} shows {id} differently from its copy"));
                    }
                }
            }
        }
        for id in device.replica.cached_ids() {
            if !truth.contains_key(id) {
                verdict.diverged.push(format!("device {d} still holds {id}, which it may not see"));
            }
        }
    }

    // The analytics summaries the pushes kept agree with the archives.
    let (_, kept) = store.summaries().await.map_err(|e| fail("summaries", e))?;
    let kept: BTreeMap<_, _> = kept.iter().map(|s| (s.id, (**s).clone())).collect();
    let fresh = store.recomputed_summaries().await.map_err(|e| fail("summaries", e))?;
    let fresh: BTreeMap<_, _> = fresh.into_iter().map(|s| (s.id, s)).collect();
    for id in kept.keys().chain(fresh.keys()).collect::<BTreeSet<_>>() {
        if kept.get(id) != fresh.get(id) {
            verdict.diverged.push(format!("the analytics summary of {id} differs from its archive"));
        }
    }
    Ok(verdict)
}
