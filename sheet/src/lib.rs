//! Reading a spreadsheet someone uploads to import: from its bytes to a
//! table of text cells (what happens to the rows is `domain::import`).
//!
//! A workbook (`.xlsx`, `.xls`, `.xlsb`, `.ods`) is read from its first sheet
//! that has rows. A CSV file is decoded first: a byte-order mark decides
//! (UTF-8, UTF-16), else text that is valid UTF-8 is UTF-8, else it is
//! GB18030 (which reads GBK and GB2312 too), as Excel in China saves it.
//! The person can override the guess after seeing the preview.
//!
//! Writing an export goes the other way ([`SheetWriter`]).

mod write;

use std::io::Cursor;

use calamine::{Data, Reader};
pub use domain::export::ExportFormat;
pub use domain::import::Encoding;
use serde::{Deserialize, Serialize};
pub use write::{MAX_WORKSHEET_ROWS, SheetWriter, WriteError};

/// Most rows one file may carry.
pub const MAX_ROWS: usize = 100_000;

/// A file as rows of text cells, the first row being the headers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// How the bytes were read.
    pub encoding: Encoding,
    /// The first row.
    pub headers: Vec<String>,
    /// Every other row that has anything in it, as many cells as it has.
    pub rows: Vec<Vec<String>>,
}

/// Why a file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", content = "detail", rename_all = "snake_case")]
pub enum FileError {
    /// Nothing in it.
    #[error("the file is empty")]
    Empty,
    /// A workbook or CSV file that does not parse.
    #[error("the file cannot be read: {0}")]
    Unreadable(String),
    /// More rows than one import takes.
    #[error("the file has more than {0} rows")]
    TooManyRows(usize),
}

/// Reads `bytes`, uploaded as `name`; `encoding` overrides the guess for a CSV file.
pub fn read_file(name: &str, bytes: &[u8], encoding: Option<Encoding>) -> Result<Table, FileError> {
    if bytes.is_empty() {
        return Err(FileError::Empty);
    }
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    // Zip (xlsx, ods) and OLE (xls) files announce themselves.
    let workbook = matches!(extension.as_str(), "xlsx" | "xlsm" | "xlsb" | "xls" | "ods")
        || bytes.starts_with(b"PK\x03\x04")
        || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]);
    let mut rows = if workbook { read_workbook(bytes)? } else { read_csv(bytes, encoding)?.1 };
    let encoding = if workbook { Encoding::Workbook } else { encoding.unwrap_or_else(|| detect(bytes)) };
    rows.retain(|row| row.iter().any(|cell| !cell.trim().is_empty()));
    if rows.is_empty() {
        return Err(FileError::Empty);
    }
    if rows.len() > MAX_ROWS + 1 {
        return Err(FileError::TooManyRows(MAX_ROWS));
    }
    let headers = rows.remove(0).into_iter().map(|h| h.trim().to_owned()).collect();
    Ok(Table { encoding, headers, rows })
}

/// The encoding of a CSV file, by its byte-order mark or its bytes.
pub fn detect(bytes: &[u8]) -> Encoding {
    match bytes {
        [0xEF, 0xBB, 0xBF, ..] => Encoding::Utf8,
        [0xFF, 0xFE, ..] => Encoding::Utf16Le,
        [0xFE, 0xFF, ..] => Encoding::Utf16Be,
        _ if std::str::from_utf8(bytes).is_ok() => Encoding::Utf8,
        _ => Encoding::Gb18030,
    }
}

fn read_csv(bytes: &[u8], encoding: Option<Encoding>) -> Result<(Encoding, Vec<Vec<String>>), FileError> {
    let encoding = encoding.unwrap_or_else(|| detect(bytes));
    let codec = match encoding {
        Encoding::Utf8 | Encoding::Workbook => encoding_rs::UTF_8,
        Encoding::Utf16Le => encoding_rs::UTF_16LE,
        Encoding::Utf16Be => encoding_rs::UTF_16BE,
        Encoding::Gb18030 => encoding_rs::GB18030,
    };
    // A byte-order mark is dropped; bytes that do not fit are replaced
    // (and then fail the rules of the column they are in, with its name).
    let (text, _, _) = codec.decode(bytes);
    // Excel's "Unicode text" is tab-separated; everything else uses commas.
    let first_line = text.lines().next().unwrap_or_default();
    let delimiter = if first_line.contains('\t') && !first_line.contains(',') { b'\t' } else { b',' };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| FileError::Unreadable(e.to_string()))?;
        rows.push(record.iter().map(str::to_owned).collect());
        if rows.len() > MAX_ROWS + 1 {
            return Err(FileError::TooManyRows(MAX_ROWS));
        }
    }
    Ok((encoding, rows))
}

