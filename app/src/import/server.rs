//! The server side of an import: read the file, plan it against what the
//! importer may see, and push the planned changes as the importer.

use base64::Engine as _;
use domain::FieldError;
use domain::ids::UserId;
use std::collections::HashMap;

use domain::Mutation;
use domain::archive::Customer;
use domain::custom_field::CustomFields;
use domain::export::ExportFormat;
use domain::ids::{ClientId, CustomerId};
use domain::import::Encoding;
use domain::import::{
    Before, Findable, Keeper, MatchKeys, Planned, Planner, Target, Verdict, guess_columns, header_signature,
    undo as undo_plan,
};
use domain::mutation::Sequencer;
use domain::policy::{self, Role, Sight, Viewer};
use domain::time::Date;
use domain::time::Timestamp;
use sheet::{FileError, Head, SheetWriter, read_rows};
use store::{ImportFile, JobEnding, MAX_BATCH};

use super::api::{
    DryRun, FileDownload, ImportOptions, ImportProgress, ImportReport, ImportStarted, ImportState,
    ImportSummary, KeeperChoice, Preview, UndoReport, Upload,
};
use crate::auth::signed_in;
use crate::error::{AppError, answer};
use crate::i18n::Locale;
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

/// The kept file `upload` names. Only whoever uploaded a file may use it;
/// to anyone else it does not exist.
async fn kept_file(state: &AppState, viewer: &Viewer, upload: &Upload) -> Result<ImportFile, AppError> {
    answer(state.store.import_file(&viewer.user, &upload.file).await)?
        .ok_or_else(|| AppError::invalid(FieldError::new("file", "expired")).respond())
}

/// Why a file cannot be imported, as the person is told it.
fn unreadable(error: FileError) -> AppError {
    let reason = match error {
        FileError::Empty => "empty",
        FileError::Unreadable(_) => "format",
        FileError::TooManyRows(_) => "too_many",
    };
    let error = FieldError::new("file", reason);
    let error = if reason == "too_many" { error.with_limit(sheet::MAX_ROWS as u32) } else { error };
    AppError::invalid(error).respond()
}

/// Runs `work` on a thread of its own: reading and planning a file of
/// 100,000 rows takes seconds, which no other request should wait for.
/// An error's status is set here, where the request is known.
async fn off_the_runtime<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(done) => done.map_err(AppError::respond),
        Err(error) => {
            tracing::error!(%error, "reading an import's file stopped");
            Err(AppError::Internal.respond())
        }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

pub(super) async fn preview(file: Upload) -> Result<Preview, AppError> {
    let (state, viewer) = importer().await?;
    let kept = kept_file(&state, &viewer, &file).await?;
    let (head, sample, rows) = off_the_runtime(move || {
        let mut sample = Vec::new();
        let (head, rows) = read_rows(&kept.name, &kept.bytes, file.encoding, |_, row| {
            if sample.len() < SAMPLE_ROWS {
                sample.push(row);
            }
        })
        .map_err(unreadable)?;
        Ok((head, sample, rows))
    })
    .await?;
    let custom = answer(state.store.custom_fields().await)?;
    // The columns chosen last time for these headers, if they still fit:
    // one per column, custom fields still in use.
    let saved =
        answer(state.store.import_mapping(&header_signature(&head.headers)).await)?.and_then(|saved| {
            let mapping: Vec<Option<Target>> = serde_json::from_str(&saved.mapping).ok()?;
            let fits = mapping.len() == head.headers.len()
                && mapping.iter().flatten().all(|target| match target {
                    Target::Custom(key) => custom.get(key).is_some_and(|f| !f.retired),
                    _ => true,
                });
            fits.then_some((mapping, saved.user, saved.at))
        });
    let (mapping, saved) = match saved {
        Some((mapping, user, at)) => (mapping, Some((user, at))),
        None => (guess_columns(&head.headers, &custom), None),
    };
    Ok(Preview {
        saved,
        encoding: head.encoding,
        mapping,
        custom: custom.active().map(|f| (f.key.clone(), f.zh.clone())).collect(),
        sample,
        rows,
        headers: head.headers,
    })
}

