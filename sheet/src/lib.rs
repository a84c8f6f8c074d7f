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

use calamine::{Data, DataRef, Reader, Sheets};
pub use domain::export::ExportFormat;
pub use domain::import::Encoding;
use serde::{Deserialize, Serialize};
pub use write::{MAX_WORKSHEET_ROWS, SheetWriter, WriteError};

/// Most rows one file may carry.
pub const MAX_ROWS: usize = 100_000;

/// How a file's bytes were read, and its first row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    /// How the bytes were read.
    pub encoding: Encoding,
    /// The first row that has anything in it, each cell trimmed.
    pub headers: Vec<String>,
}

/// A whole file as rows of text cells, for a file small enough to hold
/// at once (an import reads row by row: [`read_rows`]).
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

/// Reads all of `bytes`, uploaded as `name`, into a [`Table`]; `encoding`
/// overrides the guess for a CSV file.
pub fn read_file(name: &str, bytes: &[u8], encoding: Option<Encoding>) -> Result<Table, FileError> {
    let mut rows = Vec::new();
    let (head, _) = read_rows(name, bytes, encoding, |_, row| rows.push(row))?;
    Ok(Table { encoding: head.encoding, headers: head.headers, rows })
}

/// Reads `bytes`, uploaded as `name`, one row at a time: `each` hears every
/// row after the headers that has anything in it, in file order, with the
/// head. Only the row being read is held (and the file's own shared
/// strings, for a workbook), so a file of 100,000 rows never becomes
/// 100,000 rows in memory. `encoding` overrides the guess for a CSV file.
/// Gives the head and how many rows `each` heard; a file that breaks off
/// (a malformed record, too many rows) is an error after `each` has heard
/// the rows before the break.
pub fn read_rows(
    name: &str,
    bytes: &[u8],
    encoding: Option<Encoding>,
    each: impl FnMut(&Head, Vec<String>),
) -> Result<(Head, usize), FileError> {
    if bytes.is_empty() {
        return Err(FileError::Empty);
    }
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    // Zip (xlsx, ods) and OLE (xls) files announce themselves.
    let workbook = matches!(extension.as_str(), "xlsx" | "xlsm" | "xlsb" | "xls" | "ods")
        || bytes.starts_with(b"PK\x03\x04")
        || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]);
    if workbook {
        read_workbook(bytes, each)
    } else {
        let encoding = encoding.unwrap_or_else(|| detect(bytes));
        let mut rows = Rows { encoding, head: None, count: 0, each };
        read_csv(bytes, encoding, &mut rows)?;
        rows.finish()
    }
}

/// Where rows go as they are read: the first that has anything in it
/// becomes the head, the others are counted and handed on.
struct Rows<F> {
    encoding: Encoding,
    head: Option<Head>,
    count: usize,
    each: F,
}

