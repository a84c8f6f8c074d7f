//! Bringing a company's existing customers in (导入, 数据迁移) from the
//! spreadsheets they live in today. Reading the file (encodings, workbooks)
//! is the server's `sheet` crate; what happens to its rows is decided here,
//! with no I/O: [`guess_columns`] says which column holds what, by its
//! header in Chinese or English; [`plan`] reads every row with the rules the
//! forms use and gives it a verdict (create, update, skip, error) with the
//! reason, and the changes that carry it out. A dry run shows the verdicts;
//! a commit pushes exactly those changes through the ordinary push path, so
//! permissions, merging, the audit trail and devices' pulls see an import
//! like any other edit. An import can be undone as a whole ([`undo`]).

mod cells;
mod columns;
mod plan;
mod revert;

use serde::{Deserialize, Serialize};

pub use cells::{Issue, ReadRow, read_date, read_row};
pub use columns::{Target, guess_columns, header_signature, normalise};
pub use plan::{Findable, Keeper, MatchKeys, Plan, Planned, Planner, Verdict, plan};
pub use revert::{Before, Kept, Logged, Undo, undo};

/// How a file's bytes were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// UTF-8, with or without a byte-order mark.
    Utf8,
    /// GB18030, which covers GBK and GB2312 (what Excel in China saves).
    Gb18030,
    /// UTF-16, little-endian (Excel's "Unicode text").
    Utf16Le,
    /// UTF-16, big-endian.
    Utf16Be,
    /// A workbook: its cells carry their own text.
    Workbook,
}

impl Encoding {
    /// The encodings a person may pick for a text file.
    pub const TEXT: [Encoding; 4] = [Encoding::Utf8, Encoding::Gb18030, Encoding::Utf16Le, Encoding::Utf16Be];
}

/// The day an Excel serial number stands for (1 = 1900-01-01, counting
/// Excel's leap day of 1900, so serials from March 1900 on are right).
pub fn serial_date(serial: f64) -> crate::time::Date {
    crate::time::Date::from_days_since_epoch(serial.floor() as i64 - 25_569)
}