/// What an import is planned against, read before its file: the custom
/// fields, who may keep its customers, and the archives the importer sees
/// in full (as the match keys find them; a row that finds one fetches it).
struct Basis {
    viewer: Viewer,
    options: ImportOptions,
    custom: CustomFields,
    users: Vec<store::User>,
    keeper: Keeper,
    existing: Vec<Findable>,
    today: Date,
    store: store::Store,
    runtime: tokio::runtime::Handle,
}

impl Basis {
    async fn read(state: &AppState, viewer: &Viewer, options: ImportOptions) -> Result<Self, AppError> {
        let custom = answer(state.store.custom_fields().await)?;
        let users = answer(state.store.list_users().await)?;
        let mut basis = Basis {
            viewer: viewer.clone(),
            options,
            custom,
            users,
            keeper: Keeper::Pool,
            existing: Vec::new(),
            today: store::today(),
            store: state.store.clone(),
            runtime: tokio::runtime::Handle::current(),
        };
        basis.keeper = match &basis.options.keeper {
            KeeperChoice::Me => Keeper::User(viewer.user.clone()),
            KeeperChoice::Pool => Keeper::Pool,
            KeeperChoice::Column => Keeper::Column(viewer.user.clone()),
            KeeperChoice::User(name) => Keeper::User(
                basis
                    .may_keep(name)
                    .ok_or_else(|| AppError::invalid(FieldError::new("keeper", "unknown")).respond())?,
            ),
        };
        // Matched against everything the importer sees in full.
        basis.existing = answer(state.store.findable_customers(viewer).await)?;
        Ok(basis)
    }

    /// A keeper must be an active user the importer may hand customers to:
    /// anyone for an admin, their own team for a manager. The push checks it again.
    fn may_keep(&self, name: &str) -> Option<UserId> {
        let user = self.users.iter().find(|u| u.id.0 == name.trim() && !u.disabled)?;
        (self.viewer.role == Role::Admin || (user.team.is_some() && user.team == self.viewer.team))
            .then(|| user.id.clone())
    }

    /// Reads the file row by row and plans each as the importer would
    /// commit it: `each` hears the head, the row's cells, its plan and the
    /// archive it found. Runs off the runtime (it waits for the archives
    /// rows find).
    fn plan(
        &self,
        name: &str,
        bytes: &[u8],
        encoding: Option<Encoding>,
        mut each: impl FnMut(&Head, Vec<String>, Planned, Option<&Customer>),
    ) -> Result<(Head, usize), AppError> {
        let (mapping, keys) = (&self.options.mapping, self.options.keys);
        let may_keep = |name: &str| self.may_keep(name);
        // A row finds an archive the importer saw in full when the file was
        // opened; one moved out of their sight since is not found.
        let mut failed = None;
        let fetch = |id: CustomerId| {
            let found = self.runtime.block_on(self.store.customer_for(&self.viewer, &id.to_string()));
            match found {
                Ok(found) => found.filter(|(_, sight)| *sight == Sight::Full).map(|(customer, _)| customer),
                Err(error) => {
                    failed.get_or_insert(error);
                    None
                }
            }
        };
        let mut planner = Planner::new(
            mapping,
            &self.custom,
            keys,
            &self.keeper,
            &self.existing,
            may_keep,
            fetch,
            self.today,
        );
        let read = read_rows(name, bytes, encoding, |head, cells| {
            let planned = planner.row(&cells);
            each(head, cells, planned, planner.matched())
        });
        drop(planner);
        if let Some(error) = failed {
            return Err(AppError::from(error).respond());
        }
        read.map_err(unreadable)
    }
}

/// How many rows got each verdict, and the rows in error, as they are planned.
#[derive(Default)]
struct Tally {
    counts: [usize; 4],
    errors: Vec<Planned>,
}

