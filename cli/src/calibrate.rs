//! `bagdar calibrate`: estimate the item parameters of every scale of an instrument from a
//! response file, and write the calibrated instrument.

use crate::output::AtomicFile;
use crate::table::{self, TableArgs};
use crate::{Failure, load_instrument};
use anyhow::{Context, anyhow};
use bagdar::calibrate::{
    BetaPrior, CalibrationSettings, battery_fit, calibrate_battery_as, calibrate_battery_groups,
    group_codes,
};
use bagdar::instrument::Instrument;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct CalibrateArgs {
    #[command(flatten)]
    table: TableArgs,
    /// Instrument JSON file: scales, item models and starting values.
    #[arg(long)]
    instrument: PathBuf,
    /// Calibrated instrument JSON to write (written atomically).
    #[arg(long)]
    output: PathBuf,
    /// Re-estimate items in this model family (repeatable, e.g. `--model 2pl --model
    /// gpcm`): a dichotomous family for two-category items, a polytomous one for the
    /// others; items no --model fits keep the instrument's family and start values.
    #[arg(long = "model")]
    models: Vec<String>,
    /// Fit report JSON: per scale the log-likelihood, AIC, BIC, iterations, status and the
    /// standard errors of the item parameters (observed information).
    #[arg(long)]
    report: Option<PathBuf>,
    /// Beta(alpha, beta) prior on the lower asymptote of 3PL/4PL items, as "alpha,beta"
    /// (e.g. 5,17: mean 0.23). Without it guessing is estimated by maximum likelihood.
    #[arg(long)]
    guessing_prior: Option<String>,
    /// Leave the standard errors out of the report (they cost 2 E-steps per estimated
    /// parameter, more than the fit itself on long scales).
    #[arg(long)]
    no_standard_errors: bool,
    /// Most EM iterations per scale (Anderson-accelerated by default).
    #[arg(long, default_value_t = 500)]
    max_iterations: usize,
    /// Multi-group calibration by the table's language column: each scale's items are
    /// invariant across the languages, the first of the instrument's languages present
    /// is the reference (N(0, 1)) and the others' latent means and SDs are estimated, so
    /// the report compares the language groups on one scale.
    #[arg(long)]
    by_language: bool,
    /// With --by-language: test every item for likelihood-ratio DIF across the
    /// languages (all other items of its scale as anchors); the report lists G², df,
    /// p, the Benjamini–Hochberg adjusted p and the expected-score difference.
    #[arg(long, requires = "by_language")]
    dif: bool,
    /// Model fit per scale in the report: M2 (M2* for Likert scales) with RMSEA, and
    /// S-X2 and infit/outfit per item, on the students who answered every item of the
    /// scale.
    #[arg(long, conflicts_with = "by_language")]
    fit: bool,
    /// No summary on standard error.
    #[arg(long)]
    quiet: bool,
}

