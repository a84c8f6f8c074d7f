//! The simulated world: the real server sync code on a real SurrealDB engine,
//! and devices that each hold a real [`Replica`], joined by a network that
//! does what the schedule tells it to.
//!
//! The server side here is what `app/src/sync/server.rs` does per request:
//! find the session, then call [`Store::push`] or [`Store::pull`]. The device
//! side is the browser's own: a [`Round`] from the domain crate decides each
//! request and takes each answer, exactly as the sync loop in the app does;
//! the simulation only carries the requests, and breaks them.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::time::Duration;

use domain::archive::FieldValue;
use domain::archive::{Fields, Interaction, InteractionKind, LabelledPhone, Order, PhoneLabel};
use domain::custom_field::{Choice, CustomEdit, CustomField, CustomKind, CustomValue};
use domain::ids::{ClientId, CustomerId, ItemId, MutationId, UserId};
use domain::money::{Currency, Money};
use domain::mutation::{FieldEdit, Sequencer};
use domain::policy::{Role, Viewer};
use domain::pool::{PoolRules, RecycleRule, Silence};
use domain::replica::{MemoryShelf, Outbox, RecordError, Replica, Shelf};
use domain::sync::{Answer, Cookie, Problem, Progress, Request, Round};
use domain::time::{Date, Timestamp};
use domain::{Change, CustomerName, Phone};
use store::{HashedPassword, InitialPassword, NewUser, Store, StoreError};
use surreal_process::{DatabaseProcess, ROOT_PASSWORD, ROOT_USER, Storage};
use uuid::Uuid;

use crate::rng::Rng;
use crate::schedule::{Fault, Field, Schedule, Step, USERS};

/// Mutations per push, as small batches so long outboxes take several.
const BATCH: usize = 25;
/// Changes per pull page, small so that pulls span pages and faults land mid-pull.
const PAGE: u32 = 6;
/// Once the network heals nothing breaks any more and devices sync one at
/// a time, so small requests would only repeat what the faults already
/// tested: the devices settle with the batch and page the app uses. Measured
/// on 40 seeds, that took a sixth off a run's processor time (47.0 -> 39.1 s).
const HEALED_BATCH: usize = 100;
const HEALED_PAGE: u32 = 1000;
/// Session lifetime: long; sessions end only when the schedule says so.
const SESSION: store::SessionLimits =
    store::SessionLimits { idle_ms: 30 * 24 * 3_600_000, absolute_ms: 90 * 24 * 3_600_000 };
/// Every request and every change happens on this day.
/// The choices of the custom field every run defines.
const LEVELS: [&str; 5] = ["gold", "silver", "bronze", "iron", "wood"];

fn today() -> Date {
    Date::new(2026, 11, 23).expect("a valid date")
}

/// The app servers of a run and the database they share. One app server
/// runs the engine in its own process (in memory or on disk); several reach
/// a SurrealDB server process over the network, as a company's servers do.
struct Server {
    /// Each app server's store; `None` only while one restarts.
    stores: Vec<Option<Store>>,
    url: String,
    credentials: Option<store::Credentials>,
    /// The data directory of an embedded on-disk engine, removed when the run ends.
    dir: Option<tempfile::TempDir>,
    /// The database server several app servers share; stopped when the run ends.
    database: Option<DatabaseProcess>,
    /// Requests so far: each goes to the next app server in turn, so a
    /// device's consecutive requests land on different servers.
    turn: Cell<usize>,
    /// Restarts so far: each restarts the next app server in turn.
    restarts: usize,
}

impl Server {
    async fn start(disk: bool, servers: usize) -> Result<Self, String> {
        let (url, credentials, dir, database) = if servers > 1 {
            let storage = if disk { Storage::Disk } else { Storage::Memory };
            let database = DatabaseProcess::start(storage)?;
            let root = store::Credentials { username: ROOT_USER.into(), password: ROOT_PASSWORD.into() };
            (database.url.clone(), Some(root), None, Some(database))
        } else if disk {
            let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
            (format!("surrealkv://{}", dir.path().join("crm.db").display()), None, Some(dir), None)
        } else {
            ("mem://".to_owned(), None, None, None)
        };
        let mut stores = Vec::with_capacity(servers);
        for _ in 0..servers.max(1) {
            let (store, _) =
                Store::open(&url, credentials.as_ref()).await.map_err(|e| format!("open {url}: {e}"))?;
            stores.push(Some(store));
        }
        Ok(Self { stores, url, credentials, dir, database, turn: Cell::new(0), restarts: 0 })
    }

