//! A small company to test with: two teams, their reps and managers, an admin.

use std::collections::HashMap;

use domain::archive::Fields;
use domain::ids::{CustomerId, UserId};
use domain::mutation::Sequencer;
use domain::policy::{Role, Viewer};
use domain::time::{Date, Timestamp};
use domain::{Change, CustomerName, Mutation};
use store::{HashedPassword, InitialPassword, NewUser, Outcome, PushReply, Store};

/// `a`, `b`: reps in north; `c`: rep in south; `m`: north's manager;
/// `n`: south's manager; `root`: admin.
pub const PEOPLE: &[(&str, Role, Option<&str>)] = &[
    ("a", Role::Rep, Some("north")),
    ("b", Role::Rep, Some("north")),
    ("c", Role::Rep, Some("south")),
    ("m", Role::Manager, Some("north")),
    ("n", Role::Manager, Some("south")),
    ("root", Role::Admin, None),
];

pub const PASSWORD: &str = "correct horse battery";

pub fn today() -> Date {
    Date::new(2026, 11, 23).unwrap()
}

pub struct World {
    pub store: Store,
    clients: HashMap<String, Sequencer>,
}

/// [`PASSWORD`] hashed once for every test in this binary: argon2 is slow on
/// purpose, and six people per test added up.
fn hashed_password() -> HashedPassword {
    static HASH: std::sync::OnceLock<HashedPassword> = std::sync::OnceLock::new();
    HASH.get_or_init(|| HashedPassword::new(PASSWORD).expect("a valid password")).clone()
}

impl World {
    /// A fresh in-memory store with everyone in [`PEOPLE`].
    pub async fn new() -> Self {
        log();
        let (store, _) = Store::open("mem://", None).await.unwrap();
        Self::on(store).await
    }

    /// `store` with everyone in [`PEOPLE`] added.
    pub async fn on(store: Store) -> Self {
        for (user, role, team) in PEOPLE {
            store
                .create_user(&NewUser {
                    username: (*user).into(),
                    display_name: format!("User {user}"),
                    role: *role,
                    team: team.map(Into::into),
                    password: InitialPassword::Hashed(hashed_password()),
                })
                .await
                .unwrap();
        }
        Self::existing(store)
    }

    /// A store whose people were added before.
    pub fn existing(store: Store) -> Self {
        Self { store, clients: HashMap::new() }
    }

    pub fn viewer(&self, user: &str) -> Viewer {
        let (_, role, team) = PEOPLE.iter().find(|(u, _, _)| *u == user).unwrap();
        Viewer { user: UserId(user.into()), role: *role, team: team.map(Into::into) }
    }

    /// The one client each user works on in these tests.
    pub fn client(&mut self, user: &str) -> &mut Sequencer {
        self.clients.entry(user.into()).or_insert_with(|| Sequencer::new(UserId(user.into())))
    }

    pub fn mutation(&mut self, user: &str, customer: CustomerId, change: Change) -> Mutation {
        self.client(user).next(customer, change, Timestamp(1_700_000_000_000))
    }

    pub async fn push(&mut self, user: &str, mutations: &[Mutation]) -> PushReply {
        let client = self.client(user).client;
        self.store.push(&self.viewer(user), client, mutations, today()).await.unwrap()
    }

    /// Pushes one mutation and returns its outcome.
    pub async fn push_one(&mut self, user: &str, customer: CustomerId, change: Change) -> Outcome {
        let mutation = self.mutation(user, customer, change);
        self.push(user, &[mutation]).await.results.remove(0).outcome
    }

    /// Creates an archive kept by `owner`, as `owner`.
    pub async fn create(&mut self, owner: &str, name: &str) -> CustomerId {
        let id = CustomerId::new();
        let mut fields = Fields::named(CustomerName::parse(name).unwrap());
        fields.owner = Some(UserId(owner.into()));
        let outcome = self.push_one(owner, id, Change::Create { fields: Box::new(fields) }).await;
        assert!(matches!(outcome, Outcome::Applied { .. }), "{outcome:?}");
        id
    }

    /// The version an archive is at, as an admin sees it.
    pub async fn version(&self, id: CustomerId) -> u64 {
        let (customer, _) =
            self.store.customer_for(&self.viewer("root"), &id.to_string()).await.unwrap().unwrap();
        customer.version
    }
}

/// Database errors are logged rather than returned: show them in failing tests.
pub fn log() {
    let _ = tracing_subscriber::fmt().with_test_writer().with_env_filter("warn").try_init();
}

/// Every page `viewer` pulls after `cookie`, `limit` at a time: the changes,
/// the last cookie, and whether the server told the device to start over.
pub async fn pull_pages(
    store: &Store,
    viewer: &Viewer,
    cookie: Option<String>,
    limit: u32,
) -> (Vec<domain::sync::Pulled>, String, bool) {
    let mut cookie = cookie;
    let (mut changes, mut reset) = (Vec::new(), false);
    loop {
        let page = store.pull(viewer, cookie.as_deref(), limit).await.unwrap();
        changes.extend(page.changes);
        reset |= page.reset;
        cookie = Some(page.cookie.to_string());
        if !page.more {
            return (changes, cookie.unwrap(), reset);
        }
    }
}

/// The archives among pulled changes that arrived whole.
pub fn put_ids(changes: &[domain::sync::Pulled]) -> std::collections::BTreeSet<CustomerId> {
    changes
        .iter()
        .filter_map(|c| match c {
            domain::sync::Pulled::Put { customer, .. } => Some(customer.id),
            domain::sync::Pulled::Delete { .. } => None,
        })
        .collect()
}
