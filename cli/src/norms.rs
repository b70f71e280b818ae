//! `bagdar norms`: norm tables (percentile ranks and stanines of every scale and profile
//! composite) from a norm sample of responses, for the whole sample and, with
//! `--by-group`, per language form and per region.

use crate::output::AtomicFile;
use crate::table::{self, TableArgs};
use crate::{Failure, load_instrument};
use anyhow::Context;
use bagdar::decide::{DecisionSettings, GroupLabel, build_norms};
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct NormsArgs {
    #[command(flatten)]
    table: TableArgs,
    /// Instrument JSON file.
    #[arg(long)]
    instrument: PathBuf,
    /// Norms JSON to write (atomically).
    #[arg(long)]
    output: PathBuf,
    /// Also one norm group per language form and per region.
    #[arg(long)]
    by_group: bool,
    /// Date of the norm sample, stored with the norms (e.g. 2026-05).
    #[arg(long)]
    date: String,
    /// Description of the norm sample, stored with the norms.
    #[arg(long, default_value = "")]
    source: String,
    /// No summary on standard error.
    #[arg(long)]
    quiet: bool,
}

pub fn norms(args: NormsArgs) -> Result<(), Failure> {
    let instrument = load_instrument(&args.instrument)?;
    let table = table::open(&args.table, &instrument, args.quiet)?;
    let table::Sample {
        matrix,
        rejected,
        languages,
        regions,
    } = table::read_all(table, instrument.items().len())?;
    let labels: Option<Vec<GroupLabel>> = args.by_group.then(|| {
        languages
            .into_iter()
            .zip(regions)
            .map(|(language, region)| GroupLabel {
                language: (!language.is_empty()).then_some(language),
                region: (!region.is_empty()).then_some(region),
            })
            .collect()
    });
    let source = if args.source.is_empty() {
        format!(
            "{} ({} students)",
            args.table.input.display(),
            matrix.persons()
        )
    } else {
        args.source.clone()
    };
    let norms = build_norms(
        &instrument,
        &DecisionSettings::default(),
        &matrix,
        labels.as_deref(),
        &source,
        &args.date,
    )
    .context("norms")?;
    let mut file = AtomicFile::create(&args.output)?;
    writeln!(
        file,
        "{}",
        serde_json::to_string_pretty(&norms).map_err(anyhow::Error::from)?
    )
    .map_err(anyhow::Error::from)?;
    file.commit()?;
    if !args.quiet {
        eprintln!(
            "norms from {} students ({} rows rejected), {} groups: {}",
            matrix.persons(),
            rejected.len(),
            norms.groups.len(),
            args.output.display()
        );
    }
    Ok(())
}