    /// An app server (the first), for what is not a device's request.
    fn store(&self) -> &Store {
        self.stores[0].as_ref().expect("the server is running")
    }

    /// The app server the next device request reaches.
    fn next(&self) -> &Store {
        let turn = self.turn.get();
        self.turn.set(turn + 1);
        self.stores[turn % self.stores.len()].as_ref().expect("the server is running")
    }

    /// Only a server whose data outlives it can restart: a memory engine in
    /// the app server's own process would forget everything.
    fn can_restart(&self) -> bool {
        self.dir.is_some() || self.database.is_some()
    }

    /// Stops an app server (the next in turn), waits for it to release an
    /// embedded engine's directory, and starts it again.
    async fn restart(&mut self) -> Result<(), String> {
        let which = self.restarts % self.stores.len();
        self.restarts += 1;
        if let Some(store) = self.stores[which].take() {
            store.close(Duration::from_secs(30)).await.map_err(|e| format!("close: {e}"))?;
        }
        let (store, _) =
            Store::open(&self.url, self.credentials.as_ref()).await.map_err(|e| format!("reopen: {e}"))?;
        self.stores[which] = Some(store);
        Ok(())
    }

    /// Stops every app server, then the database.
    async fn stop(&mut self) {
        for store in self.stores.iter_mut().filter_map(Option::take) {
            let _ = store.close(Duration::from_secs(30)).await;
        }
        self.database = None;
    }

    async fn handle(&self, token: &str, request: &Request, page: u32) -> Answer {
        let store = self.next();
        let failed = |error: StoreError| Answer::Failed(Problem::Server(error.to_string()));
        let session = match store.session(token, SESSION).await {
            Ok(Some(session)) => session,
            Ok(None) => return Answer::Failed(Problem::SignedOut),
            Err(error) => return failed(error),
        };
        let viewer = session.user.viewer();
        match request {
            Request::Push { client, batch } => match store.push(&viewer, *client, batch, today()).await {
                Ok(reply) => Answer::Pushed(reply),
                Err(StoreError::SequenceGap { expected, .. }) => Answer::SequenceGap { expected },
                Err(error) => failed(error),
            },
            Request::Pull { cookie } => {
                match store.pull(&viewer, cookie.as_ref().map(ToString::to_string).as_deref(), page).await {
                    Ok(page) => Answer::Pulled(page),
                    Err(error) => failed(error),
                }
            }
        }
    }
}

/// One browser install.
pub(crate) struct Device {
    pub(crate) user: UserId,
    pub(crate) replica: Replica<MemoryShelf>,
    online: bool,
    token: Option<String>,
    fault: Option<Fault>,
    /// The round under way, if any; each exchange is one of its requests.
    round: Option<Round>,
    /// The newest cookie a pull answered with.
    cookie: Option<Cookie>,
}

/// A request the network held or copied, to arrive later.
struct Held {
    token: String,
    request: Request,
}

/// A change a device recorded, remembered to check its fate at the end.
#[derive(Debug, Clone)]
pub(crate) struct Made {
    pub(crate) device: usize,
    pub(crate) mutation: MutationId,
    pub(crate) customer: CustomerId,
    /// For an append: the item, which must be in the archive at the end.
    pub(crate) item: Option<(ItemId, bool)>,
    pub(crate) label: String,
}

/// The whole world of one run.
pub(crate) struct World {
    server: Server,
    pub(crate) devices: Vec<Device>,
    held: Vec<Held>,
    pub(crate) made: Vec<Made>,
    /// Breaches seen during the run (cookies moving backwards).
    pub(crate) backwards: Vec<String>,
    /// Faults that actually happened.
    pub(crate) faults: usize,
    clock: i64,
}

fn user_id(index: usize) -> UserId {
    UserId(USERS[index].to_owned())
}

/// Ids drawn from the schedule, so a replay names the same archives.
fn customer_id(n: u32) -> CustomerId {
    CustomerId(Uuid::from_u64_pair(0x0c05_7000_0000_7000, u64::from(n) | 0x8000_0000_0000_0000))
}

fn item_id(n: u32) -> ItemId {
    ItemId(Uuid::from_u64_pair(0x0173_0000_0000_7000, u64::from(n) | 0x8000_0000_0000_0000))
}

