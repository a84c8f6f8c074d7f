//! Settings in layers: defaults in code, then an optional TOML file, then
//! `CRM_*` environment variables. Anything unknown or malformed stops the
//! server at start with a message that names the setting.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The file read when `CRM_CONFIG` is not set, if it exists.
pub const DEFAULT_CONFIG_FILE: &str = "crm.toml";

/// Everything the server needs to start.
#[derive(Clone, PartialEq, Eq)]
pub struct Settings {
    /// Where the archive lives: `surrealkv://PATH`, `mem://`, `ws://HOST:PORT`.
    pub database_url: String,
    /// User for a SurrealDB server; embedded engines need none.
    pub database_user: Option<String>,
    /// Password for `database_user`; redacted in `Debug`.
    pub database_password: Option<String>,
    /// The address to listen on.
    pub addr: SocketAddr,
    /// Where the built site (wasm, JS, CSS, icons) is served from.
    pub site_root: PathBuf,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// The largest file accepted for import, in bytes.
    pub max_import_bytes: usize,
    /// How long a session lasts without use, in days (sliding).
    pub session_days: u32,
    /// How long a session lasts at most after sign-in, in days, however active.
    pub session_max_days: u32,
    /// Mark the session cookie `Secure` (set when served over TLS).
    pub secure_cookies: bool,
    /// The SMTP server care messages leave by (`smtp://host:25`,
    /// `smtp://user:pass@host:587?tls=required`, `smtps://host`); none: mail
    /// waits in the outbox. Redacted in `Debug` (it may hold a password).
    pub smtp_url: Option<String>,
    /// The address mail is sent as (`客户关怀 <care@example.com>`).
    pub mail_from: Option<String>,
    /// The company's time zone (`Asia/Shanghai`): what "today" is for
    /// reminders, rules, quiet hours and every phone.
    pub time_zone: domain::time::Zone,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &self.database_url)
            .field("database_user", &self.database_user)
            .field("database_password", &self.database_password.as_ref().map(|_| "[redacted]"))
            .field("addr", &self.addr)
            .field("site_root", &self.site_root)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_import_bytes", &self.max_import_bytes)
            .field("session_days", &self.session_days)
            .field("session_max_days", &self.session_max_days)
            .field("secure_cookies", &self.secure_cookies)
            .field("smtp_url", &self.smtp_url.as_ref().map(|_| "[redacted]"))
            .field("mail_from", &self.mail_from)
            .field("time_zone", &self.time_zone.name())
            .finish()
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: "surrealkv://data/crm.db".into(),
            database_user: None,
            database_password: None,
            addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            site_root: PathBuf::from("target/site"),
            max_body_bytes: 2 * 1024 * 1024,
            // A 100,000-row export of an old system is 5 to 10 MB.
            max_import_bytes: 32 * 1024 * 1024,
            session_days: 30,
            session_max_days: 90,
            secure_cookies: false,
            smtp_url: None,
            mail_from: None,
            time_zone: domain::time::Zone::named(domain::time::Zone::DEFAULT_NAME)
                .expect("the time zone database knows Asia/Shanghai"),
        }
    }
}

/// A setting that could not be used, named so a person can fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// An environment variable or file key the server does not know.
    #[error("unknown setting {name} (known settings: {known})")]
    Unknown {
        /// The name as written.
        name: String,
        /// The settings that exist.
        known: String,
    },
    /// A setting whose value cannot be used.
    #[error("{name}: {reason}")]
    Invalid {
        /// The setting's name as written.
        name: String,
        /// What is wrong and what would be accepted.
        reason: String,
    },
    /// The configuration file cannot be read or parsed.
    #[error("configuration file {path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
}

/// The settings a file may hold; every key optional, unknown keys refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    database_url: Option<String>,
    database_user: Option<String>,
    database_password: Option<String>,
    addr: Option<String>,
    site_root: Option<PathBuf>,
    max_body_bytes: Option<usize>,
    max_import_bytes: Option<usize>,
    session_days: Option<u32>,
    session_max_days: Option<u32>,
    secure_cookies: Option<bool>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    time_zone: Option<String>,
}

