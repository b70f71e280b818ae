//! The department report: how many students were scored by region, school and answer
//! language, their tier shares with confidence intervals, score distributions,
//! classification quality at each cut and response-quality flag rates — with every
//! group smaller than the disclosure threshold suppressed.
//!
//! The numbers are computed here from the rows of a scores file (as `bagdar score`
//! writes it, see [`ScoresLayout`]); the CLI renders them as HTML or Excel.
//!
//! # Suppression
//!
//! A group with fewer than `min_group` students (default 10) is shown as "<10": no
//! count, share or mean of it appears anywhere. When a table also shows its total, a
//! single suppressed group could be recovered by subtraction, so the smallest other
//! group of that table is suppressed too (complementary suppression; see
//! [`suppress_small`]). Schools are tabled within their region, so the same rule runs
//! per region.

use crate::decide::{ClassificationQuality, ClassificationTally, Tier};
use crate::error::{Error, Result};
use crate::instrument::{Cut, Instrument};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// What to report and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportSettings {
    /// Groups with fewer students are suppressed (default 10).
    pub min_group: usize,
    /// Level of the confidence intervals of shares (default 0.95).
    pub confidence: f64,
    /// Lower edge of the first histogram bin on the θ metric (default −4).
    pub histogram_low: f64,
    /// Upper edge of the last bin (default 4); values outside go to the edge bins.
    pub histogram_high: f64,
    /// Number of bins (default 16).
    pub histogram_bins: usize,
}

impl Default for ReportSettings {
    fn default() -> Self {
        ReportSettings {
            min_group: 10,
            confidence: 0.95,
            histogram_low: -4.0,
            histogram_high: 4.0,
            histogram_bins: 16,
        }
    }
}

impl ReportSettings {
    fn check(&self) -> Result<()> {
        if self.min_group == 0 {
            return Err(Error::setting("report.min_group", "must be at least 1"));
        }
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return Err(Error::setting(
                "report.confidence",
                format!("{} is not between 0 and 1", self.confidence),
            ));
        }
        if !(self.histogram_low.is_finite()
            && self.histogram_high.is_finite()
            && self.histogram_low < self.histogram_high
            && self.histogram_bins > 0)
        {
            return Err(Error::setting(
                "report.histogram",
                "needs finite low < high and at least one bin",
            ));
        }
        Ok(())
    }
}

/// One profile's numbers for one student, as a scores file holds them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProfileValue {
    /// Posterior mean of the composite.
    pub composite: f64,
    /// P(composite > cut).
    pub p_above_cut: f64,
    /// The tier.
    pub tier: Tier,
}

/// One scored student.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StudentResult {
    /// Region ("" when the file has none).
    pub region: String,
    /// School ("" when the file has none).
    pub school: String,
    /// Answer language ("" when the file has none).
    pub language: String,
    /// θ per scale in instrument order (NaN when the scale was not estimated).
    pub theta: Vec<f64>,
    /// Per profile of the report, in [`ScoresLayout::profiles`] order.
    pub profiles: Vec<ProfileValue>,
    /// Response-quality flag keys.
    pub flags: Vec<String>,
}

/// Where a scores file (`bagdar score` output) keeps what the report needs.
///
/// Columns: `region`, `school`, `language` (each optional), `<scale>_theta` for every
/// scale, and for each profile found `<profile>_composite`, `<profile>_p_above_cut`,
/// `<profile>_tier`; `quality_flags` (`;`-separated keys, optional) and
/// `instrument_checksum` (optional; when present it must match the instrument).
#[derive(Debug, Clone, PartialEq)]
pub struct ScoresLayout {
    columns: usize,
    region: Option<usize>,
    school: Option<usize>,
    language: Option<usize>,
    theta: Vec<usize>,
    profiles: Vec<(String, [usize; 3])>,
    flags: Option<usize>,
    checksum: Option<usize>,
    expected_checksum: String,
}

