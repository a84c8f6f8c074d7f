//! A run's script: who does what, when, and what the network and the server
//! do wrong. Generated from a seed, printed as text, read back for replay.
//! Every step names things by index (the device, the n-th archive it can
//! see), so any subsequence of a schedule is still a valid schedule: that is
//! what lets a failing run be shrunk.

use std::fmt;
use std::str::FromStr;

use crate::rng::Rng;

/// What goes wrong with one device's next request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Lost on the way: the server never sees it.
    Drop,
    /// Handled and committed, but the answer is lost.
    LoseAnswer,
    /// Handled, answered, and a copy arrives again later.
    Duplicate,
    /// Held by the network: the device gives up on it, and it reaches the
    /// server later, after whatever the device sends next.
    Delay,
    /// The session expires just before it arrives.
    Expire,
    /// The server restarts while it is in flight, before handling it.
    RestartBefore,
    /// The server commits it, restarts, and the answer is lost.
    RestartAfter,
}

impl Fault {
    const ALL: [(Fault, &'static str); 7] = [
        (Fault::Drop, "drop"),
        (Fault::LoseAnswer, "lose"),
        (Fault::Duplicate, "dup"),
        (Fault::Delay, "delay"),
        (Fault::Expire, "expire"),
        (Fault::RestartBefore, "restart-before"),
        (Fault::RestartAfter, "restart-after"),
    ];

    fn name(self) -> &'static str {
        Self::ALL.iter().find(|(f, _)| *f == self).map_or("?", |(_, n)| n)
    }
}

/// A field a device edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The name.
    Name,
    /// Occupation (free text).
    Occupation,
    /// Region.
    Region,
    /// The phone list (sensitive: masked for some viewers).
    Phone,
    /// A custom choice field the company defined (checked against the
    /// definitions on the device and on the server).
    Level,
}

impl Field {
    const ALL: [(Field, &'static str); 5] = [
        (Field::Name, "name"),
        (Field::Occupation, "job"),
        (Field::Region, "region"),
        (Field::Phone, "phone"),
        (Field::Level, "level"),
    ];

    fn name(self) -> &'static str {
        Self::ALL.iter().find(|(f, _)| *f == self).map_or("?", |(_, n)| n)
    }
}

/// One step of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Device `d` creates archive number `id`, kept by its user, shared with
    /// the other rep when `shared`.
    Create { d: usize, id: u32, shared: bool },
    /// Device `d` sets `field` of the `pick`-th archive it sees to value `value`.
    Edit { d: usize, pick: u32, field: Field, value: u32 },
    /// Device `d` logs a visit (`order` false) or an order (`order` true),
    /// item number `item`, on the `pick`-th archive it sees.
    Append { d: usize, pick: u32, item: u32, order: bool },
    /// Device `d` adds (or removes) tag number `tag`.
    Tag { d: usize, pick: u32, tag: u32, add: bool },
    /// Device `d` deletes the `pick`-th archive it sees.
    Delete { d: usize, pick: u32 },
    /// Device `d` hands the `pick`-th archive it sees to user `to`.
    Reassign { d: usize, pick: u32, to: usize },
    /// Device `d` sends the `pick`-th archive its user keeps to the team's pool.
    Release { d: usize, pick: u32 },
    /// Device `d` claims the `pick`-th archive it sees in a pool.
    Claim { d: usize, pick: u32 },
    /// The server's recycle run, as on the day `days` after today: archives
    /// no one followed up for the team pool's window go back to the pool,
    /// whatever their keepers are doing offline.
    Recycle { days: u32 },
    /// Device `d` goes offline and records `count` changes drawn from `seed`.
    Burst { d: usize, count: u32, seed: u64 },
    /// Device `d` makes its next request: a push if anything waits, else a pull.
    Sync { d: usize },
    /// Device `d` loses (`online` false) or regains the network.
    Network { d: usize, online: bool },
    /// Device `d`'s next request meets `fault`.
    Fault { d: usize, fault: Fault },
    /// A request the network held or copied reaches the server now.
    Late { pick: u32 },
    /// An app server restarts (runs whose data outlives one: on disk, or
    /// on a database server).
    Restart,
    /// Device `d`'s user signs in again.
    SignIn { d: usize },
}

