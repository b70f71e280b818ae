//! `bagdar link`: put a separately calibrated new form on the base form's scales through
//! their common items, and optionally write the new form's instrument on those scales.

use crate::output::AtomicFile;
use crate::{Failure, load_instrument};
use anyhow::{Context, anyhow};
use bagdar::instrument::Instrument;
use bagdar::link::{LinkMethod, LinkSettings, link_forms, transform_form};
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct LinkArgs {
    /// Instrument JSON of the base form (the scale to keep).
    #[arg(long)]
    base: PathBuf,
    /// Instrument JSON of the new form (calibrated on its own scale). Items with the same
    /// id in both files are the common items.
    #[arg(long)]
    new: PathBuf,
    /// mean-mean, mean-sigma, stocking-lord (test characteristic curve) or haebara (item
    /// characteristic curves).
    #[arg(long, default_value = "stocking-lord")]
    method: String,
    /// Link only this scale (repeatable); without it every scale of the new form is
    /// linked and each must share common items with the base form.
    #[arg(long = "scale")]
    scales: Vec<String>,
    /// Stocking–Lord/Haebara: add the criterion in the other direction (symmetric).
    #[arg(long)]
    symmetric: bool,
    /// Write the new form's instrument with the linked scales' items on the base scale
    /// (every item of those scales; written atomically).
    #[arg(long)]
    output: Option<PathBuf>,
    /// Write the linking constants of every scale as JSON.
    #[arg(long)]
    report: Option<PathBuf>,
}

pub fn link(args: LinkArgs) -> Result<(), Failure> {
    let base = load_instrument(&args.base)?;
    let new = load_instrument(&args.new)?;
    let method: LinkMethod = args.method.parse().context("--method")?;
    let settings = LinkSettings {
        symmetric: args.symmetric,
        ..LinkSettings::default()
    };
    let linkings = link_forms(
        base.definition(),
        new.definition(),
        &args.scales,
        method,
        &settings,
    )
    .with_context(|| format!("linking {} to {}", args.new.display(), args.base.display()))?;
    let mut stdout = std::io::stdout().lock();
    let header = format!(
        "{:<16} {:>6} {:>14} {:>12} {:>12} {:>12} {:>10}",
        "scale", "common", "method", "A", "B", "criterion", "status"
    );
    writeln!(stdout, "{header}").map_err(anyhow::Error::from)?;
    for l in &linkings {
        let k = &l.linking;
        let criterion = k.criterion.map_or("-".to_string(), |c| format!("{c:.6e}"));
        let status = if k.converged {
            "converged"
        } else {
            "not_converged"
        };
        writeln!(
            stdout,
            "{:<16} {:>6} {:>14} {:>12.6} {:>12.6} {:>12} {:>10}",
            l.scale,
            l.common_items.len(),
            k.method.name(),
            k.slope,
            k.intercept,
            criterion,
            status
        )
        .map_err(anyhow::Error::from)?;
    }
    if let Some(path) = &args.output {
        let moved = transform_form(new.definition(), &linkings);
        let checked = Instrument::new(moved.clone()).context("linked instrument")?;
        let mut out = AtomicFile::create(path)?;
        let text = serde_json::to_string_pretty(&moved).map_err(anyhow::Error::from)?;
        writeln!(out, "{text}").map_err(anyhow::Error::from)?;
        out.commit()?;
        eprintln!(
            "wrote {} (checksum {})",
            path.display(),
            &checked.checksum()[..12]
        );
    }
    if let Some(path) = &args.report {
        let mut report = AtomicFile::create(path)?;
        let value = serde_json::json!({
            "base": args.base.display().to_string(),
            "base_checksum": base.checksum(),
            "new": args.new.display().to_string(),
            "new_checksum": new.checksum(),
            "settings": settings,
            "scales": linkings,
        });
        let text = serde_json::to_string_pretty(&value).map_err(anyhow::Error::from)?;
        writeln!(report, "{text}").map_err(anyhow::Error::from)?;
        report.commit()?;
    }
    let failed: Vec<&str> = linkings
        .iter()
        .filter(|l| !l.linking.converged)
        .map(|l| l.scale.as_str())
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(anyhow!(
            "the {} minimization did not converge for {} scale(s): {}",
            method,
            failed.len(),
            failed.join(", ")
        )
        .into())
    }
}
