//! Users, teams and sessions.
//!
//! Passwords are hashed with argon2id. Sessions live in the database, so
//! several app servers can share them; the browser holds a random token and
//! the database only its SHA-256, so a leaked backup holds no usable session.

use std::collections::HashMap;
use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, SaltString};
use domain::FieldError;
use domain::ids::UserId;
use domain::policy::{Colleague, Role};
pub use domain::views::User;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::{Store, StoreError, now_millis};

/// Every user's team and standing, read at a stamp of the user table.
#[derive(Clone)]
pub(crate) struct KnownColleagues {
    stamp: i64,
    colleagues: Arc<HashMap<UserId, Colleague>>,
}

/// Shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted (argon2 takes any length; this bounds the work).
pub const MAX_PASSWORD_CHARS: usize = 128;

/// What an admin types to create a user.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Sign-in name: 1 to 32 of a-z, 0-9, `.`, `_`, `-`.
    pub username: String,
    /// Shown name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Team, created when it does not exist yet.
    pub team: Option<String>,
    /// The initial password.
    pub password: InitialPassword,
}

/// A new account's password: typed by a person, or hashed once beforehand
/// so that many accounts sharing one password (test people, simulated
/// users, a demo) do not each pay argon2's deliberate slowness.
#[derive(Debug, Clone)]
pub enum InitialPassword {
    /// As typed: checked against the password rules, then hashed.
    Plain(String),
    /// Hashed already by [`HashedPassword::new`].
    Hashed(HashedPassword),
}

impl From<&str> for InitialPassword {
    fn from(password: &str) -> Self {
        Self::Plain(password.to_owned())
    }
}

impl From<String> for InitialPassword {
    fn from(password: String) -> Self {
        Self::Plain(password)
    }
}

/// A password that passed the rules, hashed with argon2id (a PHC string).
/// Only [`HashedPassword::new`] makes one, so the rules cannot be skipped.
#[derive(Clone)]
pub struct HashedPassword(String);

impl HashedPassword {
    /// Checks `password` against the rules and hashes it, on this thread.
    pub fn new(password: &str) -> Result<Self, StoreError> {
        check_password(password).map_err(StoreError::Invalid)?;
        argon2id_hash(password.as_bytes()).map(Self)
    }
}

impl std::fmt::Debug for HashedPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HashedPassword(..)")
    }
}

/// Checks a sign-in name and returns it lowercased.
pub fn parse_username(raw: &str) -> Result<UserId, FieldError> {
    let name = raw.trim().to_lowercase();
    if name.is_empty() {
        return Err(FieldError::new("username", "required"));
    }
    let valid_chars = name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if name.chars().count() > 32 || !valid_chars {
        return Err(FieldError::new("username", "format"));
    }
    Ok(UserId(name))
}

/// Whether `password` is acceptable as a new password (its length).
pub fn check_password(password: &str) -> Result<(), FieldError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(FieldError::new("password", "too_short").with_limit(MIN_PASSWORD_CHARS as u32));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(FieldError::new("password", "too_long").with_limit(MAX_PASSWORD_CHARS as u32));
    }
    Ok(())
}

/// How many password hashes run at once in this process. Each argon2id
/// hash takes 19 MiB and a core for tens of milliseconds: unbounded, a burst
/// of sign-ins would take the server's memory with it.
fn hash_permits() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 8)
}

/// How long a sign-in waits for its turn to hash before it is told to come back.
const HASH_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

type HashJob = Box<dyn FnOnce() + Send>;

/// The turns to hash passwords, shared by every clone of a store. Hashes run
/// on a few threads of their own: the allocator keeps freed memory per
/// thread, so hashing on the shared blocking pool would leave a 19 MiB block
/// behind on each of its many threads.
#[derive(Debug)]
pub(crate) struct HashGate {
    turns: tokio::sync::Semaphore,
    workers: std::sync::OnceLock<std::sync::mpsc::Sender<HashJob>>,
}

impl Default for HashGate {
    fn default() -> Self {
        Self { turns: tokio::sync::Semaphore::new(hash_permits()), workers: std::sync::OnceLock::new() }
    }
}

