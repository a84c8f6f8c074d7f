//! Administration from the command line: the first admin, backup, restore,
//! sweeps, imports.
//! Each opens the store the server would use (so not while it runs on an
//! embedded directory: the lock says so), does one thing and closes it.

use std::path::Path;

use domain::policy::Role;
use store::{NewUser, Store, StoreError};

use crate::config::Settings;
use crate::startup::SHUTDOWN_GRACE;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The database could not be opened, read or written.
    #[error("{0}")]
    Database(#[from] StoreError),
    /// What was asked for cannot be done; the message says why.
    #[error("{0}")]
    Refused(String),
}

impl CommandError {
    /// The process exit code: 3 locked, 4 database, 6 refused.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Database(StoreError::Locked { .. }) => 3,
            Self::Database(_) => 4,
            Self::Refused(_) => 6,
        }
    }
}

async fn open(settings: &Settings) -> Result<Store, CommandError> {
    let (store, _) = Store::open(&settings.database_url, settings.credentials().as_ref()).await?;
    Ok(store)
}

async fn close(store: Store) {
    if let Err(error) = store.close(SHUTDOWN_GRACE).await {
        tracing::warn!(%error, "database did not close cleanly");
    }
}

/// Creates an admin account (the first one, or another).
pub async fn create_admin(
    settings: &Settings,
    username: &str,
    password: &str,
) -> Result<String, CommandError> {
    let store = open(settings).await?;
    let new = NewUser {
        username: username.into(),
        display_name: username.trim().into(),
        role: Role::Admin,
        team: None,
        password: password.into(),
    };
    let result = store.create_user(&new).await;
    close(store).await;
    match result {
        Ok(user) => Ok(format!("admin {} created; sign in at /signin", user.id)),
        Err(StoreError::Invalid(error)) => Err(CommandError::Refused(match error.code.as_str() {
            "password.too_short" => {
                format!("the password needs at least {} characters", error.limit.unwrap_or(8))
            }
            "password.too_long" => {
                format!("the password can have at most {} characters", error.limit.unwrap_or(128))
            }
            "username.required" => "give a user name".into(),
            "username.format" => "a user name is 1 to 32 of a-z, 0-9, '.', '_', '-'".into(),
            other => format!("not accepted: {other}"),
        })),
        Err(StoreError::Conflict(message)) => Err(CommandError::Refused(message)),
        Err(other) => Err(other.into()),
    }
}

/// Looks at every archive for likely duplicates and queues the pairs.
pub async fn dedup_sweep(settings: &Settings) -> Result<String, CommandError> {
    let store = open(settings).await?;
    let started = std::time::Instant::now();
    let result = store.dedup_sweep().await;
    close(store).await;
    let report = result?;
    Ok(format!(
        "dedup: scanned={} pairs={} seconds={:.1}",
        report.scanned,
        report.pairs,
        started.elapsed().as_secs_f64()
    ))
}

/// Sends archives due by the pools' recycle rules on `today` back to their
/// pools (with `dry_run`, only lists them): one line per archive, then the
/// figures.
pub async fn recycle(
    settings: &Settings,
    dry_run: bool,
    today: domain::time::Date,
) -> Result<String, CommandError> {
    let store = open(settings).await?;
    let result = store.recycle(today, dry_run).await;
    close(store).await;
    let report = result?;
    let mut out = String::new();
    for (what, list) in [("due", &report.due), ("warned", &report.warned)] {
        for c in list {
            out.push_str(&format!(
                "{what} {} {} keeper={} pool={} on={} rule={}\n",
                c.customer,
                c.name,
                c.keeper,
                c.pool.as_deref().unwrap_or("company"),
                c.recycle.on,
                c.recycle.rule + 1
            ));
        }
    }
    if !dry_run {
        out.push_str(&format!("recycled={} spared={}\n", report.recycled, report.spared));
    }
    out.push_str(&format!("recycle: candidates={} warned={}", report.due.len(), report.warned.len()));
    Ok(out)
}

