//! Seeded simulation of response data: single scales and whole cohorts of students
//! answering a battery, as rows of a department's response file.

use crate::error::{Error, Result};
use crate::instrument::{AnswerScoring, Instrument, ScaleKind};
use crate::model::{MAX_CATEGORIES, ResponseCurve, ResponseFunction};
use crate::response::{MISSING, ResponseMatrix};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// Draws a category from P_k(θ).
pub fn draw_category(item: &ResponseFunction, theta: f64, rng: &mut ChaCha8Rng) -> u8 {
    let mut p = [0.0; MAX_CATEGORIES];
    item.probabilities(theta, &mut p);
    let u: f64 = rng.random();
    let mut acc = 0.0;
    let k = item.categories();
    for (c, pc) in p.iter().enumerate().take(k) {
        acc += pc;
        if u < acc {
            return c as u8;
        }
    }
    (k - 1) as u8
}

/// Simulates responses of persons with the given θ to the items (all administered).
/// Person p uses ChaCha8 stream p of `seed`.
///
/// # Examples
///
/// ```
/// use bagdar::model::ItemModel;
/// let items = vec![ItemModel::Rasch { intercept: 0.0 }.response_function("i")?; 3];
/// let a = bagdar::simulate::responses(&items, &[0.0, 1.0], 42);
/// assert_eq!(a, bagdar::simulate::responses(&items, &[0.0, 1.0], 42));
/// # Ok::<(), bagdar::Error>(())
/// ```
pub fn responses(items: &[ResponseFunction], thetas: &[f64], seed: u64) -> ResponseMatrix {
    let mut data = Vec::with_capacity(items.len() * thetas.len());
    for (p, &theta) in thetas.iter().enumerate() {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(p as u64);
        data.extend(items.iter().map(|f| draw_category(f, theta, &mut rng)));
    }
    ResponseMatrix::new(thetas.len(), items.len(), data).expect("sizes agree")
}

/// Settings for a simulated cohort of students.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortSettings {
    /// Number of students.
    pub students: usize,
    /// Seed of every random step.
    pub seed: u64,
    /// Probability that a student leaves an item blank.
    pub omission_rate: f64,
    /// Regions with their share of students (normalized).
    pub regions: Vec<(String, f64)>,
    /// Schools per region.
    pub schools_per_region: usize,
    /// Languages with their share of students (normalized); must be instrument languages.
    pub languages: Vec<(String, f64)>,
    /// Append the deliberately malformed rows of [`MALFORMED_ROWS`].
    pub malformed_rows: bool,
}

impl Default for CohortSettings {
    fn default() -> Self {
        let regions = [
            ("Almaty", 0.14),
            ("Astana", 0.09),
            ("Shymkent", 0.08),
            ("Turkistan", 0.15),
            ("Karaganda", 0.08),
            ("Aktobe", 0.06),
            ("East Kazakhstan", 0.07),
            ("Zhambyl", 0.08),
            ("Mangystau", 0.05),
            ("Kyzylorda", 0.06),
            ("Pavlodar", 0.05),
            ("Ulytau", 0.01),
        ];
        CohortSettings {
            students: 10_000,
            seed: 20_261_123,
            omission_rate: 0.02,
            regions: regions.iter().map(|(r, w)| (r.to_string(), *w)).collect(),
            schools_per_region: 12,
            languages: vec![
                ("kk".into(), 0.62),
                ("ru".into(), 0.33),
                ("en".into(), 0.05),
            ],
            malformed_rows: true,
        }
    }
}

/// The deliberately malformed rows a simulated cohort ends with (when asked), each a
/// case a batch run must reject with a reason: (description, what is wrong).
pub const MALFORMED_ROWS: [&str; 7] = [
    "out-of-range Likert value 7",
    "one column missing",
    "unknown language 'de'",
    "non-numeric answer 'abc'",
    "student id of an earlier row repeated",
    "every answer blank",
    "empty student id",
];

/// A simulated cohort: the file's header, its rows as text fields, and the true θ of
/// every well-formed row (per scale, in scale order).
#[derive(Debug, Clone, PartialEq)]
pub struct Cohort {
    /// Header: student_id, region, school, language, then item ids.
    pub header: Vec<String>,
    /// Rows of text fields (blank = not answered).
    pub rows: Vec<Vec<String>>,
    /// True θ per well-formed row and scale.
    pub thetas: Vec<Vec<f64>>,
}