/// The people of every run: two reps and their manager, all in one team.
pub const USERS: [&str; 3] = ["rep-a", "rep-b", "boss"];

/// A whole run: the world's shape and its steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// The seed it came from (0 for a hand-written one).
    pub seed: u64,
    /// The server keeps its data on disk (SurrealKV) and can restart.
    pub disk: bool,
    /// How many app servers take the devices' requests, in turn. With more
    /// than one they share a SurrealDB server process, and each can restart.
    pub servers: usize,
    /// Which user each device belongs to (an index into [`USERS`]).
    pub devices: Vec<usize>,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

impl Schedule {
    /// The schedule for `seed`. One seed in eight runs on disk, with
    /// restarts; one in thirty-two on two or three app servers sharing a
    /// SurrealDB server process, with restarts (about three times the cost
    /// of a run in memory); the rest run in memory, where a run is fastest.
    pub fn generate(seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let disk = seed % 8 == 3;
        let servers = if seed % 32 == 5 { 2 + (seed / 32 % 2) as usize } else { 1 };
        let restarts = disk || servers > 1;
        // Every user has a device; some have two, which race each other.
        let mut devices = vec![0, 1, 2];
        for _ in 0..rng.below(3) {
            devices.push(rng.below(2) as usize);
        }
        let n = devices.len();
        let length = 60 + rng.below(120) as usize;
        let mut steps = Vec::with_capacity(length + 2 * n);
        // Everyone starts with an archive or two, so edits meet early.
        for d in 0..n {
            steps.push(Step::Create { d, id: rng.below(1_000_000) as u32, shared: rng.chance(2, 3) });
        }
        while steps.len() < length {
            let d = rng.below(n as u64) as usize;
            let pick = rng.below(1_000) as u32;
            let roll = rng.below(100);
            let step = match roll {
                0..=27 => Step::Sync { d },
                28..=33 => Step::Create { d, id: rng.below(1_000_000) as u32, shared: rng.chance(1, 2) },
                34..=49 => Step::Edit {
                    d,
                    pick,
                    field: Field::ALL[rng.below(Field::ALL.len() as u64) as usize].0,
                    value: rng.below(6) as u32,
                },
                50..=59 => {
                    Step::Append { d, pick, item: rng.below(1_000_000) as u32, order: rng.chance(1, 3) }
                }
                60..=63 => Step::Tag { d, pick, tag: rng.below(4) as u32, add: rng.chance(2, 3) },
                64..=65 => Step::Delete { d, pick },
                66..=67 => Step::Reassign { d, pick, to: rng.below(USERS.len() as u64) as usize },
                68 if rng.chance(1, 2) => {
                    Step::Burst { d, count: 50 + rng.below(250) as u32, seed: rng.next() }
                }
                69..=73 => Step::Network { d, online: roll.is_multiple_of(2) },
                74..=88 => {
                    let choices: &[Fault] = if restarts {
                        &[
                            Fault::Drop,
                            Fault::LoseAnswer,
                            Fault::Duplicate,
                            Fault::Delay,
                            Fault::Expire,
                            Fault::RestartBefore,
                            Fault::RestartAfter,
                        ]
                    } else {
                        &[Fault::Drop, Fault::LoseAnswer, Fault::Duplicate, Fault::Delay, Fault::Expire]
                    };
                    Step::Fault { d, fault: choices[rng.below(choices.len() as u64) as usize] }
                }
                89..=93 => Step::Late { pick },
                94 if restarts => Step::Restart,
                95..=96 => Step::SignIn { d },
                97 => Step::Release { d, pick },
                98 => Step::Claim { d, pick },
                99 if rng.chance(1, 2) => Step::Recycle { days: rng.below(8) as u32 },
                _ => Step::Sync { d },
            };
            steps.push(step);
        }
        Self { seed, disk, servers, devices, steps }
    }

