//! Writing a spreadsheet: an export, or the rows an import could not take,
//! sent back in the format and encoding they came in. An Excel workbook,
//! or delimited text: CSV in UTF-8 (with a byte-order mark, so Excel takes
//! it as UTF-8) or GB18030 (which old Excel set to Chinese reads as GBK),
//! or Excel's tab-separated "Unicode text" in UTF-16. Rows go in one by
//! one. Text hands out what it has so far, so a large export streams; a
//! workbook keeps its rows in a temporary file rather than in memory and
//! is whole only at the end.

use domain::export::{ExportFormat, delimited_line};
use domain::import::Encoding;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// Most rows one worksheet holds (Excel's limit, less the header).
pub const MAX_WORKSHEET_ROWS: u32 = 1_048_575;

/// Why a file could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    /// More rows than a worksheet holds.
    #[error("more than {MAX_WORKSHEET_ROWS} rows do not fit one worksheet")]
    TooManyRows,
    /// The workbook writer failed (its temporary file, most likely).
    #[error("the workbook cannot be written: {0}")]
    Workbook(String),
}

impl From<XlsxError> for WriteError {
    fn from(error: XlsxError) -> Self {
        WriteError::Workbook(error.to_string())
    }
}

/// A file being written, row by row.
pub struct SheetWriter {
    inner: Inner,
    rows: u32,
}

enum Inner {
    Text { ready: Vec<u8>, encoding: Encoding },
    Xlsx { workbook: Box<Workbook> },
}

impl SheetWriter {
    /// Starts a file of `format` with the header row; `title` names the
    /// worksheet of a workbook.
    pub fn new(format: ExportFormat, title: &str, header: &[String]) -> Result<Self, WriteError> {
        let encoding = match format {
            ExportFormat::Xlsx => Encoding::Workbook,
            ExportFormat::Csv => Encoding::Utf8,
            ExportFormat::CsvGbk => Encoding::Gb18030,
        };
        Self::like(encoding, title, header)
    }

    /// Starts a file written as a file read with `encoding` was: a workbook
    /// for a workbook, else text in that encoding.
    pub fn like(encoding: Encoding, title: &str, header: &[String]) -> Result<Self, WriteError> {
        let inner = match encoding {
            Encoding::Workbook => {
                let mut workbook = Box::new(Workbook::new());
                let sheet = workbook.add_worksheet_with_constant_memory()?;
                sheet.set_name(title)?;
                let bold = Format::new().set_bold();
                for (column, name) in header.iter().enumerate() {
                    let column = column as u16;
                    sheet.set_column_width(column, 16)?;
                    sheet.write_string_with_format(0, column, name, &bold)?;
                }
                // The header stays in sight while scrolling.
                sheet.set_freeze_panes(1, 0)?;
                Inner::Xlsx { workbook }
            }
            encoding => {
                let mark: &[u8] = match encoding {
                    Encoding::Utf8 => b"\xEF\xBB\xBF",
                    Encoding::Utf16Le => b"\xFF\xFE",
                    Encoding::Utf16Be => b"\xFE\xFF",
                    _ => b"",
                };
                Inner::Text { ready: mark.to_vec(), encoding }
            }
        };
        let mut writer = Self { inner, rows: 0 };
        writer.push_text(header);
        Ok(writer)
    }

    /// Adds one row.
    pub fn row(&mut self, cells: &[String]) -> Result<(), WriteError> {
        if self.rows >= MAX_WORKSHEET_ROWS {
            return Err(WriteError::TooManyRows);
        }
        self.rows += 1;
        if let Inner::Xlsx { workbook } = &mut self.inner {
            let sheet = workbook.worksheet_from_index(0)?;
            for (column, cell) in cells.iter().enumerate() {
                // Always text: a phone or ID number never turns into a
                // number that loses digits, and nothing runs as a formula.
                sheet.write_string(self.rows, column as u16, cell)?;
            }
        } else {
            self.push_text(cells);
        }
        Ok(())
    }

    /// Rows written so far, without the header.
    pub fn rows(&self) -> u32 {
        self.rows
    }

    /// The bytes ready to send: text so far (taken, so each byte is handed
    /// out once); nothing for a workbook before the end.
    pub fn take_ready(&mut self) -> Vec<u8> {
        match &mut self.inner {
            Inner::Text { ready, .. } => std::mem::take(ready),
            Inner::Xlsx { .. } => Vec::new(),
        }
    }