impl ScoresLayout {
    /// Maps a scores-file header onto the instrument.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSetting`] naming the first scale without a `_theta` column, or a
    /// profile whose columns are incomplete.
    pub fn from_header<S: AsRef<str>>(header: &[S], instrument: &Instrument) -> Result<Self> {
        let header: Vec<&str> = header
            .iter()
            .map(|h| h.as_ref().trim_start_matches('\u{feff}').trim())
            .collect();
        let find = |name: &str| header.iter().position(|h| *h == name);
        let mut theta = Vec::new();
        for scale in instrument.scales() {
            let name = format!("{}_theta", scale.id);
            theta.push(find(&name).ok_or_else(|| {
                Error::setting(
                    "scores header",
                    format!(
                        "no column {name:?}: is this a `bagdar score` output of this instrument?"
                    ),
                )
            })?);
        }
        let mut profiles = Vec::new();
        for profile in &instrument.definition().profiles {
            let columns =
                ["composite", "p_above_cut", "tier"].map(|c| find(&format!("{}_{c}", profile.id)));
            match columns {
                [Some(a), Some(b), Some(c)] => profiles.push((profile.id.clone(), [a, b, c])),
                [None, None, None] => {}
                _ => {
                    return Err(Error::setting(
                        "scores header",
                        format!(
                            "profile {}: needs all of {0}_composite, {0}_p_above_cut, {0}_tier",
                            profile.id
                        ),
                    ));
                }
            }
        }
        Ok(ScoresLayout {
            columns: header.len(),
            region: find("region"),
            school: find("school"),
            language: find("language"),
            theta,
            profiles,
            flags: find("quality_flags"),
            checksum: find("instrument_checksum"),
            expected_checksum: instrument.checksum().to_string(),
        })
    }

    /// The profiles found, in instrument order.
    pub fn profiles(&self) -> Vec<&str> {
        self.profiles.iter().map(|(p, _)| p.as_str()).collect()
    }