impl HashGate {
    /// Runs `work` on a hashing thread when a turn is free; `Unavailable`
    /// when none frees up within [`HASH_WAIT`].
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, StoreError> {
        let busy = || StoreError::Unavailable("too many sign-ins at once; try again in a few seconds".into());
        let _turn = tokio::time::timeout(HASH_WAIT, self.turns.acquire())
            .await
            .map_err(|_| busy())?
            .map_err(|_| busy())?;
        let (done, result) = tokio::sync::oneshot::channel();
        let job: HashJob = Box::new(move || {
            let _ = done.send(work());
        });
        self.workers().send(job).map_err(|_| StoreError::Other)?;
        result.await.map_err(|_| StoreError::Other)
    }

    /// Starts the hashing threads on first use; they end when the store does.
    fn workers(&self) -> &std::sync::mpsc::Sender<HashJob> {
        self.workers.get_or_init(|| {
            let (send, receive) = std::sync::mpsc::channel::<HashJob>();
            let receive = std::sync::Arc::new(std::sync::Mutex::new(receive));
            for n in 0..hash_permits() {
                let receive = receive.clone();
                let spawned =
                    std::thread::Builder::new().name(format!("password-hash-{n}")).spawn(move || {
                        loop {
                            let job = receive.lock().unwrap_or_else(|e| e.into_inner()).recv();
                            match job {
                                Ok(job) => job(),
                                Err(_) => break,
                            }
                        }
                    });
                if let Err(error) = spawned {
                    tracing::error!(%error, "cannot start a password hashing thread");
                }
            }
            send
        })
    }
}

impl Store {
    async fn hash_password(&self, password: String) -> Result<String, StoreError> {
        self.hashing.run(move || argon2id_hash(password.as_bytes())).await?
    }

    async fn verify_password(&self, password: String, hash: String) -> Result<bool, StoreError> {
        self.hashing.run(move || argon2id_verify(password.as_bytes(), &hash)).await
    }
}

thread_local! {
    /// Each hashing thread's argon2 memory, allocated once and reused, so
    /// the process holds at most one hash's memory per thread however many
    /// sign-ins it has served (the allocator would otherwise keep freed
    /// blocks around: measured, 105 MiB more after a burst of 30 hashes).
    static ARGON2_MEMORY: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn argon2_into(
    argon: &Argon2<'_>,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    ARGON2_MEMORY.with_borrow_mut(|blocks| {
        let count = argon.params().block_count();
        if blocks.len() < count {
            blocks.resize(count, argon2::Block::default());
        }
        argon.hash_password_into_with_memory(password, salt, out, &mut blocks[..count])
    })
}

/// A new argon2id hash of `password` with a random salt, as a PHC string.
fn argon2id_hash(password: &[u8]) -> Result<String, StoreError> {
    let fail = |_| StoreError::Other;
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|_| StoreError::Other)?;
    let salt = SaltString::encode_b64(&salt).map_err(fail)?;
    let mut raw_salt = [0u8; 64];
    let salt_bytes = salt.as_salt().decode_b64(&mut raw_salt).map_err(fail)?;
    let argon = Argon2::default();
    let mut out = [0u8; argon2::Params::DEFAULT_OUTPUT_LEN];
    argon2_into(&argon, password, salt_bytes, &mut out).map_err(|_| StoreError::Other)?;
    let hash = PasswordHash {
        algorithm: argon2::Algorithm::Argon2id.ident(),
        version: Some(argon2::Version::V0x13.into()),
        params: argon2::password_hash::ParamsString::try_from(argon.params()).map_err(fail)?,
        salt: Some(salt.as_salt()),
        hash: Some(argon2::password_hash::Output::new(&out).map_err(fail)?),
    };
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC string `hash` (compared in constant time).
fn argon2id_verify(password: &[u8], hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else { return false };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else { return false };
    let Ok(algorithm) = argon2::Algorithm::try_from(parsed.algorithm) else { return false };
    let version = match parsed.version.map(argon2::Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = argon2::Params::try_from(&parsed) else { return false };
    let mut raw_salt = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut raw_salt) else { return false };
    let argon = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    if argon2_into(&argon, password, salt_bytes, &mut out).is_err() {
        return false;
    }
    argon2::password_hash::Output::new(&out).is_ok_and(|actual| actual == expected)
}