impl<F: FnMut(&Head, Vec<String>)> Rows<F> {
    fn row(&mut self, cells: Vec<String>) -> Result<(), FileError> {
        if cells.iter().all(|cell| cell.trim().is_empty()) {
            return Ok(());
        }
        match &self.head {
            None => {
                let headers = cells.into_iter().map(|h| h.trim().to_owned()).collect();
                self.head = Some(Head { encoding: self.encoding, headers });
            }
            Some(head) => {
                self.count += 1;
                if self.count > MAX_ROWS {
                    return Err(FileError::TooManyRows(MAX_ROWS));
                }
                (self.each)(head, cells);
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<(Head, usize), FileError> {
        Ok((self.head.ok_or(FileError::Empty)?, self.count))
    }
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

fn codec(encoding: Encoding) -> &'static encoding_rs::Encoding {
    match encoding {
        Encoding::Utf8 | Encoding::Workbook => encoding_rs::UTF_8,
        Encoding::Utf16Le => encoding_rs::UTF_16LE,
        Encoding::Utf16Be => encoding_rs::UTF_16BE,
        Encoding::Gb18030 => encoding_rs::GB18030,
    }
}

/// Bytes of text in `encoding` read as UTF-8, a piece at a time. A
/// byte-order mark is dropped; bytes that do not fit are replaced (and
/// then fail the rules of the column they are in, with its name).
struct Decoded<'a> {
    decoder: encoding_rs::Decoder,
    rest: &'a [u8],
    piece: String,
    at: usize,
}

impl<'a> Decoded<'a> {
    const PIECE: usize = 64 * 1024;

    fn new(encoding: Encoding, bytes: &'a [u8]) -> Self {
        Self { decoder: codec(encoding).new_decoder(), rest: bytes, piece: String::new(), at: 0 }
    }
}

impl std::io::Read for Decoded<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        // A piece can decode to nothing (a byte-order mark alone, a
        // character cut at its end): the next one is taken then.
        while self.at == self.piece.len() {
            if self.rest.is_empty() {
                return Ok(0);
            }
            let take = self.rest.len().min(Self::PIECE);
            let last = take == self.rest.len();
            self.piece.clear();
            self.piece.reserve(self.decoder.max_utf8_buffer_length(take).unwrap_or(4 * take));
            let (_, read, _) = self.decoder.decode_to_string(&self.rest[..take], &mut self.piece, last);
            self.rest = &self.rest[read..];
            self.at = 0;
        }
        let n = out.len().min(self.piece.len() - self.at);
        out[..n].copy_from_slice(&self.piece.as_bytes()[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

fn read_csv<F: FnMut(&Head, Vec<String>)>(
    bytes: &[u8],
    encoding: Encoding,
    rows: &mut Rows<F>,
) -> Result<(), FileError> {
    // Excel's "Unicode text" is tab-separated; everything else uses commas.
    let mut start = String::new();
    let prefix = &bytes[..bytes.len().min(Decoded::PIECE)];
    std::io::Read::read_to_string(&mut Decoded::new(encoding, prefix), &mut start).ok();
    let first_line = start.lines().next().unwrap_or_default();
    let delimiter = if first_line.contains('\t') && !first_line.contains(',') { b'\t' } else { b',' };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(Decoded::new(encoding, bytes));
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).map_err(|e| FileError::Unreadable(e.to_string()))? {
        rows.row(record.iter().map(str::to_owned).collect())?;
    }
    Ok(())
}

/// A workbook's first sheet that has rows. Excel's own formats are read a
/// cell at a time; the older `.xls` and OpenDocument, which the reader only
/// takes whole, a sheet at a time.
fn read_workbook(bytes: &[u8], mut each: impl FnMut(&Head, Vec<String>)) -> Result<(Head, usize), FileError> {
    let unreadable = |e: &dyn std::fmt::Display| FileError::Unreadable(e.to_string());
    let mut workbook =
        calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let names = workbook.sheet_names().to_owned();
    for name in names {
        let mut rows = Rows { encoding: Encoding::Workbook, head: None, count: 0, each: &mut each };
        match &mut workbook {
            Sheets::Xlsx(book) => {
                let mut cells = book.worksheet_cells_reader(&name).map_err(|e| unreadable(&e))?;
                Line::read(|| cells.next_cell(), &mut rows)?;
            }
            Sheets::Xlsb(book) => {
                let mut cells = book.worksheet_cells_reader(&name).map_err(|e| unreadable(&e))?;
                Line::read(|| cells.next_cell(), &mut rows)?;
            }
            book => {
                let range = book.worksheet_range(&name).map_err(|e| unreadable(&e))?;
                for row in range.rows() {
                    rows.row(row.iter().map(cell_text).collect())?;
                }
            }
        }
        if rows.head.is_some() {
            return rows.finish();
        }
    }
    Err(FileError::Empty)
}

/// The row being put together from a workbook's cells, which come row by
/// row, left to right, leaving out the empty ones.
#[derive(Default)]
struct Line {
    row: Option<u32>,
    cells: Vec<String>,
}

impl Line {
    /// Every row of the cells `next` gives, into `rows`.
    fn read<'c, E: std::fmt::Display, F: FnMut(&Head, Vec<String>)>(
        mut next: impl FnMut() -> Result<Option<calamine::Cell<DataRef<'c>>>, E>,
        rows: &mut Rows<F>,
    ) -> Result<(), FileError> {
        let mut line = Line::default();
        while let Some(cell) = next().map_err(|e| FileError::Unreadable(e.to_string()))? {
            line.cell(cell, rows)?;
        }
        line.end(rows)
    }

    fn cell<F: FnMut(&Head, Vec<String>)>(
        &mut self,
        cell: calamine::Cell<DataRef<'_>>,
        rows: &mut Rows<F>,
    ) -> Result<(), FileError> {
        let (row, column) = cell.get_position();
        if self.row != Some(row) {
            self.end(rows)?;
            self.row = Some(row);
        }
        let column = column as usize;
        if column >= self.cells.len() {
            self.cells.resize(column + 1, String::new());
        }
        self.cells[column] = cell_text(&Data::from(cell.get_value().clone()));
        Ok(())
    }

    fn end<F: FnMut(&Head, Vec<String>)>(&mut self, rows: &mut Rows<F>) -> Result<(), FileError> {
        self.row = None;
        rows.row(std::mem::take(&mut self.cells))
    }
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

    /// A file of `n` rows after the headers, each a name and a mobile.
    fn customers(n: usize) -> String {
        let mut text = String::from("客户名称,手机\n");
        for i in 0..n {
            text.push_str(&format!("客户𠀀{i},1380013{:04}\n", i % 10_000));
        }
        text
    }

    #[test]
    fn a_long_file_is_decoded_a_piece_at_a_time_without_a_character_lost() {
        // Characters of two, three and four bytes fall across the pieces' edges.
        let text = customers(20_000);
        let mut utf8_marked = b"\xEF\xBB\xBF".to_vec();
        utf8_marked.extend(text.as_bytes());
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let files = [
            (Encoding::Gb18030, encoding_rs::GB18030.encode(&text).0.into_owned()),
            (Encoding::Utf8, utf8_marked),
            (Encoding::Utf16Le, utf16),
        ];
        for (encoding, bytes) in files {
            assert!(bytes.len() > 4 * Decoded::PIECE, "{encoding:?} spans several pieces");
            let mut heard = 0;
            let (head, count) = read_rows("客户.csv", &bytes, None, |head, row| {
                assert_eq!(head.headers, ["客户名称", "手机"]);
                assert_eq!(row, [format!("客户𠀀{heard}"), format!("1380013{:04}", heard % 10_000)]);
                heard += 1;
            })
            .unwrap();
            assert_eq!((head.encoding, count, heard), (encoding, 20_000, 20_000));
        }
    }

    #[test]
    fn a_file_past_the_limit_stops_at_the_first_row_too_many() {
        let mut heard = 0;
        let error = read_rows("a.csv", customers(MAX_ROWS + 1).as_bytes(), None, |_, _| heard += 1);
        assert_eq!(error.unwrap_err(), FileError::TooManyRows(MAX_ROWS));
        assert_eq!(heard, MAX_ROWS, "every row before the limit was heard, none after");
        let (_, count) = read_rows("a.csv", customers(MAX_ROWS).as_bytes(), None, |_, _| {}).unwrap();
        assert_eq!(count, MAX_ROWS);
    }

    #[test]
    fn a_quote_left_open_takes_the_rest_of_the_file_as_one_cell() {
        // As Excel reads it: the rows before it stand, nothing is refused.
        let bytes = b"name,phone\nA,1\nB,2\n\"C,3\n".to_vec();
        let mut heard = Vec::new();
        let read = read_rows("a.csv", &bytes, Some(Encoding::Utf8), |_, row| heard.push(row[0].clone()));
        assert!(read.is_ok());
        assert_eq!(heard, ["A", "B", "C,3\n"]);
    }

    #[test]
    fn a_workbook_read_cell_by_cell_keeps_each_value_under_its_header() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        // Headers on the third row from the second column, a gap between them,
        // an empty row and a row whose first cell is empty.
        sheet.write_string(2, 1, "客户名称").unwrap();
        sheet.write_string(2, 3, "手机").unwrap();
        sheet.write_string(3, 1, "张三").unwrap();
        sheet.write_string(3, 3, "13800138000").unwrap();
        sheet.write_string(5, 3, "13900139000").unwrap();
        sheet.write_number(6, 1, 110105194912310000.0).unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let table = read_file("a.xlsx", &bytes, None).unwrap();
        let column = |name: &str| table.headers.iter().position(|h| h == name).unwrap();
        let (name, phone) = (column("客户名称"), column("手机"));
        let cell = |row: &Vec<String>, c: usize| row.get(c).cloned().unwrap_or_default();
        let read: Vec<(String, String)> =
            table.rows.iter().map(|r| (cell(r, name), cell(r, phone))).collect();
        assert_eq!(
            read,
            [
                ("张三".to_owned(), "13800138000".to_owned()),
                (String::new(), "13900139000".to_owned()),
                ("1.1010519491231E+17".to_owned(), String::new()),
            ]
        );
        assert_eq!(table.encoding, Encoding::Workbook);
    }

    #[test]
    fn a_spreadsheet_number_that_lost_digits_reads_as_excel_shows_it() {
        assert_eq!(cell_text(&Data::Float(110105194912310000.0)), "1.1010519491231E+17");
        assert_eq!(cell_text(&Data::Float(13800138000.0)), "13800138000");
        assert_eq!(cell_text(&Data::Float(2.5)), "2.5");
        assert_eq!(domain::import::serial_date(32874.0).to_string(), "1990-01-01");
    }
}