impl Tally {
    fn add(&mut self, planned: Planned) {
        self.counts[planned.verdict.slot()] += 1;
        if matches!(planned.verdict, Verdict::Error { .. }) {
            self.errors.push(shown(planned));
        }
    }

    fn report(&self) -> ImportReport {
        let [created, updated, skipped, errors] = self.counts;
        ImportReport { created, updated, skipped, errors, refused: 0 }
    }
}

/// A row's verdict without the changes that carry it out, to show.
fn shown(planned: Planned) -> Planned {
    Planned { changes: Vec::new(), ..planned }
}

pub(super) async fn check(file: Upload, options: ImportOptions) -> Result<DryRun, AppError> {
    let (state, viewer) = importer().await?;
    let kept = kept_file(&state, &viewer, &file).await?;
    let basis = Basis::read(&state, &viewer, options).await?;
    off_the_runtime(move || {
        let mut counts = [0; 4];
        // Errors first: they are what the person has to act on.
        let (mut errors, mut others) = (Vec::new(), Vec::new());
        basis.plan(&kept.name, &kept.bytes, file.encoding, |_, _, planned, _| {
            counts[planned.verdict.slot()] += 1;
            let rows =
                if matches!(planned.verdict, Verdict::Error { .. }) { &mut errors } else { &mut others };
            if rows.len() < SHOWN_ROWS {
                rows.push(shown(planned));
            }
        })?;
        errors.extend(others);
        errors.truncate(SHOWN_ROWS);
        Ok(DryRun { counts, rows: errors })
    })
    .await
}

pub(super) async fn failed_rows(
    file: Upload,
    options: ImportOptions,
    english: bool,
) -> Result<FileDownload, AppError> {
    let (state, viewer) = importer().await?;
    let kept = kept_file(&state, &viewer, &file).await?;
    let basis = Basis::read(&state, &viewer, options).await?;
    let locale = if english { Locale::En } else { Locale::ZhCn };
    let failed = |e: sheet::WriteError| {
        tracing::error!(error = %e, "failed rows could not be written");
        AppError::Internal
    };
    let name = kept.name.clone();
    let (head, bytes, rows) = off_the_runtime(move || {
        // Opened at the first row, when the headers are known; every row
        // in error goes to it as it is read.
        let mut writer: Option<SheetWriter> = None;
        let mut written = Ok(());
        let open = |head: &Head| {
            let mut header = head.headers.clone();
            header.push(if english { "Reason" } else { "原因" }.to_owned());
            SheetWriter::like(head.encoding, "未导入", &header)
        };
        let (head, _) =
            basis.plan(&kept.name, &kept.bytes, file.encoding, |head, mut cells, planned, _| {
                let Verdict::Error { issues } = &planned.verdict else { return };
                if written.is_err() {
                    return;
                }
                let writer = match &mut writer {
                    Some(writer) => writer,
                    None => match open(head) {
                        Ok(opened) => writer.insert(opened),
                        Err(error) => return written = Err(error),
                    },
                };
                let reason: Vec<String> =
                    issues.iter().map(|i| super::page::issue_text(locale, &head.headers, i)).collect();
                cells.resize(head.headers.len(), String::new());
                cells.push(reason.join("；"));
                written = writer.row(&cells);
            })?;
        written.map_err(failed)?;
        let writer = match writer {
            Some(writer) => writer,
            None => open(&head).map_err(failed)?,
        };
        let rows = writer.rows() as usize;
        Ok((head, writer.finish().map_err(failed)?, rows))
    })
    .await?;
    let workbook = head.encoding == Encoding::Workbook;
    let stem = name.rsplit_once('.').map_or(name.as_str(), |(stem, _)| stem);
    let extension = match name.rsplit_once('.') {
        _ if workbook => "xlsx",
        Some((_, extension)) => extension,
        None => "csv",
    };
    let content_type = match head.encoding {
        Encoding::Workbook => ExportFormat::Xlsx.content_type(),
        Encoding::Gb18030 => ExportFormat::CsvGbk.content_type(),
        Encoding::Utf16Le | Encoding::Utf16Be => "text/plain; charset=utf-16",
        Encoding::Utf8 => ExportFormat::Csv.content_type(),
    };
    let suffix = if english { "not-imported" } else { "未导入" };
    Ok(FileDownload {
        name: format!("{stem}-{suffix}.{extension}"),
        content_type: content_type.to_owned(),
        data: base64::engine::general_purpose::STANDARD.encode(bytes),
        rows,
    })
}