/// A hash of a password nobody has, verified when the user does not exist so
/// that a wrong name takes as long as a wrong password.
const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$0mKx8m3N6XwVvWm3c3JhbmRvbWJ5dGVzZm9ydGVzdA";

fn token_key(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[derive(Debug, Deserialize)]
struct UserRow {
    id: String,
    display_name: String,
    role: String,
    team: Option<String>,
    disabled: bool,
    #[serde(default)]
    password_hash: Option<String>,
    #[serde(default)]
    last_sign_in: Option<i64>,
    #[serde(default)]
    last_sync: Option<i64>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    digest: Option<bool>,
}

impl UserRow {
    fn into_user(self) -> Result<User, StoreError> {
        let role = Role::parse(&self.role).ok_or(StoreError::Other)?;
        Ok(User {
            id: UserId(self.id),
            display_name: self.display_name,
            role,
            team: self.team,
            disabled: self.disabled,
            last_sign_in: self.last_sign_in,
            last_sync: self.last_sync,
            email: self.email,
            digest: self.digest.unwrap_or(false),
        })
    }
}

const USER_COLUMNS: &str =
    "record::id(id) AS id, display_name, role, team, disabled, last_sign_in, last_sync, email, digest";

/// How long sessions last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    /// Idle lifetime: a session unused this long ends. Use renews it.
    pub idle_ms: i64,
    /// Absolute lifetime: a session ends this long after sign-in, however
    /// active, so a stolen cookie does not work forever.
    pub absolute_ms: i64,
}

/// A signed-in session as found from its token.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    /// Who.
    pub user: User,
    /// When it ends (Unix milliseconds), after any renewal.
    pub expires_at: i64,
    /// True when this lookup pushed the expiry forward (send a fresh cookie).
    pub renewed: bool,
}

