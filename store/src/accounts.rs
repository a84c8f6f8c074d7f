//! Users, teams and sessions.
//!
//! Passwords are hashed with argon2id. Sessions live in the database, so
//! several app servers can share them; the browser holds a random token and
//! the database only its SHA-256, so a leaked backup holds no usable session.

use std::collections::HashMap;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use domain::FieldError;
use domain::ids::UserId;
use domain::policy::{Colleague, Role};
pub use domain::views::User;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::{Store, StoreError, now_millis};

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
    pub password: String,
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

fn check_password(password: &str) -> Result<(), FieldError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(FieldError::new("password", "too_short").with_limit(MIN_PASSWORD_CHARS as u32));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(FieldError::new("password", "too_long").with_limit(MAX_PASSWORD_CHARS as u32));
    }
    Ok(())
}

async fn hash_password(password: String) -> Result<String, StoreError> {
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|_| StoreError::Other)?;
        let salt = SaltString::encode_b64(&salt).map_err(|_| StoreError::Other)?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|_| StoreError::Other)
    })
    .await
    .map_err(|_| StoreError::Other)?
}

async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .unwrap_or(false)
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
        })
    }
}

const USER_COLUMNS: &str = "record::id(id) AS id, display_name, role, team, disabled";

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
        check_password(&new.password).map_err(StoreError::Invalid)?;
        let hash = hash_password(new.password.clone()).await?;
        let response = self
            .db
            .query(
                "BEGIN TRANSACTION;
                 IF $team != NONE { UPSERT type::record('team', $team) SET name = $team; };
                 CREATE type::record('user', $id) SET display_name = $display_name, role = $role,
                     team = $team, password_hash = $hash, disabled = false;
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
        Ok(User { id, display_name: display_name.to_owned(), role: new.role, team, disabled: false })
    }

    /// Disables or re-enables a user; disabling ends their sessions.
    pub async fn set_user_disabled(&self, id: &UserId, disabled: bool) -> Result<User, StoreError> {
        let mut response = self
            .db
            .query(format!(
                "BEGIN TRANSACTION;
                 LET $found = UPDATE type::record('user', $id) SET disabled = $disabled RETURN {USER_COLUMNS};
                 IF $disabled {{ DELETE session WHERE user = $id; }};
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

    /// Checks a name and password. `None` for a wrong name, a wrong password
    /// or a disabled user alike, so the answer does not tell which.
    pub async fn check_credentials(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<User>, StoreError> {
        let Ok(id) = parse_username(username) else {
            verify_password(password.to_owned(), DECOY_HASH.to_owned()).await;
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
        let matches = verify_password(password.to_owned(), hash).await;
        match row {
            Some(row) if matches && !row.disabled => Ok(Some(row.into_user()?)),
            _ => Ok(None),
        }
    }

    /// Sets a new password.
    pub async fn set_password(&self, id: &UserId, password: &str) -> Result<(), StoreError> {
        check_password(password).map_err(StoreError::Invalid)?;
        let hash = hash_password(password.to_owned()).await?;
        let mut response = self
            .db
            .query("UPDATE type::record('user', $id) SET password_hash = $hash RETURN VALUE record::id(id)")
            .bind(("id", id.0.clone()))
            .bind(("hash", hash))
            .await
            .map_err(StoreError::from_db)?;
        let rows: Vec<serde_json::Value> = response.take(0).map_err(StoreError::from_db)?;
        if rows.is_empty() { Err(StoreError::NotFound) } else { Ok(()) }
    }

    /// Starts a session for `user` lasting `ttl_ms`; returns the token for
    /// the cookie (shown once, stored only as a hash) and the expiry.
    pub async fn create_session(&self, user: &UserId, ttl_ms: i64) -> Result<(String, i64), StoreError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|_| StoreError::Other)?;
        let token = hex::encode(bytes);
        let expires_at = now_millis() + ttl_ms;
        self.db
            .query("CREATE type::record('session', $key) SET user = $user, expires_at = $expires_at")
            .bind(("key", token_key(&token)))
            .bind(("user", user.0.clone()))
            .bind(("expires_at", expires_at))
            .await
            .and_then(crate::error::explain)
            .map_err(StoreError::from_db)?;
        Ok((token, expires_at))
    }

    /// The session for `token`, if it exists, has not expired and its user
    /// is enabled. Sliding expiry: past half its life it is renewed for `ttl_ms`.
    pub async fn session(&self, token: &str, ttl_ms: i64) -> Result<Option<SessionInfo>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            user: String,
            expires_at: i64,
        }
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let key = token_key(token);
        let mut response = self
            .db
            .query("SELECT user, expires_at FROM type::record('session', $key)")
            .bind(("key", key.clone()))
            .await
            .map_err(StoreError::from_db)?;
        let rows: Vec<serde_json::Value> = response.take(0).map_err(StoreError::from_db)?;
        let Some(row) = rows.into_iter().next() else { return Ok(None) };
        let row: Row = serde_json::from_value(row).map_err(|_| StoreError::Other)?;
        let now = now_millis();
        if row.expires_at <= now {
            self.delete_session(token).await?;
            return Ok(None);
        }
        let user = match self.user(&UserId(row.user)).await {
            Ok(user) if !user.disabled => user,
            Ok(_) | Err(StoreError::NotFound) => return Ok(None),
            Err(error) => return Err(error),
        };
        let renew = row.expires_at - now < ttl_ms / 2;
        let expires_at = if renew { now + ttl_ms } else { row.expires_at };
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
    }
}
