//! `bagdar simulate` and `bagdar score`.

use crate::output::{AtomicFile, Cell, CsvBlock, RowSink, TableWriter};
use crate::table::{self, Table, TableArgs, TextRow};
use crate::{Failure, load_instrument};
use anyhow::{Context, anyhow};
use bagdar::batch::{Record, Reject};
use bagdar::decide::{
    ClassificationTally, Decider, DecisionSettings, GroupLabel, NormGrouping, Norms, ProfileResult,
    StudentDecision, Tier,
};
use bagdar::response::ResponseMatrix;
use bagdar::score::{Estimate, Method, ScoringSettings};
use bagdar::simulate::{CohortSettings, CohortStream};
use rayon::prelude::*;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct SimulateArgs {
    /// Instrument JSON file.
    #[arg(long)]
    instrument: PathBuf,
    /// Number of students.
    #[arg(long, default_value_t = 10_000)]
    students: usize,
    /// Seed of every random step (same seed, same file).
    #[arg(long, default_value_t = 20_261_123)]
    seed: u64,
    /// Probability of leaving an answer blank.
    #[arg(long, default_value_t = 0.02)]
    omission_rate: f64,
    /// Do not add the deliberately malformed demonstration rows.
    #[arg(long)]
    no_malformed: bool,
    /// Output CSV.
    #[arg(long)]
    output: PathBuf,
}

pub fn simulate(args: SimulateArgs) -> Result<(), Failure> {
    let instrument = load_instrument(&args.instrument)?;
    let settings = CohortSettings {
        students: args.students,
        seed: args.seed,
        omission_rate: args.omission_rate,
        malformed_rows: !args.no_malformed,
        ..CohortSettings::default()
    };
    // Rows are generated and written one at a time: a million students never sit in
    // memory as text.
    let cohort = CohortStream::new(&instrument, &settings).context("simulation settings")?;
    let mut file = AtomicFile::create(&args.output)?;
    {
        let mut w = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(file.writer());
        w.write_record(cohort.header())
            .map_err(anyhow::Error::from)?;
        for (row, _) in cohort.rows() {
            w.write_record(&row).map_err(anyhow::Error::from)?;
        }
        w.flush().map_err(anyhow::Error::from)?;
    }
    file.commit()?;
    eprintln!(
        "wrote {} rows ({} students, {} malformed) to {}",
        cohort.len(),
        args.students,
        cohort.len() - args.students,
        args.output.display()
    );
    Ok(())
}

#[derive(clap::Args)]
pub struct ScoreArgs {
    #[command(flatten)]
    table: TableArgs,
    /// Instrument JSON file.
    #[arg(long)]
    instrument: PathBuf,
    /// Scores file to write (written atomically): CSV, or Excel by the .xlsx extension.
    #[arg(long)]
    output: PathBuf,
    /// Rejected rows (row number, student id, reason), CSV or .xlsx.
    /// Default: <output>.rejects.csv
    #[arg(long)]
    rejects: Option<PathBuf>,
    /// Scoring method: eap, map, ml or wle.
    #[arg(long, default_value = "eap")]
    method: String,
    /// Decision columns for this profile only (default: every profile of the instrument).
    #[arg(long)]
    profile: Option<String>,
    /// Scale scores only: no profiles, tiers or quality flags.
    #[arg(long)]
    no_decision: bool,
    /// Norms JSON (percentile cuts and ranks), e.g. data/norms/kasip-demo-norms.json.
    #[arg(long)]
    norms: Option<PathBuf>,
    /// Norm group of each student: all (the whole norm sample), language (the
    /// student's language form) or region; a group the norms lack falls back to all.
    #[arg(long, default_value = "all", value_parser = ["all", "language", "region"])]
    norm_grouping: String,
    /// Classification-quality summary JSON. Default: <output>.summary.json
    #[arg(long)]
    summary: Option<PathBuf>,
    /// Rows read and scored per chunk (memory stays flat whatever the file size). Default
    /// 4096, or 2048 with decisions.
    #[arg(long)]
    chunk: Option<usize>,
    /// No progress bar and no summary on standard error.
    #[arg(long)]
    quiet: bool,
}