/// Simulates students answering every item of an instrument.
///
/// # Latent structure
///
/// ```text
/// people orientation  P ~ N(0,1),  reasoning R ~ N(0,1),  e_s ~ N(0,1) independent
/// θ_s = 0.6·P + 0.8·e_s   social interest and the disposition scales
/// θ_s = 0.6·R + 0.8·e_s   aptitude scales
/// θ_s = e_s               other interest scales
/// ```
///
/// Every θ_s is N(0, 1). Answers are drawn from the item models and written as raw
/// option values (reverse-keyed items reversed back; a wrong multiple-choice answer is
/// one of the distractors at random); each answer is left blank with
/// `omission_rate`. Row r uses ChaCha8 stream r of `seed`.
///
/// # Errors
///
/// [`Error::InvalidSetting`] for an empty cohort, shares that do not sum to a positive
/// number, an omission rate outside [0, 1), or a language the instrument lacks.
pub fn cohort(instrument: &Instrument, settings: &CohortSettings) -> Result<Cohort> {
    let stream = CohortStream::new(instrument, settings)?;
    let too_large = |_| {
        Error::setting(
            "students",
            format!("{} students do not fit in memory", settings.students),
        )
    };
    let mut rows = Vec::new();
    rows.try_reserve_exact(stream.len()).map_err(too_large)?;
    let mut thetas = Vec::new();
    thetas
        .try_reserve_exact(settings.students)
        .map_err(too_large)?;
    for (row, theta) in stream.rows() {
        rows.push(row);
        thetas.extend(theta);
    }
    Ok(Cohort {
        header: stream.header(),
        rows,
        thetas,
    })
}

/// The rows of [`cohort`] one at a time, in file order, without holding the cohort in
/// memory (a national cohort of a million students is gigabytes of text): every row is
/// generated from its own random stream, so any row can be produced on its own.
///
/// # Examples
///
/// ```
/// use bagdar::simulate::{CohortSettings, CohortStream, cohort};
/// # let json = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/instruments/kasip-demo.json")).unwrap();
/// let instrument = bagdar::instrument::Instrument::from_json(&json)?;
/// let settings = CohortSettings { students: 50, ..Default::default() };
/// let stream = CohortStream::new(&instrument, &settings)?;
/// let streamed: Vec<Vec<String>> = stream.rows().map(|(row, _)| row).collect();
/// assert_eq!(streamed, cohort(&instrument, &settings)?.rows);
/// # Ok::<(), bagdar::Error>(())
/// ```
pub struct CohortStream<'a> {
    instrument: &'a Instrument,
    settings: &'a CohortSettings,
    loading: Vec<(usize, f64)>,
    region_cdf: Vec<f64>,
    language_cdf: Vec<f64>,
    /// File order: `Ok(r)` the r-th student, `Err(k)` the k-th malformed row.
    order: Vec<std::result::Result<usize, usize>>,
}

impl<'a> CohortStream<'a> {
    /// Checks the settings and lays out the file's rows.
    ///
    /// # Errors
    ///
    /// As [`cohort`].
    pub fn new(instrument: &'a Instrument, settings: &'a CohortSettings) -> Result<Self> {
        if settings.students == 0 {
            return Err(Error::setting("students", "must be at least 1"));
        }
        if !(0.0..1.0).contains(&settings.omission_rate) {
            return Err(Error::setting(
                "omission_rate",
                format!("{} is not in [0, 1)", settings.omission_rate),
            ));
        }
        for (l, _) in &settings.languages {
            if !instrument.definition().languages.contains(l) {
                return Err(Error::UnknownId {
                    kind: "language",
                    id: l.clone(),
                    context: " (not a language of the instrument)".into(),
                });
            }
        }
        let region_cdf = cdf(&settings.regions, "regions")?;
        let language_cdf = cdf(&settings.languages, "languages")?;
        if settings.schools_per_region == 0 {
            return Err(Error::setting("schools_per_region", "must be at least 1"));
        }
        let loading: Vec<(usize, f64)> = instrument
            .scales()
            .iter()
            .map(|s| match (s.kind, s.id.as_str()) {
                (ScaleKind::Disposition, _) | (ScaleKind::Interest, "social") => (0, 0.6),
                (ScaleKind::Aptitude, _) => (1, 0.6),
                _ => (0, 0.0),
            })
            .collect();
        let n = settings.students;
        let mut order: Vec<std::result::Result<usize, usize>> = Vec::new();
        order
            .try_reserve_exact(n.saturating_add(MALFORMED_ROWS.len()))
            .map_err(|_| {
                Error::setting("students", format!("{n} students do not fit in memory"))
            })?;
        order.extend((0..n).map(Ok));
        if settings.malformed_rows {
            // Spread through the file rather than only at the end.
            for k in 0..MALFORMED_ROWS.len() {
                let at = ((k + 1) * n / (MALFORMED_ROWS.len() + 1)).min(order.len());
                order.insert(at, Err(k));
            }
        }
        Ok(CohortStream {
            instrument,
            settings,
            loading,
            region_cdf,
            language_cdf,
            order,
        })
    }

