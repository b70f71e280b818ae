//! `bagdar records`: the response records that students download from the web form,
//! checked and gathered into one response table for `bagdar score`.

use crate::output::{Cell, TableWriter};
use crate::{Failure, load_instrument};
use bagdar::record::ResponseRecord;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct RecordsArgs {
    /// Response records (JSON files downloaded from the web form).
    #[arg(required = true)]
    records: Vec<PathBuf>,
    /// The instrument the records were answered on (checksums must match).
    #[arg(long)]
    instrument: PathBuf,
    /// Response table to write (CSV or .xlsx): student_id (the file name without
    /// extension), region, school, language, then one column per item.
    #[arg(long)]
    output: PathBuf,
    /// Records that cannot be used, with the reason. Default: <output>.rejects.csv
    #[arg(long)]
    rejects: Option<PathBuf>,
    /// Region written for every record (e.g. the school's region).
    #[arg(long, default_value = "")]
    region: String,
    /// School written for every record.
    #[arg(long, default_value = "")]
    school: String,
    /// No summary on standard error.
    #[arg(long)]
    quiet: bool,
}

pub fn records(args: RecordsArgs) -> Result<(), Failure> {
    let instrument = load_instrument(&args.instrument)?;
    let rejects_path = args.rejects.clone().unwrap_or_else(|| {
        let mut p = args.output.clone().into_os_string();
        p.push(".rejects.csv");
        PathBuf::from(p)
    });
    let mut out = TableWriter::create(&args.output)?;
    let mut rej = TableWriter::create(&rejects_path)?;
    let mut header: Vec<Cell> = ["student_id", "region", "school", "language"]
        .map(Cell::from)
        .to_vec();
    header.extend(instrument.item_ids().into_iter().map(Cell::from));
    out.write_row(&header)?;
    rej.write_row(&["file", "reason", "detail"].map(Cell::from))?;
    let (mut used, mut rejected) = (0usize, 0usize);
    for path in &args.records {
        let file = Cell::text(&path.display().to_string());
        let outcome = std::fs::read(path)
            .map_err(|e| ("unreadable".to_string(), e.to_string()))
            .and_then(|bytes| {
                let text = String::from_utf8(bytes)
                    .map_err(|e| ("invalid_record".to_string(), format!("not UTF-8: {e}")))?;
                ResponseRecord::from_json(&text, &instrument)
                    .map_err(|e| (e.code().to_string(), e.to_string()))
            });
        match outcome {
            Ok(record) => {
                let id = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let mut row = vec![
                    Cell::text(&id),
                    Cell::text(&args.region),
                    Cell::text(&args.school),
                    Cell::text(&record.language),
                ];
                row.extend(record.answers(&instrument).into_iter().map(|a| match a {
                    Some(v) => Cell::Integer(v),
                    None => Cell::Text(String::new()),
                }));
                out.write_row(&row)?;
                used += 1;
            }
            Err((code, detail)) => {
                rej.write_row(&[file, Cell::text(&code), Cell::text(&detail)])?;
                rejected += 1;
            }
        }
    }
    out.commit()?;
    rej.commit()?;
    if !args.quiet {
        eprintln!(
            "read {} records = gathered {used} + rejected {rejected}\nresponses: {}\nrejects:   {}",
            args.records.len(),
            args.output.display(),
            rejects_path.display()
        );
    }
    Ok(())
}
