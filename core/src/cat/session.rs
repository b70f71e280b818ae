//! A CAT session as a value: start, ask, answer, save as versioned JSON, resume.

use super::engine::{CatEngine, Classification, Progress, ScaleStop, StopReason, check_language};
use super::settings::CatSettings;
use crate::error::{Error, Result};
use crate::instrument::{AnswerScoring, Instrument, describe_values};
use crate::score::Estimate;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The `format` field of a saved session.
pub const SESSION_FORMAT: &str = "bagdar-cat-session";
/// The session format version this build reads and writes.
pub const SESSION_VERSION: u32 = 1;

/// One administered item with its answer, as logged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct CatResponse {
    /// Item id.
    pub item: String,
    /// The answer: the instrument's option value.
    pub value: i64,
    /// The model category the value was coded to (reverse keying and keys applied).
    pub category: u8,
    /// When it was answered, as the caller gave it (e.g. RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
}

crate::de::map_only_serialize!(CatResponse);
crate::de::object_deserialize!(CatResponse, deny_unknown_fields = true, {
    item: String = required,
    value: i64 = required,
    category: u8 = required,
    timestamp: Option<String> = default,
});

/// One option of the item to show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NextOption {
    /// The value to send back with [`CatSession::answer`].
    pub value: i64,
    /// Option text in the session language.
    pub text: String,
}

/// The item to ask next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Next {
    /// Item id.
    pub item: String,
    /// Item position in the instrument.
    pub index: usize,
    /// Scale id.
    pub scale: String,
    /// 1-based number of this item in the session.
    pub number: usize,
    /// Stem in the session language.
    pub stem: String,
    /// Options in the session language.
    pub options: Vec<NextOption>,
}

/// A scale's interim (or final) state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScaleEstimate {
    /// Scale id.
    pub scale: String,
    /// θ̂ and SE by the interim method (`status` is that method's; `fallback` says
    /// whether θ̂ and SE come from the fallback estimator).
    pub estimate: Estimate,
    /// True when the configured method had no finite estimate and the fallback was used.
    pub fallback: bool,
    /// Items answered on the scale.
    pub items: usize,
    /// Why the scale ended (`None` while it runs or when it is not routed).
    pub stop: Option<ScaleStop>,
    /// The classification against the scale's cut, when a rule is set.
    pub classification: Option<Classification>,
}

fn json_error(e: serde_json::Error) -> Error {
    Error::InvalidSession {
        location: "state".into(),
        message: e.to_string(),
    }
}

/// One answer of a session with the estimate of its scale right after it (see
/// [`CatSession::trace`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceStep {
    /// 1-based number of the answer in the session.
    pub number: usize,
    /// Item id.
    pub item: String,
    /// The item's scale id.
    pub scale: String,
    /// The logged category.
    pub category: u8,
    /// The scale's interim θ̂ and SE after this answer.
    pub estimate: Estimate,
}

/// The serialized form, as read.
#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug))]
#[serde(remote = "Self", deny_unknown_fields)]
struct SessionFile {
    format: String,
    version: u32,
    instrument_checksum: String,
    language: String,
    seed: u64,
    settings: CatSettings,
    responses: Vec<CatResponse>,
    #[serde(default)]
    pending: Option<String>,
    /// Derived ([`StopReason`]), written for readers; recomputed on resume (read as
    /// any JSON and dropped).
    #[serde(default, rename = "stop")]
    _stop: serde::de::IgnoredAny,
    /// Derived ([`ScaleEstimate`] per scale), written for readers; recomputed on resume
    /// (read as any JSON and dropped).
    #[serde(default, rename = "estimates")]
    _estimates: serde::de::IgnoredAny,
}

crate::de::object_deserialize!(SessionFile, deny_unknown_fields = true, {
    format: String = required,
    version: u32 = required,
    instrument_checksum: String = required,
    language: String = required,
    seed: u64 = required,
    settings: CatSettings = required,
    responses: Vec<CatResponse> = required,
    pending: Option<String> = default,
    _stop: serde::de::IgnoredAny as "stop" = default,
    _estimates: serde::de::IgnoredAny as "estimates" = default,
});

