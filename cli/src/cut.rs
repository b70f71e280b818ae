//! `bagdar choose-cut`: the cut on a profile's composite for a target selection rate or
//! accuracy, from a norm sample of responses.

use crate::table::{self, TableArgs};
use crate::{Failure, load_instrument};
use anyhow::{Context, anyhow};
use bagdar::decide::{CutTarget, Decider, DecisionSettings};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct CutArgs {
    #[command(flatten)]
    table: TableArgs,
    /// Instrument JSON file.
    #[arg(long)]
    instrument: PathBuf,
    /// Profile id.
    #[arg(long, default_value = "teacher")]
    profile: String,
    /// Target share of students whose composite lies above the cut (0–1).
    #[arg(long, group = "target")]
    share_above: Option<f64>,
    /// Target share of students recommended (P(above cut) ≥ the recommended threshold).
    #[arg(long, group = "target")]
    share_recommended: Option<f64>,
    /// Target expected classification accuracy (0–1): the lowest such cut at or above the median.
    #[arg(long, group = "target")]
    accuracy: Option<f64>,
}

pub fn choose(args: CutArgs) -> Result<(), Failure> {
    let target = match (args.share_above, args.share_recommended, args.accuracy) {
        (Some(v), None, None) => CutTarget::ShareAbove(v),
        (None, Some(v), None) => CutTarget::ShareRecommended(v),
        (None, None, Some(v)) => CutTarget::Accuracy(v),
        _ => {
            return Err(anyhow!(
                "give one target: --share-above, --share-recommended or --accuracy"
            )
            .into());
        }
    };
    let instrument = load_instrument(&args.instrument)?;
    let decider = Decider::new(&instrument, DecisionSettings::default(), None)
        .context("decision settings")?;
    let table = table::open(&args.table, &instrument, false)?;
    let table::Sample {
        matrix, rejected, ..
    } = table::read_all(table, instrument.items().len())?;
    let choice = decider
        .choose_cut(&matrix, &args.profile, target)
        .with_context(|| format!("--profile {}", args.profile))?;
    let report = serde_json::json!({
        "profile": args.profile,
        "target": target,
        "norm_sample": matrix.persons(),
        "rejected_rows": rejected.len(),
        "instrument_checksum": instrument.checksum(),
        "choice": choice,
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&report).map_err(anyhow::Error::from)?
    );
    Ok(())
}
