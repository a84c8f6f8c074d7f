//! The server side of an import: read the file, plan it against what the
//! importer may see, and push the planned changes as the importer.

use base64::Engine as _;
use domain::FieldError;
use domain::ids::UserId;
use domain::import::{Keeper, Plan, Verdict, guess_columns, plan};
use domain::mutation::Sequencer;
use domain::policy::{self, Role, Sight, Viewer};
use domain::time::Timestamp;
use sheet::{FileError, Table, read_file};
use store::MAX_BATCH;

use super::api::{DryRun, ImportOptions, ImportReport, KeeperChoice, Preview, Upload};
use crate::auth::signed_in;
use crate::error::{AppError, answer};
use crate::state::AppState;

/// Rows a preview shows.
const SAMPLE_ROWS: usize = 5;
/// Most rows a dry run sends back to show.
const SHOWN_ROWS: usize = 500;

async fn importer() -> Result<(AppState, Viewer), AppError> {
    let (state, user) = signed_in().await?;
    let viewer = user.viewer();
    if !policy::may_import(&viewer) {
        return Err(AppError::Forbidden { reason: "import.forbidden".into() }.respond());
    }
    Ok((state, viewer))
}

fn table(file: &Upload) -> Result<Table, AppError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(file.data.as_bytes())
        .map_err(|_| AppError::invalid(FieldError::new("file", "format")).respond())?;
    read_file(&file.name, &bytes, file.encoding).map_err(|error| {
        let reason = match error {
            FileError::Empty => "empty",
            FileError::Unreadable(_) => "format",
            FileError::TooManyRows(_) => "too_many",
        };
        let error = FieldError::new("file", reason);
        let error = if reason == "too_many" { error.with_limit(sheet::MAX_ROWS as u32) } else { error };
        AppError::invalid(error).respond()
    })
}

pub(super) async fn preview(file: Upload) -> Result<Preview, AppError> {
    let (state, _) = importer().await?;
    let table = table(&file)?;
    let custom = answer(state.store.custom_fields().await)?;
    Ok(Preview {
        encoding: table.encoding,
        mapping: guess_columns(&table.headers, &custom),
        custom: custom.active().map(|f| (f.key.clone(), f.zh.clone())).collect(),
        sample: table.rows.iter().take(SAMPLE_ROWS).cloned().collect(),
        rows: table.rows.len(),
        headers: table.headers,
    })
}

/// Plans the import as `viewer` would commit it.
async fn planned(
    state: &AppState,
    viewer: &Viewer,
    file: &Upload,
    options: &ImportOptions,
) -> Result<Plan, AppError> {
    let table = table(file)?;
    let custom = answer(state.store.custom_fields().await)?;
    let users = answer(state.store.list_users().await)?;
    // A keeper must be an active user the importer may hand customers to:
    // anyone for an admin, their own team for a manager. The push checks it again.
    let may_keep = |name: &str| -> Option<UserId> {
        let user = users.iter().find(|u| u.id.0 == name.trim() && !u.disabled)?;
        (viewer.role == Role::Admin || (user.team.is_some() && user.team == viewer.team))
            .then(|| user.id.clone())
    };
    let keeper = match &options.keeper {
        KeeperChoice::Me => Keeper::User(viewer.user.clone()),
        KeeperChoice::Pool => Keeper::Pool,
        KeeperChoice::Column => Keeper::Column(viewer.user.clone()),
        KeeperChoice::User(name) => Keeper::User(
            may_keep(name)
                .ok_or_else(|| AppError::invalid(FieldError::new("keeper", "unknown")).respond())?,
        ),
    };
    // Matched against everything the importer sees in full.
    let existing: Vec<_> = answer(state.store.export_customers(viewer).await)?
        .into_iter()
        .filter(|(_, sight)| *sight == Sight::Full)
        .map(|(customer, _)| customer)
        .collect();
    let today = store::today();
    Ok(plan(&options.mapping, &table.rows, &custom, options.keys, &keeper, &existing, may_keep, today))
}

pub(super) async fn check(file: Upload, options: ImportOptions) -> Result<DryRun, AppError> {
    let (state, viewer) = importer().await?;
    let plan = planned(&state, &viewer, &file, &options).await?;
    let counts = plan.counts();
    // Errors first: they are what the person has to act on.
    let mut rows = plan.rows;
    rows.sort_by_key(|r| !matches!(r.verdict, Verdict::Error { .. }));
    rows.truncate(SHOWN_ROWS);
    Ok(DryRun { counts, rows })
}

pub(super) async fn commit(file: Upload, options: ImportOptions) -> Result<ImportReport, AppError> {
    let (state, viewer) = importer().await?;
    let plan = planned(&state, &viewer, &file, &options).await?;
    let [created, updated, skipped, errors] = plan.counts();
    // One client per import: its changes are numbered and retried like a device's.
    let mut client = Sequencer::new(viewer.user.clone());
    let now = Timestamp(store::now_millis());
    let mutations: Vec<_> =
        plan.changes().map(|(id, change)| client.next(*id, change.clone(), now)).collect();
    let today = store::today();
    let mut refused = 0;
    for batch in mutations.chunks(MAX_BATCH) {
        let reply = answer(state.store.push(&viewer, client.client, batch, today).await)?;
        crate::sync::check_duplicates(&state, batch);
        refused +=
            reply.results.iter().filter(|r| matches!(r.outcome, store::Outcome::Rejected { .. })).count();
    }
    let report = ImportReport { created, updated, skipped, errors, refused };
    let detail = serde_json::json!({
        "file": file.name, "created": created, "updated": updated, "skipped": skipped,
        "errors": errors, "refused": refused,
    });
    answer(state.store.record_audit(&viewer, "import", None, Some(detail.to_string())).await)?;
    tracing::info!(user = %viewer.user, file = %file.name, created, updated, skipped, errors, refused, "import committed");
    Ok(report)
}
