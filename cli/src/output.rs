//! Atomic output files: written to a temporary file beside the target, renamed into
//! place only when complete; tables as CSV or Excel.

use anyhow::{Context, Result};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A file being written; [`AtomicFile::commit`] moves it into place. Dropped without
/// commit, the temporary file is removed and the target is left as it was.
pub struct AtomicFile {
    target: PathBuf,
    temporary: PathBuf,
    writer: Option<BufWriter<File>>,
}

impl AtomicFile {
    pub fn create(target: &Path) -> Result<Self> {
        let dir = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = target
            .file_name()
            .with_context(|| format!("{} is not a file path", target.display()))?;
        let temporary = dir.join(format!(
            ".{}.partial-{}",
            name.to_string_lossy(),
            std::process::id()
        ));
        let file = File::create(&temporary)
            .with_context(|| format!("cannot create {}", temporary.display()))?;
        Ok(AtomicFile {
            target: target.to_path_buf(),
            temporary,
            writer: Some(BufWriter::with_capacity(1 << 20, file)),
        })
    }

    pub fn writer(&mut self) -> &mut BufWriter<File> {
        self.writer.as_mut().expect("not yet committed")
    }

    pub fn commit(mut self) -> Result<()> {
        let writer = self.writer.take().expect("committed once");
        let file = writer
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("cannot write {}", self.temporary.display()))?;
        file.sync_all()
            .with_context(|| format!("cannot write {}", self.temporary.display()))?;
        std::fs::rename(&self.temporary, &self.target)
            .with_context(|| format!("cannot move output into {}", self.target.display()))?;
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writer().write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.writer().flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            let _ = std::fs::remove_file(&self.temporary);
        }
    }
}

/// One output cell: spreadsheets keep numbers as numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Integer(i64),
}

impl Cell {
    /// A text cell, neutralized against formula injection.
    pub fn text(s: &str) -> Cell {
        Cell::Text(bagdar::batch::neutralize_cell(s).into_owned())
    }

    /// A number (empty when not finite).
    pub fn number(v: f64) -> Cell {
        Cell::Number(v)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::text(s)
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::text(&s)
    }
}

/// A table written atomically as CSV, or as an Excel workbook (by the `.xlsx`
/// extension, with `rust_xlsxwriter` in constant-memory mode).
pub enum TableWriter {
    Csv {
        target: PathBuf,
        file: Box<AtomicFile>,
    },
    Xlsx {
        target: PathBuf,
        workbook: Box<rust_xlsxwriter::Workbook>,
        sheet: Box<rust_xlsxwriter::Worksheet>,
        row: u32,
    },
}

/// A CSV error as the I/O error it wraps (so that the exit code says "I/O").
fn io_error(e: csv::Error) -> std::io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io,
        other => std::io::Error::other(format!("{other:?}")),
    }
}

/// Rows an Excel sheet holds (1,048,576 with the header).
const XLSX_MAX_ROWS: u32 = 1_048_576;

impl TableWriter {
    pub fn create(target: &Path) -> Result<Self> {
        if crate::table::extension(target) == "xlsx" {
            let mut workbook = rust_xlsxwriter::Workbook::new();
            let sheet = workbook
                .new_worksheet_with_constant_memory()
                .context("cannot start the Excel sheet")?;
            // Fail now, not after scoring, when the target cannot be written.
            AtomicFile::create(target)?;
            Ok(TableWriter::Xlsx {
                target: target.to_path_buf(),
                workbook: Box::new(workbook),
                sheet: Box::new(sheet),
                row: 0,
            })
        } else {
            Ok(TableWriter::Csv {
                target: target.to_path_buf(),
                file: Box::new(AtomicFile::create(target)?),
            })
        }
    }