/// The serialized form, as written: [`SessionFile`]'s fields, the derived stop and
/// estimates last.
#[derive(Serialize)]
struct SessionFileOut<'a> {
    format: &'a str,
    version: u32,
    instrument_checksum: &'a str,
    language: &'a str,
    seed: u64,
    settings: &'a CatSettings,
    responses: &'a [CatResponse],
    pending: Option<&'a str>,
    stop: Option<StopReason>,
    estimates: Vec<SavedEstimate<'a>>,
}

/// A [`ScaleEstimate`] as saved: its fields (and those of its parts) in alphabetical
/// order, as sessions have always been written (formerly through a
/// `serde_json::Value`, which sorts keys; a test checks the two agree).
#[derive(Serialize)]
struct SavedEstimate<'a> {
    classification: Option<SavedClassification>,
    estimate: SavedThetaSe,
    fallback: bool,
    items: usize,
    scale: &'a str,
    stop: Option<ScaleStop>,
}

/// [`Estimate`] with its keys in alphabetical order.
#[derive(Serialize)]
struct SavedThetaSe {
    se: f64,
    status: crate::score::Status,
    theta: f64,
}

/// [`Classification`] with its keys in alphabetical order.
#[derive(Serialize)]
struct SavedClassification {
    by_test: bool,
    cut: f64,
    decision: super::engine::Decision,
    log_ratio: f64,
}

impl<'a> SavedEstimate<'a> {
    fn new(e: &'a ScaleEstimate) -> Self {
        SavedEstimate {
            classification: e.classification.map(|c| SavedClassification {
                by_test: c.by_test,
                cut: c.cut,
                decision: c.decision,
                log_ratio: c.log_ratio,
            }),
            estimate: SavedThetaSe {
                se: e.estimate.se,
                status: e.estimate.status,
                theta: e.estimate.theta,
            },
            fallback: e.fallback,
            items: e.items,
            scale: &e.scale,
            stop: e.stop,
        }
    }
}

/// A student's adaptive session: instrument checksum, language, seed, settings and the
/// response log. Everything else (estimates, blocked items, stopping) is derived by
/// replaying the log, so a saved session resumes to exactly the same state and a
/// department can re-score the log.
///
/// Each selection's random draws (randomesque pick, Sympson–Hetter lotteries) come from
/// ChaCha8 stream `step` of `seed`, so replay reproduces them.
///
/// # Examples
///
/// ```
/// use bagdar::cat::{CatSession, CatSettings};
/// # let json = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/instruments/kasip-demo.json")).unwrap();
/// let instrument = bagdar::instrument::Instrument::from_json(&json)?;
/// let settings = CatSettings { scales: vec!["social".into()], ..CatSettings::default() };
/// let mut session = CatSession::start(&instrument, settings, "en", 7)?;
/// let next = session.next_item(&instrument)?.expect("an item");
/// assert_eq!(next.scale, "social");
/// session.answer(&instrument, &next.item, 5, None)?; // "strongly agree"
/// let saved = session.to_json()?;
/// let resumed = bagdar::cat::CatSession::from_json(&saved, &instrument)?;
/// assert_eq!(resumed.estimates(), session.estimates());
/// assert!(session.estimates()[3].estimate.theta > 0.3);
/// # Ok::<(), bagdar::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct CatSession {
    engine: Arc<CatEngine>,
    language: String,
    seed: u64,
    responses: Vec<CatResponse>,
    pending: Option<usize>,
    progress: Progress,
}

impl CatSession {
    /// Starts a session: checks the settings and compiles the instrument.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownId`] for a language the instrument lacks; settings errors as
    /// for [`CatSettings::check`].
    pub fn start(
        instrument: &Instrument,
        settings: CatSettings,
        language: &str,
        seed: u64,
    ) -> Result<Self> {
        let engine = Arc::new(CatEngine::new(instrument, settings)?);
        CatSession::with_engine(engine, language, seed)
    }

    /// Starts a session on an already compiled engine (simulations share one).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownId`] for a language the instrument lacks.
    pub fn with_engine(engine: Arc<CatEngine>, language: &str, seed: u64) -> Result<Self> {
        check_language(&engine, language)?;
        let progress = engine.new_progress();
        Ok(CatSession {
            engine,
            language: language.to_string(),
            seed,
            responses: Vec::new(),
            pending: None,
            progress,
        })
    }

    fn check_instrument(&self, instrument: &Instrument) -> Result<()> {
        if instrument.checksum() != self.engine.checksum() {
            return Err(Error::ChecksumMismatch {
                session: self.engine.checksum().to_string(),
                instrument: instrument.checksum().to_string(),
            });
        }
        Ok(())
    }