pub fn score(args: ScoreArgs) -> Result<(), Failure> {
    let instrument = load_instrument(&args.instrument)?;
    let method: Method = args.method.parse().map_err(|e| anyhow!("--method: {e}"))?;
    let scoring = ScoringSettings::with_method(method);
    let battery = instrument.scorers(&scoring).context("scoring settings")?;
    let has_profiles = !instrument.definition().profiles.is_empty();
    let decider = if has_profiles && !args.no_decision {
        let norms = match &args.norms {
            Some(path) => Some(
                Norms::from_json(
                    &std::fs::read_to_string(path)
                        .with_context(|| format!("cannot read norms {}", path.display()))?,
                )
                .with_context(|| format!("norms {}", path.display()))?,
            ),
            None => None,
        };
        let settings = DecisionSettings {
            scoring: scoring.clone(),
            norm_grouping: match args.norm_grouping.as_str() {
                "language" => NormGrouping::Language,
                "region" => NormGrouping::Region,
                _ => NormGrouping::All,
            },
            ..DecisionSettings::default()
        };
        Some(Decider::new(&instrument, settings, norms).context("decision settings")?)
    } else {
        None
    };
    let profiles: Vec<String> = match (&decider, &args.profile) {
        (None, _) => Vec::new(),
        (Some(_), Some(p)) => {
            if instrument.profile(p).is_none() {
                return Err(anyhow!("--profile {p:?}: the instrument has no such profile").into());
            }
            vec![p.clone()]
        }
        (Some(_), None) => instrument
            .definition()
            .profiles
            .iter()
            .map(|p| p.id.clone())
            .collect(),
    };
    let mut tallies: Vec<ClassificationTally> = match &decider {
        Some(d) => {
            let cuts = d.cuts();
            profiles
                .iter()
                .map(|p| {
                    let cut = cuts
                        .iter()
                        .find(|(id, _)| id == p)
                        .map_or(f64::NAN, |c| c.1);
                    ClassificationTally::new(p, cut)
                })
                .collect()
        }
        None => Vec::new(),
    };
    let Table {
        rows: records,
        reader: mut rows,
        progress,
    } = table::open(&args.table, &instrument, args.quiet)?;

    let rejects_path = args.rejects.clone().unwrap_or_else(|| {
        let mut p = args.output.clone().into_os_string();
        p.push(".rejects.csv");
        PathBuf::from(p)
    });
    let mut out = TableWriter::create(&args.output)?;
    let mut rej = TableWriter::create(&rejects_path)?;
    let mut out_header: Vec<String> = vec![
        "student_id".to_string(),
        "region".into(),
        "school".into(),
        "language".into(),
    ];
    for s in instrument.scales() {
        out_header.push(format!("{}_theta", s.id));
        out_header.push(format!("{}_se", s.id));
        out_header.push(format!("{}_status", s.id));
    }
    let with_norms = args.norms.is_some();
    for p in &profiles {
        for column in ["composite", "composite_sd", "p_above_cut", "tier"] {
            out_header.push(format!("{p}_{column}"));
        }
        if with_norms {
            out_header.push(format!("{p}_percentile"));
            out_header.push(format!("{p}_stanine"));
        }
    }
    if decider.is_some() {
        out_header.extend([
            "best_profile".into(),
            "caution".into(),
            "quality_flags".into(),
        ]);
    }
    out_header.push("method".into());
    out_header.push("instrument_checksum".into());
    let header: Vec<Cell> = out_header.iter().map(|h| Cell::text(h)).collect();
    out.write_row(&header)?;
    rej.write_row(&["row", "student_id", "reason", "detail"].map(Cell::from))?;

    let (mut read, mut scored, mut rejected) = (0u64, 0u64, 0u64);
    let chunk_rows = args
        .chunk
        .unwrap_or(if decider.is_some() { 2048 } else { 4096 })
        .max(1);
    let columns = Columns {
        profiles: &profiles,
        with_norms,
        method: method.name(),
        checksum: instrument.checksum(),
    };
    // Score the accepted rows of one chunk and write their output rows in order.
    let flush = |chunk: &[Record],
                 out: &mut TableWriter,
                 tallies: &mut [ClassificationTally]|
     -> anyhow::Result<u64> {
        if chunk.is_empty() {
            return Ok(0);
        }
        let items = instrument.items().len();
        let data: Vec<u8> = chunk
            .iter()
            .flat_map(|r| r.responses.iter().copied())
            .collect();
        let matrix = ResponseMatrix::new(chunk.len(), items, data)?;
        // Scale scores for the whole chunk; decisions row by row inside the render
        // blocks, so that only the rows being rendered hold a decision document.
        let scales = match &decider {
            Some(_) => Vec::new(),
            None => battery.score(&matrix)?,
        };
        let csv = out.is_csv();
        let blocks: Vec<RenderedBlock> = (0..chunk.len())
            .collect::<Vec<_>>()
            .par_chunks(RENDER_BLOCK)
            .map(|block| {
                let mut rendered = RenderedBlock {
                    csv: CsvBlock::default(),
                    cells: Vec::new(),
                    tallies: Vec::new(),
                };
                for &p in block {
                    let record = &chunk[p];
                    let decision = match &decider {
                        Some(d) => {
                            let group = GroupLabel {
                                language: record.language.clone(),
                                region: record.region.clone(),
                            };
                            Some(d.decide_record(p, matrix.row(p), None, &group)?)
                        }
                        None => None,
                    };
                    let scores = match &decision {
                        Some(d) => {
                            for profile in columns.profiles {
                                let r = profile_result(d, profile)?;
                                rendered
                                    .tallies
                                    .push((r.composite_mean, r.p_above_cut, r.tier));
                            }
                            RowScores::Decision(d)
                        }
                        None => RowScores::Scales(&scales, p),
                    };
                    if csv {
                        render_row(&mut rendered.csv, record, scores, &columns)?;
                        rendered.csv.end_row();
                    } else {
                        let mut line: Vec<Cell> = Vec::new();
                        render_row(&mut line, record, scores, &columns)?;
                        rendered.cells.push(line);
                    }
                }
                Ok(rendered)
            })
            .collect::<anyhow::Result<_>>()?;
        // In file order: the classification tallies, then the rows.
        for block in blocks {
            for row in block.tallies.chunks(tallies.len().max(1)) {
                for (tally, &(mean, p, tier)) in tallies.iter_mut().zip(row) {
                    tally.add_values(mean, p, tier);
                }
            }
            if csv {
                out.write_csv_rows(&block.csv.finish()?)?;
            } else {
                for line in &block.cells {
                    out.write_row(line)?;
                }
            }
        }
        Ok(chunk.len() as u64)
    };
    // A reader thread parses the file a chunk ahead (CSV fields and UTF-8 checks) while
    // the current chunk is checked, scored and rendered on the rayon threads.
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<TextRow>>(0);
    let outcome = std::thread::scope(|scope| -> anyhow::Result<()> {
        scope.spawn(move || {
            let mut records = records;
            loop {
                let chunk: Vec<TextRow> = records.by_ref().take(chunk_rows).collect();
                if chunk.is_empty() || sender.send(chunk).is_err() {
                    break;
                }
            }
        });
        for texts in receiver {
            let first_row = read + 1;
            // Every rule that depends on the row alone, in parallel; then the ids are
            // claimed in file order, so duplicates and rejects are as row by row.
            let checked: Vec<Result<Record, Rejection>> = texts
                .par_iter()
                .enumerate()
                .map(|(i, text)| {
                    let row_number = first_row + i as u64;
                    match text {
                        Ok(fields) => rows
                            .check_fields(row_number, fields.len(), |j| fields.get(j))
                            .map_err(Rejection::Rule),
                        // An unreadable row (e.g. invalid UTF-8) is rejected, not fatal.
                        Err(e) => Err(Rejection::Unreadable(row_number, e.clone())),
                    }
                })
                .collect();
            drop(texts);
            let mut accepted = Vec::with_capacity(checked.len());
            for result in checked {
                read += 1;
                match result.and_then(|r| rows.claim(r).map_err(Rejection::Rule)) {
                    Ok(r) => accepted.push(r),
                    Err(Rejection::Rule(reject)) => {
                        write_reject_of(&mut rej, &reject)?;
                        rejected += 1;
                    }
                    Err(Rejection::Unreadable(row_number, e)) => {
                        write_reject(&mut rej, row_number, None, "unreadable", &e)?;
                        rejected += 1;
                    }
                }
            }
            scored += flush(&accepted, &mut out, &mut tallies)?;
        }
        Ok(())
    });
    outcome?;
    progress.finish_and_clear();
    debug_assert_eq!(read, scored + rejected);
    let qualities: Vec<_> = tallies.iter().filter_map(|t| t.finish().ok()).collect();
    let summary_path = args.summary.clone().unwrap_or_else(|| {
        let mut p = args.output.clone().into_os_string();
        p.push(".summary.json");
        PathBuf::from(p)
    });
    let summary = serde_json::json!({
        "input": args.table.input.display().to_string(),
        "instrument": instrument.definition().id,
        "instrument_checksum": instrument.checksum(),
        "method": method.name(),
        "rows_read": read,
        "rows_scored": scored,
        "rows_rejected": rejected,
        "classification": qualities,
    });
    let mut summary_file = AtomicFile::create(&summary_path)?;
    writeln!(
        summary_file,
        "{}",
        serde_json::to_string_pretty(&summary).map_err(anyhow::Error::from)?
    )
    .map_err(anyhow::Error::from)?;
    out.commit()?;
    rej.commit()?;
    summary_file.commit()?;
    if !args.quiet {
        eprintln!(
            "read {read} rows = scored {scored} + rejected {rejected}\nscores:  {}\nrejects: {}\ninstrument {} (checksum {}), method {}",
            args.output.display(),
            rejects_path.display(),
            instrument.definition().id,
            &instrument.checksum()[..12],
            method.name()
        );
        for q in &qualities {
            eprintln!(
                "{:<14} recommended {:>5.1}%  borderline {:>5.1}%  not indicated {:>5.1}%  expected accuracy {:.3}, consistency {:.3}",
                q.profile,
                100.0 * q.share_recommended,
                100.0 * q.share_borderline,
                100.0 * q.share_not_indicated,
                q.expected_accuracy,
                q.expected_consistency
            );
        }
    }
    Ok(())
}