/// Environment variables the server reads, with the file key each overrides.
const ENV_KEYS: &[(&str, &str)] = &[
    ("CRM_DATABASE_URL", "database_url"),
    ("CRM_DATABASE_USER", "database_user"),
    ("CRM_DATABASE_PASSWORD", "database_password"),
    ("CRM_ADDR", "addr"),
    ("CRM_SITE_ROOT", "site_root"),
    ("CRM_MAX_BODY_BYTES", "max_body_bytes"),
    ("CRM_MAX_IMPORT_BYTES", "max_import_bytes"),
    ("CRM_SESSION_DAYS", "session_days"),
    ("CRM_SESSION_MAX_DAYS", "session_max_days"),
    ("CRM_SECURE_COOKIES", "secure_cookies"),
    ("CRM_SMTP_URL", "smtp_url"),
    ("CRM_MAIL_FROM", "mail_from"),
    ("CRM_TIME_ZONE", "time_zone"),
];
const CONFIG_ENV: &str = "CRM_CONFIG";

impl Settings {
    /// Loads settings from the process environment, relative to the current directory.
    pub fn from_process() -> Result<Self, ConfigError> {
        let env: BTreeMap<String, String> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        let cwd = std::env::current_dir()
            .map_err(|e| ConfigError::Invalid { name: "working directory".into(), reason: e.to_string() })?;
        Self::load(&env, &cwd)
    }

