//! Response records: what the web form hands a student to give to the school
//! (`bagdar-response-record`, version 1). The record — the answer log with the
//! instrument checksum, and for an adaptive session the engine's own session state — is
//! what a department re-scores; the score shown on the device is feedback only.
//!
//! [`ResponseRecord::from_json`] checks a record against the instrument: format and
//! version, checksum, every item and answer, no item answered twice, and for an adaptive
//! session that its saved CAT state resumes and logs exactly the same answers.

use crate::cat::CatSession;
use crate::error::{Error, Result};
use crate::instrument::Instrument;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// The `format` field of a record.
pub const RECORD_FORMAT: &str = "bagdar-response-record";
/// The record version this build reads.
pub const RECORD_VERSION: u32 = 1;

/// The instrument a record was answered on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordInstrument {
    /// Instrument id.
    pub id: String,
    /// Instrument version.
    #[serde(default)]
    pub version: String,
    /// Instrument checksum.
    pub checksum: String,
}

/// One answer of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordResponse {
    /// Item id.
    pub item: String,
    /// The option value, or `null` for a skipped item.
    pub value: Option<i64>,
    /// The language the item was shown in.
    #[serde(default)]
    pub language: Option<String>,
    /// When it was answered.
    #[serde(default)]
    pub at: Option<String>,
}

/// A response record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseRecord {
    /// [`RECORD_FORMAT`].
    pub format: String,
    /// [`RECORD_VERSION`].
    pub version: u32,
    /// The instrument.
    pub instrument: RecordInstrument,
    /// `fixed` or `adaptive`.
    pub mode: String,
    /// The language at the end of the session.
    pub language: String,
    /// Start time.
    #[serde(default)]
    pub started: Option<String>,
    /// End time (`null` for an unfinished session).
    #[serde(default)]
    pub finished: Option<String>,
    /// The answer log.
    pub responses: Vec<RecordResponse>,
    /// The engine's CAT session (adaptive mode).
    #[serde(default)]
    pub cat_session: Option<serde_json::Value>,
}

impl ResponseRecord {
    /// Parses and checks a record against the instrument.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRecord`] for malformed JSON (with line and column), a wrong format
    /// or version, an unknown language, an item that is not in the instrument or is
    /// answered twice, an answer that is not one of the item's options, or a CAT state
    /// whose log differs from the record's; [`Error::ChecksumMismatch`] for a record of
    /// another instrument version; the CAT session's own errors when its state does not
    /// resume.
    ///
    /// # Examples
    ///
    /// ```
    /// # let json = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/instruments/kasip-demo.json")).unwrap();
    /// let instrument = bagdar::instrument::Instrument::from_json(&json)?;
    /// let text = format!(
    ///     r#"{{"format":"bagdar-response-record","version":1,
    ///         "instrument":{{"id":"kasip-demo","checksum":"{}"}},
    ///         "mode":"fixed","language":"kk",
    ///         "responses":[{{"item":"SO01","value":5}},{{"item":"VR01","value":null}}]}}"#,
    ///     instrument.checksum()
    /// );
    /// let record = bagdar::record::ResponseRecord::from_json(&text, &instrument)?;
    /// let answers = record.answers(&instrument);
    /// assert_eq!(answers[instrument.item_index("SO01").unwrap()], Some(5));
    /// assert_eq!(answers.iter().flatten().count(), 1);
    /// # Ok::<(), bagdar::Error>(())
    /// ```
    pub fn from_json(text: &str, instrument: &Instrument) -> Result<Self> {
        let invalid = |location: &str, message: String| Error::InvalidRecord {
            location: location.to_string(),
            message,
        };
        let record: ResponseRecord = serde_json::from_str(text).map_err(|e| {
            invalid(
                &format!("line {}, column {}", e.line(), e.column()),
                e.to_string(),
            )
        })?;
        if record.format != RECORD_FORMAT {
            return Err(invalid(
                "format",
                format!("{:?} is not {RECORD_FORMAT:?}", record.format),
            ));
        }
        if record.version != RECORD_VERSION {
            return Err(invalid(
                "version",
                format!("{} (this build reads {RECORD_VERSION})", record.version),
            ));
        }
        if record.instrument.checksum != instrument.checksum() {
            return Err(Error::ChecksumMismatch {
                session: record.instrument.checksum.clone(),
                instrument: instrument.checksum().to_string(),
            });
        }
        if !instrument.definition().languages.contains(&record.language) {
            return Err(invalid(
                "language",
                format!("{:?} is not one of the instrument's", record.language),
            ));
        }
        let mut seen = HashSet::new();
        for (n, r) in record.responses.iter().enumerate() {
            let at = format!("responses[{n}]");
            let index = instrument
                .item_index(&r.item)
                .ok_or_else(|| invalid(&at, format!("no item {:?} in the instrument", r.item)))?;
            if !seen.insert(index) {
                return Err(invalid(&at, format!("item {} is answered twice", r.item)));
            }
            if let Some(value) = r.value
                && instrument.answer_scoring(index).category(value).is_none()
            {
                return Err(invalid(
                    &at,
                    format!("item {}: {value} is not one of its option values", r.item),
                ));
            }
        }
        match (record.mode.as_str(), &record.cat_session) {
            ("adaptive", Some(state)) => {
                let session = CatSession::from_json(&state.to_string(), instrument)?;
                let logged: Vec<(&str, Option<i64>)> = session
                    .responses()
                    .iter()
                    .map(|r| (r.item.as_str(), Some(r.value)))
                    .collect();
                let recorded: Vec<(&str, Option<i64>)> = record
                    .responses
                    .iter()
                    .map(|r| (r.item.as_str(), r.value))
                    .collect();
                if logged != recorded {
                    return Err(invalid(
                        "cat_session",
                        "the CAT session's log differs from the record's responses".into(),
                    ));
                }
            }
            ("adaptive", None) => {
                return Err(invalid("cat_session", "an adaptive record needs it".into()));
            }
            ("fixed", _) => {}
            (other, _) => {
                return Err(invalid(
                    "mode",
                    format!("{other:?} is not fixed or adaptive"),
                ));
            }
        }
        Ok(record)
    }

    /// The answers in instrument item order (`None` = not asked or skipped).
    pub fn answers(&self, instrument: &Instrument) -> Vec<Option<i64>> {
        let mut answers = vec![None; instrument.items().len()];
        for r in &self.responses {
            if let Some(i) = instrument.item_index(&r.item) {
                answers[i] = r.value;
            }
        }
        answers
    }
}
