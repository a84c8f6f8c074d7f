//! Import: bringing a company's customers in from its spreadsheets. A file
//! is previewed (encoding, headers, first rows, the columns' meaning
//! guessed), checked row by row without writing anything, and then
//! committed through the ordinary push path. Managers import into their
//! own team, admins anywhere. A committed import can be undone as a whole.

mod api;
mod page;
mod recent;
#[cfg(feature = "ssr")]
mod server;
#[cfg(feature = "ssr")]
pub use server::{FileImport, import_file};

pub use api::{
    DryRun, FileDownload, ImportCheck, ImportCommit, ImportFailedRows, ImportOptions, ImportPreview,
    ImportReport, ImportSummary, KeeperChoice, Preview, RecentImports, UndoImport, UndoReport, Upload,
    import_check, import_commit, import_failed_rows, import_preview, recent_imports, undo_import,
};
pub use page::ImportPage;
