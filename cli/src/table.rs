//! Opening a response table — CSV, or an Excel/OpenDocument sheet read with `calamine`
//! — as a header and a stream of text rows, the header mapped onto the instrument and
//! each row checked by the rules of `bagdar::batch`. Shared by `score`, `calibrate`,
//! `choose-cut` and `report`.

use anyhow::{Context, anyhow};
use bagdar::batch::{ColumnNames, RowReader, TableLayout, ValueCoding};
use bagdar::instrument::Instrument;
use bagdar::response::ResponseMatrix;
use calamine::{Data, Reader};
use indicatif::{ProgressBar, ProgressStyle};
use std::fs::File;
use std::io::{BufReader, IsTerminal};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct TableArgs {
    /// Response file: CSV, or Excel (.xlsx, .xlsm, .xls) / OpenDocument (.ods). A header
    /// row with the student id column and one column per item id.
    pub input: PathBuf,
    /// Field delimiter of a CSV input (one character).
    #[arg(long, default_value = ",")]
    pub delimiter: char,
    /// Sheet of an Excel input (default: the first sheet).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Fraction of the instrument's items a row must answer to be used.
    #[arg(long, default_value_t = 0.5)]
    pub min_answered: f64,
    /// Student id column.
    #[arg(long, default_value = "student_id")]
    pub id_column: String,
    /// Region column.
    #[arg(long, default_value = "region")]
    pub region_column: String,
    /// School column.
    #[arg(long, default_value = "school")]
    pub school_column: String,
    /// Language column.
    #[arg(long, default_value = "language")]
    pub language_column: String,
    /// Added to every numeric answer before it is matched to the item's option values:
    /// 1 when the file codes the instrument's 1–5 answers as 0–4.
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    pub value_shift: i64,
    /// Also accept an option's text (in any of the instrument's languages, any case)
    /// as the answer, e.g. "Strongly agree" or "Толық келісемін".
    #[arg(long)]
    pub value_labels: bool,
}

/// A data row: its fields (a CSV record: one buffer, no string per field), or why it
/// could not be read.
pub type TextRow = Result<csv::StringRecord, String>;

/// The data rows of a table, read lazily for CSV; `Send`, so a reader thread can run
/// ahead of the scoring.
pub type RowIter = Box<dyn Iterator<Item = TextRow> + Send>;

/// A table as a header and its data rows, read lazily for CSV.
pub struct Rows {
    pub header: Vec<String>,
    pub rows: RowIter,
    pub progress: ProgressBar,
}

/// True for the file extensions read as spreadsheets.
pub fn is_spreadsheet(path: &Path) -> bool {
    matches!(
        extension(path).as_str(),
        "xlsx" | "xlsm" | "xlsb" | "xls" | "ods"
    )
}

pub fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// A progress bar on standard error when it is a terminal and `quiet` is off; a
/// hidden one otherwise.
pub fn progress_bar(quiet: bool, length: u64, bytes: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let template = if bytes {
        "{bar:40} {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)"
    } else {
        "{bar:40} {pos}/{len} rows ({per_sec}, {eta} left)"
    };
    let bar = ProgressBar::new(length);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

/// Opens a CSV or spreadsheet file as rows of text.
pub fn open_rows(
    path: &Path,
    delimiter: char,
    sheet: Option<&str>,
    quiet: bool,
) -> anyhow::Result<Rows> {
    if is_spreadsheet(path) {
        return open_sheet(path, sheet, quiet);
    }
    if !delimiter.is_ascii() {
        return Err(anyhow!("--delimiter must be a single ASCII character"));
    }
    let input = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let length = input.metadata().map(|m| m.len()).unwrap_or(0);
    let progress = progress_bar(quiet, length, true);
    let mut records = csv::ReaderBuilder::new()
        .delimiter(delimiter as u8)
        .flexible(true)
        .has_headers(false)
        .from_reader(BufReader::with_capacity(1 << 20, progress.wrap_read(input)))
        .into_records();
    let header = match records.next() {
        Some(h) => h.with_context(|| format!("{}: cannot read the header", path.display()))?,
        None => return Err(anyhow!("{} is empty: no header row", path.display())),
    };
    Ok(Rows {
        header: header.iter().map(str::to_string).collect(),
        rows: Box::new(records.map(|r| r.map_err(|e| e.to_string()))),
        progress,
    })
}

fn open_sheet(path: &Path, sheet: Option<&str>, quiet: bool) -> anyhow::Result<Rows> {
    let mut workbook = calamine::open_workbook_auto(path)
        .with_context(|| format!("cannot read spreadsheet {}", path.display()))?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(s) => names.iter().find(|n| *n == s).cloned().ok_or_else(|| {
            anyhow!(
                "{}: no sheet {s:?} (sheets: {})",
                path.display(),
                names.join(", ")
            )
        })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| anyhow!("{} has no sheets", path.display()))?,
    };
    let range = workbook
        .worksheet_range(&name)
        .with_context(|| format!("{}: cannot read sheet {name:?}", path.display()))?;
    let mut rows = range.rows().map(|r| r.iter().map(cell_text).collect());
    let header: Vec<String> = rows
        .next()
        .ok_or_else(|| anyhow!("{}: sheet {name:?} is empty: no header row", path.display()))?;
    let data: Vec<Vec<String>> = rows.collect();
    let progress = progress_bar(quiet, data.len() as u64, false);
    let bar = progress.clone();
    Ok(Rows {
        header,
        rows: Box::new(data.into_iter().map(move |r| {
            bar.inc(1);
            Ok(csv::StringRecord::from(r))
        })),
        progress,
    })
}

