//! The replica in the page, and the loop that syncs it: at start, when the
//! browser comes online, every few seconds while there is work, when the
//! server announces a change this user sees, and when the rep asks. Only
//! one tab at a time syncs (a lease in localStorage); the others follow
//! through storage events. Likewise one tab holds the live stream, so a rep
//! with five tabs open costs the server one connection, not five.

use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use domain::ids::{CustomerId, MutationId, UserId};
use domain::replica::{Cached, RecordError, Replica, Shelf};
pub use domain::sync::Problem;
use domain::sync::{Answer, Progress, Request, Round};
use domain::time::{Date, Timestamp};
use domain::{Change, Mutation};
use gloo_storage::{LocalStorage, Storage};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::js::{function, property};
use super::shelf::{LocalShelf, RECORD_BUDGET};
use crate::error::AppError;
use crate::sync::{pull, push};

/// Mutations per push.
const BATCH: usize = 100;
/// Changes per pull page (the server's most): a first pull of 5,000
/// archives took 2.4 s in pages of 500 and 1.8 to 1.95 s in pages of 1,000
/// (each page costs a round trip and a refresh of what is on screen).
const PAGE: u32 = 1000;
/// How often the loop looks for work.
const TICK: Duration = Duration::from_secs(5);
/// How often it pulls when nothing is waiting to be sent.
const PULL_EVERY_MS: i64 = 30_000;
/// Retries back off from 2 s doubling up to this.
const MAX_BACKOFF_MS: i64 = 120_000;
/// Where the server announces changes as they happen.
const LIVE_URL: &str = "/api/sync/live";
/// Which tab syncs, and until when, as `<tab>|<ms>`.
const LEASE_KEY: &str = "crm/sync-lease";
const LEASE_MS: i64 = 15_000;
/// Which tab holds the live stream, and until when, as `<tab>|<ms>`. The
/// holder renews it every tick; when it closes, another tab takes over at
/// its next tick.
const LIVE_LEASE_KEY: &str = "crm/live-lease";
const LIVE_LEASE_MS: i64 = 3 * TICK.as_millis() as i64;

thread_local! {
    /// This tab's live stream (an `EventSource`) and its listener, while the
    /// tab holds the live lease.
    static LIVE_STREAM: std::cell::RefCell<Option<(leptos::wasm_bindgen::JsValue, leptos::wasm_bindgen::closure::Closure<dyn Fn()>)>> =
        const { std::cell::RefCell::new(None) };
}

/// What the sync badge shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncStatus {
    /// The replica is open (after hydration, with someone signed in).
    pub ready: bool,
    /// The browser says it is online and the last request got through.
    pub online: bool,
    /// A round is running.
    pub syncing: bool,
    /// Changes waiting to be sent.
    pub pending: usize,
    /// Changes the server refused, waiting for the rep.
    pub refused: usize,
    /// Archives with an open conflict.
    pub conflicts: usize,
    /// When the last complete pull ended (ms).
    pub last_synced: Option<i64>,
    /// While the very first pull runs: versions received and the server's head.
    pub first_pull: Option<(u64, u64)>,
    /// Why the last round stopped short.
    pub problem: Option<Problem>,
}

#[derive(Debug, Default)]
struct LoopState {
    started: Option<UserId>,
    running: bool,
    again: bool,
    failures: u32,
    next_try: i64,
    last_pull: i64,
    tab: String,
    reload_queued: bool,
    /// The page is going away (or into the back-forward cache): a round
    /// started now would take the sync lease and never give it back,
    /// keeping every other tab from syncing until the lease runs out.
    hidden: bool,
}

/// The replica and its sync loop, shared by every page through context.
#[derive(Clone, Copy)]
pub struct Offline {
    replica: StoredValue<Option<Replica<LocalShelf>>>,
    revision: RwSignal<u64>,
    status: RwSignal<SyncStatus>,
    state: StoredValue<LoopState>,
}

/// The app's [`Offline`], from context.
pub fn use_offline() -> Offline {
    use_context::<Offline>().expect("the app provides Offline")
}