fn read_workbook(bytes: &[u8]) -> Result<Vec<Vec<String>>, FileError> {
    let unreadable = |e: calamine::Error| FileError::Unreadable(e.to_string());
    let mut workbook = calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(unreadable)?;
    let names = workbook.sheet_names().to_owned();
    for name in names {
        let range = workbook.worksheet_range(&name).map_err(unreadable)?;
        if range.is_empty() {
            continue;
        }
        if range.height() > MAX_ROWS + 1 {
            return Err(FileError::TooManyRows(MAX_ROWS));
        }
        return Ok(range.rows().map(|row| row.iter().map(cell_text).collect()).collect());
    }
    Err(FileError::Empty)
}

/// A workbook cell as the text a person sees in it. A number too long for
/// a spreadsheet to keep every digit of (an ID number typed as a number) is
/// written the way Excel shows it (`1.10105E+17`), so the column's rules
/// can say it lost digits rather than store a wrong number.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(text) => text.clone(),
        Data::Int(n) => n.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) if f.abs() >= 1e15 => format!("{f:E}").replace('E', "E+"),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(when) => domain::import::serial_date(when.as_f64()).to_string(),
        Data::DateTimeIso(text) | Data::DurationIso(text) => text.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_saved_by_excel_in_china_is_read_as_gb18030() {
        let (bytes, _, _) = encoding_rs::GB18030.encode("客户名称,手机\n张三,13800138000\n");
        let table = read_file("客户.csv", &bytes, None).unwrap();
        assert_eq!(table.encoding, Encoding::Gb18030);
        assert_eq!(table.headers, ["客户名称", "手机"]);
        assert_eq!(table.rows, [["张三", "13800138000"]]);
    }

    #[test]
    fn utf8_with_or_without_a_byte_order_mark_and_utf16_are_recognised() {
        let plain = "姓名,邮箱\n李四,li@example.com\n".as_bytes().to_vec();
        let mut marked = b"\xEF\xBB\xBF".to_vec();
        marked.extend(&plain);
        for bytes in [plain, marked] {
            let table = read_file("a.csv", &bytes, None).unwrap();
            assert_eq!((table.encoding, table.headers[0].as_str()), (Encoding::Utf8, "姓名"));
        }
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend("姓名\t电话\r\n王五\t010-65529988\r\n".encode_utf16().flat_map(u16::to_le_bytes));
        let table = read_file("unicode.txt", &utf16, None).unwrap();
        assert_eq!(table.encoding, Encoding::Utf16Le);
        assert_eq!(table.rows, [["王五", "010-65529988"]], "tab-separated, as Excel saves Unicode text");
    }

    #[test]
    fn the_person_can_override_the_guessed_encoding() {
        let (bytes, _, _) = encoding_rs::GB18030.encode("名称\n测试\n");
        let wrong = read_file("a.csv", &bytes, Some(Encoding::Utf8)).unwrap();
        assert_ne!(wrong.headers[0], "名称", "read as UTF-8 it is garbled, and the preview shows it");
        assert_eq!(read_file("a.csv", &bytes, Some(Encoding::Gb18030)).unwrap().headers[0], "名称");
    }

    #[test]
    fn empty_rows_are_skipped_and_an_empty_file_is_an_error() {
        let table = read_file("a.csv", "名称\n\n,\n赵六\n".as_bytes(), None).unwrap();
        assert_eq!(table.rows, [vec!["赵六".to_owned()]]);
        assert_eq!(read_file("a.csv", b"", None).unwrap_err(), FileError::Empty);
        assert_eq!(read_file("a.csv", b"\n\n", None).unwrap_err(), FileError::Empty);
    }

    #[test]
    fn a_spreadsheet_number_that_lost_digits_reads_as_excel_shows_it() {
        assert_eq!(cell_text(&Data::Float(110105194912310000.0)), "1.1010519491231E+17");
        assert_eq!(cell_text(&Data::Float(13800138000.0)), "13800138000");
        assert_eq!(cell_text(&Data::Float(2.5)), "2.5");
        assert_eq!(domain::import::serial_date(32874.0).to_string(), "1990-01-01");
    }
}