    /// How many steps inject a fault.
    pub fn faults(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| {
                matches!(
                    s,
                    Step::Fault { .. }
                        | Step::Late { .. }
                        | Step::Restart
                        | Step::Network { online: false, .. }
                )
            })
            .count()
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Create { d, id, shared } => write!(f, "d{d}:create:{id}:{}", u8::from(*shared)),
            Step::Edit { d, pick, field, value } => write!(f, "d{d}:edit:{pick}:{}:{value}", field.name()),
            Step::Append { d, pick, item, order } => {
                write!(f, "d{d}:{}:{pick}:{item}", if *order { "order" } else { "visit" })
            }
            Step::Tag { d, pick, tag, add } => {
                write!(f, "d{d}:{}:{pick}:{tag}", if *add { "tag" } else { "untag" })
            }
            Step::Delete { d, pick } => write!(f, "d{d}:delete:{pick}"),
            Step::Reassign { d, pick, to } => write!(f, "d{d}:reassign:{pick}:{to}"),
            Step::Release { d, pick } => write!(f, "d{d}:release:{pick}"),
            Step::Claim { d, pick } => write!(f, "d{d}:claim:{pick}"),
            Step::Recycle { days } => write!(f, "recycle:{days}"),
            Step::Burst { d, count, seed } => write!(f, "d{d}:burst:{count}:{seed}"),
            Step::Sync { d } => write!(f, "d{d}:sync"),
            Step::Network { d, online } => write!(f, "d{d}:{}", if *online { "online" } else { "offline" }),
            Step::Fault { d, fault } => write!(f, "d{d}:fault:{}", fault.name()),
            Step::Late { pick } => write!(f, "late:{pick}"),
            Step::Restart => write!(f, "restart"),
            Step::SignIn { d } => write!(f, "d{d}:signin"),
        }
    }
}

impl FromStr for Step {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("cannot read step `{text}`");
        let parts: Vec<&str> = text.split(':').collect();
        let num =
            |i: usize| -> Result<u64, String> { parts.get(i).and_then(|p| p.parse().ok()).ok_or_else(bad) };
        match parts.as_slice() {
            ["restart"] => return Ok(Step::Restart),
            ["late", _] => return Ok(Step::Late { pick: num(1)? as u32 }),
            ["recycle", _] => return Ok(Step::Recycle { days: num(1)? as u32 }),
            _ => {}
        }
        let d: usize =
            parts.first().and_then(|p| p.strip_prefix('d')).and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let step = match parts.get(1).copied() {
            Some("create") => Step::Create { d, id: num(2)? as u32, shared: num(3)? == 1 },
            Some("edit") => {
                let field =
                    Field::ALL.iter().find(|(_, n)| Some(*n) == parts.get(3).copied()).ok_or_else(bad)?.0;
                Step::Edit { d, pick: num(2)? as u32, field, value: num(4)? as u32 }
            }
            Some(kind @ ("visit" | "order")) => {
                Step::Append { d, pick: num(2)? as u32, item: num(3)? as u32, order: kind == "order" }
            }
            Some(kind @ ("tag" | "untag")) => {
                Step::Tag { d, pick: num(2)? as u32, tag: num(3)? as u32, add: kind == "tag" }
            }
            Some("delete") => Step::Delete { d, pick: num(2)? as u32 },
            Some("reassign") => Step::Reassign { d, pick: num(2)? as u32, to: num(3)? as usize },
            Some("release") => Step::Release { d, pick: num(2)? as u32 },
            Some("claim") => Step::Claim { d, pick: num(2)? as u32 },
            Some("burst") => Step::Burst { d, count: num(2)? as u32, seed: num(3)? },
            Some("sync") => Step::Sync { d },
            Some("online") => Step::Network { d, online: true },
            Some("offline") => Step::Network { d, online: false },
            Some("signin") => Step::SignIn { d },
            Some("fault") => {
                let fault =
                    Fault::ALL.iter().find(|(_, n)| Some(*n) == parts.get(2).copied()).ok_or_else(bad)?.0;
                Step::Fault { d, fault }
            }
            _ => return Err(bad()),
        };
        Ok(step)
    }
}