    /// The next item to ask, or `None` when the session has stopped
    /// ([`CatSession::stop_reason`]). Asking again before answering returns the same
    /// item.
    ///
    /// # Errors
    ///
    /// [`Error::ChecksumMismatch`] when `instrument` is not the session's.
    pub fn next_item(&mut self, instrument: &Instrument) -> Result<Option<Next>> {
        self.check_instrument(instrument)?;
        let Some(index) = self.next_index() else {
            return Ok(None);
        };
        let d = instrument.definition();
        let item = &d.items[index];
        let text = |t: &crate::instrument::Text| t.get(&self.language).cloned().unwrap_or_default();
        let options = match (&item.options, &item.option_set) {
            (Some(o), _) => o.as_slice(),
            (None, Some(set)) => d.option_sets.get(set).map_or(&[][..], Vec::as_slice),
            (None, None) => &[],
        };
        Ok(Some(Next {
            item: item.id.clone(),
            index,
            scale: item.scale.clone(),
            number: self.responses.len() + 1,
            stem: text(&item.stem),
            options: options
                .iter()
                .map(|o| NextOption {
                    value: o.value,
                    text: text(&o.text),
                })
                .collect(),
        }))
    }

    /// The instrument position of the next item (no texts), or `None` when stopped.
    pub fn next_index(&mut self) -> Option<usize> {
        if self.pending.is_none() {
            self.pending = self.engine.select(&mut self.progress, self.seed);
        }
        self.pending
    }

    /// Records the answer to the pending item. `value` is the instrument's option
    /// value; it is coded to a model category as in [`Instrument::code_answers`]
    /// (keys and reverse keying applied).
    ///
    /// # Errors
    ///
    /// [`Error::ChecksumMismatch`]; [`Error::CatStopped`] after the session stopped;
    /// [`Error::CatItemNotPending`] for an item that is not the one asked (or when
    /// nothing was asked); [`Error::CatInvalidAnswer`] for a value that is not an option.
    pub fn answer(
        &mut self,
        instrument: &Instrument,
        item: &str,
        value: i64,
        timestamp: Option<String>,
    ) -> Result<()> {
        self.check_instrument(instrument)?;
        self.answer_value(item, value, timestamp)
    }

    fn answer_value(&mut self, item: &str, value: i64, timestamp: Option<String>) -> Result<()> {
        if let Some(reason) = self.progress.stop {
            return Err(Error::CatStopped {
                reason: reason.name().to_string(),
                items: self.responses.len(),
            });
        }
        let ids = self.engine.item_ids();
        let index = match self.pending {
            Some(p) if ids[p] == item => p,
            pending => {
                return Err(Error::CatItemNotPending {
                    item: item.to_string(),
                    pending: pending.map(|p| ids[p].clone()),
                });
            }
        };
        let scoring = self.engine.answer_scoring(index);
        let category = scoring
            .category(value)
            .ok_or_else(|| Error::CatInvalidAnswer {
                item: item.to_string(),
                value,
                allowed: describe_values(scoring.values()),
            })?;
        self.engine.apply(index, category, &mut self.progress);
        self.pending = None;
        self.responses.push(CatResponse {
            item: item.to_string(),
            value,
            category,
            timestamp,
        });
        Ok(())
    }

    /// Records a model category for the pending item (simulation).
    pub(crate) fn answer_category(&mut self, category: u8) {
        let index = self.pending.take().expect("an item is pending");
        self.engine.apply(index, category, &mut self.progress);
        let value = match self.engine.answer_scoring(index) {
            AnswerScoring::Key { key, values } => {
                if category == 1 {
                    *key
                } else {
                    values.iter().copied().find(|v| v != key).unwrap_or(*key)
                }
            }
            AnswerScoring::Ordered { values, reverse } => {
                let c = category as usize;
                values[if *reverse { values.len() - 1 - c } else { c }]
            }
        };
        self.responses.push(CatResponse {
            item: self.engine.item_ids()[index].clone(),
            value,
            category,
            timestamp: None,
        });
    }