pub(super) async fn commit(file: Upload, options: ImportOptions) -> Result<ImportStarted, AppError> {
    let (state, viewer) = importer().await?;
    let kept = kept_file(&state, &viewer, &file).await?;
    let mapping = serde_json::to_string(&options.mapping).map_err(|_| AppError::Internal.respond())?;
    let ImportFile { name, bytes, sha256, .. } = kept;
    let prepared = prepare(&state, &viewer, name, bytes, file.encoding, &sha256, options).await?;
    // The next file with these headers opens with these columns.
    let signature = header_signature(&prepared.head.headers);
    answer(state.store.save_import_mapping(&viewer, &signature, &mapping).await)?;
    if let Some(id) = &prepared.started.id {
        super::job::start(state.clone(), id.clone());
    }
    Ok(prepared.started)
}

/// An import planned and kept as a job, ready to run.
struct Prepared {
    /// Its id (none when it changes nothing), changes and counts.
    started: ImportStarted,
    /// The file's head.
    head: Head,
    /// Its data rows.
    rows: usize,
    /// The rows in error.
    errors: Vec<Planned>,
}

/// Plans an import of the file `name` (its `bytes`, with content hash
/// `sha256`) as `viewer` and keeps it as a job, ready to run; nothing is
/// pushed yet. The file is read twice: once whole, so that a file that
/// cannot be imported is refused before anything is kept, then row by
/// row, each batch of changes kept as it fills. An import that changes
/// nothing has no job (and no id).
async fn prepare(
    state: &AppState,
    viewer: &Viewer,
    name: String,
    bytes: Vec<u8>,
    encoding: Option<Encoding>,
    sha256: &str,
    options: ImportOptions,
) -> Result<Prepared, AppError> {
    let basis = Basis::read(state, viewer, options).await?;
    // One client per import: its changes are numbered and retried like a device's.
    let mut client = Sequencer::new(viewer.user.clone());
    let id = client.client;
    let (batches, mut filled) = tokio::sync::mpsc::channel::<Vec<Mutation>>(2);
    let file_name = name.clone();
    let reading = off_the_runtime(move || {
        sheet::read_rows(&name, &bytes, encoding, |_, _| {}).map_err(unreadable)?;
        let now = Timestamp(store::now_millis());
        // What its updates overwrite, kept before anything is pushed, so
        // that even an import cut short can be undone.
        let mut before: HashMap<CustomerId, Before> = HashMap::new();
        let (mut tally, mut total) = (Tally::default(), 0);
        let mut batch = Vec::with_capacity(MAX_BATCH);
        let (head, rows) = basis.plan(&name, &bytes, encoding, |_, _, mut planned, matched| {
            if let Some(customer) = matched {
                for (_, change) in &planned.changes {
                    before.entry(customer.id).or_default().record(customer, change);
                }
            }
            for (id, change) in std::mem::take(&mut planned.changes) {
                batch.push(client.next(id, change, now));
                total += 1;
                if batch.len() == MAX_BATCH {
                    // Refused when keeping a batch failed: the rest goes nowhere.
                    let _ = batches.blocking_send(std::mem::take(&mut batch));
                }
            }
            tally.add(planned);
        })?;
        if !batch.is_empty() {
            let _ = batches.blocking_send(batch);
        }
        Ok((head, rows, tally, before, total))
    });
    // Owns the receiving end: if keeping a batch fails, the reader's next
    // batch is refused rather than waiting for a taker forever.
    let keeping = async move {
        let mut index = 0;
        while let Some(batch) = filled.recv().await {
            answer(state.store.keep_import_batch(id, index, &batch).await)?;
            index += 1;
        }
        Ok::<_, AppError>(())
    };
    let (read, kept) = tokio::join!(reading, keeping);
    let (head, rows, tally, before, total) = read?;
    kept?;
    let (report, errors) = (tally.report(), tally.errors);
    if total == 0 {
        return Ok(Prepared { started: ImportStarted { id: None, changes: 0, report }, head, rows, errors });
    }
    let counts = tally.counts;
    answer(state.store.record_import(viewer, id, &file_name, sha256, total, counts, &before, None).await)?;
    let started = ImportStarted { id: Some(id.to_string()), changes: total, report };
    Ok(Prepared { started, head, rows, errors })
}