    /// Loads settings from `env` (variables by name) with relative paths
    /// resolved against `cwd`. Pure apart from reading the config file.
    pub fn load(env: &BTreeMap<String, String>, cwd: &Path) -> Result<Self, ConfigError> {
        for name in env.keys().filter(|k| k.starts_with("CRM_")) {
            if name != CONFIG_ENV && !ENV_KEYS.iter().any(|(k, _)| k == name) {
                return Err(ConfigError::Unknown { name: name.clone(), known: known_env() });
            }
        }

        let mut file = match env.get(CONFIG_ENV) {
            Some(path) => read_file(&cwd.join(path), true)?,
            None => read_file(&cwd.join(DEFAULT_CONFIG_FILE), false)?,
        };
        let from_env = |key: &str| env.get(key).cloned();
        if let Some(v) = from_env("CRM_DATABASE_URL") {
            file.database_url = Some(v);
        }
        if let Some(v) = from_env("CRM_DATABASE_USER") {
            file.database_user = Some(v);
        }
        if let Some(v) = from_env("CRM_DATABASE_PASSWORD") {
            file.database_password = Some(v);
        }
        if let Some(v) = from_env("CRM_ADDR") {
            file.addr = Some(v);
        }
        if let Some(v) = from_env("CRM_SITE_ROOT") {
            file.site_root = Some(PathBuf::from(v));
        }
        if let Some(v) = from_env("CRM_MAX_BODY_BYTES") {
            file.max_body_bytes = Some(v.parse().map_err(|_| ConfigError::Invalid {
                name: "CRM_MAX_BODY_BYTES".into(),
                reason: format!("'{v}' is not a whole number of bytes"),
            })?);
        }
        if let Some(v) = from_env("CRM_MAX_IMPORT_BYTES") {
            file.max_import_bytes = Some(v.parse().map_err(|_| ConfigError::Invalid {
                name: "CRM_MAX_IMPORT_BYTES".into(),
                reason: format!("'{v}' is not a whole number of bytes"),
            })?);
        }
        if let Some(v) = from_env("CRM_SESSION_DAYS") {
            file.session_days = Some(v.parse().map_err(|_| ConfigError::Invalid {
                name: "CRM_SESSION_DAYS".into(),
                reason: format!("'{v}' is not a whole number of days"),
            })?);
        }
        if let Some(v) = from_env("CRM_SESSION_MAX_DAYS") {
            file.session_max_days = Some(v.parse().map_err(|_| ConfigError::Invalid {
                name: "CRM_SESSION_MAX_DAYS".into(),
                reason: format!("'{v}' is not a whole number of days"),
            })?);
        }
        if let Some(v) = from_env("CRM_SECURE_COOKIES") {
            file.secure_cookies = Some(v.parse().map_err(|_| ConfigError::Invalid {
                name: "CRM_SECURE_COOKIES".into(),
                reason: format!("'{v}' is not true or false"),
            })?);
        }

        if let Some(v) = from_env("CRM_SMTP_URL") {
            file.smtp_url = Some(v);
        }
        if let Some(v) = from_env("CRM_MAIL_FROM") {
            file.mail_from = Some(v);
        }
        if let Some(v) = from_env("CRM_TIME_ZONE") {
            file.time_zone = Some(v);
        }

        let defaults = Settings::default();
        if let Some(url) = &file.smtp_url {
            let from = file.mail_from.as_deref().ok_or_else(|| ConfigError::Invalid {
                name: setting_name(env, "CRM_MAIL_FROM", "mail_from"),
                reason:
                    "needed with an SMTP URL: the address mail is sent as, like 客户关怀 <care@example.com>"
                        .into(),
            })?;
            crate::mail::Mailer::new(url, from).map_err(|reason| ConfigError::Invalid {
                name: setting_name(env, "CRM_SMTP_URL", "smtp_url"),
                reason,
            })?;
        }
        let session_days = file.session_days.unwrap_or(defaults.session_days);
        if !(1..=365).contains(&session_days) {
            return Err(ConfigError::Invalid {
                name: setting_name(env, "CRM_SESSION_DAYS", "session_days"),
                reason: format!("{session_days} days is out of range; use 1 to 365"),
            });
        }
        let session_max_days = file.session_max_days.unwrap_or(defaults.session_max_days.max(session_days));
        if !(session_days..=3650).contains(&session_max_days) {
            return Err(ConfigError::Invalid {
                name: setting_name(env, "CRM_SESSION_MAX_DAYS", "session_max_days"),
                reason: format!(
                    "{session_max_days} days is out of range; use {session_days} (the idle lifetime) to 3650"
                ),
            });
        }
        let database_url =
            resolve_database_url(file.database_url.as_deref().unwrap_or(&defaults.database_url), cwd)?;
        let addr = match file.addr {
            Some(raw) => raw.parse().map_err(|_| ConfigError::Invalid {
                name: setting_name(env, "CRM_ADDR", "addr"),
                reason: format!("'{raw}' is not an address like 127.0.0.1:3000"),
            })?,
            None => defaults.addr,
        };
        let max_body_bytes = file.max_body_bytes.unwrap_or(defaults.max_body_bytes);
        if max_body_bytes < 1024 {
            return Err(ConfigError::Invalid {
                name: setting_name(env, "CRM_MAX_BODY_BYTES", "max_body_bytes"),
                reason: format!("{max_body_bytes} bytes is too small; use at least 1024"),
            });
        }
        let max_import_bytes = file.max_import_bytes.unwrap_or(defaults.max_import_bytes);
        if max_import_bytes < 1024 {
            return Err(ConfigError::Invalid {
                name: setting_name(env, "CRM_MAX_IMPORT_BYTES", "max_import_bytes"),
                reason: format!("{max_import_bytes} bytes is too small; use at least 1024"),
            });
        }
        let time_zone = match file.time_zone.as_deref().map(str::trim) {
            Some(name) => domain::time::Zone::named(name).ok_or_else(|| ConfigError::Invalid {
                name: setting_name(env, "CRM_TIME_ZONE", "time_zone"),
                reason: format!(
                    "'{name}' is not a time zone; use a name from the time zone database, like Asia/Shanghai or Asia/Urumqi"
                ),
            })?,
            None => defaults.time_zone,
        };
        if file.database_user.is_some() != file.database_password.is_some() {
            return Err(ConfigError::Invalid {
                name: setting_name(env, "CRM_DATABASE_USER", "database_user"),
                reason: "database user and password must be given together".into(),
            });
        }
        Ok(Self {
            database_url,
            database_user: file.database_user,
            database_password: file.database_password,
            addr,
            site_root: cwd.join(file.site_root.unwrap_or(defaults.site_root)),
            max_body_bytes,
            max_import_bytes,
            session_days,
            session_max_days,
            secure_cookies: file.secure_cookies.unwrap_or(defaults.secure_cookies),
            smtp_url: file.smtp_url,
            mail_from: file.mail_from,
            time_zone,
        })
    }

