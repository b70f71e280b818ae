//! `bagdar cat-sim`: simulate adaptive sessions and report recovery, length, exposure
//! and classification agreement with the full form.

use crate::output::AtomicFile;
use crate::{Failure, load_instrument};
use anyhow::Context;
use bagdar::cat::{
    CatSettings, Exposure, SimulationSettings, SympsonHetterSettings, simulate, sympson_hetter,
};
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct CatSimArgs {
    /// Instrument JSON file.
    #[arg(long)]
    instrument: PathBuf,
    /// Number of simulees.
    #[arg(long, default_value_t = 1000)]
    students: usize,
    /// Seed of every random step (same seed, same report).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// CAT settings JSON (data/CAT.md); default settings when absent.
    #[arg(long)]
    settings: Option<PathBuf>,
    /// Mean of the simulees' true θ on every scale.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    theta_mean: f64,
    /// SD of the simulees' true θ.
    #[arg(long, default_value_t = 1.0)]
    theta_sd: f64,
    /// Profile whose tier is compared with the full fixed form (default: teacher).
    #[arg(long)]
    profile: Option<String>,
    /// Write the full report (per-item exposure, length distribution) as JSON here.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Compute Sympson–Hetter parameters for this maximum exposure rate (0–1) by
    /// iterative simulation first (seed + 1), then simulate with them.
    #[arg(long)]
    exposure_target: Option<f64>,
    /// Iterations of the Sympson–Hetter computation.
    #[arg(long, default_value_t = 10)]
    exposure_iterations: usize,
    /// Write the settings used (with computed Sympson–Hetter parameters) as JSON here.
    #[arg(long)]
    write_settings: Option<PathBuf>,
}

pub fn cat_sim(args: CatSimArgs) -> Result<(), Failure> {
    let instrument = load_instrument(&args.instrument)?;
    let settings = match &args.settings {
        None => CatSettings::default(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read CAT settings {}", path.display()))?;
            CatSettings::from_json(&text)
                .with_context(|| format!("CAT settings {}", path.display()))?
        }
    };
    let simulation = SimulationSettings {
        students: args.students,
        seed: args.seed,
        theta_mean: args.theta_mean,
        theta_sd: args.theta_sd,
        profile: args.profile.clone(),
    };
    let mut settings = settings;
    if let Some(target) = args.exposure_target {
        let sh = SympsonHetterSettings {
            target,
            iterations: args.exposure_iterations,
            simulation: SimulationSettings {
                seed: args.seed.wrapping_add(1),
                ..simulation.clone()
            },
        };
        let result =
            sympson_hetter(&instrument, &settings, &sh).context("Sympson–Hetter parameters")?;
        eprintln!(
            "Sympson–Hetter: {} items with k < 1; highest exposure per iteration {}",
            result.parameters.len(),
            result
                .max_exposure
                .iter()
                .map(|e| format!("{e:.3}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        settings.exposure = Exposure::SympsonHetter {
            parameters: result.parameters,
        };
    }
    if let Some(path) = &args.write_settings {
        let mut file = AtomicFile::create(path)?;
        serde_json::to_writer_pretty(file.writer(), &settings).map_err(anyhow::Error::from)?;
        file.writer()
            .write_all(b"\n")
            .map_err(anyhow::Error::from)?;
        file.commit()?;
        eprintln!("wrote {}", path.display());
    }
    let report = simulate(&instrument, &settings, &simulation).context("CAT simulation")?;
    let mut out = std::io::stdout().lock();
    let w = &mut out;
    let io = |e: std::io::Error| Failure::Io(e.into());
    writeln!(
        w,
        "CAT simulation: {} simulees, seed {}, θ ~ N({}, {}²), instrument {}",
        report.students,
        report.seed,
        args.theta_mean,
        args.theta_sd,
        &report.instrument_checksum[..12]
    )
    .map_err(io)?;
    writeln!(
        w,
        "{:<16} {:>7} {:>7} {:>7} {:>9} {:>7}  classification",
        "scale", "items", "bias", "rmse", "full rmse", "mean se"
    )
    .map_err(io)?;
    for s in &report.scales {
        let class = s.classification.as_ref().map_or(String::new(), |c| {
            format!(
                "cut {}: accuracy {:.3}, agrees with full form {:.3}, decided by test {:.3}",
                c.cut, c.accuracy, c.agreement_with_full_form, c.decided_by_test
            )
        });
        writeln!(
            w,
            "{:<16} {:>7.2} {:>7.3} {:>7.3} {:>9.3} {:>7.3}  {class}",
            s.scale, s.mean_items, s.bias, s.rmse, s.full_form_rmse, s.mean_se
        )
        .map_err(io)?;
    }
    let l = &report.length;
    writeln!(
        w,
        "length: mean {:.2} (sd {:.2}, min {}, max {}) of {} items",
        l.mean,
        l.sd,
        l.min,
        l.max,
        instrument.items().len()
    )
    .map_err(io)?;
    let top = report
        .exposure
        .iter()
        .max_by(|a, b| a.rate.total_cmp(&b.rate))
        .map_or(String::new(), |e| format!(" ({})", e.item));
    writeln!(
        w,
        "exposure: max {:.3}{top}, unused items {}, mean pairwise overlap {:.3}",
        report.max_exposure, report.unused_items, report.overlap
    )
    .map_err(io)?;
    if let Some(p) = &report.profile {
        writeln!(
            w,
            "profile {}: same tier as the full form {:.3}, same side of the cut {:.3}; \
             accuracy vs true composite: CAT {:.3}, full form {:.3}",
            p.profile, p.tier_agreement, p.side_agreement, p.cat_accuracy, p.full_form_accuracy
        )
        .map_err(io)?;
    }
    if let Some(path) = &args.output {
        let json = serde_json::json!({
            "simulation": simulation,
            "settings": settings,
            "report": report,
        });
        let mut file = AtomicFile::create(path)?;
        serde_json::to_writer_pretty(file.writer(), &json).map_err(anyhow::Error::from)?;
        file.writer()
            .write_all(b"\n")
            .map_err(anyhow::Error::from)?;
        file.commit()?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