/// Milliseconds since the epoch: the browser's clock there, the system's
/// while rendering on the server (where the JS clock does not exist).
pub fn now_ms() -> i64 {
    if cfg!(target_arch = "wasm32") {
        js_sys::Date::now() as i64
    } else {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
    }
}

/// Today in the company's time zone, the calendar the archives use.
pub fn today() -> Date {
    Timestamp(now_ms()).local_date()
}

fn browser_online() -> bool {
    property(&window(), "navigator")
        .and_then(|n| property(&n, "onLine"))
        .and_then(|v| v.as_bool())
        .unwrap_or(true)
}

impl Default for Offline {
    fn default() -> Self {
        Self::new()
    }
}

impl Offline {
    /// An empty replica; [`Offline::start`] opens it in the browser.
    pub fn new() -> Self {
        Self {
            replica: StoredValue::new(None),
            revision: RwSignal::new(0),
            status: RwSignal::new(SyncStatus::default()),
            state: StoredValue::new(LoopState::default()),
        }
    }

    /// Opens `user`'s replica and starts the loop. Browser only; called once
    /// the signed-in user is known.
    pub fn start(self, user: &UserId) {
        if self.state.with_value(|s| s.started.as_ref() == Some(user)) {
            return;
        }
        let mut replica = Replica::open(LocalShelf, user);
        replica.set_budget(RECORD_BUDGET);
        self.replica.set_value(Some(replica));
        let first_start = self.state.with_value(|s| s.started.is_none());
        self.status.update(|s| s.online = browser_online());
        self.state.update_value(|s| {
            s.started = Some(user.clone());
            s.tab = format!("{:x}", (js_sys::Math::random() * 1e15) as u64);
        });
        self.changed();
        if first_start {
            self.listen();
        }
        self.sync_now();
    }

    fn listen(self) {
        let _ = window_event_listener(leptos::ev::online, move |_| self.sync_now());
        let _ = window_event_listener(leptos::ev::offline, move |_| {
            self.status.update(|s| s.online = false);
        });
        // A page left in the middle of a round must not keep the next page
        // (or another tab) from syncing until the lease runs out.
        let _ = window_event_listener(leptos::ev::pagehide, move |_| {
            self.state.update_value(|s| {
                s.hidden = true;
                release_lease(LEASE_KEY, &s.tab);
                release_lease(LIVE_LEASE_KEY, &s.tab);
            });
            close_live_stream();
        });
        // Back from the back-forward cache: a tab like any other again.
        let _ = window_event_listener(leptos::ev::pageshow, move |_| {
            self.state.update_value(|s| s.hidden = false);
            self.keep_live();
            self.sync_now();
        });
        // Another tab changed storage: read it again, at most twice a second.
        let _ = window_event_listener(leptos::ev::storage, move |event| {
            let ours =
                event.key().is_none_or(|k| k.starts_with("crm/") && k != LEASE_KEY && k != LIVE_LEASE_KEY);
            let queued = self.state.with_value(|s| s.reload_queued);
            if ours && !queued {
                self.state.update_value(|s| s.reload_queued = true);
                set_timeout(
                    move || {
                        self.state.update_value(|s| s.reload_queued = false);
                        self.replica.update_value(|r| {
                            if let Some(r) = r {
                                r.reload();
                            }
                        });
                        self.changed();
                    },
                    Duration::from_millis(500),
                );
            }
        });
        set_interval(move || self.tick(), TICK);
        self.keep_live();
    }

    /// Holds the live stream while this tab holds the live lease, and lets
    /// it go when another tab has taken the lease (after this one was
    /// asleep in the background, say).
    fn keep_live(self) {
        let Some(tab) = self.state.with_value(|s| (s.started.is_some() && !s.hidden).then(|| s.tab.clone()))
        else {
            return;
        };
        if take_lease(LIVE_LEASE_KEY, &tab, now_ms(), LIVE_LEASE_MS) {
            if LIVE_STREAM.with_borrow(Option::is_none) {
                self.hear_live_changes();
            }
        } else {
            close_live_stream();
        }
    }