impl Store {
    /// Creates a user; `Conflict` when the name is taken.
    pub async fn create_user(&self, new: &NewUser) -> Result<User, StoreError> {
        let id = parse_username(&new.username).map_err(StoreError::Invalid)?;
        let display_name = new.display_name.trim();
        if display_name.is_empty() {
            return Err(StoreError::Invalid(FieldError::new("display_name", "required")));
        }
        if display_name.chars().count() > 60 {
            return Err(StoreError::Invalid(FieldError::new("display_name", "too_long").with_limit(60)));
        }
        let team = new.team.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned);
        if team.as_ref().is_some_and(|t| t.chars().count() > 60) {
            return Err(StoreError::Invalid(FieldError::new("team", "too_long").with_limit(60)));
        }
        if let Some(team) = &team {
            domain::pool::check_team_name(team).map_err(StoreError::Invalid)?;
        }
        let hash = match &new.password {
            InitialPassword::Plain(password) => {
                check_password(password).map_err(StoreError::Invalid)?;
                self.hash_password(password.clone()).await?
            }
            InitialPassword::Hashed(hashed) => hashed.0.clone(),
        };
        let response = self
            .db
            .query(
                "BEGIN TRANSACTION;
                 IF $team != NONE { UPSERT type::record('team', $team) SET name = $team; };
                 CREATE type::record('user', $id) SET display_name = $display_name, role = $role,
                     team = $team, password_hash = $hash, disabled = false;
                 UPDATE counter:users SET current += 1;
                 COMMIT TRANSACTION;",
            )
            .bind(("id", id.0.clone()))
            .bind(("display_name", display_name.to_owned()))
            .bind(("role", new.role.as_str()))
            .bind(("team", team.clone()))
            .bind(("hash", hash))
            .await
            .map_err(StoreError::from_db)?;
        if let Err(error) = crate::error::explain(response) {
            if error.to_string().contains("already exists") {
                return Err(StoreError::Conflict(format!("user {id} already exists")));
            }
            return Err(StoreError::from_db(error));
        }
        Ok(User {
            id,
            display_name: display_name.to_owned(),
            role: new.role,
            team,
            disabled: false,
            last_sign_in: None,
            last_sync: None,
            email: None,
            digest: false,
        })
    }

    /// Sets `user`'s own email address and whether they want the morning
    /// digest (which needs an address). Checked like a customer's address.
    pub async fn save_own_mail(&self, user: &UserId, email: &str, digest: bool) -> Result<User, StoreError> {
        let email = match email.trim() {
            "" => None,
            text => Some(domain::email::Email::parse(text).map_err(StoreError::Invalid)?.as_str().to_owned()),
        };
        if digest && email.is_none() {
            return Err(StoreError::Invalid(FieldError::new("email", "required")));
        }
        let mut response = self
            .db
            .query(format!(
                "UPDATE type::record('user', $id) SET email = $email, digest = $digest RETURN {USER_COLUMNS}"
            ))
            .bind(("id", user.0.clone()))
            .bind(("email", email))
            .bind(("digest", digest))
            .await
            .map_err(StoreError::from_db)?;
        let rows: Vec<serde_json::Value> = response.take(0).map_err(StoreError::from_db)?;
        let row = rows.into_iter().next().ok_or(StoreError::NotFound)?;
        serde_json::from_value::<UserRow>(row).map_err(|_| StoreError::Other)?.into_user()
    }

    /// Disables or re-enables a user; disabling ends their sessions.
    pub async fn set_user_disabled(&self, id: &UserId, disabled: bool) -> Result<User, StoreError> {
        let mut response = self
            .db
            .query(format!(
                "BEGIN TRANSACTION;
                 LET $found = UPDATE type::record('user', $id) SET disabled = $disabled RETURN {USER_COLUMNS};
                 IF $disabled {{ DELETE session WHERE user = $id; }};
                 UPDATE counter:users SET current += 1;
                 COMMIT TRANSACTION;
                 SELECT {USER_COLUMNS} FROM type::record('user', $id);"
            ))
            .bind(("id", id.0.clone()))
            .bind(("disabled", disabled))
            .await
            .and_then(crate::error::explain)
            .map_err(StoreError::from_db)?;
        let rows: Vec<serde_json::Value> =
            response.take(response.num_statements() - 1).map_err(StoreError::from_db)?;
        let row = rows.into_iter().next().ok_or(StoreError::NotFound)?;
        serde_json::from_value::<UserRow>(row).map_err(|_| StoreError::Other)?.into_user()
    }

    /// Notes that `user` just synced, unless the last note is recent enough
    /// (see [`domain::views::LAST_SYNC_GRAIN_MS`]).
    pub async fn note_sync(&self, user: &User) -> Result<(), StoreError> {
        let now = now_millis();
        if user.last_sync.is_some_and(|at| now - at < domain::views::LAST_SYNC_GRAIN_MS) {
            return Ok(());
        }
        let noted = self
            .db
            .query("UPDATE type::record('user', $id) SET last_sync = $now")
            .bind(("id", user.id.0.clone()))
            .bind(("now", now))
            .await
            .and_then(crate::error::explain);
        match noted {
            // Another of the user's devices noted it at the same moment.
            Err(error) if crate::sync::retryable(&error) => Ok(()),
            Err(error) => Err(StoreError::from_db(error)),
            Ok(_) => Ok(()),
        }
    }

    /// One user.
    pub async fn user(&self, id: &UserId) -> Result<User, StoreError> {
        let mut response = self
            .db
            .query(format!("SELECT {USER_COLUMNS} FROM type::record('user', $id)"))
            .bind(("id", id.0.clone()))
            .await
            .map_err(StoreError::from_db)?;
        let rows: Vec<serde_json::Value> = response.take(0).map_err(StoreError::from_db)?;
        let row = rows.into_iter().next().ok_or(StoreError::NotFound)?;
        serde_json::from_value::<UserRow>(row).map_err(|_| StoreError::Other)?.into_user()
    }

    /// Every user, by name.
    pub async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let mut response = self
            .db
            .query(format!("SELECT {USER_COLUMNS} FROM user ORDER BY id"))
            .await
            .map_err(StoreError::from_db)?;
        let rows: Vec<serde_json::Value> = response.take(0).map_err(StoreError::from_db)?;
        rows.into_iter()
            .map(|row| serde_json::from_value::<UserRow>(row).map_err(|_| StoreError::Other)?.into_user())
            .collect()
    }

    /// Whether there is any user yet (a fresh install has none).
    pub async fn has_users(&self) -> Result<bool, StoreError> {
        let mut response =
            self.db.query("SELECT VALUE id FROM user LIMIT 1").await.map_err(StoreError::from_db)?;
        let rows: Vec<serde_json::Value> = response.take(0).map_err(StoreError::from_db)?;
        Ok(!rows.is_empty())
    }

    /// Teams and team membership of every user, for the policy.
    pub async fn colleagues(&self) -> Result<HashMap<UserId, Colleague>, StoreError> {
        Ok(self
            .list_users()
            .await?
            .into_iter()
            .map(|u| (u.id, Colleague { team: u.team, active: !u.disabled }))
            .collect())
    }

    /// [`Store::colleagues`] as of `stamp`, the value of `counter:users`
    /// read before: from this process's copy when it was read at that stamp,
    /// else read again (and kept, when there is a stamp). Every write of a
    /// user's team or standing moves the stamp in its own transaction, on
    /// whichever server, so a copy at the current stamp is never stale; at
    /// a thousand users, reading them all for each push cost more than many
    /// pushes' own work.
    pub(crate) async fn colleagues_at(
        &self,
        stamp: Option<i64>,
    ) -> Result<Arc<HashMap<UserId, Colleague>>, StoreError> {
        let kept = self.colleagues.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let (Some(stamp), Some(kept)) = (stamp, kept)
            && kept.stamp == stamp
        {
            return Ok(kept.colleagues);
        }
        let colleagues = Arc::new(self.colleagues().await?);
        if let Some(stamp) = stamp {
            *self.colleagues.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(KnownColleagues { stamp, colleagues: colleagues.clone() });
        }
        Ok(colleagues)
    }

    /// Checks a name and password. `None` for a wrong name, a wrong password
    /// or a disabled user alike, so the answer does not tell which.
    pub async fn check_credentials(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<User>, StoreError> {
        let Ok(id) = parse_username(username) else {
            self.verify_password(password.to_owned(), DECOY_HASH.to_owned()).await?;
            return Ok(None);
        };
        let mut response = self
            .db
            .query(format!("SELECT {USER_COLUMNS}, password_hash FROM type::record('user', $id)"))
            .bind(("id", id.0))
            .await
            .map_err(StoreError::from_db)?;
        let rows: Vec<serde_json::Value> = response.take(0).map_err(StoreError::from_db)?;
        let row = rows
            .into_iter()
            .next()
            .map(serde_json::from_value::<UserRow>)
            .transpose()
            .map_err(|_| StoreError::Other)?;
        let hash =
            row.as_ref().and_then(|r| r.password_hash.clone()).unwrap_or_else(|| DECOY_HASH.to_owned());
        let matches = self.verify_password(password.to_owned(), hash).await?;
        match row {
            Some(row) if matches && !row.disabled => Ok(Some(row.into_user()?)),
            _ => Ok(None),
        }
    }

    /// Sets a new password (an admin's reset) and ends every session of
    /// the user, except `keep` (the token of the user changing their own).
    pub async fn set_password(
        &self,
        id: &UserId,
        password: &str,
        keep: Option<&str>,
    ) -> Result<(), StoreError> {
        check_password(password).map_err(StoreError::Invalid)?;
        let hash = self.hash_password(password.to_owned()).await?;
        let mut response = self
            .db
            .query(
                "BEGIN TRANSACTION;
                 UPDATE type::record('user', $id) SET password_hash = $hash;
                 DELETE session WHERE user = $id AND record::id(id) != $keep;
                 COMMIT TRANSACTION;
                 SELECT VALUE record::id(id) FROM type::record('user', $id);",
            )
            .bind(("id", id.0.clone()))
            .bind(("hash", hash))
            .bind(("keep", keep.map(token_key).unwrap_or_default()))
            .await
            .and_then(crate::error::explain)
            .map_err(StoreError::from_db)?;
        let rows: Vec<serde_json::Value> =
            response.take(response.num_statements() - 1).map_err(StoreError::from_db)?;
        if rows.is_empty() { Err(StoreError::NotFound) } else { Ok(()) }
    }

    /// A user changes their own password: the current one must match.
    /// Their other sessions end; the one making the change (`keep`) stays.
    pub async fn change_own_password(
        &self,
        id: &UserId,
        current: &str,
        new: &str,
        keep: &str,
    ) -> Result<(), StoreError> {
        check_password(new).map_err(StoreError::Invalid)?;
        if self.check_credentials(&id.0, current).await?.is_none() {
            return Err(StoreError::Invalid(FieldError::new("current_password", "wrong")));
        }
        self.set_password(id, new, Some(keep)).await
    }

    /// Starts a session for `user`; returns the token for the cookie (shown
    /// once, stored only as a hash) and the expiry.
    pub async fn create_session(
        &self,
        user: &UserId,
        limits: SessionLimits,
    ) -> Result<(String, i64), StoreError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|_| StoreError::Other)?;
        let token = hex::encode(bytes);
        let now = now_millis();
        let expires_at = now + limits.idle_ms.min(limits.absolute_ms);
        self.db
            .query(
                "CREATE type::record('session', $key) SET user = $user, expires_at = $expires_at, started_at = $now;
                 UPDATE type::record('user', $user) SET last_sign_in = $now;",
            )
            .bind(("key", token_key(&token)))
            .bind(("user", user.0.clone()))
            .bind(("expires_at", expires_at))
            .bind(("now", now))
            .await
            .and_then(crate::error::explain)
            .map_err(StoreError::from_db)?;
        Ok((token, expires_at))
    }

    /// The session for `token`, if it exists, has not expired and its user
    /// is enabled. Sliding expiry: past half its idle life it is renewed,
    /// but never beyond its absolute end.
    pub async fn session(
        &self,
        token: &str,
        limits: SessionLimits,
    ) -> Result<Option<SessionInfo>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            user: String,
            expires_at: i64,
            started_at: Option<i64>,
        }
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let key = token_key(token);
        let mut response = self
            .db
            .query("SELECT user, expires_at, started_at FROM type::record('session', $key)")
            .bind(("key", key.clone()))
            .await
            .map_err(StoreError::from_db)?;
        let rows: Vec<serde_json::Value> = response.take(0).map_err(StoreError::from_db)?;
        let Some(row) = rows.into_iter().next() else { return Ok(None) };
        let row: Row = serde_json::from_value(row).map_err(|_| StoreError::Other)?;
        let now = now_millis();
        let started_at = row.started_at.unwrap_or(row.expires_at - limits.idle_ms);
        let ends_at = started_at.saturating_add(limits.absolute_ms);
        if row.expires_at <= now || ends_at <= now {
            self.delete_session(token).await?;
            return Ok(None);
        }
        let user = match self.user(&UserId(row.user)).await {
            Ok(user) if !user.disabled => user,
            Ok(_) | Err(StoreError::NotFound) => return Ok(None),
            Err(error) => return Err(error),
        };
        let renewed_until = (now + limits.idle_ms).min(ends_at);
        let renew = row.expires_at - now < limits.idle_ms / 2 && renewed_until > row.expires_at;
        let expires_at = if renew { renewed_until } else { row.expires_at };
        if renew {
            self.db
                .query("UPDATE type::record('session', $key) SET expires_at = $expires_at")
                .bind(("key", key))
                .bind(("expires_at", expires_at))
                .await
                .and_then(crate::error::explain)
                .map_err(StoreError::from_db)?;
        }
        Ok(Some(SessionInfo { user, expires_at, renewed: renew }))
    }

    /// Ends a session (signing out). Unknown tokens are ignored.
    pub async fn delete_session(&self, token: &str) -> Result<(), StoreError> {
        self.db
            .query("DELETE type::record('session', $key)")
            .bind(("key", token_key(token)))
            .await
            .and_then(crate::error::explain)
            .map_err(StoreError::from_db)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_username_is_lowercased_and_checked() {
        assert_eq!(parse_username(" Zhang.San ").unwrap(), UserId("zhang.san".into()));
        assert_eq!(parse_username("").unwrap_err().code, "username.required");
        assert_eq!(parse_username("张三").unwrap_err().code, "username.format");
        assert_eq!(parse_username(&"a".repeat(33)).unwrap_err().code, "username.format");
    }

    #[test]
    fn the_decoy_hash_parses_so_unknown_names_cost_a_verification() {
        assert!(PasswordHash::new(DECOY_HASH).is_ok());
        assert!(!argon2id_verify(b"anything", DECOY_HASH));
    }

    #[test]
    fn a_hash_verifies_its_password_only_and_reads_like_any_argon2_hash() {
        use argon2::password_hash::PasswordVerifier;
        let hash = argon2id_hash(b"correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(argon2id_verify(b"correct horse", &hash));
        assert!(!argon2id_verify(b"correct horsf", &hash));
        assert!(!argon2id_verify(b"correct horse", "not a hash"));
        // The standard verifier agrees, so hashes stored before still work and vice versa.
        let parsed = PasswordHash::new(&hash).unwrap();
        assert!(Argon2::default().verify_password(b"correct horse", &parsed).is_ok());
    }

    /// A push hands an archive to a colleague who was disabled after the
    /// pushes before it read the users: refused, whichever server disabled
    /// them. The copy of the users is kept while the stamp stands still.
    #[tokio::test]
    async fn a_push_reads_the_users_again_once_any_server_has_changed_one() {
        use domain::Refusal;
        use domain::archive::Fields;
        use domain::ids::CustomerId;
        use domain::mutation::Sequencer;
        use domain::policy::Viewer;
        use domain::sync::Outcome;
        use domain::time::Timestamp;
        use domain::{Change, CustomerName};

        let (store, _) = Store::open("mem://", None).await.unwrap();
        for (name, role) in [("m", Role::Manager), ("b", Role::Rep)] {
            let new = NewUser {
                username: name.into(),
                display_name: name.into(),
                role,
                team: Some("north".into()),
                password: "a password 123".into(),
            };
            store.create_user(&new).await.unwrap();
        }
        let manager = Viewer { user: UserId("m".into()), role: Role::Manager, team: Some("north".into()) };
        let mut client = Sequencer::new(manager.user.clone());
        let at = Timestamp(1_700_000_000_000);
        let hand_to_b = |client: &mut Sequencer| {
            let mut fields = Fields::named(CustomerName::parse("钱九").unwrap());
            fields.owner = Some(UserId("b".into()));
            client.next(CustomerId::new(), Change::Create { fields: Box::new(fields) }, at)
        };
        let outcome = |reply: crate::PushReply| reply.results[0].outcome.clone();

        let first = store.push(&manager, client.client, &[hand_to_b(&mut client)], crate::today()).await;
        assert!(matches!(outcome(first.unwrap()), Outcome::Applied { .. }));
        // Changed behind this process's back, stamp unmoved: the copy is used.
        store.db.query("UPDATE user:b SET disabled = true").await.unwrap().check().unwrap();
        let copied = store.push(&manager, client.client, &[hand_to_b(&mut client)], crate::today()).await;
        assert!(matches!(outcome(copied.unwrap()), Outcome::Applied { .. }), "read from the copy");
        // As another server's change does, with the stamp moved in its transaction.
        store.db.query("UPDATE counter:users SET current += 1").await.unwrap().check().unwrap();
        let refused = store.push(&manager, client.client, &[hand_to_b(&mut client)], crate::today()).await;
        assert!(
            matches!(outcome(refused.unwrap()), Outcome::Rejected { ref code, .. }
                if code == Refusal::OwnerUnknown.code()),
            "b is disabled"
        );
        // And this server's own change moves it too.
        store.set_user_disabled(&UserId("b".into()), false).await.unwrap();
        let again = store.push(&manager, client.client, &[hand_to_b(&mut client)], crate::today()).await;
        assert!(matches!(outcome(again.unwrap()), Outcome::Applied { .. }), "b is back");
    }
}