/// The planned counts of a job: created, updated, skipped, in error.
pub(super) fn counts(job: &store::ImportJob) -> [usize; 4] {
    let count = |i: usize| job.counts.get(i).copied().unwrap_or(0).max(0) as usize;
    [count(0), count(1), count(2), count(3)]
}

/// An import the signed-in user may follow and stop: their own, or any for an admin.
async fn followed(id: &str) -> Result<(AppState, Viewer, store::ImportJob), AppError> {
    let (state, viewer) = importer().await?;
    // An import's id is the client its changes are numbered under.
    if id.parse::<ClientId>().is_err() {
        return Err(AppError::NotFound.respond());
    }
    let job = answer(state.store.import_job(id).await)?.ok_or_else(|| AppError::NotFound.respond())?;
    if !policy::may_undo_import(&viewer, &UserId(job.user.clone())) {
        return Err(AppError::NotFound.respond());
    }
    Ok((state, viewer, job))
}

pub(super) async fn progress(id: String) -> Result<ImportProgress, AppError> {
    let (_, _, job) = followed(&id).await?;
    Ok(progress_of(&job))
}

fn progress_of(job: &store::ImportJob) -> ImportProgress {
    let [created, updated, skipped, errors] = counts(job);
    let state = match job.status {
        store::ImportStatus::Running => ImportState::Running,
        store::ImportStatus::Done => ImportState::Done,
        store::ImportStatus::Cancelled => ImportState::Cancelled,
    };
    ImportProgress {
        state,
        pushed: job.pushed,
        changes: job.total,
        elapsed_ms: job.finished.unwrap_or_else(store::now_millis) - job.started,
        stopping: job.cancel && job.status == store::ImportStatus::Running,
        report: ImportReport { created, updated, skipped, errors, refused: job.refused as usize },
    }
}

pub(super) async fn cancel(id: String) -> Result<ImportProgress, AppError> {
    let (state, viewer, job) = followed(&id).await?;
    // Stopped halfway, an undo would leave the import half undone.
    if job.undoes.is_some() {
        return Err(AppError::Forbidden { reason: "import.undo_forbidden".into() }.respond());
    }
    if answer(state.store.cancel_import(&id).await)? {
        tracing::info!(user = %viewer.user, import = %id, "import stop asked for");
    }
    let job = answer(state.store.import_job(&id).await)?.ok_or_else(|| AppError::NotFound.respond())?;
    Ok(progress_of(&job))
}

/// What an import from the command line did (or, on a dry run, would do).
pub struct FileImport {
    /// The counts; nothing was refused on a dry run.
    pub report: ImportReport,
    /// Data rows in the file.
    pub rows: usize,
    /// Each row in error: its line and what is wrong, in English.
    pub errors: Vec<String>,
}