    /// Rows in the file (students and malformed rows).
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// True when there is no row (never: a cohort has at least one student).
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The header: student_id, region, school, language, then item ids.
    pub fn header(&self) -> Vec<String> {
        let mut header: Vec<String> = ["student_id", "region", "school", "language"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        header.extend(self.instrument.item_ids().iter().map(|s| s.to_string()));
        header
    }

    /// Every row in file order, with the true θ per scale of a well-formed row.
    pub fn rows(&self) -> impl Iterator<Item = (Vec<String>, Option<Vec<f64>>)> + '_ {
        self.order.iter().map(move |slot| match *slot {
            Ok(r) => {
                let (row, theta) = self.student(r);
                (row, Some(theta))
            }
            Err(k) => (self.malformed(k), None),
        })
    }

    /// Student `r` (0-based): its row and true θ per scale.
    fn student(&self, r: usize) -> (Vec<String>, Vec<f64>) {
        let (instrument, settings) = (self.instrument, self.settings);
        let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
        rng.set_stream(r as u64);
        let factors: [f64; 2] = [
            StandardNormal.sample(&mut rng),
            StandardNormal.sample(&mut rng),
        ];
        let theta: Vec<f64> = self
            .loading
            .iter()
            .map(|&(f, l)| {
                let e: f64 = StandardNormal.sample(&mut rng);
                l * factors[f] + (1.0 - l * l).sqrt() * e
            })
            .collect();
        let region = pick(&self.region_cdf, rng.random());
        let school = rng.random_range(0..settings.schools_per_region);
        let language = pick(&self.language_cdf, rng.random());
        let region_name = &settings.regions[region].0;
        let mut row = vec![
            format!("S{:07}", r + 1),
            region_name.clone(),
            format!("{region_name} school {:02}", school + 1),
            settings.languages[language].0.clone(),
        ];
        for (i, item) in instrument.items().iter().enumerate() {
            let category = draw_category(item, theta[instrument.item_scales()[i]], &mut rng);
            let blank = rng.random::<f64>() < settings.omission_rate;
            let text = if blank {
                String::new()
            } else {
                raw_answer(instrument.answer_scoring(i), category, &mut rng).to_string()
            };
            row.push(text);
        }
        (row, theta)
    }

    /// Malformed row `k` of [`MALFORMED_ROWS`]: a copy of a student's row, broken.
    fn malformed(&self, k: usize) -> Vec<String> {
        let instrument = self.instrument;
        let n = self.settings.students;
        let mut row = self.student(((k + 1) * 7919) % n).0;
        let first_likert = (0..instrument.items().len())
            .find(|&i| matches!(instrument.answer_scoring(i), AnswerScoring::Ordered { .. }))
            .unwrap_or(0);
        row[0] = format!("X{:07}", k + 1);
        match k {
            0 => row[4 + first_likert] = "7".into(),
            1 => {
                row.pop();
            }
            2 => row[3] = "de".into(),
            3 => row[5] = "abc".into(),
            4 => row[0] = "S0000001".into(),
            5 => row[4..].iter_mut().for_each(|c| c.clear()),
            _ => row[0] = String::new(),
        }
        row
    }
}

fn raw_answer(scoring: &AnswerScoring, category: u8, rng: &mut ChaCha8Rng) -> i64 {
    match scoring {
        AnswerScoring::Ordered { values, reverse } => {
            let c = category as usize;
            values[if *reverse { values.len() - 1 - c } else { c }]
        }
        AnswerScoring::Key { key, values } => {
            if category == 1 {
                *key
            } else {
                let wrong: Vec<i64> = values.iter().copied().filter(|v| v != key).collect();
                wrong[rng.random_range(0..wrong.len())]
            }
        }
    }
}

fn cdf(shares: &[(String, f64)], name: &str) -> Result<Vec<f64>> {
    let total: f64 = shares.iter().map(|(_, w)| *w).sum();
    if shares.is_empty()
        || total.is_nan()
        || total <= 0.0
        || shares.iter().any(|(_, w)| w.is_nan() || *w < 0.0)
    {
        return Err(Error::setting(
            name,
            "need at least one entry and non-negative shares with a positive sum",
        ));
    }
    let mut acc = 0.0;
    Ok(shares
        .iter()
        .map(|(_, w)| {
            acc += w / total;
            acc
        })
        .collect())
}

fn pick(cdf: &[f64], u: f64) -> usize {
    cdf.iter().position(|&c| u < c).unwrap_or(cdf.len() - 1)
}

/// Blanks out responses at random (rate in [0, 1)); seeded per person.
pub fn with_omissions(data: &ResponseMatrix, rate: f64, seed: u64) -> ResponseMatrix {
    let mut out = Vec::with_capacity(data.data().len());
    for p in 0..data.persons() {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(p as u64);
        out.extend(data.row(p).iter().map(|&x| {
            if rng.random::<f64>() < rate {
                MISSING
            } else {
                x
            }
        }));
    }
    ResponseMatrix::new(data.persons(), data.items(), out).expect("sizes agree")
}