    /// Opens the server's live stream: when a colleague's change reaches an
    /// archive this user sees, sync now instead of at the next poll. The
    /// browser reopens the stream by itself after a drop or a time offline.
    fn hear_live_changes(self) {
        use leptos::wasm_bindgen::closure::Closure;
        let Some(constructor) = function(&window(), "EventSource") else { return };
        let Ok(source) = js_sys::Reflect::construct(&constructor, &js_sys::Array::of1(&LIVE_URL.into()))
        else {
            return;
        };
        let Some(listen) = function(&source, "addEventListener") else { return };
        // Kept beside the stream it listens to, and dropped with it.
        let changed = Closure::<dyn Fn()>::new(move || self.sync_soon());
        let _ = listen.call2(&source, &"changed".into(), changed.as_ref());
        LIVE_STREAM.with_borrow_mut(|live| *live = Some((source, changed)));
    }

    /// Closes the replica and removes everything of its user from this
    /// device: cached archives, outbox, refused changes, sync state. After
    /// this nothing writes the user's storage again (the loop finds no
    /// replica). For signing out; pending changes are lost.
    pub fn forget(self) {
        let user = self.state.try_update_value(|s| s.started.take()).flatten();
        self.replica.set_value(None);
        let Some(user) = user else { return };
        let mut shelf = LocalShelf;
        for key in shelf.keys(&format!("crm/{}/", user.0)) {
            shelf.delete(&key);
        }
        shelf.delete(LEASE_KEY);
        shelf.delete(LIVE_LEASE_KEY);
        close_live_stream();
        self.status.set(SyncStatus::default());
        self.revision.update(|r| *r += 1);
    }

    /// Reads the replica, tracking changes to it. None before it is open.
    pub fn read<T>(&self, f: impl FnOnce(&Replica<LocalShelf>) -> T) -> Option<T> {
        self.revision.track();
        self.replica.with_value(|r| r.as_ref().map(f))
    }

    /// Who the replica belongs to, once it is open.
    pub fn user(&self) -> Option<UserId> {
        self.state.with_value(|s| s.started.clone())
    }

    /// The server version an edit of `id` is based on (see [`Replica::base`]).
    pub fn base(&self, id: &CustomerId) -> u64 {
        self.replica.with_value(|r| r.as_ref().map_or(0, |r| r.base(id)))
    }

    /// Keeps an archive fetched on its own (opened online, not cached).
    pub fn keep(&self, cached: Cached) {
        self.replica.update_value(|r| {
            if let Some(r) = r {
                let _ = r.keep(cached);
            }
        });
        self.changed();
    }

    /// The badge's figures.
    pub fn status(&self) -> ReadSignal<SyncStatus> {
        self.status.read_only()
    }

    /// Records a change: checked, stored in the outbox and shown before
    /// this returns; sent by the loop when it can.
    pub fn record(&self, customer: CustomerId, change: Change) -> Result<Mutation, RecordError> {
        let result = self
            .replica
            .try_update_value(|r| match r {
                Some(r) => r.record(customer, change, Timestamp(now_ms()), today()),
                None => Err(RecordError::Refused(domain::Rejection::new(domain::Refusal::ReplicaClosed))),
            })
            .unwrap_or_else(|| {
                Err(RecordError::Refused(domain::Rejection::new(domain::Refusal::ReplicaClosed)))
            });
        if result.is_ok() {
            self.changed();
            self.sync_soon();
        }
        result
    }

    /// Queues a refused change again.
    pub fn resend(&self, id: MutationId) -> Result<Mutation, RecordError> {
        let result = self
            .replica
            .try_update_value(|r| match r {
                Some(r) => r.resend(&id, Timestamp(now_ms()), today()),
                None => Err(RecordError::Full),
            })
            .unwrap_or(Err(RecordError::Full));
        self.changed();
        self.sync_soon();
        result
    }

    /// Drops a refused change.
    pub fn discard(&self, id: MutationId) {
        self.replica.update_value(|r| {
            if let Some(r) = r {
                let _ = r.discard(&id);
            }
        });
        self.changed();
    }

    /// Marks an archive as opened now (for least-recently-used eviction).
    pub fn touch(&self, id: CustomerId) {
        self.replica.update_value(|r| {
            if let Some(r) = r {
                r.touch(&id, now_ms());
            }
        });
    }