/// An import from the command line (`server import`): the file's columns
/// as guessed from their headers, then the same check and commit as the
/// page, as `viewer`. A dry run writes nothing. `progress` hears changes
/// pushed so far and their total after each batch.
pub async fn import_file(
    state: &AppState,
    viewer: &Viewer,
    name: &str,
    bytes: Vec<u8>,
    options: (MatchKeys, KeeperChoice),
    dry_run: bool,
    progress: impl FnMut(u64, u64),
) -> Result<FileImport, AppError> {
    let refused =
        |error: FileError| AppError::BadRequest { reason: "import.file".into(), message: error.to_string() };
    let (file_name, sha256) = (name.to_owned(), sha256_hex(&bytes));
    let name = file_name.clone();
    let (head, bytes) = off_the_runtime(move || {
        sheet::read_rows(&name, &bytes, None, |_, _| {}).map(|(head, _)| (head, bytes)).map_err(refused)
    })
    .await?;
    let custom = answer(state.store.custom_fields().await)?;
    let (keys, keeper) = options;
    let options = ImportOptions { mapping: guess_columns(&head.headers, &custom), keys, keeper };
    let (report, rows, errors) = if dry_run {
        let basis = Basis::read(state, viewer, options).await?;
        let name = file_name.clone();
        off_the_runtime(move || {
            let mut tally = Tally::default();
            let (_, rows) = basis.plan(&name, &bytes, None, |_, _, planned, _| tally.add(planned))?;
            Ok((tally.report(), rows, tally.errors))
        })
        .await?
    } else {
        // Run here, as a job: if this process is stopped, the server
        // carries on with it at its next start.
        let prepared = prepare(state, viewer, file_name, bytes, None, &sha256, options).await?;
        let mut report = prepared.started.report;
        if let Some(id) = prepared.started.id
            && let Some(job) = super::job::run(state, &id, false, progress).await?
        {
            report.refused = job.refused as usize;
        }
        (report, prepared.rows, prepared.errors)
    };
    let errors = errors
        .iter()
        .filter_map(|row| match &row.verdict {
            Verdict::Error { issues } => {
                let what: Vec<String> =
                    issues.iter().map(|i| super::page::issue_text(Locale::En, &head.headers, i)).collect();
                Some(format!("line {}: {}", row.line, what.join("; ")))
            }
            _ => None,
        })
        .collect();
    Ok(FileImport { report, rows, errors })
}

pub(super) async fn recent() -> Result<Vec<ImportSummary>, AppError> {
    let (state, viewer) = importer().await?;
    let imports = answer(state.store.recent_imports(&viewer).await)?;
    Ok(imports
        .into_iter()
        .map(|i| ImportSummary {
            created: i.counts.first().copied().unwrap_or(0) as usize,
            updated: i.counts.get(1).copied().unwrap_or(0) as usize,
            undone: i.undone.as_deref().map(|text| serde_json::from_str(text).unwrap_or_default()),
            running: i.job_status() == store::ImportStatus::Running,
            stopped: (i.job_status() == store::ImportStatus::Cancelled)
                .then(|| (i.pushed.unwrap_or(0).max(0) as u64, i.mutations.max(0) as u64)),
            id: i.id,
            user: i.user,
            file: i.file,
            at: i.at,
        })
        .collect())
}

