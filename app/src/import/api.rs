//! The import's server functions: preview, check (a dry run), commit, and
//! the recent imports with their undoing.

use domain::import::{Encoding, Kept, MatchKeys, Planned, Target};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The path a file for import is sent to, as the request body, with its
/// name in the query (`?name=…`). The answer is an [`UploadedFile`].
pub const UPLOAD_PATH: &str = "/api/import/files";

/// A file the server keeps for import, as its upload answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadedFile {
    /// Its id, which every later step names.
    pub id: String,
    /// Its name, which tells its kind (`.xlsx`, `.csv`).
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
}

/// A file kept for import, as a step of the import names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upload {
    /// The id its upload answered with.
    pub file: String,
    /// The encoding the person picked for a CSV file; none: detected.
    pub encoding: Option<Encoding>,
}

/// What a file holds, before anything is decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preview {
    /// How it was read.
    pub encoding: Encoding,
    /// Its headers.
    pub headers: Vec<String>,
    /// Its first rows.
    pub sample: Vec<Vec<String>>,
    /// How many data rows it has.
    pub rows: usize,
    /// What each column most likely is.
    pub mapping: Vec<Option<Target>>,
    /// Every custom field a column can be mapped to: key and label.
    pub custom: Vec<(String, String)>,
    /// When `mapping` is the one last imported with from a file with the
    /// same headers: who imported and when (milliseconds since the epoch).
    #[serde(default)]
    pub saved: Option<(String, i64)>,
}

/// Who keeps the customers an import creates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "keeper", content = "user", rename_all = "snake_case")]
pub enum KeeperChoice {
    /// The person importing.
    Me,
    /// One rep, by user name.
    User(String),
    /// Nobody: the public pool.
    Pool,
    /// The rep the file's keeper column names (the person importing when empty).
    Column,
}

/// How to import a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportOptions {
    /// What each column is.
    pub mapping: Vec<Option<Target>>,
    /// Which values find an existing customer.
    pub keys: MatchKeys,
    /// Who keeps new customers.
    pub keeper: KeeperChoice,
}

/// A dry run: every row's verdict; nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DryRun {
    /// Rows to create, update, skip, and rows in error.
    pub counts: [usize; 4],
    /// Each row, errors first (at most 500: the counts cover them all).
    pub rows: Vec<Planned>,
}

/// What a commit did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// Archives created.
    pub created: usize,
    /// Archives updated.
    pub updated: usize,
    /// Rows skipped (duplicates, unchanged).
    pub skipped: usize,
    /// Rows not imported because they break a rule.
    pub errors: usize,
    /// Changes the server refused when they were pushed (the archive changed
    /// since the check, say), so their rows are not (fully) in.
    pub refused: usize,
}

/// Reads a file and guesses what its columns are.
#[server(prefix = "/api", endpoint = "import/preview", input = Json)]
pub async fn import_preview(file: Upload) -> Result<Preview, AppError> {
    super::server::preview(file).await
}

/// Every row's verdict, writing nothing.
#[server(prefix = "/api", endpoint = "import/check", input = Json)]
pub async fn import_check(file: Upload, options: ImportOptions) -> Result<DryRun, AppError> {
    super::server::check(file, options).await
}

/// An import started: its job runs on the server, followed by its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportStarted {
    /// The job; none when the import changes nothing.
    pub id: Option<String>,
    /// Changes it pushes.
    pub changes: usize,
    /// What it does, as planned (nothing refused yet).
    pub report: ImportReport,
}

/// Where an import's job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportState {
    /// Its changes are being pushed.
    Running,
    /// Every change was pushed.
    Done,
    /// Stopped on request: what was pushed stays, and can be undone.
    Cancelled,
}

/// How far an import got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportProgress {
    /// Where it stands.
    pub state: ImportState,
    /// Changes pushed so far, of `changes`.
    pub pushed: u64,
    pub changes: u64,
    /// Time since it started (or that it took, once over), in milliseconds.
    pub elapsed_ms: i64,
    /// A stop was asked for and it is not over yet.
    pub stopping: bool,
    /// What it does (refused changes are known once it is over).
    pub report: ImportReport,
}

