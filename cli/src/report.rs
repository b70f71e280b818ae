//! `bagdar report`: the department report from a scores file, as one self-contained
//! HTML page (inline CSS and SVG, nothing fetched) or an Excel workbook. The numbers
//! and the suppression of small groups come from `bagdar::report`; this file only lays
//! them out, with headings from `data/report/labels.json` in the chosen language.

use crate::output::AtomicFile;
use crate::table::{self, Rows};
use crate::{Failure, load_instrument};
use anyhow::{Context, anyhow};
use bagdar::instrument::Instrument;
use bagdar::report::{
    DepartmentReport, GroupSummary, ReportBuilder, ReportSettings, ScoresLayout, Share,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

const LABELS: &str = include_str!("../../data/report/labels.json");

#[derive(clap::Args)]
pub struct ReportArgs {
    /// Scores file written by `bagdar score` (CSV or .xlsx).
    pub scores: PathBuf,
    /// The instrument the scores come from (its checksum must match the scores').
    #[arg(long)]
    instrument: PathBuf,
    /// Report to write: .html (one self-contained page) or .xlsx (a workbook).
    #[arg(long)]
    output: PathBuf,
    /// Language of the headings and of scale and profile names: kk, ru or en.
    #[arg(long, default_value = "en")]
    lang: String,
    /// Profile shown in detail by region, school and language (default: teacher, or
    /// the first profile in the scores).
    #[arg(long)]
    profile: Option<String>,
    /// Groups with fewer students are suppressed.
    #[arg(long, default_value_t = 10)]
    min_group: usize,
    /// The score run's summary JSON, for the row accounting
    /// (default: <scores>.summary.json when it exists).
    #[arg(long)]
    summary: Option<PathBuf>,
    /// The response file the scores came from: adds DIF of every item across language
    /// forms (Mantel–Haenszel or Mantel's ordinal test, among complete responders).
    #[arg(long)]
    responses: Option<PathBuf>,
    /// Field delimiter of a CSV scores file.
    #[arg(long, default_value = ",")]
    delimiter: char,
    /// No progress bar and no summary on standard error.
    #[arg(long)]
    quiet: bool,
}

/// Headings in one language.
struct Labels {
    map: BTreeMap<String, String>,
    min_group: usize,
}

impl Labels {
    fn load(lang: &str, min_group: usize) -> anyhow::Result<Self> {
        let all: Value = serde_json::from_str(LABELS).context("bundled report labels")?;
        let map = all
            .get(lang)
            .and_then(Value::as_object)
            .ok_or_else(|| anyhow!("--lang {lang:?}: choose kk, ru or en"))?
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect();
        Ok(Labels { map, min_group })
    }

    fn get(&self, key: &str) -> String {
        self.map
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.to_string())
            .replace("{n}", &self.min_group.to_string())
    }

    fn hidden(&self) -> String {
        format!("<{}", self.min_group)
    }

    fn group(&self, text: &str) -> String {
        if text.is_empty() {
            self.get("none")
        } else {
            text.to_string()
        }
    }

    fn language(&self, code: &str) -> String {
        if code.is_empty() {
            return self.get("none");
        }
        match self.map.get(&format!("lang.{code}")) {
            Some(name) => format!("{name} ({code})"),
            None => code.to_string(),
        }
    }
}