/// Fires the reminders of `day` to the record keepers (with `dry_run`,
/// only lists them): one line per reminder, then the figures. Each
/// occasion fires once, whether the daily job or this command gets to it
/// first; so is each care greeting queued. Workflow rules are not built
/// yet, hence none.
pub async fn automation(
    settings: &Settings,
    dry_run: bool,
    day: domain::time::Date,
) -> Result<String, CommandError> {
    let store = open(settings).await?;
    let result = async {
        let reminders = store.run_reminders(day, day, dry_run).await?;
        let rules = store.run_rules(day, day, dry_run, "command line").await?;
        let digests = store.send_digests(day, dry_run).await?;
        Ok::<_, store::StoreError>((reminders, rules, digests))
    }
    .await;
    close(store).await;
    let (run, rules, digests) = result?;
    // The day the run was for, in the company's zone (no --date: today there).
    let mut out = domain::time::with_company_zone(|zone| format!("day {day} {}\n", zone.name()));
    for r in &run.due {
        out.push_str(&format!(
            "reminder {} {} {} keeper={} on={}{}\n",
            r.kind.as_str(),
            r.customer,
            r.name,
            r.keeper,
            r.on,
            if r.lunar { " lunar" } else { "" }
        ));
    }
    for c in &run.care {
        match &c.to {
            Ok(to) => out.push_str(&format!("greeting {} {} to={to}\n", c.customer, c.name)),
            Err(skip) => {
                out.push_str(&format!("no greeting {} {}: {}\n", c.customer, c.name, store::wire_name(skip)))
            }
        }
    }
    for (festival, on) in &run.festivals {
        out.push_str(&format!("festival {} on={on}\n", festival.as_str()));
    }
    for f in &rules.firings {
        let unmet = f.unmet.as_ref().map(|u| format!(" (skipped: {u})")).unwrap_or_default();
        out.push_str(&format!("rule {} {} {} {} {}{unmet}\n", f.rule, f.customer, f.name, f.occasion, f.day));
    }
    let rule_mail = if dry_run { rules.would_mail } else { rules.carried.emails };
    let greetings = run.care.iter().filter(|c| c.to.is_ok()).count();
    let emails = greetings + rule_mail + digests;
    if !dry_run {
        out.push_str(&format!("fired={} (before: {})\n", run.fired, run.due.len() - run.fired));
        out.push_str(&format!("queued={} (before: {})\n", run.queued, greetings - run.queued.min(greetings)));
        out.push_str(&format!("digests={digests}\n"));
        let c = rules.carried;
        out.push_str(&format!(
            "rule events: done={} skipped={} failed={} changes={} emails={}\n",
            c.done, c.skipped, c.failed, c.changes, c.emails
        ));
    }
    out.push_str(&format!(
        "automation: rules={} firings={} emails={emails}",
        rules.rules,
        run.due.len() + run.festivals.len() + rules.firings.len()
    ));
    Ok(out)
}

/// Writes everything to `file`.
pub async fn backup(settings: &Settings, file: &Path) -> Result<String, CommandError> {
    let store = open(settings).await?;
    let result = store.backup(file).await;
    close(store).await;
    result?;
    let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    Ok(format!("backup written to {} ({bytes} bytes)", file.display()))
}

/// Loads `file` into an empty database.
pub async fn restore(settings: &Settings, file: &Path) -> Result<String, CommandError> {
    let store = open(settings).await?;
    let result = store.restore(file).await;
    close(store).await;
    match result {
        Ok(()) => Ok(format!("restored from {}", file.display())),
        Err(StoreError::Conflict(message)) => Err(CommandError::Refused(message)),
        Err(other) => Err(other.into()),
    }
}

/// How `server import` picks its options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportCommand {
    /// Only check: write nothing.
    pub dry_run: bool,
    /// Who keeps the new customers: a rep by user name, or the pool (`None`).
    pub keeper: Option<String>,
    /// Which values find an existing customer.
    pub keys: domain::import::MatchKeys,
}

/// Imports `file` as the system (an admin): its columns guessed from their
/// headers, every row checked with the rules the forms use, then committed
/// through the push path like an import from the page. Progress goes to
/// stderr; the rows in error, then the figures, are the output.
pub async fn import(
    settings: &Settings,
    file: &Path,
    command: &ImportCommand,
) -> Result<String, CommandError> {
    let bytes = std::fs::read(file)
        .map_err(|e| CommandError::Refused(format!("cannot read {}: {e}", file.display())))?;
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let store = open(settings).await?;
    let state = crate::startup::app_state(crate::startup::leptos_options(settings), store.clone(), settings);
    let viewer = domain::policy::Viewer {
        user: domain::ids::UserId(store::SYSTEM_USER.into()),
        role: Role::Admin,
        team: None,
    };
    let keeper = match &command.keeper {
        Some(user) => app::import::KeeperChoice::User(user.clone()),
        None => app::import::KeeperChoice::Pool,
    };
    let progress = |done: u64, total: u64| eprintln!("import: {done}/{total} changes pushed");
    let result = app::import::import_file(
        &state,
        &viewer,
        &name,
        bytes,
        (command.keys, keeper),
        command.dry_run,
        progress,
    )
    .await;
    // The state holds the store too: the data directory is released once both are gone.
    drop(state);
    close(store).await;
    let done = result.map_err(|error| match error {
        app::error::AppError::Invalid { errors } => CommandError::Refused(
            errors.iter().map(|e| format!("{}: {}", e.field, e.code)).collect::<Vec<_>>().join(", "),
        ),
        app::error::AppError::BadRequest { message, .. } => CommandError::Refused(message),
        other => CommandError::Refused(other.to_string()),
    })?;
    let report = &done.report;
    let mut out: String = done.errors.iter().map(|line| format!("{line}\n")).collect();
    if report.refused > 0 {
        out.push_str(&format!("refused by the server: {} (the archive changed meanwhile)\n", report.refused));
    }
    out.push_str(&format!(
        "import: rows={} create={} update={} skip={} error={}{}",
        done.rows,
        report.created,
        report.updated,
        report.skipped,
        report.errors,
        if command.dry_run { " (dry run: nothing written)" } else { "" }
    ));
    Ok(out)
}