/// Imports the file: the changes the check showed, through the push path,
/// as a job on the server; follow it with [`follow_import`].
#[server(prefix = "/api", endpoint = "import/commit", input = Json)]
pub async fn import_commit(file: Upload, options: ImportOptions) -> Result<ImportStarted, AppError> {
    super::server::commit(file, options).await
}

/// How far an import got (the importer's own, or any for an admin).
#[server(prefix = "/api", endpoint = "import/progress", input = Json)]
pub async fn follow_import(id: String) -> Result<ImportProgress, AppError> {
    super::server::progress(id).await
}

/// Stops an import at its next batch; what was pushed stays.
#[server(prefix = "/api", endpoint = "import/cancel", input = Json)]
pub async fn cancel_import(id: String) -> Result<ImportProgress, AppError> {
    super::server::cancel(id).await
}

/// A file to hand the browser as a download.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDownload {
    /// The name it is saved as.
    pub name: String,
    /// Its media type.
    pub content_type: String,
    /// Its bytes, in base64.
    pub data: String,
    /// Rows it holds, without the header.
    pub rows: usize,
}

/// The rows a check finds in error, with a 原因 (reason) column added, in
/// the format and encoding the file came in: to fix and import again.
#[server(prefix = "/api", endpoint = "import/failed_rows", input = Json)]
pub async fn import_failed_rows(
    file: Upload,
    options: ImportOptions,
    english: bool,
) -> Result<FileDownload, AppError> {
    super::server::failed_rows(file, options, english).await
}

/// A committed import, for the list of recent ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSummary {
    /// Its id.
    pub id: String,
    /// Who imported.
    pub user: String,
    /// The file's name.
    pub file: String,
    /// When (milliseconds since the epoch).
    pub at: i64,
    /// Rows created and updated.
    pub created: usize,
    /// Rows updated.
    pub updated: usize,
    /// How it was undone, if it was (or is being).
    pub undone: Option<UndoReport>,
    /// Its changes are still being pushed.
    #[serde(default)]
    pub running: bool,
    /// It was stopped: changes pushed, of how many.
    #[serde(default)]
    pub stopped: Option<(u64, u64)>,
}

/// What undoing an import did.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UndoReport {
    /// Who undid it.
    pub by: String,
    /// When (milliseconds since the epoch).
    pub at: i64,
    /// False while it is under way (or if it stopped halfway).
    #[serde(default)]
    pub done: bool,
    /// Archives the import created that were removed.
    #[serde(default)]
    pub removed: usize,
    /// Fields, custom fields and tags set back.
    #[serde(default)]
    pub restored: usize,
    /// Changes the server refused (the archive changed in the meantime).
    #[serde(default)]
    pub refused: usize,
    /// What somebody changed since the import, so it stays.
    #[serde(default)]
    pub kept: Vec<Kept>,
    /// Archives it changed that were deleted since or are out of the
    /// undoer's full sight now: left as they are.
    #[serde(default)]
    pub unreached: usize,
    /// The job that pushes the undo's changes (followed like an import's),
    /// none for an undo from before undo jobs.
    #[serde(default)]
    pub job: Option<String>,
    /// It ended before its last change (its undoer was disabled meanwhile):
    /// changes pushed, of how many. The rest can be undone by someone else.
    #[serde(default)]
    pub stopped: Option<(u64, u64)>,
}

/// The latest imports the signed-in user may undo.
#[server(prefix = "/api", endpoint = "import/recent", input = Json)]
pub async fn recent_imports() -> Result<Vec<ImportSummary>, AppError> {
    super::server::recent().await
}

/// Undoes an import as a whole, keeping whatever somebody changed since.
#[server(prefix = "/api", endpoint = "import/undo", input = Json)]
pub async fn undo_import(id: String) -> Result<UndoReport, AppError> {
    super::server::undo(id).await
}