    /// The rest of the file.
    pub fn finish(mut self) -> Result<Vec<u8>, WriteError> {
        match &mut self.inner {
            Inner::Text { ready, .. } => Ok(std::mem::take(ready)),
            Inner::Xlsx { workbook } => Ok(workbook.save_to_buffer()?),
        }
    }

    fn push_text(&mut self, cells: &[String]) {
        let Inner::Text { ready, encoding } = &mut self.inner else { return };
        match encoding {
            // Excel's "Unicode text" is tab-separated.
            Encoding::Utf16Le => {
                ready.extend(delimited_line(cells, '\t').encode_utf16().flat_map(u16::to_le_bytes))
            }
            Encoding::Utf16Be => {
                ready.extend(delimited_line(cells, '\t').encode_utf16().flat_map(u16::to_be_bytes))
            }
            Encoding::Gb18030 => {
                ready.extend_from_slice(&encoding_rs::GB18030.encode(&delimited_line(cells, ',')).0)
            }
            Encoding::Utf8 | Encoding::Workbook => {
                ready.extend_from_slice(delimited_line(cells, ',').as_bytes())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Encoding, read_file};

    fn header() -> Vec<String> {
        vec!["客户名称".into(), "手机".into(), "备注".into()]
    }

    fn rows() -> Vec<Vec<String>> {
        vec![
            vec!["张三".into(), "138 0013 8000".into(), "说\"好\",明天到".into()],
            vec!["𠀀记商行".into(), "+44 20 7946 0958".into(), "=1+1".into()],
        ]
    }

    fn write(format: ExportFormat) -> Vec<u8> {
        let mut writer = SheetWriter::new(format, "客户", &header()).unwrap();
        let mut bytes = writer.take_ready();
        for row in rows() {
            writer.row(&row).unwrap();
            bytes.extend(writer.take_ready());
        }
        assert_eq!(writer.rows(), 2);
        bytes.extend(writer.finish().unwrap());
        bytes
    }

    #[test]
    fn a_utf8_csv_has_a_byte_order_mark_and_reads_back() {
        let bytes = write(ExportFormat::Csv);
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let table = read_file("客户.csv", &bytes, None).unwrap();
        assert_eq!((table.encoding, table.headers), (Encoding::Utf8, header()));
        assert_eq!(table.rows[0], rows()[0]);
        assert_eq!(table.rows[1][2], "'=1+1", "a formula is defused");
    }

    #[test]
    fn a_gbk_csv_is_gb18030_and_keeps_characters_gbk_lacks() {
        let bytes = write(ExportFormat::CsvGbk);
        assert!(std::str::from_utf8(&bytes).is_err(), "not UTF-8");
        let (gbk, _, _) = encoding_rs::GBK.encode("客户名称");
        assert!(bytes.starts_with(&gbk), "GBK characters are written as GBK writes them");
        let table = read_file("客户.csv", &bytes, None).unwrap();
        assert_eq!(table.encoding, Encoding::Gb18030);
        assert_eq!(table.rows[1][0], "𠀀记商行", "a character outside GBK survives");
    }

    #[test]
    fn unicode_text_is_written_back_as_excel_saves_it() {
        let mut writer = SheetWriter::like(Encoding::Utf16Le, "客户", &header()).unwrap();
        writer.row(&rows()[0]).unwrap();
        let bytes = writer.finish().unwrap();
        assert!(bytes.starts_with(&[0xFF, 0xFE]));
        let table = read_file("客户.txt", &bytes, None).unwrap();
        assert_eq!((table.encoding, table.headers), (Encoding::Utf16Le, header()));
        assert_eq!(table.rows[0], rows()[0], "tab-separated, so the comma in a cell stays");
    }

    #[test]
    fn a_workbook_reads_back_with_every_cell_as_text() {
        let bytes = write(ExportFormat::Xlsx);
        assert!(bytes.starts_with(b"PK\x03\x04"));
        let table = read_file("客户.xlsx", &bytes, None).unwrap();
        assert_eq!(table.headers, header());
        assert_eq!(table.rows[0], rows()[0]);
        assert_eq!(table.rows[1][2], "=1+1", "kept as text, never run");
    }
}