/// Output rows rendered per parallel block.
const RENDER_BLOCK: usize = 512;

/// Why a row was not scored: a rule of `bagdar::batch`, or the file could not be read
/// there (row number and message).
enum Rejection {
    Rule(Reject),
    Unreadable(u64, String),
}

/// The scores of one output row: row p of the chunk's scale scores, or its decision.
#[derive(Clone, Copy)]
enum RowScores<'a> {
    Scales(&'a [Vec<Estimate>], usize),
    Decision(&'a StudentDecision),
}

/// One block of output rows, rendered in parallel: CSV bytes or spreadsheet cells, and
/// each row's (composite mean, P, tier) per profile for the tallies.
struct RenderedBlock {
    csv: CsvBlock,
    cells: Vec<Vec<Cell>>,
    tallies: Vec<(f64, f64, Tier)>,
}

/// What every output row shares.
struct Columns<'a> {
    profiles: &'a [String],
    with_norms: bool,
    method: &'static str,
    checksum: &'a str,
}

fn profile_result<'d>(
    decision: &'d StudentDecision,
    profile: &str,
) -> anyhow::Result<&'d ProfileResult> {
    decision
        .profiles
        .iter()
        .find(|r| r.profile == profile)
        .context("a decision lacks a profile")
}

/// One output row, cell by cell.
fn render_row(
    sink: &mut impl RowSink,
    record: &Record,
    scores: RowScores,
    columns: &Columns,
) -> anyhow::Result<()> {
    sink.text(&record.student_id);
    sink.text(record.region.as_deref().unwrap_or(""));
    sink.text(record.school.as_deref().unwrap_or(""));
    sink.text(record.language.as_deref().unwrap_or(""));
    match scores {
        RowScores::Decision(d) => {
            for scale in &d.scales {
                push_estimate(sink, &scale.estimate);
            }
            for profile in columns.profiles {
                let r = profile_result(d, profile)?;
                sink.number(r.composite_mean);
                sink.number(r.composite_sd);
                sink.number(r.p_above_cut);
                sink.text(r.tier.name());
                if columns.with_norms {
                    sink.number(r.percentile.unwrap_or(f64::NAN));
                    match r.stanine {
                        Some(s) => sink.integer(i64::from(s)),
                        None => sink.text(""),
                    }
                }
            }
            sink.text(d.ranking.first().map_or("", String::as_str));
            sink.text(if d.caution { "true" } else { "false" });
            let flags: Vec<&str> = d.quality.iter().map(|f| f.key()).collect();
            sink.text(&flags.join(";"));
        }
        RowScores::Scales(scales, p) => {
            for scale in scales {
                push_estimate(sink, &scale[p]);
            }
        }
    }
    sink.text(columns.method);
    sink.text(columns.checksum);
    Ok(())
}

fn push_estimate(sink: &mut impl RowSink, e: &Estimate) {
    sink.number(e.theta);
    sink.number(e.se);
    sink.text(e.status.name());
}

fn write_reject_of(w: &mut TableWriter, reject: &Reject) -> anyhow::Result<()> {
    let code = serde_json::to_value(&reject.reason)?
        .get("reason")
        .and_then(|v| v.as_str())
        .unwrap_or("rejected")
        .to_string();
    write_reject(
        w,
        reject.row,
        reject.student_id.as_deref(),
        &code,
        &reject.reason.to_string(),
    )
}

fn write_reject(
    w: &mut TableWriter,
    row: u64,
    student: Option<&str>,
    code: &str,
    detail: &str,
) -> anyhow::Result<()> {
    w.write_row(&[
        Cell::Integer(row as i64),
        Cell::text(student.unwrap_or("")),
        Cell::text(code),
        Cell::text(detail),
    ])
}
