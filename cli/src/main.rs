//! `bagdar`: batch command line for education departments.
//!
//! Exit codes: 0 success; 1 a fatal error in the input (unreadable instrument, header
//! without the needed columns, …); 2 an I/O error (a file that cannot be read or
//! written). Rows that cannot be scored are not fatal: they go to the rejects file.

mod calibrate;
mod cat;
mod cut;
mod link;
mod norms;
mod output;
mod records;
mod report;
mod score;
mod table;

use anyhow::{Context, Result};
use bagdar::instrument::Instrument;
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "bagdar", version, about = "Career-guidance diagnostics scored with item response theory.", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check an instrument file and print its checksum.
    ///
    /// Example: bagdar validate data/instruments/kasip-demo.json
    Validate {
        /// Instrument JSON file.
        instrument: PathBuf,
    },
    /// Print the JSON Schema of the instrument format.
    ///
    /// Example: bagdar schema > data/instrument.schema.json
    Schema,
    /// Write a simulated cohort of students as a response CSV (seeded).
    ///
    /// Example: bagdar simulate --instrument data/instruments/kasip-demo.json --students 10000 --seed 20261123 --output data/demo/responses.csv
    Simulate(score::SimulateArgs),
    /// Estimate every scale's item parameters (MML-EM) and write the calibrated instrument.
    ///
    /// Example: bagdar calibrate data/demo/responses.csv --instrument data/instruments/kasip-demo.json --output calibrated.json --guessing-prior 5,17
    Calibrate(calibrate::CalibrateArgs),
    /// Put a separately calibrated new form on the base form's scales through common items
    /// (same item id): mean/mean, mean/sigma, Stocking–Lord or Haebara, one linking
    /// θ_base = A·θ_new + B per scale; prints A, B and the criterion, and with --output
    /// writes the new form with its items on the base scales.
    ///
    /// Example: bagdar link --base form-a.json --new form-b.json --method stocking-lord --output form-b-linked.json
    Link(link::LinkArgs),
    /// Choose the cut on a profile's composite for a target share or accuracy, using a
    /// response file as the norm sample; prints the cut with its expected accuracy.
    ///
    /// Example: bagdar choose-cut data/demo/responses.csv --instrument data/instruments/kasip-demo.json --profile teacher --share-above 0.15
    ChooseCut(cut::CutArgs),
    /// Score a response file: every scale of the instrument, one row per student.
    ///
    /// Example: bagdar score data/demo/responses.csv --instrument data/instruments/kasip-demo.json --output scores.csv --rejects rejects.csv
    Score(score::ScoreArgs),
    /// Write the department report of a scores file: counts, tier shares with
    /// confidence intervals, classification quality, response quality and score
    /// distributions by region, school and language, small groups suppressed.
    ///
    /// Example: bagdar report scores.csv --instrument data/instruments/kasip-demo.json --output report.html --lang ru
    Report(report::ReportArgs),
    /// Check the response records students downloaded from the web form and gather
    /// them into one response table to score (one row per record).
    ///
    /// Example: bagdar records downloads/*.json --instrument data/instruments/kasip-demo.json --output responses.csv --school "School 7"
    Records(records::RecordsArgs),
    /// Build norm tables (percentile ranks, stanines) of every scale and profile from a
    /// norm sample, for the whole sample and with --by-group per language and region.
    ///
    /// Example: bagdar norms data/demo/responses.csv --instrument data/instruments/kasip-demo.json --by-group --date 2026-11 --output norms.json
    Norms(norms::NormsArgs),
    /// Simulate adaptive sessions (CAT): bias and RMSE per scale, test length, item
    /// exposure and overlap, classification agreement with the full fixed form.
    ///
    /// Example: bagdar cat-sim --instrument data/instruments/kasip-demo.json --students 1000 --seed 1 --settings data/cat/kasip-demo-cat.json --output cat-report.json
    CatSim(cat::CatSimArgs),
}

/// A fatal error with its exit code.
pub(crate) enum Failure {
    Input(anyhow::Error),
    Io(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        if e.chain()
            .any(|c| c.downcast_ref::<std::io::Error>().is_some())
        {
            Failure::Io(e)
        } else {
            Failure::Input(e)
        }
    }
}

pub(crate) fn load_instrument(path: &Path) -> Result<Instrument> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read instrument {}", path.display()))?;
    Instrument::from_bytes(&bytes).with_context(|| format!("instrument {}", path.display()))
}

fn run(cli: Cli) -> std::result::Result<(), Failure> {
    match cli.command {
        Command::Validate { instrument } => {
            let ins = load_instrument(&instrument)?;
            let d = ins.definition();
            println!(
                "{} {} ok: {} scales, {} items, {} profiles, languages {}{}",
                d.id,
                d.version,
                d.scales.len(),
                d.items.len(),
                d.profiles.len(),
                d.languages.join("/"),
                if d.demonstration {
                    " (demonstration parameters)"
                } else {
                    ""
                }
            );
            println!("checksum {}", ins.checksum());
            Ok(())
        }
        Command::Schema => {
            let schema = bagdar::instrument::json_schema();
            println!(
                "{}",
                serde_json::to_string_pretty(&schema).map_err(anyhow::Error::from)?
            );
            Ok(())
        }
        Command::Simulate(args) => score::simulate(args),
        Command::Score(args) => score::score(args),
        Command::Calibrate(args) => calibrate::calibrate(args),
        Command::Link(args) => link::link(args),
        Command::ChooseCut(args) => cut::choose(args),
        Command::Report(args) => report::report(args),
        Command::Records(args) => records::records(args),
        Command::Norms(args) => norms::norms(args),
        Command::CatSim(args) => cat::cat_sim(args),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
        Err(Failure::Io(e)) => {
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