pub fn report(args: ReportArgs) -> Result<(), Failure> {
    let instrument = load_instrument(&args.instrument)?;
    if !instrument.definition().languages.contains(&args.lang) {
        return Err(anyhow!(
            "--lang {:?}: the instrument's languages are {}",
            args.lang,
            instrument.definition().languages.join(", ")
        )
        .into());
    }
    let labels = Labels::load(&args.lang, args.min_group)?;
    let format = table::extension(&args.output);
    if format != "html" && format != "xlsx" {
        return Err(anyhow!(
            "--output {}: give a .html or .xlsx file",
            args.output.display()
        )
        .into());
    }
    let Rows {
        header,
        rows,
        progress,
    } = table::open_rows(&args.scores, args.delimiter, None, args.quiet)?;
    let layout = ScoresLayout::from_header(&header, &instrument)
        .with_context(|| format!("{}: header", args.scores.display()))?;
    let profiles = layout.profiles();
    let focus = match &args.profile {
        Some(p) if profiles.contains(&p.as_str()) => Some(p.clone()),
        Some(p) => {
            return Err(anyhow!("--profile {p:?}: the scores have no columns for it").into());
        }
        None => profiles
            .iter()
            .find(|p| **p == "teacher")
            .or(profiles.first())
            .map(|p| p.to_string()),
    };
    let settings = ReportSettings {
        min_group: args.min_group,
        ..ReportSettings::default()
    };
    let mut builder =
        ReportBuilder::new(&instrument, &profiles, settings).context("report settings")?;
    for (index, row) in rows.enumerate() {
        let row_number = index as u64 + 1;
        let fields = row.map_err(|e| {
            anyhow!(
                "{}: row {row_number} is unreadable ({e})",
                args.scores.display()
            )
        })?;
        let fields: Vec<&str> = fields.iter().collect();
        let student = layout
            .read(row_number, &fields)
            .with_context(|| args.scores.display().to_string())?;
        builder.add(&student).map_err(anyhow::Error::from)?;
    }
    progress.finish_and_clear();
    let mut report = builder.finish();
    if let Some(path) = &args.responses {
        let table_args = table::TableArgs {
            input: path.clone(),
            delimiter: args.delimiter,
            sheet: None,
            min_answered: 0.0,
            id_column: "student_id".into(),
            region_column: "region".into(),
            school_column: "school".into(),
            language_column: "language".into(),
            value_shift: 0,
            value_labels: false,
        };
        let table = table::open(&table_args, &instrument, args.quiet)?;
        let table::Sample {
            matrix, languages, ..
        } = table::read_all(table, instrument.items().len())?;
        report.language_dif =
            bagdar::report::language_dif(&instrument, &matrix, &languages, args.min_group)
                .context("DIF across language forms")?;
    }
    let summary = read_summary(&args)?;
    let page = Page {
        report: &report,
        instrument: &instrument,
        labels: &labels,
        lang: &args.lang,
        focus: focus.as_deref(),
        summary: summary.as_ref(),
    };
    let mut file = AtomicFile::create(&args.output)?;
    if format == "html" {
        file.write_all(page.html().as_bytes())
            .with_context(|| format!("cannot write {}", args.output.display()))?;
    } else {
        let mut workbook = page.workbook().context("cannot build the Excel report")?;
        workbook
            .save_to_writer(&mut file)
            .with_context(|| format!("cannot write {}", args.output.display()))?;
    }
    file.commit()?;
    if !args.quiet {
        eprintln!(
            "report of {} students ({} regions, {} schools) written to {}",
            report
                .total
                .students
                .map_or_else(|| labels.hidden(), |n| n.to_string()),
            report.regions.len(),
            report.schools.len(),
            args.output.display()
        );
    }
    Ok(())
}

/// Row accounting from the score run: (read, scored, rejected).
fn read_summary(args: &ReportArgs) -> anyhow::Result<Option<(u64, u64, u64)>> {
    let path = match &args.summary {
        Some(p) => p.clone(),
        None => {
            let mut p = args.scores.clone().into_os_string();
            p.push(".summary.json");
            let p = PathBuf::from(p);
            if !p.exists() {
                return Ok(None);
            }
            p
        }
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read summary {}", path.display()))?;
    let value: Value =
        serde_json::from_str(&text).with_context(|| format!("summary {}", path.display()))?;
    let field = |k: &str| value.get(k).and_then(Value::as_u64);
    match (
        field("rows_read"),
        field("rows_scored"),
        field("rows_rejected"),
    ) {
        (Some(r), Some(s), Some(j)) => Ok(Some((r, s, j))),
        _ => Err(anyhow!(
            "summary {}: no rows_read, rows_scored, rows_rejected",
            path.display()
        )),
    }
}

/// Escapes text for HTML element content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn percent(share: &Share) -> String {
    if share.value.is_finite() {
        format!(
            "{:.1} ({:.1}–{:.1})",
            100.0 * share.value,
            100.0 * share.low,
            100.0 * share.high
        )
    } else {
        String::new()
    }
}