pub fn calibrate(args: CalibrateArgs) -> Result<(), Failure> {
    let instrument = load_instrument(&args.instrument)?;
    let mut settings = CalibrationSettings {
        max_iterations: args.max_iterations,
        standard_errors: args.report.is_some() && !args.no_standard_errors,
        ..CalibrationSettings::default()
    };
    if let Some(text) = &args.guessing_prior {
        let parts: Vec<f64> = text
            .split(',')
            .map(|p| p.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| anyhow!("--guessing-prior: expected \"alpha,beta\", got {text:?}"))?;
        let [alpha, beta] = parts[..] else {
            return Err(anyhow!("--guessing-prior: expected \"alpha,beta\", got {text:?}").into());
        };
        settings.priors.guessing = Some(BetaPrior { alpha, beta });
    }
    let table = table::open(&args.table, &instrument, args.quiet)?;
    let table::Sample {
        matrix,
        rejected,
        languages,
        ..
    } = table::read_all(table, instrument.items().len())?;
    let used = matrix.persons();
    let models = args
        .models
        .iter()
        .map(|m| m.parse::<bagdar::model::ModelKind>())
        .collect::<Result<Vec<_>, _>>()
        .context("--model")?;
    // One line per scale for the summary: id, items, log-likelihood, cycles, status,
    // and the extra text (group means, DIF flags).
    let mut lines: Vec<(String, usize, f64, usize, &'static str, String)> = Vec::new();
    let (definition, scales) = if args.by_language {
        let (codes, names) = group_codes(&languages, &instrument.definition().languages);
        if names.len() < 2 {
            return Err(anyhow!(
                "--by-language: the table has {} language group(s) ({}); at least two are needed",
                names.len(),
                names.join(", ")
            )
            .into());
        }
        let (definition, fits) = calibrate_battery_groups(
            &instrument,
            &matrix,
            &codes,
            &names,
            &settings,
            &models,
            args.dif,
        )
        .context("multi-group calibration")?;
        for f in &fits {
            let c = &f.calibration;
            let mut extra: Vec<String> = names
                .iter()
                .zip(c.means.iter().zip(&c.sds))
                .map(|(n, (m, s))| format!("{n} {m:+.2}/{s:.2}"))
                .collect();
            if let Some(dif) = &f.dif {
                let flagged: Vec<&str> = dif
                    .iter()
                    .filter(|r| r.flagged)
                    .map(|r| f.items[r.item].as_str())
                    .collect();
                extra.push(format!(
                    "DIF: {}",
                    if flagged.is_empty() {
                        "none".to_string()
                    } else {
                        flagged.join(" ")
                    }
                ));
            }
            lines.push((
                f.scale.clone(),
                f.items.len(),
                c.log_likelihood,
                c.iterations,
                c.status.name(),
                extra.join("  "),
            ));
        }
        (
            definition,
            serde_json::to_value(&fits).map_err(anyhow::Error::from)?,
        )
    } else {
        let (definition, fits) = calibrate_battery_as(&instrument, &matrix, &settings, &models)
            .context("calibration")?;
        let model_fit = if args.fit {
            Some(
                battery_fit(&instrument, &matrix, &settings, &models, &fits)
                    .context("model fit")?,
            )
        } else {
            None
        };
        for (k, f) in fits.iter().enumerate() {
            let c = &f.calibration;
            let extra = match model_fit.as_ref().map(|m| &m[k]) {
                Some(m) => {
                    let misfit = m.items.iter().filter(|i| i.s_x2.p_value < 0.01).count();
                    match &m.m2 {
                        Some(m2) => format!(
                            "M2 {:.1} df {} RMSEA {:.3}; {misfit} item(s) S-X2 p < .01 (n = {})",
                            m2.statistic, m2.df, m2.rmsea, m.persons
                        ),
                        None => format!(
                            "{misfit} item(s) S-X2 p < .01 (n = {}); {}",
                            m.persons,
                            m.notes.join("; ")
                        ),
                    }
                }
                None => String::new(),
            };
            lines.push((
                f.scale.clone(),
                f.items.len(),
                c.log_likelihood,
                c.iterations,
                c.status.name(),
                extra,
            ));
        }
        let mut scales = serde_json::to_value(&fits).map_err(anyhow::Error::from)?;
        if let (Some(model_fit), Some(list)) = (&model_fit, scales.as_array_mut()) {
            for (scale, fit) in list.iter_mut().zip(model_fit) {
                scale["fit"] = serde_json::to_value(fit).map_err(anyhow::Error::from)?;
            }
        }
        (definition, scales)
    };
    let calibrated = Instrument::new(definition.clone()).context("calibrated instrument")?;
    let mut out = AtomicFile::create(&args.output)?;
    let text = serde_json::to_string_pretty(&definition).map_err(anyhow::Error::from)?;
    writeln!(out, "{text}").map_err(anyhow::Error::from)?;
    out.commit()?;
    if let Some(path) = &args.report {
        let mut report = AtomicFile::create(path)?;
        let value = serde_json::json!({
            "instrument": args.instrument.display().to_string(),
            "input_checksum": instrument.checksum(),
            "output_checksum": calibrated.checksum(),
            "persons": used,
            "rejected": rejected.len(),
            "settings": settings,
            "scales": scales,
        });
        let text = serde_json::to_string_pretty(&value).map_err(anyhow::Error::from)?;
        writeln!(report, "{text}").map_err(anyhow::Error::from)?;
        report.commit()?;
    }
    let failed: Vec<&str> = lines
        .iter()
        .filter(|l| l.4 != "converged")
        .map(|l| l.0.as_str())
        .collect();
    if !args.quiet {
        eprintln!(
            "read {} rows = used {used} + rejected {}",
            used + rejected.len(),
            rejected.len()
        );
        for r in rejected.iter().take(10) {
            eprintln!("  rejected {r}");
        }
        eprintln!(
            "{:<16} {:>5} {:>14} {:>6} {:>10}",
            "scale", "items", "log-likelihood", "cycles", "status"
        );
        for (scale, items, log_likelihood, cycles, status, extra) in &lines {
            eprintln!(
                "{scale:<16} {items:>5} {log_likelihood:>14.3} {cycles:>6} {status:>10}  {extra}"
            );
        }
        eprintln!(
            "wrote {} (checksum {})",
            args.output.display(),
            &calibrated.checksum()[..12]
        );
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(anyhow!(
            "{} scale(s) did not converge: {} (the output holds the last estimates; raise --max-iterations or add priors)",
            failed.len(),
            failed.join(", ")
        )
        .into())
    }
}