    /// Reads one data row (`row` is its 1-based number, for messages).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSetting`] naming the row and column: wrong field count, a number
    /// that does not parse, an unknown tier, or an instrument checksum that differs
    /// from the instrument's (scores of another instrument version).
    pub fn read<S: AsRef<str>>(&self, row: u64, fields: &[S]) -> Result<StudentResult> {
        let at = |what: &str| format!("scores row {row}, {what}");
        if fields.len() != self.columns {
            return Err(Error::setting(
                at("columns"),
                format!("expected {}, found {}", self.columns, fields.len()),
            ));
        }
        let text = |i: usize| fields[i].as_ref().trim();
        let number = |i: usize, what: &str| -> Result<f64> {
            let t = text(i);
            if t.is_empty() {
                return Ok(f64::NAN);
            }
            t.parse()
                .map_err(|_| Error::setting(at(what), format!("{t:?} is not a number")))
        };
        if let Some(c) = self.checksum {
            let found = text(c);
            if found != self.expected_checksum {
                return Err(Error::setting(
                    at("instrument_checksum"),
                    format!(
                        "{found:?} differs from the instrument's {}: the scores come from \
                         another instrument version",
                        self.expected_checksum
                    ),
                ));
            }
        }
        let group = |c: Option<usize>| c.map(|c| text(c).to_string()).unwrap_or_default();
        let theta = self
            .theta
            .iter()
            .map(|&c| number(c, "theta"))
            .collect::<Result<Vec<_>>>()?;
        let profiles = self
            .profiles
            .iter()
            .map(|(id, [composite, p, tier])| {
                Ok(ProfileValue {
                    composite: number(*composite, &format!("{id}_composite"))?,
                    p_above_cut: number(*p, &format!("{id}_p_above_cut"))?,
                    tier: text(*tier).parse().map_err(|e: Error| {
                        Error::setting(at(&format!("{id}_tier")), e.to_string())
                    })?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let flags = self
            .flags
            .map(|c| {
                text(c)
                    .split(';')
                    .map(str::trim)
                    .filter(|f| !f.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        Ok(StudentResult {
            region: group(self.region),
            school: group(self.school),
            language: group(self.language),
            theta,
            profiles,
            flags,
        })
    }
}

/// A share with its Wilson score interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Share {
    /// Students counted.
    pub count: usize,
    /// count / n.
    pub value: f64,
    /// Lower confidence limit.
    pub low: f64,
    /// Upper confidence limit.
    pub high: f64,
}

impl Share {
    /// The share `count / n` with the Wilson (1927) score interval at level `confidence`.
    ///
    /// # Formula
    ///
    /// ```text
    /// p̂ = count / n,  z = Φ⁻¹(1 − (1 − confidence)/2)
    /// centre = (p̂ + z²/2n) / (1 + z²/n)
    /// half   = z / (1 + z²/n) · √(p̂(1 − p̂)/n + z²/4n²)
    /// ```
    ///
    /// # Examples
    ///
    /// ```
    /// let s = bagdar::report::Share::wilson(12, 40, 0.95);
    /// assert!((s.value - 0.3).abs() < 1e-12);
    /// assert!((s.low - 0.180_7).abs() < 1e-4 && (s.high - 0.454_4).abs() < 1e-4);
    /// ```
    pub fn wilson(count: usize, n: usize, confidence: f64) -> Share {
        if n == 0 {
            return Share {
                count,
                value: f64::NAN,
                low: f64::NAN,
                high: f64::NAN,
            };
        }
        let nf = n as f64;
        let p = count as f64 / nf;
        let z = crate::decide::normal_quantile(1.0 - (1.0 - confidence) / 2.0);
        let z2 = z * z;
        let denominator = 1.0 + z2 / nf;
        let centre = (p + z2 / (2.0 * nf)) / denominator;
        let half = z / denominator * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt();
        Share {
            count,
            value: p,
            low: (centre - half).max(0.0),
            high: (centre + half).min(1.0),
        }
    }
}

/// Which cells of a table to suppress: those with fewer than `min` students (empty
/// cells are not groups and stay), and — when exactly one is suppressed and others
/// remain — the smallest remaining one, so the total cannot reveal it.
///
/// # Examples
///
/// ```
/// use bagdar::report::suppress_small;
/// assert_eq!(suppress_small(&[120, 4, 35, 60], 10), [false, true, true, false]);
/// assert_eq!(suppress_small(&[120, 4, 7, 60], 10), [false, true, true, false]);
/// assert_eq!(suppress_small(&[120, 40], 10), [false, false]);
/// ```
pub fn suppress_small(counts: &[usize], min: usize) -> Vec<bool> {
    let mut hidden: Vec<bool> = counts.iter().map(|&n| n > 0 && n < min).collect();
    if hidden.iter().filter(|&&h| h).count() == 1
        && let Some((smallest, _)) = counts
            .iter()
            .enumerate()
            .filter(|&(i, &n)| !hidden[i] && n > 0)
            .min_by_key(|&(i, &n)| (n, i))
    {
        hidden[smallest] = true;
    }
    hidden
}

/// Running sums of one group.
#[derive(Debug, Clone)]
struct Accumulator {
    students: usize,
    tallies: Vec<ClassificationTally>,
    composite_sum: Vec<f64>,
    theta: Vec<(usize, f64, f64)>,
    flagged: usize,
    flags: BTreeMap<String, usize>,
}

impl Accumulator {
    fn new(profiles: &[(String, f64)], scales: usize) -> Self {
        Accumulator {
            students: 0,
            tallies: profiles
                .iter()
                .map(|(p, cut)| ClassificationTally::new(p, *cut))
                .collect(),
            composite_sum: vec![0.0; profiles.len()],
            theta: vec![(0, 0.0, 0.0); scales],
            flagged: 0,
            flags: BTreeMap::new(),
        }
    }

    fn add(&mut self, s: &StudentResult) {
        self.students += 1;
        for ((tally, sum), v) in self
            .tallies
            .iter_mut()
            .zip(&mut self.composite_sum)
            .zip(&s.profiles)
        {
            tally.add_values(v.composite, v.p_above_cut, v.tier);
            *sum += v.composite;
        }
        for (acc, &t) in self.theta.iter_mut().zip(&s.theta) {
            if t.is_finite() {
                acc.0 += 1;
                acc.1 += t;
                acc.2 += t * t;
            }
        }
        if !s.flags.is_empty() {
            self.flagged += 1;
        }
        for f in &s.flags {
            *self.flags.entry(f.clone()).or_default() += 1;
        }
    }
}

/// One profile's results in a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileSummary {
    /// Profile id.
    pub profile: String,
    /// Mean composite (posterior means).
    pub mean_composite: f64,
    /// Share recommended.
    pub recommended: Share,
    /// Share borderline.
    pub borderline: Share,
    /// Share not indicated.
    pub not_indicated: Share,
    /// Expected classification accuracy and consistency at the cut (Rudner; Lee).
    pub classification: ClassificationQuality,
}

/// Mean and SD of a scale's θ in a group.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScaleSummary {
    /// Students with an estimate.
    pub students: usize,
    /// Mean θ.
    pub mean: f64,
    /// Standard deviation of θ (n − 1 denominator; NaN for one student).
    pub sd: f64,
}

/// The numbers of a group large enough to show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupDetail {
    /// Per profile of the report.
    pub profiles: Vec<ProfileSummary>,
    /// Per scale, instrument order.
    pub scales: Vec<ScaleSummary>,
    /// Share with at least one response-quality flag.
    pub flagged: Share,
    /// Share per flag key.
    pub flags: BTreeMap<String, Share>,
}

/// One row of a report table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupSummary {
    /// Region ("" for the whole file and for language rows).
    pub region: String,
    /// School ("" except in the school table).
    pub school: String,
    /// Language ("" except in the language table).
    pub language: String,
    /// Number of students; `None` when suppressed.
    pub students: Option<usize>,
    /// The group's numbers; `None` when suppressed.
    pub detail: Option<GroupDetail>,
}

/// A histogram over the θ metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// Scale or profile id.
    pub id: String,
    /// `scale` or `composite`.
    pub kind: String,
    /// Bin edges (bins + 1 values).
    pub edges: Vec<f64>,
    /// Students per bin (values beyond the edges are counted in the edge bins).
    pub counts: Vec<usize>,
}

/// A profile of the report with its cut on the composite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportProfile {
    /// Profile id.
    pub id: String,
    /// Cut on the θ metric, when the instrument gives it so (percentile cuts depend on
    /// norms and are shown as given).
    pub cut_theta: Option<f64>,
    /// Cut as a percentile of the norm group, when given so.
    pub cut_percentile: Option<f64>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DepartmentReport {
    /// Instrument id.
    pub instrument: String,
    /// Instrument checksum.
    pub instrument_checksum: String,
    /// The settings used.
    pub settings: ReportSettings,
    /// Scale ids, instrument order.
    pub scales: Vec<String>,
    /// Profiles found in the scores file.
    pub profiles: Vec<ReportProfile>,
    /// Everyone (suppressed only when the whole file is smaller than `min_group`).
    pub total: GroupSummary,
    /// By region, sorted by name.
    pub regions: Vec<GroupSummary>,
    /// By school within region, sorted by region then school.
    pub schools: Vec<GroupSummary>,
    /// By answer language, sorted by code.
    pub languages: Vec<GroupSummary>,
    /// Distributions of every scale and composite over all students (empty when the
    /// whole file is suppressed).
    pub distributions: Vec<Histogram>,
    /// DIF across language forms, when the responses were given
    /// ([`language_dif`]; set by the caller).
    #[serde(default)]
    pub language_dif: Vec<LanguageDif>,
}

/// Collects students and builds the [`DepartmentReport`]; memory grows with the
/// number of groups, not of students.
///
/// # Examples
///
/// ```
/// use bagdar::report::{ReportBuilder, ReportSettings, StudentResult};
/// # let json = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/instruments/kasip-demo.json")).unwrap();
/// let instrument = bagdar::instrument::Instrument::from_json(&json)?;
/// let mut builder = ReportBuilder::new(&instrument, &["teacher"; 0], ReportSettings::default())?;
/// for i in 0..25 {
///     builder.add(&StudentResult {
///         region: if i < 20 { "Almaty".into() } else { "Turkistan".into() },
///         theta: vec![0.0; instrument.scales().len()],
///         ..Default::default()
///     })?;
/// }
/// let report = builder.finish();
/// assert_eq!(report.total.students, Some(25));
/// // Turkistan has 5 students: suppressed, and Almaty with it (25 − 20 = 5).
/// assert!(report.regions.iter().all(|r| r.students.is_none()));
/// # Ok::<(), bagdar::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ReportBuilder {
    instrument: String,
    checksum: String,
    settings: ReportSettings,
    scales: Vec<String>,
    profiles: Vec<ReportProfile>,
    cuts: Vec<(String, f64)>,
    total: Accumulator,
    regions: HashMap<String, Accumulator>,
    schools: HashMap<(String, String), Accumulator>,
    languages: HashMap<String, Accumulator>,
    histograms: Vec<Vec<usize>>,
}