    /// Frees cached archives by hand, from the settings page.
    pub fn evict(&self, chars: usize) -> usize {
        let freed = self.replica.try_update_value(|r| r.as_mut().map_or(0, |r| r.evict(chars))).unwrap_or(0);
        self.changed();
        freed
    }

    /// Syncs now, forgetting any back-off.
    pub fn sync_now(&self) {
        self.state.update_value(|s| {
            s.failures = 0;
            s.next_try = 0;
        });
        self.sync_soon();
    }

    fn sync_soon(&self) {
        let this = *self;
        spawn_local(async move { this.run().await });
    }

    fn tick(self) {
        self.keep_live();
        let (next_try, last_pull) = self.state.with_value(|s| (s.next_try, s.last_pull));
        let pending = self.status.with_untracked(|s| s.pending);
        let now = now_ms();
        if now >= next_try && (pending > 0 || now - last_pull >= PULL_EVERY_MS) {
            self.sync_soon();
        }
    }

    /// Tells every reader the replica changed and refreshes the badge.
    fn changed(&self) {
        let figures = self.replica.with_value(|r| {
            r.as_ref().map(|r| {
                crate::i18n::know_custom_fields(&r.meta().custom_fields);
                // Today, deadlines and dates shown follow the company's zone.
                domain::time::use_company_zone(&r.meta().time_zone);
                let conflicts = r.customers().filter(|c| c.has_conflicts()).count();
                (r.pending().len(), r.refused().len(), conflicts, r.meta().last_synced)
            })
        });
        self.status.update(|s| {
            if let Some((pending, refused, conflicts, last_synced)) = figures {
                s.ready = true;
                s.pending = pending;
                s.refused = refused;
                s.conflicts = conflicts;
                s.last_synced = last_synced;
            }
        });
        self.revision.update(|r| *r += 1);
    }

    async fn run(self) {
        let now = now_ms();
        let go = self.state.try_update_value(|s| {
            if s.started.is_none() || s.hidden {
                return false;
            }
            if s.running {
                s.again = true;
                return false;
            }
            if !take_lease(LEASE_KEY, &s.tab, now, LEASE_MS) {
                return false;
            }
            s.running = true;
            true
        });
        if go != Some(true) {
            return;
        }
        loop {
            self.status.update(|s| s.syncing = true);
            let result = self.round().await;
            let now = now_ms();
            self.state.update_value(|s| match &result {
                Ok(()) => {
                    s.failures = 0;
                    s.next_try = 0;
                    s.last_pull = now;
                }
                Err(_) => {
                    s.failures = s.failures.saturating_add(1);
                    let backoff = (2_000_i64 << s.failures.min(10)).min(MAX_BACKOFF_MS);
                    s.next_try = now + backoff;
                }
            });
            self.status.update(|s| {
                s.syncing = false;
                s.first_pull = None;
                s.online = !matches!(result, Err(Problem::Offline)) && browser_online();
                s.problem = result.clone().err();
            });
            self.changed();
            let again = self.state.try_update_value(|s| std::mem::take(&mut s.again)).unwrap_or(false);
            if !again || result.is_err() {
                break;
            }
        }
        self.state.update_value(|s| {
            s.running = false;
            release_lease(LEASE_KEY, &s.tab);
        });
    }

    /// A long first pull keeps the lease, so no other tab starts a second one.
    fn renew_lease(self) {
        self.state.with_value(|s| take_lease(LEASE_KEY, &s.tab, now_ms(), LEASE_MS));
    }