/// A spreadsheet cell as the text a CSV export would hold: whole numbers without a
/// decimal point, dates as ISO 8601 (an id that Excel turned into a date stays
/// readable), errors as Excel shows them.
pub fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
        Data::DateTime(d) => {
            let (y, mo, day, h, mi, s, _) = d.to_ymd_hms_milli();
            if d.is_datetime() && (h, mi, s) == (0, 0, 0) {
                format!("{y:04}-{mo:02}-{day:02}")
            } else if d.is_datetime() {
                format!("{y:04}-{mo:02}-{day:02}T{h:02}:{mi:02}:{s:02}")
            } else {
                d.as_f64().to_string()
            }
        }
        Data::Error(e) => e.to_string(),
    }
}

/// The data rows still to read, and the reader that checks them.
pub struct Table<'a> {
    pub rows: RowIter,
    pub reader: RowReader<'a>,
    pub progress: ProgressBar,
}

pub fn open<'a>(
    args: &TableArgs,
    instrument: &'a Instrument,
    quiet: bool,
) -> anyhow::Result<Table<'a>> {
    let Rows {
        header,
        rows,
        progress,
    } = open_rows(&args.input, args.delimiter, args.sheet.as_deref(), quiet)?;
    let names = ColumnNames {
        student_id: args.id_column.clone(),
        region: args.region_column.clone(),
        school: args.school_column.clone(),
        language: args.language_column.clone(),
    };
    let layout = TableLayout::from_header(&header, instrument, &names)
        .with_context(|| format!("{}: header", args.input.display()))?;
    let coding = ValueCoding {
        shift: args.value_shift,
        labels: args.value_labels,
    };
    Ok(Table {
        rows,
        reader: RowReader::new(instrument, layout, args.min_answered).with_coding(coding),
        progress,
    })
}

/// The accepted rows of a whole table, for whole-sample work (calibration, norms, DIF).
pub struct Sample {
    /// Every accepted row.
    pub matrix: ResponseMatrix,
    /// One line per rejected row ("row N: reason").
    pub rejected: Vec<String>,
    /// Each accepted row's language ("" when the file has none).
    pub languages: Vec<String>,
    /// Each accepted row's region ("" when the file has none).
    pub regions: Vec<String>,
}

/// Reads every row of a table.
pub fn read_all(table: Table<'_>, items: usize) -> anyhow::Result<Sample> {
    let Table {
        rows,
        mut reader,
        progress,
    } = table;
    let (mut data, mut used, mut rejected) = (Vec::new(), 0usize, Vec::new());
    let (mut languages, mut regions) = (Vec::new(), Vec::new());
    for (index, fields) in rows.enumerate() {
        let row_number = index as u64 + 1;
        let fields = match fields {
            Ok(f) => f,
            Err(e) => {
                rejected.push(format!("row {row_number}: unreadable ({e})"));
                continue;
            }
        };
        match reader
            .check_fields(row_number, fields.len(), |i| fields.get(i))
            .and_then(|r| reader.claim(r))
        {
            Ok(r) => {
                data.extend(r.responses);
                languages.push(r.language.unwrap_or_default());
                regions.push(r.region.unwrap_or_default());
                used += 1;
            }
            Err(reject) => rejected.push(format!("row {}: {}", reject.row, reject.reason)),
        }
    }
    progress.finish_and_clear();
    Ok(Sample {
        matrix: ResponseMatrix::new(used, items, data)?,
        rejected,
        languages,
        regions,
    })
}