/// Every simulated user's password, hashed once per process: argon2 is slow
/// on purpose and took a third of a seed's start.
fn simulated_password() -> HashedPassword {
    static HASH: std::sync::OnceLock<HashedPassword> = std::sync::OnceLock::new();
    HASH.get_or_init(|| HashedPassword::new("simulated-password").expect("a valid password")).clone()
}

impl World {
    pub(crate) async fn new(schedule: &Schedule) -> Result<Self, String> {
        let server = Server::start(schedule.disk, schedule.servers).await?;
        let store = server.store();
        for (i, name) in USERS.iter().enumerate() {
            store
                .create_user(&NewUser {
                    username: (*name).into(),
                    display_name: (*name).into(),
                    role: if i == 2 { Role::Manager } else { Role::Rep },
                    team: Some("north".into()),
                    password: InitialPassword::Hashed(simulated_password()),
                })
                .await
                .map_err(|e| format!("create user: {e}"))?;
        }
        // A custom choice field, so edits of it travel the whole road: the
        // device checks them with the definitions its pull brought, the
        // server with its own.
        let admin = Viewer { user: UserId("admin".into()), role: Role::Admin, team: None };
        let choices = LEVELS.iter().map(|k| Choice {
            key: (*k).into(),
            zh: (*k).into(),
            en: String::new(),
            retired: false,
        });
        let level = CustomField {
            key: "level".into(),
            zh: "等级".into(),
            en: "Level".into(),
            kind: CustomKind::Choice,
            required: false,
            choices: choices.collect(),
            retired: false,
        };
        store.save_custom_fields(&admin, vec![level]).await.map_err(|e| format!("custom fields: {e}"))?;
        // The team's pool takes back what nobody followed up for three days,
        // so recycles meet keepers' offline edits; no cool-down, so released
        // archives are claimed back and forth.
        let recycle = RecycleRule {
            silence: Silence::NoInteraction,
            days: 3,
            days_by_category: Default::default(),
            stages: Default::default(),
            categories: Default::default(),
            tags: Default::default(),
        };
        let rules = PoolRules {
            cooldown_days: 0,
            protection_days: 1,
            recycle: vec![recycle],
            ..PoolRules::default()
        };
        store.save_pool_rules(&admin, Some("north"), &rules).await.map_err(|e| format!("pool rules: {e}"))?;
        let mut devices = Vec::new();
        for (d, &u) in schedule.devices.iter().enumerate() {
            let user = user_id(u);
            // The client id comes from the schedule too: a replay is the same run.
            let mut shelf = MemoryShelf::default();
            let client =
                ClientId(Uuid::from_u64_pair(0xc11e_0000_0000_7000, d as u64 | 0x8000_0000_0000_0000));
            let outbox = Outbox {
                sequencer: Sequencer { client, author: user.clone(), last_seq: 0 },
                pending: Vec::new(),
                sent: Vec::new(),
            };
            let json = serde_json::to_string(&outbox).map_err(|e| e.to_string())?;
            shelf.write(&format!("crm/{user}/outbox"), &json).map_err(|e| e.to_string())?;
            let (token, _) = store.create_session(&user, SESSION).await.map_err(|e| e.to_string())?;
            devices.push(Device {
                replica: Replica::open(shelf, &user),
                user,
                online: true,
                token: Some(token),
                fault: None,
                round: None,
                cookie: None,
            });
        }
        Ok(Self {
            server,
            devices,
            held: Vec::new(),
            made: Vec::new(),
            backwards: Vec::new(),
            faults: 0,
            clock: 0,
        })
    }

    pub(crate) fn store(&self) -> &Store {
        self.server.store()
    }