    pub fn write_row(&mut self, cells: &[Cell]) -> Result<()> {
        match self {
            TableWriter::Csv { target, file } => {
                let mut block = CsvBlock::default();
                for cell in cells {
                    match cell {
                        // Already neutralized when the cell was made.
                        Cell::Text(s) => block.field(s.as_bytes()),
                        Cell::Number(v) => block.number(*v),
                        Cell::Integer(i) => block.integer(*i),
                    }
                }
                block.end_row();
                file.write_all(&block.finish()?)
                    .with_context(|| format!("cannot write {}", target.display()))?;
            }
            TableWriter::Xlsx {
                target, sheet, row, ..
            } => {
                if *row >= XLSX_MAX_ROWS {
                    anyhow::bail!(
                        "{}: more than {XLSX_MAX_ROWS} rows do not fit in an Excel sheet; write CSV",
                        target.display()
                    );
                }
                for (column, cell) in cells.iter().enumerate() {
                    let column = column as u16;
                    match cell {
                        Cell::Text(s) if s.is_empty() => None,
                        Cell::Text(s) => Some(sheet.write_string(*row, column, s)),
                        Cell::Number(v) if v.is_finite() => {
                            Some(sheet.write_number(*row, column, *v))
                        }
                        Cell::Number(_) => None,
                        Cell::Integer(i) => Some(sheet.write_number(*row, column, *i as f64)),
                    }
                    .transpose()
                    .with_context(|| format!("{}: row {}", target.display(), *row + 1))?;
                }
                *row += 1;
            }
        }
        Ok(())
    }

    /// True when rows go to a CSV file (and may be rendered by [`CsvBlock`]).
    pub fn is_csv(&self) -> bool {
        matches!(self, TableWriter::Csv { .. })
    }

    /// Appends rows rendered by [`CsvBlock`] to a CSV table (after the rows written so
    /// far).
    pub fn write_csv_rows(&mut self, bytes: &[u8]) -> Result<()> {
        match self {
            TableWriter::Csv { target, file } => {
                file.write_all(bytes)
                    .with_context(|| format!("cannot write {}", target.display()))?;
                Ok(())
            }
            TableWriter::Xlsx { .. } => anyhow::bail!("CSV rows cannot go into an Excel sheet"),
        }
    }

    pub fn commit(self) -> Result<()> {
        match self {
            TableWriter::Csv { file, .. } => file.commit(),
            TableWriter::Xlsx {
                target,
                mut workbook,
                sheet,
                ..
            } => {
                workbook.push_worksheet(*sheet);
                let mut file = AtomicFile::create(&target)?;
                workbook
                    .save_to_writer(&mut file)
                    .with_context(|| format!("cannot write {}", target.display()))?;
                file.commit()
            }
        }
    }
}

/// Appends a number as the CSV form writes it: `format!("{v:.6}")` (the exact decimal
/// value rounded to six places), empty when not finite.
///
/// Below 10⁶ in magnitude v·10⁶ is formed in floating point, whose rounding error is
/// at most 6.2e-5 there; unless its fraction lies within 1e-4 of ½ the nearest integer
/// of the exact product is then known, and its digits are written directly. Every
/// other value goes through `format!`, so the text is always the same.
pub fn push_number(v: f64, out: &mut Vec<u8>) {
    if !v.is_finite() {
        return;
    }
    let magnitude = v.abs();
    if magnitude < 1e6 {
        let scaled = magnitude * 1e6;
        let whole = scaled.floor();
        let fraction = scaled - whole;
        if (fraction - 0.5).abs() > 1e-4 {
            let n = (if fraction > 0.5 { whole + 1.0 } else { whole }) as u64;
            if v.is_sign_negative() {
                out.push(b'-');
            }
            let (integer, decimals) = (n / 1_000_000, n % 1_000_000);
            let mut digits = [0u8; 20];
            let mut at = digits.len();
            let mut rest = integer;
            loop {
                at -= 1;
                digits[at] = b'0' + (rest % 10) as u8;
                rest /= 10;
                if rest == 0 {
                    break;
                }
            }
            out.extend_from_slice(&digits[at..]);
            out.push(b'.');
            let mut places = [b'0'; 6];
            let mut rest = decimals;
            for slot in places.iter_mut().rev() {
                *slot = b'0' + (rest % 10) as u8;
                rest /= 10;
            }
            out.extend_from_slice(&places);
            return;
        }
    }
    out.extend_from_slice(format!("{v:.6}").as_bytes());
}