impl ReportBuilder {
    /// A report over these profiles (ids, as [`ScoresLayout::profiles`] gives them).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSetting`] for bad settings; [`Error::UnknownId`] for a profile
    /// the instrument does not have.
    pub fn new<S: AsRef<str>>(
        instrument: &Instrument,
        profiles: &[S],
        settings: ReportSettings,
    ) -> Result<Self> {
        settings.check()?;
        let mut report_profiles = Vec::new();
        let mut cuts = Vec::new();
        for id in profiles {
            let id = id.as_ref();
            let profile = instrument.profile(id).ok_or_else(|| Error::UnknownId {
                kind: "profile",
                id: id.to_string(),
                context: " (report)".into(),
            })?;
            let (cut_theta, cut_percentile) = match profile.cut {
                Cut::Theta(t) => (Some(t), None),
                Cut::Percentile(p) => (None, Some(p)),
            };
            cuts.push((id.to_string(), cut_theta.unwrap_or(f64::NAN)));
            report_profiles.push(ReportProfile {
                id: id.to_string(),
                cut_theta,
                cut_percentile,
            });
        }
        let scales: Vec<String> = instrument.scales().iter().map(|s| s.id.clone()).collect();
        let histograms = vec![vec![0; settings.histogram_bins]; scales.len() + cuts.len()];
        Ok(ReportBuilder {
            instrument: instrument.definition().id.clone(),
            checksum: instrument.checksum().to_string(),
            total: Accumulator::new(&cuts, scales.len()),
            settings,
            scales,
            profiles: report_profiles,
            cuts,
            regions: HashMap::new(),
            schools: HashMap::new(),
            languages: HashMap::new(),
            histograms,
        })
    }

