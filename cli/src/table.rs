//! Opening a response table: the CSV reader, the header mapped onto the instrument, and
//! the row rules of `bagdar::batch`. Shared by `score` and `calibrate`.

use anyhow::{Context, anyhow};
use bagdar::batch::{ColumnNames, RowReader, TableLayout};
use bagdar::instrument::Instrument;
use bagdar::response::ResponseMatrix;
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct TableArgs {
    /// Response CSV: a header row with the student id column and one column per item id.
    pub input: PathBuf,
    /// Field delimiter of the input (one character).
    #[arg(long, default_value = ",")]
    pub delimiter: char,
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
}

/// The data rows still to read, and the reader that checks them.
pub struct Table<'a> {
    pub records: csv::StringRecordsIntoIter<BufReader<File>>,
    pub rows: RowReader<'a>,
}

pub fn open<'a>(args: &TableArgs, instrument: &'a Instrument) -> anyhow::Result<Table<'a>> {
    if !args.delimiter.is_ascii() {
        return Err(anyhow!("--delimiter must be a single ASCII character"));
    }
    let input =
        File::open(&args.input).with_context(|| format!("cannot read {}", args.input.display()))?;
    let mut records = csv::ReaderBuilder::new()
        .delimiter(args.delimiter as u8)
        .flexible(true)
        .has_headers(false)
        .from_reader(BufReader::with_capacity(1 << 20, input))
        .into_records();
    let header = match records.next() {
        Some(h) => {
            h.with_context(|| format!("{}: cannot read the header", args.input.display()))?
        }
        None => return Err(anyhow!("{} is empty: no header row", args.input.display())),
    };
    let header: Vec<String> = header.iter().map(str::to_string).collect();
    let names = ColumnNames {
        student_id: args.id_column.clone(),
        region: args.region_column.clone(),
        school: args.school_column.clone(),
        language: args.language_column.clone(),
    };
    let layout = TableLayout::from_header(&header, instrument, &names)
        .with_context(|| format!("{}: header", args.input.display()))?;
    Ok(Table {
        records,
        rows: RowReader::new(instrument, layout, args.min_answered),
    })
}

/// Every accepted row as one matrix (for whole-sample work such as calibration), and a
/// line per rejected row ("row N: reason").
pub fn read_all(table: Table<'_>, items: usize) -> anyhow::Result<(ResponseMatrix, Vec<String>)> {
    let Table { records, mut rows } = table;
    let (mut data, mut used, mut rejected) = (Vec::new(), 0usize, Vec::new());
    for (index, record) in records.enumerate() {
        let row_number = index as u64 + 1;
        let fields: Vec<String> = match record {
            Ok(r) => r.iter().map(str::to_string).collect(),
            Err(e) => {
                rejected.push(format!("row {row_number}: unreadable ({e})"));
                continue;
            }
        };
        match rows.read(row_number, &fields) {
            Ok(r) => {
                data.extend(r.responses);
                used += 1;
            }
            Err(reject) => rejected.push(format!("row {}: {}", reject.row, reject.reason)),
        }
    }
    Ok((ResponseMatrix::new(used, items, data)?, rejected))
}