/// Receives one output row cell by cell: CSV bytes (rendered in parallel, see
/// [`CsvBlock`]) or spreadsheet cells ([`Cell`]).
pub trait RowSink {
    /// A text cell (neutralized against formula injection, as [`Cell::text`]).
    fn text(&mut self, s: &str);
    /// A number cell (six decimals in CSV, empty when not finite).
    fn number(&mut self, v: f64);
    /// An integer cell.
    fn integer(&mut self, v: i64);
}

impl RowSink for Vec<Cell> {
    fn text(&mut self, s: &str) {
        self.push(Cell::text(s));
    }
    fn number(&mut self, v: f64) {
        self.push(Cell::number(v));
    }
    fn integer(&mut self, v: i64) {
        self.push(Cell::Integer(v));
    }
}

/// Rows rendered to CSV bytes in memory, exactly as [`TableWriter`] writes the same
/// cells (the same `csv` writer settings), for writing out in order later.
pub struct CsvBlock {
    writer: csv::Writer<Vec<u8>>,
    number: Vec<u8>,
    error: Option<csv::Error>,
}

impl Default for CsvBlock {
    fn default() -> Self {
        CsvBlock {
            writer: csv::WriterBuilder::new()
                .flexible(true)
                .from_writer(Vec::new()),
            number: Vec::with_capacity(32),
            error: None,
        }
    }
}

impl CsvBlock {
    fn field(&mut self, bytes: &[u8]) {
        if self.error.is_none()
            && let Err(e) = self.writer.write_field(bytes)
        {
            self.error = Some(e);
        }
    }

    /// Ends the current row.
    pub fn end_row(&mut self) {
        if self.error.is_none()
            && let Err(e) = self.writer.write_record(None::<&[u8]>)
        {
            self.error = Some(e);
        }
    }

    /// The bytes of every row.
    pub fn finish(self) -> Result<Vec<u8>> {
        if let Some(e) = self.error {
            return Err(io_error(e).into());
        }
        self.writer
            .into_inner()
            .map_err(|e| anyhow::anyhow!("cannot render CSV rows: {}", e.error()))
    }
}

impl RowSink for CsvBlock {
    fn text(&mut self, s: &str) {
        let s = bagdar::batch::neutralize_cell(s);
        self.field(s.as_bytes());
    }
    fn number(&mut self, v: f64) {
        let mut number = std::mem::take(&mut self.number);
        number.clear();
        push_number(v, &mut number);
        self.field(&number);
        self.number = number;
    }
    fn integer(&mut self, v: i64) {
        self.field(v.to_string().as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn formatted(v: f64) -> String {
        let mut out = Vec::new();
        push_number(v, &mut out);
        String::from_utf8(out).unwrap()
    }

    /// The direct digits equal `format!("{v:.6}")` on edge cases, on ties and near-ties
    /// of the sixth decimal, and on millions of values of the sizes θ, SE and P take.
    #[test]
    fn numbers_are_written_as_format_writes_them() {
        let mut cases = vec![
            0.0,
            -0.0,
            1e-7,
            -1e-7,
            4.999_999e-7,
            5e-7,
            -5e-7,
            0.5,
            1.0 / 128.0,
            -1.0 / 128.0,
            3.0 / 256.0,
            0.000_000_5,
            0.000_001_5,
            0.999_999_5,
            999_999.999_999_5,
            999_999.999_999,
            1e6,
            -1e6,
            1e6 - 1e-7,
            123_456.789,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::EPSILON,
        ];
        for k in 0..2000 {
            // Exact ties k/2 · 10⁻⁶ that are dyadic, and their neighbours.
            let tie = (2 * k + 1) as f64 / 128.0;
            cases.extend([tie, -tie, tie.next_up(), tie.next_down()]);
        }
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        for i in 0..400_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let unit = (state >> 11) as f64 / (1u64 << 53) as f64;
            let v = match i % 4 {
                0 => unit,
                1 => 40.0 * unit - 20.0,
                2 => f64::from_bits(state),
                _ => (unit * 2e6).round() / 1e6 + (unit - 0.5) * 1e-9,
            };
            cases.push(v);
        }
        for v in cases {
            let expected = if v.is_finite() {
                format!("{v:.6}")
            } else {
                String::new()
            };
            assert_eq!(formatted(v), expected, "{v:e}");
        }
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(formatted(v), "");
        }
    }
}