    /// Adds one student.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSetting`] when the student's numbers of scales or profiles do
    /// not match the report's.
    pub fn add(&mut self, s: &StudentResult) -> Result<()> {
        if s.theta.len() != self.scales.len() || s.profiles.len() != self.cuts.len() {
            return Err(Error::setting(
                "report",
                format!(
                    "a student has {} scales and {} profiles, the report {} and {}",
                    s.theta.len(),
                    s.profiles.len(),
                    self.scales.len(),
                    self.cuts.len()
                ),
            ));
        }
        let fresh = || Accumulator::new(&self.cuts, self.scales.len());
        self.total.add(s);
        self.regions
            .entry(s.region.clone())
            .or_insert_with(fresh)
            .add(s);
        self.schools
            .entry((s.region.clone(), s.school.clone()))
            .or_insert_with(fresh)
            .add(s);
        self.languages
            .entry(s.language.clone())
            .or_insert_with(fresh)
            .add(s);
        let values = s
            .theta
            .iter()
            .chain(s.profiles.iter().map(|p| &p.composite));
        for (counts, &v) in self.histograms.iter_mut().zip(values) {
            if v.is_finite() {
                counts[bin(&self.settings, v)] += 1;
            }
        }
        Ok(())
    }

    /// The report, with suppression applied.
    pub fn finish(self) -> DepartmentReport {
        let settings = &self.settings;
        let total_hidden = self.total.students < settings.min_group;
        let summary = |acc: &Accumulator, hidden: bool, keys: [&str; 3]| GroupSummary {
            region: keys[0].to_string(),
            school: keys[1].to_string(),
            language: keys[2].to_string(),
            students: (!hidden && !total_hidden).then_some(acc.students),
            detail: (!hidden && !total_hidden).then(|| detail(acc, settings, &self.scales)),
        };
        let table = |mut rows: Vec<(&str, &str, &str, &Accumulator)>| -> Vec<GroupSummary> {
            rows.sort_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
            let counts: Vec<usize> = rows.iter().map(|r| r.3.students).collect();
            let hidden = suppress_small(&counts, settings.min_group);
            rows.iter()
                .zip(hidden)
                .map(|(r, h)| summary(r.3, h, [r.0, r.1, r.2]))
                .collect()
        };
        let regions = table(
            self.regions
                .iter()
                .map(|(r, a)| (r.as_str(), "", "", a))
                .collect(),
        );
        let mut by_region: BTreeMap<&str, Vec<(&str, &str, &str, &Accumulator)>> = BTreeMap::new();
        for ((r, s), a) in &self.schools {
            by_region
                .entry(r.as_str())
                .or_default()
                .push((r.as_str(), s.as_str(), "", a));
        }
        let schools = by_region.into_values().flat_map(table).collect();
        let languages = table(
            self.languages
                .iter()
                .map(|(l, a)| ("", "", l.as_str(), a))
                .collect(),
        );
        let edges: Vec<f64> = (0..=settings.histogram_bins)
            .map(|i| {
                settings.histogram_low
                    + (settings.histogram_high - settings.histogram_low) * i as f64
                        / settings.histogram_bins as f64
            })
            .collect();
        let names = self
            .scales
            .iter()
            .map(|s| (s.clone(), "scale"))
            .chain(self.cuts.iter().map(|(p, _)| (p.clone(), "composite")));
        let distributions = if total_hidden {
            Vec::new()
        } else {
            names
                .zip(&self.histograms)
                .map(|((id, kind), counts)| Histogram {
                    id,
                    kind: kind.into(),
                    edges: edges.clone(),
                    counts: counts.clone(),
                })
                .collect()
        };
        DepartmentReport {
            total: summary(&self.total, false, ["", "", ""]),
            instrument: self.instrument.clone(),
            instrument_checksum: self.checksum.clone(),
            settings: self.settings.clone(),
            scales: self.scales.clone(),
            profiles: self.profiles.clone(),
            regions,
            schools,
            languages,
            distributions,
            language_dif: Vec::new(),
        }
    }
}

/// The histogram bin of a value; values beyond the edges go to the edge bins.
fn bin(s: &ReportSettings, v: f64) -> usize {
    let width = (s.histogram_high - s.histogram_low) / s.histogram_bins as f64;
    (((v - s.histogram_low) / width).floor().max(0.0) as usize).min(s.histogram_bins - 1)
}