fn fixed(v: f64, digits: usize) -> String {
    if v.is_finite() {
        format!("{v:.digits$}")
    } else {
        String::new()
    }
}

/// The three group tables of the report.
#[derive(Clone, Copy)]
enum GroupKind {
    Region,
    School,
    Language,
}

const TIER_COLOURS: [&str; 3] = ["#2e7d32", "#f9a825", "#9e9e9e"];

struct Page<'a> {
    report: &'a DepartmentReport,
    instrument: &'a Instrument,
    labels: &'a Labels,
    lang: &'a str,
    focus: Option<&'a str>,
    summary: Option<&'a (u64, u64, u64)>,
}

impl Page<'_> {
    fn text(&self, t: &bagdar::instrument::Text) -> String {
        t.get(self.lang).cloned().unwrap_or_default()
    }

    fn scale_name(&self, id: &str) -> String {
        self.instrument
            .scales()
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| id.to_string(), |s| self.text(&s.name))
    }

    fn profile_name(&self, id: &str) -> String {
        self.instrument
            .profile(id)
            .map_or_else(|| id.to_string(), |p| self.text(&p.name))
    }

    fn focus_index(&self) -> Option<usize> {
        let focus = self.focus?;
        self.report.profiles.iter().position(|p| p.id == focus)
    }

    fn cut(&self, index: usize) -> String {
        let p = &self.report.profiles[index];
        match (p.cut_theta, p.cut_percentile) {
            (Some(t), _) => format!("θ = {t:.2}"),
            (None, Some(pc)) => format!("P{pc:.0}"),
            _ => String::new(),
        }
    }

    /// The cells of one group row: students, the focus profile's three tiers, its mean
    /// composite, every other profile's recommended share, the flagged share.
    fn group_cells(&self, g: &GroupSummary) -> Vec<String> {
        let hidden = self.labels.hidden();
        let columns = self.group_columns().len();
        let Some(d) = &g.detail else {
            return vec![hidden; columns];
        };
        let mut cells = vec![g.students.map_or(hidden, |n| n.to_string())];
        if let Some(f) = self.focus_index() {
            let p = &d.profiles[f];
            cells.extend([
                percent(&p.recommended),
                percent(&p.borderline),
                percent(&p.not_indicated),
                fixed(p.mean_composite, 2),
            ]);
        }
        for (i, p) in d.profiles.iter().enumerate() {
            if Some(i) != self.focus_index() {
                cells.push(percent(&p.recommended));
            }
        }
        cells.push(percent(&d.flagged));
        cells
    }

    /// A group table (regions, schools or languages): its header and rows.
    fn group_table(&self, kind: GroupKind) -> (Vec<String>, Vec<Vec<String>>) {
        let l = self.labels;
        let (mut head, groups) = match kind {
            GroupKind::Region => (vec![l.get("region")], &self.report.regions),
            GroupKind::School => (vec![l.get("region"), l.get("school")], &self.report.schools),
            GroupKind::Language => (vec![l.get("language")], &self.report.languages),
        };
        head.extend(self.group_columns());
        let rows = groups
            .iter()
            .map(|g| {
                let mut r = match kind {
                    GroupKind::Region => vec![l.group(&g.region)],
                    GroupKind::School => vec![l.group(&g.region), l.group(&g.school)],
                    GroupKind::Language => vec![l.language(&g.language)],
                };
                r.extend(self.group_cells(g));
                r
            })
            .collect();
        (head, rows)
    }

    fn group_columns(&self) -> Vec<String> {
        let l = self.labels;
        let mut columns = vec![l.get("students")];
        if let Some(f) = self.focus_index() {
            let name = self.profile_name(&self.report.profiles[f].id);
            columns.extend([
                format!("{name}: {}, %", l.get("recommended")),
                format!("{name}: {}, %", l.get("borderline")),
                format!("{name}: {}, %", l.get("not_indicated")),
                format!("{name}: {}", l.get("mean_composite")),
            ]);
        }
        for (i, p) in self.report.profiles.iter().enumerate() {
            if Some(i) != self.focus_index() {
                columns.push(format!(
                    "{}: {}, %",
                    self.profile_name(&p.id),
                    l.get("recommended")
                ));
            }
        }
        columns.push(format!("{}, %", l.get("flagged")));
        columns
    }

    fn overview_rows(&self) -> (Vec<String>, Vec<Vec<String>>) {
        let l = self.labels;
        let columns = [
            "profile",
            "cut",
            "recommended",
            "borderline",
            "not_indicated",
            "mean_composite",
            "accuracy",
            "consistency",
            "kappa",
        ]
        .map(|k| match k {
            "recommended" | "borderline" | "not_indicated" => format!("{}, %", l.get(k)),
            _ => l.get(k),
        })
        .to_vec();
        let mut rows = Vec::new();
        if let Some(d) = &self.report.total.detail {
            for (i, p) in d.profiles.iter().enumerate() {
                let q = &p.classification;
                rows.push(vec![
                    self.profile_name(&p.profile),
                    self.cut(i),
                    percent(&p.recommended),
                    percent(&p.borderline),
                    percent(&p.not_indicated),
                    fixed(p.mean_composite, 2),
                    fixed(q.expected_accuracy, 3),
                    fixed(q.expected_consistency, 3),
                    q.consistency_kappa.map_or(String::new(), |k| fixed(k, 3)),
                ]);
            }
        }
        (columns, rows)
    }

    fn flag_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = [
            "quality.long_string",
            "quality.person_misfit",
            "quality.inconsistent_pairs",
            "quality.too_many_missing",
            "quality.too_fast",
        ]
        .map(String::from)
        .to_vec();
        if let Some(d) = &self.report.total.detail {
            for k in d.flags.keys() {
                if !keys.contains(k) {
                    keys.push(k.clone());
                }
            }
        }
        keys
    }

    /// Quality table: one row per flag, columns total then each language.
    fn quality_rows(&self) -> (Vec<String>, Vec<Vec<String>>) {
        let l = self.labels;
        let mut columns = vec![String::new(), l.get("total")];
        columns.extend(
            self.report
                .languages
                .iter()
                .map(|g| l.language(&g.language)),
        );
        let groups: Vec<&GroupSummary> = std::iter::once(&self.report.total)
            .chain(&self.report.languages)
            .collect();
        let cell = |g: &GroupSummary, key: Option<&str>| match &g.detail {
            None => l.hidden(),
            Some(d) => match key {
                None => percent(&d.flagged),
                Some(k) => d.flags.get(k).map_or_else(
                    || percent(&Share::wilson(0, g.students.unwrap_or(0), 0.95)),
                    percent,
                ),
            },
        };
        let mut rows = vec![{
            let mut r = vec![l.get("flagged")];
            r.extend(groups.iter().map(|g| cell(g, None)));
            r
        }];
        for key in self.flag_keys() {
            let mut r = vec![l.get(&key)];
            r.extend(groups.iter().map(|g| cell(g, Some(&key))));
            rows.push(r);
        }
        (columns, rows)
    }

    /// Mean θ per scale by language.
    fn scale_rows(&self) -> (Vec<String>, Vec<Vec<String>>) {
        let l = self.labels;
        let mut columns = vec![l.get("scale"), l.get("total")];
        columns.extend(
            self.report
                .languages
                .iter()
                .map(|g| l.language(&g.language)),
        );
        let groups: Vec<&GroupSummary> = std::iter::once(&self.report.total)
            .chain(&self.report.languages)
            .collect();
        let rows = self
            .report
            .scales
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let mut r = vec![self.scale_name(id)];
                r.extend(groups.iter().map(|g| match &g.detail {
                    None => l.hidden(),
                    Some(d) => {
                        let s = &d.scales[i];
                        format!("{} ({})", fixed(s.mean, 2), fixed(s.sd, 2))
                    }
                }));
                r
            })
            .collect();
        (columns, rows)
    }

    /// Per scale and focal language: items in class B and C, and the C items by name.
    fn dif_rows(&self) -> (Vec<String>, Vec<Vec<String>>) {
        use bagdar::fit::DifClass;
        let l = self.labels;
        let columns = vec![
            l.get("scale"),
            l.get("language"),
            l.get("students"),
            l.get("dif_b"),
            l.get("dif_c"),
            l.get("dif_items"),
        ];
        let mut groups: Vec<(&str, &str)> = self
            .report
            .language_dif
            .iter()
            .map(|d| (d.scale.as_str(), d.focal.as_str()))
            .collect();
        groups.dedup();
        let rows = groups
            .into_iter()
            .map(|(scale, focal)| {
                let items: Vec<_> = self
                    .report
                    .language_dif
                    .iter()
                    .filter(|d| d.scale == scale && d.focal == focal)
                    .collect();
                let count = |c: DifClass| items.iter().filter(|d| d.class == c).count();
                let c_items: Vec<String> = items
                    .iter()
                    .filter(|d| d.class == DifClass::C)
                    .map(|d| format!("{} ({:+.2})", d.item, d.effect))
                    .collect();
                vec![
                    self.scale_name(scale),
                    format!(
                        "{} / {}",
                        l.language(&items[0].reference),
                        l.language(focal)
                    ),
                    items[0].students.to_string(),
                    count(DifClass::B).to_string(),
                    count(DifClass::C).to_string(),
                    c_items.join(", "),
                ]
            })
            .collect();
        (columns, rows)
    }

    fn html(&self) -> String {
        let l = self.labels;
        let d = self.instrument.definition();
        let mut h = String::new();
        let _ = write!(
            h,
            "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n",
            lang = escape(self.lang),
            title = escape(&l.get("title")),
        );
        let _ = writeln!(
            h,
            "<p>{}: <b>{}</b> ({} {})<br><small>{}: <code>{}</code></small></p>",
            escape(&l.get("instrument")),
            escape(&self.text(&d.title)),
            escape(&d.id),
            escape(&d.version),
            escape(&l.get("checksum")),
            escape(&self.report.instrument_checksum)
        );
        if d.demonstration {
            let _ = writeln!(
                h,
                "<p class=\"warn\">{}</p>",
                escape(&l.get("demonstration"))
            );
        }
        let _ = writeln!(h, "<h2>{}</h2>", escape(&l.get("overview")));
        if let Some((read, scored, rejected)) = self.summary {
            let _ = writeln!(
                h,
                "<p>{}: {read} {} = {scored} {} + {rejected} {}</p>",
                escape(&l.get("rows")),
                escape(&l.get("rows_read")),
                escape(&l.get("rows_scored")),
                escape(&l.get("rows_rejected"))
            );
        }
        let _ = writeln!(
            h,
            "<p>{}: <b>{}</b></p>",
            escape(&l.get("students")),
            self.report
                .total
                .students
                .map_or_else(|| escape(&l.hidden()), |n| n.to_string())
        );
        let (columns, rows) = self.overview_rows();
        html_table(&mut h, &columns, &rows);
        if let Some(total) = &self.report.total.detail {
            for p in &total.profiles {
                let _ = writeln!(
                    h,
                    "<figure><figcaption>{}</figcaption>{}</figure>",
                    escape(&self.profile_name(&p.profile)),
                    tier_bar(
                        [
                            p.recommended.value,
                            p.borderline.value,
                            p.not_indicated.value
                        ],
                        [
                            l.get("recommended"),
                            l.get("borderline"),
                            l.get("not_indicated")
                        ]
                    )
                );
            }
        }
        let _ = writeln!(
            h,
            "<p class=\"note\">{} {}</p>",
            escape(&l.get("ci")),
            escape(&l.get("suppressed"))
        );

        for (kind, heading) in [
            (GroupKind::Region, "by_region"),
            (GroupKind::School, "by_school"),
            (GroupKind::Language, "by_language"),
        ] {
            let _ = writeln!(h, "<h2>{}</h2>", escape(&l.get(heading)));
            let (head, rows) = self.group_table(kind);
            html_table(&mut h, &head, &rows);
        }
        let _ = writeln!(h, "<h3>{}</h3>", escape(&l.get("scale_means")));
        let (columns, rows) = self.scale_rows();
        html_table(&mut h, &columns, &rows);
        if self.report.language_dif.is_empty() {
            let _ = writeln!(h, "<p class=\"note\">{}</p>", escape(&l.get("dif")));
        } else {
            let _ = writeln!(h, "<h3>{}</h3>", escape(&l.get("dif_heading")));
            let (columns, rows) = self.dif_rows();
            let _ = writeln!(h, "<p class=\"note\">{}</p>", escape(&l.get("dif_note")));
            html_table(&mut h, &columns, &rows);
        }

        let _ = writeln!(h, "<h2>{}</h2>", escape(&l.get("quality")));
        let (columns, rows) = self.quality_rows();
        html_table(&mut h, &columns, &rows);

        if !self.report.distributions.is_empty() {
            let _ = writeln!(
                h,
                "<h2>{}</h2>\n<div class=\"grid\">",
                escape(&l.get("distributions"))
            );
            for hist in &self.report.distributions {
                let name = if hist.kind == "scale" {
                    self.scale_name(&hist.id)
                } else {
                    format!("{}: {}", l.get("composite"), self.profile_name(&hist.id))
                };
                let _ = writeln!(
                    h,
                    "<figure><figcaption>{}</figcaption>{}</figure>",
                    escape(&name),
                    histogram_svg(&hist.edges, &hist.counts, &l.get("theta_axis"))
                );
            }
            let _ = writeln!(h, "</div>");
        }
        let _ = writeln!(h, "</body>\n</html>");
        h
    }

    fn workbook(&self) -> Result<rust_xlsxwriter::Workbook, rust_xlsxwriter::XlsxError> {
        let l = self.labels;
        let mut wb = rust_xlsxwriter::Workbook::new();
        let bold = rust_xlsxwriter::Format::new().set_bold();
        let mut sheet = |name: String,
                         intro: Vec<String>,
                         columns: &[String],
                         rows: &[Vec<String>]|
         -> Result<(), rust_xlsxwriter::XlsxError> {
            let ws = wb.add_worksheet();
            ws.set_name(sheet_name(&name))?;
            let mut r = 0u32;
            for line in intro {
                ws.write_string(r, 0, line)?;
                r += 1;
            }
            if r > 0 {
                r += 1;
            }
            for (c, column) in columns.iter().enumerate() {
                ws.write_string_with_format(r, c as u16, column, &bold)?;
                ws.set_column_width(c as u16, 16)?;
            }
            for row in rows {
                r += 1;
                for (c, cell) in row.iter().enumerate() {
                    match cell.parse::<f64>() {
                        Ok(v) if v.is_finite() => ws.write_number(r, c as u16, v)?,
                        _ => ws.write_string(r, c as u16, cell)?,
                    };
                }
            }
            Ok(())
        };
        let d = self.instrument.definition();
        let mut intro = vec![
            l.get("title"),
            format!(
                "{}: {} ({} {})",
                l.get("instrument"),
                self.text(&d.title),
                d.id,
                d.version
            ),
            format!("{}: {}", l.get("checksum"), self.report.instrument_checksum),
        ];
        if d.demonstration {
            intro.push(l.get("demonstration"));
        }
        if let Some((read, scored, rejected)) = self.summary {
            intro.push(format!(
                "{}: {read} {} = {scored} {} + {rejected} {}",
                l.get("rows"),
                l.get("rows_read"),
                l.get("rows_scored"),
                l.get("rows_rejected")
            ));
        }
        intro.push(format!(
            "{}: {}",
            l.get("students"),
            self.report
                .total
                .students
                .map_or_else(|| l.hidden(), |n| n.to_string())
        ));
        intro.push(l.get("ci"));
        intro.push(l.get("suppressed"));
        let (columns, rows) = self.overview_rows();
        sheet(l.get("overview"), intro, &columns, &rows)?;

        let (head, rows) = self.group_table(GroupKind::Region);
        sheet(l.get("region"), Vec::new(), &head, &rows)?;
        let (head, rows) = self.group_table(GroupKind::School);
        sheet(l.get("school"), Vec::new(), &head, &rows)?;
        let (head, mut rows) = self.group_table(GroupKind::Language);
        let (scale_head, scale_rows) = self.scale_rows();
        rows.push(Vec::new());
        rows.push(scale_head);
        rows.extend(scale_rows);
        let intro = if self.report.language_dif.is_empty() {
            vec![l.get("dif")]
        } else {
            let (dif_head, dif_rows) = self.dif_rows();
            rows.push(Vec::new());
            rows.push(vec![l.get("dif_heading")]);
            rows.push(dif_head);
            rows.extend(dif_rows);
            vec![l.get("dif_note")]
        };
        sheet(l.get("language"), intro, &head, &rows)?;
        let (columns, rows) = self.quality_rows();
        sheet(l.get("quality"), Vec::new(), &columns, &rows)?;
        let mut columns = vec![l.get("scale"), "from".to_string(), "to".to_string()];
        columns.push(l.get("students"));
        let mut rows = Vec::new();
        for hist in &self.report.distributions {
            let name = if hist.kind == "scale" {
                self.scale_name(&hist.id)
            } else {
                format!("{}: {}", l.get("composite"), self.profile_name(&hist.id))
            };
            for (i, count) in hist.counts.iter().enumerate() {
                rows.push(vec![
                    name.clone(),
                    hist.edges[i].to_string(),
                    hist.edges[i + 1].to_string(),
                    count.to_string(),
                ]);
            }
        }
        sheet(l.get("distributions"), Vec::new(), &columns, &rows)?;
        Ok(wb)
    }
}