    /// One sync round (see [`Round`]): the outbox, then every new page.
    /// While a page is stored the next one is already asked for, so the
    /// server reads it meanwhile instead of after.
    async fn round(self) -> Result<(), Problem> {
        let mut round = Round::new(BATCH, PAGE);
        let first_pull = self.replica.with_value(|r| r.as_ref().is_some_and(|r| r.meta().cookie.is_none()));
        let mut read_ahead: Option<Sent> = None;
        loop {
            let Some(request) = self.replica.with_value(|r| r.as_ref().map(|r| round.next(r))) else {
                return Ok(());
            };
            self.renew_lease();
            let answer = match read_ahead.take() {
                Some(sent) if sent.request == request => sent.answer().await,
                _ => ask(request.clone(), round.page()).await,
            };
            if first_pull && let Answer::Pulled(page) = &answer {
                self.status.update(|s| s.first_pull = Some((page.cookie.version, page.head)));
            }
            if let Some(next) = round.ahead(&answer) {
                read_ahead = Some(Sent::start(next.clone(), ask(next, round.page())).await);
            }
            let taken = self
                .replica
                .try_update_value(|r| r.as_mut().map(|r| round.take(r, &request, answer, now_ms())));
            self.changed();
            match taken.flatten() {
                // Signed out or closed meanwhile: nothing more to do.
                None => return Ok(()),
                Some(Ok(Progress::Continue)) => {}
                Some(Ok(Progress::Done)) => return Ok(()),
                Some(Err(problem)) => return Err(problem),
            }
        }
    }
}

/// Sends `request` and waits for what the round needs of the answer.
async fn ask(request: Request, page: u32) -> Answer {
    match request {
        Request::Push { client, batch } => match push(client, batch).await {
            Ok(reply) => Answer::Pushed(reply),
            Err(AppError::SequenceGap { expected, .. }) => Answer::SequenceGap { expected },
            Err(error) => Answer::Failed(problem(error)),
        },
        Request::Pull { cookie } => match pull(cookie.as_ref().map(ToString::to_string), Some(page)).await {
            Ok(page) => Answer::Pulled(page),
            Err(error) => Answer::Failed(problem(error)),
        },
    }
}

/// A request on its way while the page before it is stored.
struct Sent {
    request: Request,
    answer: Result<Answer, Pin<Box<dyn Future<Output = Answer>>>>,
}

impl Sent {
    /// Polls `answer` once, which sends the request, and keeps it to await
    /// later (or its answer, in the unlikely case it came at once).
    async fn start(request: Request, answer: impl Future<Output = Answer> + 'static) -> Self {
        let mut answer: Pin<Box<dyn Future<Output = Answer>>> = Box::pin(answer);
        let early = std::future::poll_fn(|cx| {
            Poll::Ready(match answer.as_mut().poll(cx) {
                Poll::Ready(done) => Some(done),
                Poll::Pending => None,
            })
        })
        .await;
        Self { request, answer: early.ok_or(answer) }
    }

    async fn answer(self) -> Answer {
        match self.answer {
            Ok(done) => done,
            Err(waiting) => waiting.await,
        }
    }
}

fn problem(error: AppError) -> Problem {
    match error {
        AppError::Request { .. } => Problem::Offline,
        AppError::SignedOut => Problem::SignedOut,
        other => Problem::Server(
            serde_json::to_value(&other)
                .ok()
                .and_then(|v| v.get("code").and_then(|c| c.as_str().map(str::to_owned)))
                .unwrap_or_default(),
        ),
    }
}

/// Takes or renews the lease under `key` for `tab` for `ms`; false while
/// another tab holds it.
fn take_lease(key: &str, tab: &str, now: i64, ms: i64) -> bool {
    let storage = LocalStorage::raw();
    if let Ok(Some(current)) = storage.get_item(key)
        && let Some((holder, until)) = current.split_once('|')
        && holder != tab
        && until.parse::<i64>().unwrap_or(0) > now
    {
        return false;
    }
    let ours = format!("{tab}|{}", now + ms);
    let _ = storage.set_item(key, &ours);
    storage.get_item(key).ok().flatten().as_deref() == Some(ours.as_str())
}

fn release_lease(key: &str, tab: &str) {
    let storage = LocalStorage::raw();
    if let Ok(Some(current)) = storage.get_item(key)
        && current.starts_with(&format!("{tab}|"))
    {
        let _ = storage.remove_item(key);
    }
}

/// Closes this tab's live stream, if it has one.
fn close_live_stream() {
    if let Some((source, _listener)) = LIVE_STREAM.with_borrow_mut(Option::take)
        && let Some(close) = function(&source, "close")
    {
        let _ = close.call0(&source);
    }
}