fn detail(acc: &Accumulator, settings: &ReportSettings, scales: &[String]) -> GroupDetail {
    let n = acc.students;
    let share = |count: usize| Share::wilson(count, n, settings.confidence);
    let profiles = acc
        .tallies
        .iter()
        .zip(&acc.composite_sum)
        .filter_map(|(tally, sum)| {
            let q = tally.finish().ok()?;
            let count = |s: f64| (s * q.persons as f64).round() as usize;
            Some(ProfileSummary {
                profile: q.profile.clone(),
                mean_composite: sum / n as f64,
                recommended: share(count(q.share_recommended)),
                borderline: share(count(q.share_borderline)),
                not_indicated: share(count(q.share_not_indicated)),
                classification: q,
            })
        })
        .collect();
    let scales = acc
        .theta
        .iter()
        .take(scales.len())
        .map(|&(k, sum, squares)| {
            let kf = k as f64;
            let mean = if k > 0 { sum / kf } else { f64::NAN };
            let sd = if k > 1 {
                ((squares - kf * mean * mean) / (kf - 1.0)).max(0.0).sqrt()
            } else {
                f64::NAN
            };
            ScaleSummary {
                students: k,
                mean,
                sd,
            }
        })
        .collect();
    GroupDetail {
        profiles,
        scales,
        flagged: share(acc.flagged),
        flags: acc
            .flags
            .iter()
            .map(|(k, &c)| (k.clone(), share(c)))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Instrument {
        let json = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../data/instruments/kasip-demo.json"
        ))
        .unwrap();
        Instrument::from_json(&json).unwrap()
    }

    fn student(region: &str, school: &str, language: &str, p: f64, scales: usize) -> StudentResult {
        StudentResult {
            region: region.into(),
            school: school.into(),
            language: language.into(),
            theta: vec![p - 0.5; scales],
            profiles: vec![ProfileValue {
                composite: p - 0.5,
                p_above_cut: p,
                tier: Tier::from_probability(p, Default::default()),
            }],
            flags: if p > 0.95 {
                vec!["quality.long_string".into()]
            } else {
                vec![]
            },
        }
    }

    #[test]
    fn suppression_hides_small_groups_and_their_complement() {
        assert_eq!(suppress_small(&[9, 10], 10), [true, true]);
        assert_eq!(suppress_small(&[9, 3, 50], 10), [true, true, false]);
        assert_eq!(suppress_small(&[0, 50, 60], 10), [false, false, false]);
        assert_eq!(suppress_small(&[5], 10), [true]);
        assert_eq!(suppress_small(&[], 10), Vec::<bool>::new());
    }

    #[test]
    fn report_counts_every_student_and_suppresses_small_schools() {
        let instrument = demo();
        let k = instrument.scales().len();
        let mut b =
            ReportBuilder::new(&instrument, &["teacher"], ReportSettings::default()).unwrap();
        let mut added = 0;
        for i in 0..40 {
            b.add(&student("A", "A-1", "kk", (i as f64 + 0.5) / 40.0, k))
                .unwrap();
            added += 1;
        }
        for i in 0..30 {
            b.add(&student("A", "A-2", "ru", (i as f64 + 0.5) / 30.0, k))
                .unwrap();
            added += 1;
        }
        for i in 0..3 {
            b.add(&student("A", "A-3", "en", 0.5 + i as f64 / 10.0, k))
                .unwrap();
            added += 1;
        }
        for i in 0..25 {
            b.add(&student("B", "B-1", "ru", (i as f64 + 0.5) / 25.0, k))
                .unwrap();
            added += 1;
        }
        let report = b.finish();
        assert_eq!(report.total.students, Some(added));
        let regions: Vec<_> = report.regions.iter().map(|r| r.students).collect();
        assert_eq!(regions, [Some(73), Some(25)]);
        let schools: Vec<_> = report
            .schools
            .iter()
            .map(|s| (s.school.as_str(), s.students))
            .collect();
        // A-3 (3 students) is below 10; A-2, the smallest other school of region A,
        // goes with it so that 73 − 40 cannot reveal it.
        assert_eq!(
            schools,
            [
                ("A-1", Some(40)),
                ("A-2", None),
                ("A-3", None),
                ("B-1", Some(25))
            ]
        );
        let languages: Vec<_> = report.languages.iter().map(|l| l.students).collect();
        // en (3) is suppressed and kk (40) with it; ru (55) remains.
        assert_eq!(languages, [None, None, Some(55)]);
        assert!(report.schools[1].detail.is_none());
        let total = report.total.detail.as_ref().unwrap();
        let teacher = &total.profiles[0];
        let shares =
            teacher.recommended.count + teacher.borderline.count + teacher.not_indicated.count;
        assert_eq!(shares, added);
        assert!(teacher.recommended.low <= teacher.recommended.value);
        assert!(teacher.recommended.value <= teacher.recommended.high);
        let hist: usize = report.distributions[0].counts.iter().sum();
        assert_eq!(hist, added);
        assert_eq!(report.distributions.len(), k + 1);
    }

    #[test]
    fn a_file_smaller_than_the_threshold_shows_nothing() {
        let instrument = demo();
        let k = instrument.scales().len();
        let mut b =
            ReportBuilder::new(&instrument, &["teacher"], ReportSettings::default()).unwrap();
        for _ in 0..9 {
            b.add(&student("A", "A-1", "kk", 0.9, k)).unwrap();
        }
        let report = b.finish();
        assert_eq!(report.total.students, None);
        assert!(report.total.detail.is_none());
        assert!(report.distributions.is_empty());
        assert!(report.regions.iter().all(|r| r.students.is_none()));
    }

    #[test]
    fn scores_layout_reads_rows_and_checks_the_checksum() {
        let instrument = demo();
        let mut header: Vec<String> = vec!["region".into(), "school".into(), "language".into()];
        for s in instrument.scales() {
            header.push(format!("{}_theta", s.id));
        }
        header
            .extend(["teacher_composite", "teacher_p_above_cut", "teacher_tier"].map(String::from));
        header.extend(["quality_flags", "instrument_checksum"].map(String::from));
        let layout = ScoresLayout::from_header(&header, &instrument).unwrap();
        assert_eq!(layout.profiles(), ["teacher"]);
        let mut row: Vec<String> = vec!["A".into(), "S".into(), "kk".into()];
        row.extend(std::iter::repeat_n(
            "0.25".to_string(),
            instrument.scales().len(),
        ));
        row.extend(
            [
                "0.4",
                "0.9",
                "recommended",
                "quality.too_fast;quality.long_string",
            ]
            .map(String::from),
        );
        row.push(instrument.checksum().into());
        let s = layout.read(1, &row).unwrap();
        assert_eq!(s.profiles[0].tier, Tier::Recommended);
        assert_eq!(s.flags.len(), 2);
        assert_eq!(s.theta[0], 0.25);
        let mut other = row.clone();
        *other.last_mut().unwrap() = "abc".into();
        let e = layout.read(7, &other).unwrap_err().to_string();
        assert!(
            e.contains("row 7") && e.contains("another instrument version"),
            "{e}"
        );
        let mut bad = row.clone();
        bad[3] = "x".into();
        assert!(
            layout
                .read(2, &bad)
                .unwrap_err()
                .to_string()
                .contains("not a number")
        );
        header.retain(|h| h != "social_theta" && !h.starts_with("realistic"));
        assert!(ScoresLayout::from_header(&header, &instrument).is_err());
    }
}