    /// Interim estimates of every scale, in instrument scale order.
    pub fn estimates(&self) -> Vec<ScaleEstimate> {
        let p = &self.progress;
        (0..self.engine.scale_ids().len())
            .map(|s| ScaleEstimate {
                scale: self.engine.scale_ids()[s].clone(),
                estimate: p.estimates[s],
                fallback: p.fallback[s],
                items: p.scale_count[s],
                stop: p.scale_stop[s],
                classification: self.engine.classification(s, p),
            })
            .collect()
    }

    /// Why the session stopped; `None` while it runs. An answer that ends the last
    /// scale or reaches `max_total` stops the session at once; a scale that ends for
    /// lack of information or items is found by the next [`CatSession::next_item`].
    pub fn stop_reason(&self) -> Option<StopReason> {
        self.progress.stop
    }

    /// True once the session has stopped.
    pub fn is_stopped(&self) -> bool {
        self.progress.stop.is_some()
    }

    /// The response log.
    pub fn responses(&self) -> &[CatResponse] {
        &self.responses
    }

    /// The id of the item waiting for an answer.
    pub fn pending(&self) -> Option<&str> {
        self.pending.map(|p| self.engine.item_ids()[p].as_str())
    }

    /// The session language.
    pub fn language(&self) -> &str {
        &self.language
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The settings.
    pub fn settings(&self) -> &CatSettings {
        self.engine.settings()
    }

    /// The instrument checksum the session belongs to.
    pub fn instrument_checksum(&self) -> &str {
        self.engine.checksum()
    }

    /// The compiled engine.
    pub fn engine(&self) -> &Arc<CatEngine> {
        &self.engine
    }

    /// Items administered in order (instrument positions) with their categories.
    pub fn administered(&self) -> &[(usize, u8)] {
        &self.progress.order
    }

    pub(crate) fn progress(&self) -> &Progress {
        &self.progress
    }

    /// The session as versioned JSON (`"format": "bagdar-cat-session", "version": 1`):
    /// checksum, language, seed, settings, the response log and the pending item, plus
    /// the derived stop and estimates for readers. Floats round-trip exactly.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSession`] if a value cannot be written (e.g. a non-finite
    /// setting; checked settings have none).
    pub fn to_json(&self) -> Result<String> {
        let estimates = self.estimates();
        let file = SessionFileOut {
            format: SESSION_FORMAT,
            version: SESSION_VERSION,
            instrument_checksum: self.engine.checksum(),
            language: &self.language,
            seed: self.seed,
            settings: self.engine.settings(),
            responses: &self.responses,
            pending: self.pending(),
            stop: self.progress.stop,
            estimates: estimates.iter().map(SavedEstimate::new).collect(),
        };
        serde_json::to_string_pretty(&file).map_err(json_error)
    }

    /// Resumes a saved session: checks format, version and checksum, then replays the
    /// log, verifying that every logged item is the one the engine selects.
    ///
    /// # Errors
    ///
    /// [`Error::SessionSyntax`] with line and column for corrupted or truncated JSON;
    /// [`Error::InvalidSession`] for another format or version, a logged item the
    /// replay does not select, or a category that does not match its value;
    /// [`Error::ChecksumMismatch`]; settings and language errors as for
    /// [`CatSession::start`].
    pub fn from_json(text: &str, instrument: &Instrument) -> Result<Self> {
        CatSession::from_json_with(text, instrument, |settings| {
            Ok(Arc::new(CatEngine::new(instrument, settings)?))
        })
    }

    /// [`CatSession::from_json`] with the engine for the saved settings compiled by
    /// `compile` (which must compile `instrument`, as [`CatEngine::new`] does). The
    /// fuzz target reuses compiled engines this way.
    pub(crate) fn from_json_with(
        text: &str,
        instrument: &Instrument,
        compile: impl FnOnce(CatSettings) -> Result<Arc<CatEngine>>,
    ) -> Result<Self> {
        let file: SessionFile = serde_json::from_str(text).map_err(|e| Error::SessionSyntax {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        if file.format != SESSION_FORMAT {
            return Err(Error::InvalidSession {
                location: "format".into(),
                message: format!("{:?} is not {SESSION_FORMAT:?}", file.format),
            });
        }
        if file.version != SESSION_VERSION {
            return Err(Error::InvalidSession {
                location: "version".into(),
                message: format!(
                    "version {} is not supported (this build reads {SESSION_VERSION})",
                    file.version
                ),
            });
        }
        if file.instrument_checksum != instrument.checksum() {
            return Err(Error::ChecksumMismatch {
                session: file.instrument_checksum,
                instrument: instrument.checksum().to_string(),
            });
        }
        let engine = compile(file.settings)?;
        let mut session = CatSession::with_engine(engine, &file.language, file.seed)?;
        session.replay(&file.responses)?;
        if let Some(pending) = file.pending {
            let selected = session.next_index();
            let ids = session.engine.item_ids();
            if selected.map(|s| ids[s].as_str()) != Some(pending.as_str()) {
                return Err(Error::InvalidSession {
                    location: "pending".into(),
                    message: format!(
                        "item {pending} is pending, but replay selects {}",
                        selected.map_or("nothing (stopped)", |s| ids[s].as_str())
                    ),
                });
            }
        }
        Ok(session)
    }

    /// The session's course: for each logged answer, the interim estimate of the
    /// answered item's scale right after it, found by replaying the log on a fresh
    /// session (the estimates are exactly those the session had at each step).
    ///
    /// # Errors
    ///
    /// As [`CatSession::replay`] (never for a session built by this crate).
    ///
    /// # Examples
    ///
    /// ```
    /// use bagdar::cat::{CatSession, CatSettings};
    /// # let json = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/instruments/kasip-demo.json")).unwrap();
    /// let instrument = bagdar::instrument::Instrument::from_json(&json)?;
    /// let mut session = CatSession::start(&instrument, CatSettings::default(), "en", 7)?;
    /// for _ in 0..3 {
    ///     let next = session.next_item(&instrument)?.expect("an item");
    ///     session.answer(&instrument, &next.item, next.options[0].value, None)?;
    /// }
    /// let trace = session.trace()?;
    /// assert_eq!(trace.len(), 3);
    /// let last = session.estimates().into_iter().find(|e| e.scale == trace[2].scale).unwrap();
    /// assert_eq!(trace[2].estimate, last.estimate);
    /// # Ok::<(), bagdar::Error>(())
    /// ```
    pub fn trace(&self) -> Result<Vec<TraceStep>> {
        let mut fresh = CatSession::with_engine(self.engine.clone(), &self.language, self.seed)?;
        let mut steps = Vec::with_capacity(self.responses.len());
        for (step, r) in self.responses.iter().enumerate() {
            fresh.replay(std::slice::from_ref(r))?;
            let (index, _) = fresh.progress.order[step];
            let scale = self.engine.item_scales()[index];
            steps.push(TraceStep {
                number: step + 1,
                item: r.item.clone(),
                scale: self.engine.scale_ids()[scale].clone(),
                category: r.category,
                estimate: fresh.progress.estimates[scale],
            });
        }
        Ok(steps)
    }

    /// Applies a response log to a fresh session, checking that each logged item is the
    /// one the engine selects at that step.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSession`] naming the step that diverges or whose category does
    /// not match its value; answer errors as for [`CatSession::answer`].
    pub fn replay(&mut self, log: &[CatResponse]) -> Result<()> {
        for (step, r) in log.iter().enumerate() {
            let at = format!("responses[{step}]");
            let selected = self.next_index();
            let ids = self.engine.item_ids();
            if selected.map(|s| ids[s].as_str()) != Some(r.item.as_str()) {
                return Err(Error::InvalidSession {
                    location: at,
                    message: format!(
                        "the log has item {}, but replay selects {}",
                        r.item,
                        selected.map_or("nothing (stopped)", |s| ids[s].as_str())
                    ),
                });
            }
            let index = selected.expect("checked");
            if self.engine.answer_scoring(index).category(r.value) != Some(r.category) {
                return Err(Error::InvalidSession {
                    location: at,
                    message: format!(
                        "value {} of item {} is not category {}",
                        r.value, r.item, r.category
                    ),
                });
            }
            self.answer_value(&r.item, r.value, r.timestamp.clone())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::SessionFile;

    /// The saved-session file is read as serde's derive read it (`crate::de`).
    #[test]
    fn session_file_reads_as_derived() {
        let session = include_str!("../../../tests/golden/cat/demo-session.json");
        let mut s: serde_json::Value = serde_json::from_str(session).unwrap();
        s["responses"].as_array_mut().unwrap().truncate(2);
        s["pending"] = serde_json::Value::from("VR01");
        crate::de::tests::objects::check::<SessionFile>(&[&s.to_string()], |d| {
            SessionFile::deserialize(d)
        });
    }
}