/// An Excel sheet name: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(name: &str) -> String {
    name.chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect()
}

fn html_table(h: &mut String, columns: &[String], rows: &[Vec<String>]) {
    h.push_str("<div class=\"scroll\"><table>\n<thead><tr>");
    for c in columns {
        let _ = write!(h, "<th scope=\"col\">{}</th>", escape(c));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        h.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            if i == 0 {
                let _ = write!(h, "<th scope=\"row\">{}</th>", escape(cell));
            } else {
                let _ = write!(h, "<td>{}</td>", escape(cell));
            }
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table></div>\n");
}

/// A horizontal bar split into the three tier shares, with a legend.
fn tier_bar(shares: [f64; 3], names: [String; 3]) -> String {
    let mut svg = String::from(
        "<svg viewBox=\"0 0 400 44\" width=\"400\" height=\"44\" role=\"img\" class=\"bar\">",
    );
    let mut x = 0.0;
    let mut title = Vec::new();
    for ((share, name), colour) in shares.iter().zip(&names).zip(TIER_COLOURS) {
        let share = if share.is_finite() { *share } else { 0.0 };
        let width = 400.0 * share;
        let _ = write!(
            svg,
            "<rect x=\"{x:.2}\" y=\"0\" width=\"{width:.2}\" height=\"20\" fill=\"{colour}\"/>"
        );
        title.push(format!("{}: {:.1}%", name, 100.0 * share));
        x += width;
    }
    let mut lx = 0.0;
    for (name, colour) in names.iter().zip(TIER_COLOURS) {
        let _ = write!(
            svg,
            "<rect x=\"{lx}\" y=\"28\" width=\"10\" height=\"10\" fill=\"{colour}\"/>\
             <text x=\"{}\" y=\"37\" font-size=\"11\">{}</text>",
            lx + 14.0,
            escape(name)
        );
        lx += 135.0;
    }
    let _ = write!(svg, "<title>{}</title></svg>", escape(&title.join("; ")));
    svg
}

/// A histogram as an SVG bar chart.
fn histogram_svg(edges: &[f64], counts: &[usize], axis: &str) -> String {
    let (width, height, base) = (320.0, 140.0, 120.0);
    let max = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let bar = width / counts.len().max(1) as f64;
    let mut svg = format!(
        "<svg viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\">"
    );
    for (i, &c) in counts.iter().enumerate() {
        let h = (base - 10.0) * c as f64 / max;
        let _ = write!(
            svg,
            "<rect x=\"{:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{h:.2}\" fill=\"#1565c0\"><title>{:.1}…{:.1}: {c}</title></rect>",
            i as f64 * bar + 1.0,
            base - h,
            bar - 2.0,
            edges[i],
            edges[i + 1]
        );
    }
    let (low, high) = (edges[0], edges[edges.len() - 1]);
    let _ = write!(
        svg,
        "<line x1=\"0\" y1=\"{base}\" x2=\"{width}\" y2=\"{base}\" stroke=\"#333\"/>\
         <text x=\"0\" y=\"{y}\" font-size=\"11\">{low}</text>\
         <text x=\"{mid}\" y=\"{y}\" font-size=\"11\" text-anchor=\"middle\">{}</text>\
         <text x=\"{width}\" y=\"{y}\" font-size=\"11\" text-anchor=\"end\">{high}</text></svg>",
        escape(axis),
        y = base + 14.0,
        mid = width / 2.0,
    );
    svg
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;\
margin:1.5rem auto;max-width:72rem;padding:0 1rem;color:#222;line-height:1.4}\
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}\
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}\
th[scope=row],thead th{text-align:left;background:#f4f4f4}\
.scroll{overflow-x:auto}.note{font-size:.85rem;color:#555}\
.warn{background:#fff3e0;border-left:4px solid #ef6c00;padding:.5rem}\
.grid{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:.5rem 0}\
figcaption{font-size:.85rem;font-weight:600}svg{max-width:100%;height:auto}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_and_sheet_names_are_valid() {
        assert_eq!(
            escape("<script>\"a\"&'b'</script>"),
            "&lt;script&gt;&quot;a&quot;&amp;&#39;b&#39;&lt;/script&gt;"
        );
        assert_eq!(sheet_name("a/b:c[d]"), "abcd");
        assert_eq!(sheet_name(&"x".repeat(40)).len(), 31);
    }

    #[test]
    fn labels_exist_in_every_language() {
        let all: Value = serde_json::from_str(LABELS).unwrap();
        let keys =
            |l: &str| -> Vec<String> { all[l].as_object().unwrap().keys().cloned().collect() };
        assert_eq!(keys("en"), keys("ru"));
        assert_eq!(keys("en"), keys("kk"));
        assert!(Labels::load("de", 10).is_err());
        assert_eq!(Labels::load("en", 10).unwrap().hidden(), "<10");
    }
}