/// DIF of one item between the reference language form and another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LanguageDif {
    /// Scale id.
    pub scale: String,
    /// Item id.
    pub item: String,
    /// Reference language.
    pub reference: String,
    /// Focal language.
    pub focal: String,
    /// `mh` (dichotomous) or `mantel` (ordinal).
    pub method: String,
    /// Students of both groups with every item of the scale answered.
    pub students: usize,
    /// Effect: ETS Δ_MH (dichotomous) or the standardized mean difference / SD (ordinal).
    pub effect: f64,
    /// p-value of the test.
    pub p_value: f64,
    /// ETS class (A/B/C; for ordinal items AA/BB/CC written A/B/C).
    pub class: crate::fit::DifClass,
}

/// DIF of every item between language forms, scale by scale: the reference form is the
/// most frequent language (ties: first in code order), each other form with at least
/// `min_group` complete responders is compared with it, matched on the scale's total
/// score among students who answered every item of the scale. Dichotomous scales use
/// Mantel–Haenszel, others Mantel's ordinal test (see [`crate::fit`]).
///
/// # Errors
///
/// [`Error::WrongLength`] when `languages` does not have one entry per person.
pub fn language_dif(
    instrument: &Instrument,
    responses: &crate::response::ResponseMatrix,
    languages: &[String],
    min_group: usize,
) -> Result<Vec<LanguageDif>> {
    use crate::fit::{DifMethod, DifTable, dif};
    use crate::model::ResponseCurve;
    if languages.len() != responses.persons() {
        return Err(Error::WrongLength {
            what: "languages",
            expected: responses.persons(),
            found: languages.len(),
        });
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for l in languages {
        *counts.entry(l.as_str()).or_default() += 1;
    }
    let Some(reference) = counts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(l, _)| l.to_string())
    else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (s, items) in instrument.scale_items().iter().enumerate() {
        let complete: Vec<usize> = (0..responses.persons())
            .filter(|&p| {
                let row = responses.row(p);
                items.iter().all(|&i| row[i] != crate::response::MISSING)
            })
            .collect();
        let dichotomous = items
            .iter()
            .all(|&i| instrument.items()[i].categories() == 2);
        let method = if dichotomous {
            DifMethod::MantelHaenszel
        } else {
            DifMethod::Mantel
        };
        for focal in counts.keys().filter(|l| **l != reference) {
            let persons: Vec<usize> = complete
                .iter()
                .copied()
                .filter(|&p| languages[p] == reference || languages[p] == *focal)
                .collect();
            let focal_n = persons.iter().filter(|&&p| languages[p] == *focal).count();
            if focal_n < min_group || persons.len() - focal_n < min_group {
                continue;
            }
            let data: Vec<u8> = persons
                .iter()
                .flat_map(|&p| items.iter().map(move |&i| responses.row(p)[i]))
                .collect();
            let matrix = crate::response::ResponseMatrix::new(persons.len(), items.len(), data)?;
            let groups: Vec<usize> = persons
                .iter()
                .map(|&p| usize::from(languages[p] == *focal))
                .collect();
            // A scale where a group has no variation has nothing to test.
            let Ok(table) = dif(&matrix, &groups, 0, 1, method) else {
                continue;
            };
            let scale = instrument.scales()[s].id.clone();
            let row = |k: usize, effect: f64, p_value: f64, class| LanguageDif {
                scale: scale.clone(),
                item: instrument.definition().items[items[k]].id.clone(),
                reference: reference.clone(),
                focal: focal.to_string(),
                method: if dichotomous { "mh" } else { "mantel" }.into(),
                students: persons.len(),
                effect,
                p_value,
                class,
            };
            match table {
                DifTable::MantelHaenszel(t) => out.extend(
                    t.iter()
                        .enumerate()
                        .map(|(k, r)| row(k, r.delta, r.p_value, r.class)),
                ),
                DifTable::Mantel(t) => out.extend(
                    t.iter()
                        .enumerate()
                        .map(|(k, r)| row(k, r.effect_size, r.p_value, r.class)),
                ),
                DifTable::Logistic(_) | DifTable::LikelihoodRatio(_) => {}
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod dif_tests {
    use super::*;

    #[test]
    fn a_planted_language_effect_is_found_on_its_item() {
        let json = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../data/instruments/kasip-demo.json"
        ))
        .unwrap();
        let instrument = Instrument::from_json(&json).unwrap();
        let settings = crate::simulate::CohortSettings {
            students: 3000,
            seed: 11,
            omission_rate: 0.0,
            malformed_rows: false,
            ..Default::default()
        };
        let cohort = crate::simulate::cohort(&instrument, &settings).unwrap();
        let header = &cohort.header;
        let language = header.iter().position(|h| h == "language").unwrap();
        let columns: Vec<usize> = instrument
            .item_ids()
            .iter()
            .map(|id| header.iter().position(|h| h == id).unwrap())
            .collect();
        let so03 = instrument.item_index("SO03").unwrap();
        let mut raw = Vec::new();
        let mut languages = Vec::new();
        for row in &cohort.rows {
            languages.push(row[language].clone());
            for (i, &c) in columns.iter().enumerate() {
                let mut v: f64 = row[c].parse().unwrap_or(f64::NAN);
                // In the ru form, SO03 is answered one step lower.
                if i == so03 && row[language] == "ru" && v > 1.0 {
                    v -= 1.0;
                }
                raw.push(v);
            }
        }
        let coded = instrument.code_matrix(languages.len(), &raw).unwrap();
        let table = language_dif(&instrument, &coded, &languages, 10).unwrap();
        let planted: Vec<_> = table
            .iter()
            .filter(|r| r.item == "SO03" && r.focal == "ru")
            .collect();
        assert_eq!(planted.len(), 1);
        assert_eq!(
            planted[0].class,
            crate::fit::DifClass::C,
            "{:?}",
            planted[0]
        );
        let others_c = table
            .iter()
            .filter(|r| r.class == crate::fit::DifClass::C && r.item != "SO03")
            .count();
        assert!(others_c <= 2, "{others_c} other items flagged C");
        assert!(table.iter().any(|r| r.method == "mh"));
    }
}