    /// The mailer, when an SMTP server is configured (checked at load).
    pub fn mailer(&self) -> Option<crate::mail::Mailer> {
        crate::mail::Mailer::new(self.smtp_url.as_deref()?, self.mail_from.as_deref()?).ok()
    }

    /// The database credentials, when a user is configured.
    pub fn credentials(&self) -> Option<store::Credentials> {
        Some(store::Credentials {
            username: self.database_user.clone()?,
            password: self.database_password.clone()?,
        })
    }
}

fn known_env() -> String {
    let mut names: Vec<&str> = ENV_KEYS.iter().map(|(k, _)| *k).collect();
    names.push(CONFIG_ENV);
    names.join(", ")
}

/// Names a setting the way the person set it: the variable if set, else the file key.
fn setting_name(env: &BTreeMap<String, String>, var: &str, key: &str) -> String {
    if env.contains_key(var) { var.into() } else { format!("{key} (in the configuration file)") }
}

fn read_file(path: &Path, required: bool) -> Result<FileSettings, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
            return Ok(FileSettings::default());
        }
        Err(e) => {
            return Err(ConfigError::File { path: path.display().to_string(), reason: e.to_string() });
        }
    };
    toml::from_str(&text)
        .map_err(|e| ConfigError::File { path: path.display().to_string(), reason: e.message().to_owned() })
}

