//! Import: bringing a company's customers in from its spreadsheets. A file
//! is previewed (encoding, headers, first rows, the columns' meaning
//! guessed), checked row by row without writing anything, and then
//! committed through the ordinary push path, as a job that survives a
//! restart and can be stopped. Managers import into their own team,
//! admins anywhere. A committed import can be undone as a whole.

mod api;
#[cfg(feature = "ssr")]
mod job;
mod page;
mod progress;
mod recent;
#[cfg(feature = "ssr")]
mod server;
#[cfg(feature = "ssr")]
pub use job::resume as resume_jobs;
#[cfg(feature = "ssr")]
pub use server::{FileImport, import_file};

pub use api::{
    CancelImport, DryRun, FileDownload, FollowImport, ImportCheck, ImportCommit, ImportFailedRows,
    ImportOptions, ImportPreview, ImportProgress, ImportReport, ImportStarted, ImportState, ImportSummary,
    KeeperChoice, Preview, RecentImports, UPLOAD_PATH, UndoImport, UndoReport, Upload, UploadedFile,
    cancel_import, follow_import, import_check, import_commit, import_failed_rows, import_preview,
    recent_imports, undo_import,
};
pub use page::ImportPage;
