//! Import: bringing a company's customers in from its spreadsheets. A file
//! is previewed (encoding, headers, first rows, the columns' meaning
//! guessed), checked row by row without writing anything, and then
//! committed through the ordinary push path. Managers import into their
//! own team, admins anywhere.

mod api;
mod page;
#[cfg(feature = "ssr")]
mod server;

pub use api::{
    DryRun, ImportCheck, ImportCommit, ImportOptions, ImportPreview, ImportReport, KeeperChoice, Preview,
    Upload, import_check, import_commit, import_preview,
};
pub use page::ImportPage;