/// Checks the scheme and makes an embedded path absolute, so the data
/// directory does not move when the server is started from elsewhere.
fn resolve_database_url(raw: &str, cwd: &Path) -> Result<String, ConfigError> {
    let invalid = |reason: String| ConfigError::Invalid { name: "CRM_DATABASE_URL".into(), reason };
    let (scheme, rest) = raw.split_once("://").ok_or_else(|| {
        invalid(format!("'{raw}' is not a URL; use surrealkv://PATH, mem:// or ws://HOST:PORT"))
    })?;
    match scheme {
        "mem" => Ok("mem://".into()),
        "surrealkv" => {
            if rest.is_empty() {
                return Err(invalid("surrealkv:// needs a directory, like surrealkv://data/crm.db".into()));
            }
            Ok(format!("surrealkv://{}", cwd.join(rest).display()))
        }
        "ws" | "wss" => {
            if rest.is_empty() {
                return Err(invalid(format!(
                    "{scheme}:// needs a host and port, like {scheme}://127.0.0.1:8000"
                )));
            }
            Ok(raw.to_owned())
        }
        other => Err(invalid(format!(
            "unsupported scheme '{other}'; use surrealkv://PATH, mem:// or ws://HOST:PORT"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn empty_dir() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    #[test]
    fn with_nothing_set_the_defaults_apply_and_paths_become_absolute() {
        let dir = empty_dir();
        let settings = Settings::load(&env(&[("HOME", "/root")]), dir.path()).unwrap();
        assert_eq!(settings.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(settings.database_url, format!("surrealkv://{}/data/crm.db", dir.path().display()));
        assert_eq!(settings.site_root, dir.path().join("target/site"));
    }

    #[test]
    fn the_environment_overrides_the_file_which_overrides_the_defaults() {
        let dir = empty_dir();
        std::fs::write(dir.path().join("crm.toml"), "addr = \"127.0.0.1:4000\"\ndatabase_url = \"mem://\"\n")
            .unwrap();
        let from_file = Settings::load(&env(&[]), dir.path()).unwrap();
        assert_eq!(from_file.addr.to_string(), "127.0.0.1:4000");
        assert_eq!(from_file.database_url, "mem://");
        let from_env = Settings::load(&env(&[("CRM_ADDR", "127.0.0.1:5000")]), dir.path()).unwrap();
        assert_eq!(from_env.addr.to_string(), "127.0.0.1:5000");
        assert_eq!(from_env.database_url, "mem://");
    }

    #[test]
    fn an_unknown_crm_variable_is_refused_by_name() {
        let err = Settings::load(&env(&[("CRM_DATABSE_URL", "mem://")]), empty_dir().path()).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("CRM_DATABSE_URL"), "{message}");
        assert!(message.contains("CRM_DATABASE_URL"), "{message}");
    }

    #[test]
    fn a_malformed_address_names_the_setting() {
        let err = Settings::load(&env(&[("CRM_ADDR", "localhost")]), empty_dir().path()).unwrap_err();
        assert!(err.to_string().starts_with("CRM_ADDR:"), "{err}");
    }

    #[test]
    fn an_unsupported_database_scheme_names_the_setting() {
        for url in ["postgres://x", "data/crm.db", "surrealkv://"] {
            let err = Settings::load(&env(&[("CRM_DATABASE_URL", url)]), empty_dir().path()).unwrap_err();
            assert!(err.to_string().starts_with("CRM_DATABASE_URL:"), "{url}: {err}");
        }
    }

    #[test]
    fn an_unknown_key_in_the_file_is_refused() {
        let dir = empty_dir();
        std::fs::write(dir.path().join("crm.toml"), "adress = \"127.0.0.1:1\"\n").unwrap();
        let err = Settings::load(&env(&[]), dir.path()).unwrap_err();
        assert!(matches!(err, ConfigError::File { .. }), "{err}");
        assert!(err.to_string().contains("adress"), "{err}");
    }

    #[test]
    fn a_named_config_file_that_is_missing_is_an_error() {
        let err = Settings::load(&env(&[("CRM_CONFIG", "nope.toml")]), empty_dir().path()).unwrap_err();
        assert!(err.to_string().contains("nope.toml"), "{err}");
    }

    #[test]
    fn the_company_time_zone_is_china_unless_set_and_an_unknown_one_is_explained() {
        let dir = empty_dir();
        assert_eq!(Settings::load(&env(&[]), dir.path()).unwrap().time_zone.name(), "Asia/Shanghai");
        std::fs::write(dir.path().join("crm.toml"), "time_zone = \"Asia/Urumqi\"\n").unwrap();
        let from_file = Settings::load(&env(&[]), dir.path()).unwrap();
        assert_eq!(from_file.time_zone.name(), "Asia/Urumqi");
        assert_eq!(from_file.time_zone.offset_at(domain::time::Timestamp(1_795_451_400_000)), 360);
        let err = Settings::load(&env(&[("CRM_TIME_ZONE", "Beijing")]), dir.path()).unwrap_err();
        assert!(err.to_string().starts_with("CRM_TIME_ZONE: 'Beijing' is not a time zone"), "{err}");
    }

    #[test]
    fn a_body_limit_that_is_not_a_number_names_the_setting() {
        let err = Settings::load(&env(&[("CRM_MAX_BODY_BYTES", "2MB")]), empty_dir().path()).unwrap_err();
        assert!(err.to_string().starts_with("CRM_MAX_BODY_BYTES:"), "{err}");
    }

    #[test]
    fn the_database_password_never_appears_in_debug_output() {
        let env = env(&[
            ("CRM_DATABASE_URL", "ws://127.0.0.1:8000"),
            ("CRM_DATABASE_USER", "root"),
            ("CRM_DATABASE_PASSWORD", "hunter2"),
        ]);
        let settings = Settings::load(&env, empty_dir().path()).unwrap();
        assert!(!format!("{settings:?}").contains("hunter2"));
        assert_eq!(settings.credentials().unwrap().password, "hunter2");
    }
}