impl fmt::Display for Schedule {
    /// `seed=7 disk=0 devices=0,1,2 | d0:create:12:1 d1:sync ...`, with
    /// `servers=N` after `disk` when there are several.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let devices: Vec<String> = self.devices.iter().map(usize::to_string).collect();
        write!(f, "seed={} disk={}", self.seed, u8::from(self.disk))?;
        if self.servers > 1 {
            write!(f, " servers={}", self.servers)?;
        }
        write!(f, " devices={} |", devices.join(","))?;
        for step in &self.steps {
            write!(f, " {step}")?;
        }
        Ok(())
    }
}

impl FromStr for Schedule {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (head, body) = text.split_once('|').ok_or("a schedule is `<settings> | <steps>`")?;
        let mut schedule =
            Schedule { seed: 0, disk: false, servers: 1, devices: Vec::new(), steps: Vec::new() };
        for setting in head.split_whitespace() {
            match setting.split_once('=') {
                Some(("seed", v)) => schedule.seed = v.parse().map_err(|_| format!("bad seed `{v}`"))?,
                Some(("disk", v)) => schedule.disk = v == "1",
                Some(("servers", v)) => {
                    schedule.servers =
                        v.parse().ok().filter(|n| (1..=8).contains(n)).ok_or(format!("bad servers `{v}`"))?
                }
                Some(("devices", v)) => {
                    schedule.devices = v
                        .split(',')
                        .map(|u| u.parse().ok().filter(|u| *u < USERS.len()))
                        .collect::<Option<_>>()
                        .ok_or(format!("bad devices `{v}`"))?
                }
                _ => return Err(format!("unknown setting `{setting}`")),
            }
        }
        if schedule.devices.is_empty() {
            return Err("a schedule needs at least one device".into());
        }
        schedule.steps = body.split_whitespace().map(str::parse).collect::<Result<_, _>>()?;
        if let Some(step) =
            schedule.steps.iter().find(|s| device_of(s).is_some_and(|d| d >= schedule.devices.len()))
        {
            return Err(format!("step `{step}` names a device the schedule does not have"));
        }
        Ok(schedule)
    }
}

/// The device a step acts for, if any.
pub fn device_of(step: &Step) -> Option<usize> {
    match step {
        Step::Create { d, .. }
        | Step::Edit { d, .. }
        | Step::Append { d, .. }
        | Step::Tag { d, .. }
        | Step::Delete { d, .. }
        | Step::Reassign { d, .. }
        | Step::Release { d, .. }
        | Step::Claim { d, .. }
        | Step::Burst { d, .. }
        | Step::Sync { d }
        | Step::Network { d, .. }
        | Step::Fault { d, .. }
        | Step::SignIn { d } => Some(*d),
        Step::Late { .. } | Step::Restart | Step::Recycle { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_schedule() {
        assert_eq!(Schedule::generate(42), Schedule::generate(42));
        assert_ne!(Schedule::generate(42), Schedule::generate(43));
    }

    #[test]
    fn a_schedule_reads_back_from_its_text() {
        for seed in 0..50 {
            let schedule = Schedule::generate(seed);
            assert_eq!(schedule.to_string().parse::<Schedule>().unwrap(), schedule);
        }
    }

    #[test]
    fn a_step_for_a_missing_device_is_refused_with_a_reason() {
        let error = "seed=1 disk=0 devices=0 | d3:sync".parse::<Schedule>().unwrap_err();
        assert!(error.contains("d3:sync"), "{error}");
    }
}
