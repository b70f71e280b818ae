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

    /// The CSV form: numbers with six decimals, non-finite as empty.
    fn csv(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Number(v) if v.is_finite() => format!("{v:.6}"),
            Cell::Number(_) => String::new(),
            Cell::Integer(i) => i.to_string(),
        }
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
        writer: Box<csv::Writer<AtomicFile>>,
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
                writer: Box::new(
                    csv::WriterBuilder::new()
                        .flexible(true)
                        .from_writer(AtomicFile::create(target)?),
                ),
            })
        }
    }

    pub fn write_row(&mut self, cells: &[Cell]) -> Result<()> {
        match self {
            TableWriter::Csv { target, writer } => writer
                .write_record(cells.iter().map(Cell::csv))
                .map_err(io_error)
                .with_context(|| format!("cannot write {}", target.display()))?,
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

    pub fn commit(self) -> Result<()> {
        match self {
            TableWriter::Csv { target, writer } => {
                let file = writer.into_inner().map_err(|e| {
                    anyhow::Error::new(std::io::Error::new(e.error().kind(), e.error().to_string()))
                        .context(format!("cannot write {}", target.display()))
                })?;
                file.commit()
            }
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