    /// Plays one step.
    pub(crate) async fn play(&mut self, step: &Step) -> Result<(), String> {
        self.clock += 1_000;
        match *step {
            Step::Create { d, id, shared } => {
                let user = self.devices[d].user.clone();
                let mut fields =
                    Fields::named(CustomerName::parse(&format!("客户{}", id % 100)).map_err(|e| e.code)?);
                fields.owner = Some(user.clone());
                if shared {
                    let other = if user.0 == USERS[0] { user_id(1) } else { user_id(0) };
                    fields.shared_with.insert(other);
                }
                self.record(d, customer_id(id), Change::Create { fields: Box::new(fields) }, None, "create");
            }
            Step::Edit { d, pick, field, value } => {
                let Some(id) = self.pick(d, pick) else { return Ok(()) };
                let base = self.devices[d].replica.base(&id);
                let value = match field {
                    Field::Name => {
                        FieldValue::Name(CustomerName::parse(&format!("改名{value}")).map_err(|e| e.code)?)
                    }
                    Field::Occupation => FieldValue::Occupation(Some(format!("职业{value}"))),
                    Field::Region => FieldValue::Region(Some(
                        ["华东", "华北", "华南", "西南", "东北", "西北"][value as usize % 6].into(),
                    )),
                    Field::Phone => FieldValue::Phones(vec![LabelledPhone {
                        label: PhoneLabel::Mobile,
                        number: Phone::parse(&format!("1380013{:04}", value)).map_err(|e| e.code)?,
                    }]),
                    Field::Level => {
                        // One value in six empties the field: emptying merges like any edit.
                        let choice = LEVELS.get(value as usize).map(|c| CustomValue::Choice((*c).into()));
                        let edit = CustomEdit { key: "level".into(), value: choice, base };
                        self.record(d, id, Change::SetCustom { edits: vec![edit] }, None, "edit");
                        return Ok(());
                    }
                };
                let change = Change::SetFields { edits: vec![FieldEdit { value, base }] };
                self.record(d, id, change, None, "edit");
            }
            Step::Append { d, pick, item, order } => {
                let Some(id) = self.pick(d, pick) else { return Ok(()) };
                self.append(d, id, item, order);
            }
            Step::Tag { d, pick, tag, add } => {
                let Some(id) = self.pick(d, pick) else { return Ok(()) };
                let base = self.devices[d].replica.base(&id);
                let tag = format!("标签{tag}");
                let change = if add { Change::AddTag { tag, base } } else { Change::RemoveTag { tag, base } };
                self.record(d, id, change, None, "tag");
            }
            Step::Delete { d, pick } => {
                let Some(id) = self.pick(d, pick) else { return Ok(()) };
                let base = self.devices[d].replica.base(&id);
                self.record(d, id, Change::Delete { base }, None, "delete");
            }
            Step::Reassign { d, pick, to } => {
                let Some(id) = self.pick(d, pick) else { return Ok(()) };
                let base = self.devices[d].replica.base(&id);
                self.record(
                    d,
                    id,
                    Change::Reassign {
                        pool: None,
                        owner: Some(user_id(to % USERS.len())),
                        base,
                        reason: None,
                        over_limit: false,
                    },
                    None,
                    "reassign",
                );
            }
            Step::Release { d, pick } => {
                let mine =
                    |c: &domain::archive::Customer| c.fields.owner.as_ref() == Some(&self.devices[d].user);
                let Some(id) = self.pick_where(d, pick, mine) else { return Ok(()) };
                let base = self.devices[d].replica.base(&id);
                let change = Change::Reassign {
                    owner: None,
                    base,
                    reason: Some("模拟退回".into()),
                    pool: Some("north".into()),
                    over_limit: false,
                };
                self.record(d, id, change, None, "release");
            }
            Step::Claim { d, pick } => {
                let Some(id) = self.pick_where(d, pick, |c| c.fields.owner.is_none()) else { return Ok(()) };
                let base = self.devices[d].replica.base(&id);
                self.record(d, id, Change::Claim { base }, None, "claim");
            }
            Step::Recycle { days } => {
                let today = store::today();
                let on =
                    domain::time::Date::from_days_since_epoch(today.days_since_epoch() + i64::from(days));
                self.store().recycle(on, false).await.map_err(|e| format!("recycle: {e}"))?;
            }
            Step::Burst { d, count, seed } => {
                self.devices[d].online = false;
                self.faults += 1;
                let mut rng = Rng::new(seed);
                for _ in 0..count {
                    let Some(id) = self.pick(d, rng.below(1_000) as u32) else { break };
                    if rng.chance(2, 3) {
                        self.append(d, id, rng.below(1_000_000) as u32, rng.chance(1, 4));
                    } else {
                        let base = self.devices[d].replica.base(&id);
                        let value = FieldValue::Occupation(Some(format!("离线{}", rng.below(5))));
                        self.record(
                            d,
                            id,
                            Change::SetFields { edits: vec![FieldEdit { value, base }] },
                            None,
                            "edit",
                        );
                    }
                }
            }
            Step::Sync { d } => self.exchange(d).await?,
            Step::Network { d, online } => {
                if !online && self.devices[d].online {
                    self.faults += 1;
                }
                self.devices[d].online = online;
            }
            Step::Fault { d, fault } => self.devices[d].fault = Some(fault),
            Step::Late { pick } => {
                if !self.held.is_empty() {
                    let held = self.held.remove(pick as usize % self.held.len());
                    self.faults += 1;
                    // Whatever it answers goes nowhere: the device stopped waiting.
                    self.server.handle(&held.token, &held.request, PAGE).await;
                }
            }
            Step::Restart => {
                if self.server.can_restart() {
                    self.faults += 1;
                    self.server.restart().await?;
                }
            }
            Step::SignIn { d } => self.sign_in(d).await?,
        }
        Ok(())
    }