pub(super) async fn undo(id: String) -> Result<UndoReport, AppError> {
    let (state, viewer) = importer().await?;
    let (record, before, logged) =
        answer(state.store.import_for_undo(&id).await)?.ok_or_else(|| AppError::NotFound.respond())?;
    if record.undoes.is_some() || !policy::may_undo_import(&viewer, &UserId(record.user.clone())) {
        return Err(AppError::Forbidden { reason: "import.undo_forbidden".into() }.respond());
    }
    if record.job_status() == store::ImportStatus::Running {
        return Err(AppError::invalid(FieldError::new("import", "running")).respond());
    }
    let undone = || AppError::invalid(FieldError::new("import", "undone")).respond();
    // Claimed first, over the undo as it stands, so two people never undo
    // one import at once. Taken up again: an undo whose job never started
    // (the server stopped in between; only the job pushes), one cut short
    // (its undoer disabled), one from before undo jobs left halfway.
    let over = record.undone.as_deref();
    match over.map(serde_json::from_str::<UndoReport>) {
        None => {}
        Some(Ok(report)) if report.stopped.is_some() => {}
        Some(Ok(report)) if !report.done => match report.job.as_deref() {
            Some(job) if answer(state.store.import_job(job).await)?.is_some() => return Ok(report),
            _ => {}
        },
        Some(_) => return Err(undone()),
    }
    let job = ClientId::new();
    if !answer(state.store.claim_import_undo(&record.id, &viewer, job, over).await)? {
        return Err(undone());
    }
    // The archives the import changed, as the person undoing sees them.
    let mut touched: Vec<CustomerId> = logged.iter().map(|entry| entry.customer).collect();
    touched.sort_unstable();
    touched.dedup();
    let current = answer(state.store.customers_in_full(&viewer, &touched).await)?;
    let current = current.into_iter().map(|c| (c.id, c)).collect();
    let plan = undo_plan(&logged, &before, &current);
    // Its own client, like the import's: numbered, retried, audited as edits.
    let mut client = Sequencer { client: job, author: viewer.user.clone(), last_seq: 0 };
    let now = Timestamp(store::now_millis());
    let mutations: Vec<_> =
        plan.changes.iter().map(|(id, change)| client.next(*id, change.clone(), now)).collect();
    let report = UndoReport {
        by: viewer.user.0.clone(),
        at: store::now_millis(),
        done: mutations.is_empty(),
        removed: plan.removed,
        restored: plan.restored,
        refused: 0,
        kept: plan.kept,
        unreached: plan.unreached,
        job: Some(job.to_string()),
        stopped: None,
    };
    let outcome = serde_json::to_string(&report).map_err(|_| AppError::Internal.respond())?;
    if report.done {
        // Nothing to push: the report and its audit entry, written together.
        let detail = undo_detail(&record.id, &record.file, &report);
        answer(state.store.finish_import_undo(&record.id, outcome, Some((&viewer, detail))).await)?;
        tracing::info!(user = %viewer.user, import = %record.id, kept = report.kept.len(),
            unreached = report.unreached, "import undone with nothing to change");
        return Ok(report);
    }
    answer(state.store.finish_import_undo(&record.id, outcome, None).await)?;
    // A job like an import's: it goes on if the page is closed, and after a restart.
    answer(state.store.keep_import_batches(job, &mutations).await)?;
    let counts = [report.removed, report.restored, report.kept.len(), report.unreached];
    let kept = state
        .store
        .record_import(
            &viewer,
            job,
            &record.file,
            "",
            mutations.len(),
            counts,
            &HashMap::new(),
            Some(&record.id),
        )
        .await;
    answer(kept)?;
    super::job::start(state.clone(), job.to_string());
    Ok(report)
}

/// What ends the job `job` undoing import `id`: the undo's report (from
/// `so_far`, the report as it stood) done, with what the server refused
/// and where it stopped if it was cut short, and its audit entry.
pub(super) fn undo_ending(
    viewer: &Viewer,
    id: &str,
    so_far: Option<&str>,
    job: &store::ImportJob,
) -> JobEnding {
    let mut report: UndoReport = so_far
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_else(|| UndoReport { by: job.user.clone(), at: job.started, ..UndoReport::default() });
    report.done = true;
    report.refused = job.refused as usize;
    report.stopped = (job.pushed < job.total).then_some((job.pushed, job.total));
    // The undo's job carries the file name of the import it undoes.
    let detail = undo_detail(id, &job.file, &report);
    let outcome = serde_json::to_string(&report).unwrap_or_default();
    JobEnding { by: viewer.clone(), action: "import_undo", detail, undone: Some((id.to_owned(), outcome)) }
}

/// The audit entry's detail of an undo.
fn undo_detail(id: &str, file: &str, report: &UndoReport) -> String {
    serde_json::json!({
        "import": id, "file": file, "removed": report.removed, "restored": report.restored,
        "kept": report.kept.len(), "refused": report.refused, "unreached": report.unreached,
        "stopped": report.stopped,
    })
    .to_string()
}