    async fn sign_in(&mut self, d: usize) -> Result<(), String> {
        if self.devices[d].token.is_none() {
            let (token, _) = self
                .store()
                .create_session(&self.devices[d].user, SESSION)
                .await
                .map_err(|e| e.to_string())?;
            self.devices[d].token = Some(token);
        }
        Ok(())
    }

    /// The `pick`-th archive device `d` sees, in id order.
    fn pick(&self, d: usize, pick: u32) -> Option<CustomerId> {
        self.pick_where(d, pick, |_| true)
    }

    /// The `pick`-th archive device `d` sees that `wanted` holds for, in id order.
    fn pick_where(
        &self,
        d: usize,
        pick: u32,
        wanted: impl Fn(&domain::archive::Customer) -> bool,
    ) -> Option<CustomerId> {
        let ids: Vec<CustomerId> =
            self.devices[d].replica.customers().filter(|c| wanted(c)).map(|c| c.id).collect();
        (!ids.is_empty()).then(|| ids[pick as usize % ids.len()])
    }

    fn append(&mut self, d: usize, id: CustomerId, item: u32, order: bool) {
        let base = self.devices[d].replica.base(&id);
        let item_id = item_id(item);
        let change = if order {
            let amount = Money::parse(&format!("{}.00", item % 900 + 1), Currency::cny());
            let Ok(amount) = amount else { return };
            Change::PutOrder {
                id: item_id,
                order: Order {
                    product: format!("产品{}", item % 7),
                    quantity: 1,
                    amount,
                    date: today(),
                    channel: None,
                    ends_on: None,
                },
                base,
            }
        } else {
            Change::PutInteraction {
                id: item_id,
                interaction: Interaction {
                    kind: InteractionKind::Visit,
                    at: Timestamp(1_795_000_000_000 + self.clock),
                    summary: format!("拜访{item}"),
                    satisfaction: Some((item % 5 + 1) as u8),
                    next_follow_up: None,
                },
                base,
            }
        };
        // A second put of an existing item id is an edit, not an append.
        let fresh = self.devices[d].replica.customer(&id).is_some_and(|c| {
            if order { !c.orders.contains_key(&item_id) } else { !c.interactions.contains_key(&item_id) }
        });
        self.record(d, id, change, fresh.then_some((item_id, order)), if order { "order" } else { "visit" });
    }

    /// Records a change on device `d`; remembers it when the device kept it.
    fn record(
        &mut self,
        d: usize,
        customer: CustomerId,
        change: Change,
        item: Option<(ItemId, bool)>,
        label: &str,
    ) {
        let now = Timestamp(1_795_000_000_000 + self.clock);
        match self.devices[d].replica.record(customer, change, now, today()) {
            Ok(mutation) => self.made.push(Made {
                device: d,
                mutation: mutation.id,
                customer,
                item,
                label: label.to_owned(),
            }),
            // The device's own rules said no: the person saw why, nothing was queued.
            Err(RecordError::Refused(_)) => {}
            Err(RecordError::Full) => {}
        }
    }

    /// Device `d` makes the next request of its round, meeting whatever
    /// fault is armed.
    async fn exchange(&mut self, d: usize) -> Result<(), String> {
        let device = &mut self.devices[d];
        if !device.online {
            return Ok(());
        }
        let Some(token) = device.token.clone() else { return Ok(()) };
        let request = device.round.get_or_insert_with(|| Round::new(BATCH, PAGE)).next(&device.replica);
        let fault = device.fault.take();
        if fault.is_some() {
            self.faults += 1;
        }
        match fault {
            Some(Fault::Drop) => return Ok(()),
            Some(Fault::Delay) => {
                self.held.push(Held { token, request });
                return Ok(());
            }
            Some(Fault::RestartBefore) => {
                if self.server.can_restart() {
                    self.server.restart().await?;
                }
                return Ok(());
            }
            Some(Fault::Expire) => {
                self.store().delete_session(&token).await.map_err(|e| e.to_string())?;
            }
            Some(Fault::Duplicate) => self.held.push(Held { token: token.clone(), request: request.clone() }),
            _ => {}
        }
        let answer = self.server.handle(&token, &request, PAGE).await;
        match fault {
            Some(Fault::LoseAnswer) => return Ok(()),
            Some(Fault::RestartAfter) => {
                if self.server.can_restart() {
                    self.server.restart().await?;
                }
                return Ok(());
            }
            _ => {}
        }
        self.take(d, &request, answer).map(|_| ())
    }

    /// Device `d` takes the answer to `request` into its round. Ok(true)
    /// when the round is over; a failed round ends, to start again later.
    fn take(&mut self, d: usize, request: &Request, answer: Answer) -> Result<bool, String> {
        let now = self.clock;
        let device = &mut self.devices[d];
        if let Answer::Pulled(page) = &answer {
            if let Some(old) = &device.cookie
                && page.cookie.is_before(old)
            {
                self.backwards.push(format!("device {d}: cookie went from {old} back to {}", page.cookie));
            }
            device.cookie = Some(page.cookie.clone());
        }
        let round = device.round.get_or_insert_with(|| Round::new(BATCH, PAGE));
        match round.take(&mut device.replica, request, answer, now) {
            Ok(Progress::Continue) => Ok(false),
            Ok(Progress::Done) => {
                device.round = None;
                Ok(true)
            }
            Err(Problem::Full) => Err(format!("device {d}: storage full")),
            Err(problem) => {
                device.round = None;
                if problem == Problem::SignedOut {
                    device.token = None;
                }
                Ok(true)
            }
        }
    }

    /// The network heals: every device is online and signed in, held
    /// requests arrive, and everyone syncs until nothing is left to send and
    /// a pull brings nothing new.
    pub(crate) async fn heal(&mut self) -> Result<(), String> {
        for d in 0..self.devices.len() {
            self.devices[d].online = true;
            self.devices[d].fault = None;
            self.sign_in(d).await?;
        }
        while !self.held.is_empty() {
            self.play(&Step::Late { pick: 0 }).await?;
        }
        // One device's push reaches the others at their next pull: rounds
        // for everyone until a whole pass pushes nothing.
        for _pass in 0..20 {
            let mut pushed = false;
            for d in 0..self.devices.len() {
                pushed |= self.settle(d).await?;
            }
            if !pushed {
                return Ok(());
            }
        }
        Err("the devices never went quiet after the network healed".into())
    }

    /// A whole round for device `d` on a healed network; whether it pushed.
    async fn settle(&mut self, d: usize) -> Result<bool, String> {
        // Whatever round a fault cut short starts afresh.
        self.devices[d].round = Some(Round::new(HEALED_BATCH, HEALED_PAGE));
        let mut pushed = false;
        for _ in 0..10_000 {
            let token = self.devices[d].token.clone().ok_or("signed out while healing")?;
            let device = &mut self.devices[d];
            let request = device
                .round
                .get_or_insert_with(|| Round::new(HEALED_BATCH, HEALED_PAGE))
                .next(&device.replica);
            pushed |= matches!(request, Request::Push { .. });
            let answer = self.server.handle(&token, &request, HEALED_PAGE).await;
            if let Answer::Failed(problem) = &answer {
                return Err(format!("device {d} could not sync while healing: {problem:?}"));
            }
            if self.take(d, &request, answer)? {
                return Ok(pushed);
            }
        }
        Err(format!("device {d}'s round never ended"))
    }

    /// Everything `d`'s user may see now, straight from the server.
    pub(crate) async fn truth_for(
        &self,
        d: usize,
    ) -> Result<BTreeMap<CustomerId, (domain::archive::Customer, bool)>, String> {
        let token = self.devices[d].token.clone().ok_or("signed out")?;
        let mut cookie = None;
        let mut seen = BTreeMap::new();
        loop {
            let page = match self.server.handle(&token, &Request::Pull { cookie }, HEALED_PAGE).await {
                Answer::Pulled(page) => page,
                other => return Err(format!("the check's pull failed: {other:?}")),
            };
            for change in page.changes {
                match change {
                    domain::sync::Pulled::Put { customer, masked, .. } => {
                        seen.insert(customer.id, (*customer, masked));
                    }
                    domain::sync::Pulled::Delete { id, .. } => {
                        seen.remove(&id);
                    }
                }
            }
            if !page.more {
                return Ok(seen);
            }
            cookie = Some(page.cookie);
        }
    }

    /// Stops the servers and releases what they held.
    pub(crate) async fn close(mut self) {
        self.server.stop().await;
    }
}
