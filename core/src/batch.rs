//! Tabular response files: mapping a header to the instrument, reading one row of text
//! fields into coded responses, and the reasons a row is rejected.
//!
//! File formats (CSV, Excel) are read by the surfaces; the meaning of the fields lives
//! here, so the CLI, Python and WASM accept and reject exactly the same rows.

use crate::error::{Error, Result};
use crate::instrument::{Instrument, describe_values};
use crate::response::MISSING;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Names of the identifier and grouping columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ColumnNames {
    /// Student identifier (required column).
    pub student_id: String,
    /// Region (optional column).
    pub region: String,
    /// School (optional column).
    pub school: String,
    /// Answer language (optional column; when present it must be one of the
    /// instrument's languages).
    pub language: String,
}

impl Default for ColumnNames {
    fn default() -> Self {
        ColumnNames {
            student_id: "student_id".into(),
            region: "region".into(),
            school: "school".into(),
            language: "language".into(),
        }
    }
}

/// How the text of an answer cell maps to an item's option values.
///
/// By default a cell must hold one of the item's option values (`1`…`5` for the demo
/// Likert items). Exports from other systems often code the same answers `0`…`4`, or
/// write the option's text; `shift` and `labels` accept those.
///
/// ```text
/// option value = cell number + shift
/// option value = the option whose text, in any instrument language, equals the cell
///                (trimmed, case-insensitive) — when labels is true
/// ```
///
/// # Examples
///
/// ```
/// use bagdar::batch::{ColumnNames, RowReader, TableLayout, ValueCoding};
/// # let json = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/instruments/kasip-demo.json")).unwrap();
/// let instrument = bagdar::instrument::Instrument::from_json(&json)?;
/// let mut header = vec!["student_id".to_string()];
/// header.extend(instrument.item_ids().iter().map(|s| s.to_string()));
/// let layout = TableLayout::from_header(&header, &instrument, &ColumnNames::default())?;
/// let coding = ValueCoding { shift: 1, labels: true };
/// let mut reader = RowReader::new(&instrument, layout, 0.0).with_coding(coding);
/// let mut fields = vec!["S1".to_string(), "Толық келісемін".to_string(), "4".to_string()];
/// fields.extend(std::iter::repeat(String::new()).take(instrument.items().len() - 2));
/// let record = reader.read(1, &fields).unwrap();
/// // RE01: "strongly agree" (value 5) is category 4; RE02: 4 + 1 = value 5, category 4.
/// assert_eq!(&record.responses[..2], &[4, 4]);
/// # Ok::<(), bagdar::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ValueCoding {
    /// Added to every numeric cell before it is matched to the option values (1 when a
    /// file codes 1–5 answers as 0–4).
    pub shift: i64,
    /// Accept an option's text in any of the instrument's languages.
    pub labels: bool,
}

/// Where each needed column sits in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct TableLayout {
    columns: usize,
    student_id: usize,
    region: Option<usize>,
    school: Option<usize>,
    language: Option<usize>,
    items: Vec<usize>,
}

impl TableLayout {
    /// Finds the columns in a header row. Extra columns are ignored.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSetting`] naming the missing student-id column or the first
    /// instrument items without a column, or a column name that appears twice.
    pub fn from_header<S: AsRef<str>>(
        header: &[S],
        instrument: &Instrument,
        names: &ColumnNames,
    ) -> Result<Self> {
        let header: Vec<&str> = header
            .iter()
            .map(|h| h.as_ref().trim_start_matches('\u{feff}').trim())
            .collect();
        if let [only] = header.as_slice()
            && let Some(separator) = [';', '\t', '|'].into_iter().find(|c| only.contains(*c))
        {
            return Err(Error::setting(
                "header",
                format!(
                    "only one column found, and it contains {separator:?}: the file looks \
                     {separator:?}-separated; give that delimiter (CLI: --delimiter)"
                ),
            ));
        }
        let mut seen = HashSet::new();
        for h in &header {
            if !h.is_empty() && !seen.insert(*h) {
                return Err(Error::setting(
                    "header",
                    format!("column {h:?} appears more than once"),
                ));
            }
        }
        let find = |name: &str| header.iter().position(|h| *h == name);
        let student_id = find(&names.student_id).ok_or_else(|| {
            Error::setting(
                "header",
                format!("no student id column {:?}", names.student_id),
            )
        })?;
        let ids = instrument.item_ids();
        let mut items = Vec::with_capacity(ids.len());
        let mut missing = Vec::new();
        for id in &ids {
            match find(id) {
                Some(c) => items.push(c),
                None => missing.push(*id),
            }
        }
        if !missing.is_empty() {
            let shown: Vec<&str> = missing.iter().take(5).copied().collect();
            return Err(Error::setting(
                "header",
                format!(
                    "{} of the instrument's {} items have no column (first: {})",
                    missing.len(),
                    ids.len(),
                    shown.join(", ")
                ),
            ));
        }
        Ok(TableLayout {
            columns: header.len(),
            student_id,
            region: find(&names.region),
            school: find(&names.school),
            language: find(&names.language),
            items,
        })
    }

    /// Number of columns in the header.
    pub fn columns(&self) -> usize {
        self.columns
    }
}

/// Why a row was not scored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum RejectReason {
    /// The row does not have the header's number of fields.
    #[error("wrong column count: expected {expected}, found {found}")]
    WrongColumnCount {
        /// Columns in the header.
        expected: usize,
        /// Fields in the row.
        found: usize,
    },
    /// The student id is empty.
    #[error("missing student id")]
    MissingId,
    /// The student id was seen in an earlier row.
    #[error("duplicate student id (first seen in row {first_row})")]
    DuplicateId {
        /// Row number where the id first appeared.
        first_row: u64,
    },
    /// The language is not one of the instrument's.
    #[error("unknown language {value:?}")]
    UnknownLanguage {
        /// The value found.
        value: String,
    },
    /// A response is not a whole number.
    #[error("item {item}: {value:?} is not a number")]
    NotANumber {
        /// Item id.
        item: String,
        /// The text found.
        value: String,
    },
    /// A text response that is none of the item's option labels (with label coding).
    #[error("item {item}: {value:?} is neither a number nor one of the option texts")]
    UnknownLabel {
        /// Item id.
        item: String,
        /// The text found.
        value: String,
    },
    /// A response is not one of the item's option values.
    #[error("item {item}: value {value} is not one of the options {allowed}")]
    OutOfRange {
        /// Item id.
        item: String,
        /// The value found.
        value: i64,
        /// The allowed values, e.g. `1..5`.
        allowed: String,
    },
    /// Fewer items answered than required.
    #[error("too many missing: {answered} of {items} items answered, at least {required} required")]
    TooManyMissing {
        /// Items answered.
        answered: usize,
        /// Items in the instrument.
        items: usize,
        /// Minimum required.
        required: usize,
    },
}

/// A rejected row: its number, its student id when readable, and the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reject {
    /// 1-based data row number (the header is row 0).
    pub row: u64,
    /// Student id, when the row had one.
    pub student_id: Option<String>,
    /// Why.
    pub reason: RejectReason,
}

/// One accepted row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// 1-based data row number.
    pub row: u64,
    /// Student id.
    pub student_id: String,
    /// Region, when the file has the column.
    pub region: Option<String>,
    /// School, when the file has the column.
    pub school: Option<String>,
    /// Answer language, when the file has the column.
    pub language: Option<String>,
    /// Model categories in instrument item order ([`MISSING`] = blank).
    pub responses: Vec<u8>,
}

/// Reads rows against a layout, remembering ids to catch duplicates.
///
/// # Examples
///
/// ```
/// use bagdar::batch::{ColumnNames, RejectReason, RowReader, TableLayout};
/// # let json = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/instruments/kasip-demo.json")).unwrap();
/// let instrument = bagdar::instrument::Instrument::from_json(&json)?;
/// let mut header = vec!["student_id".to_string(), "language".to_string()];
/// header.extend(instrument.item_ids().iter().map(|s| s.to_string()));
/// let layout = TableLayout::from_header(&header, &instrument, &ColumnNames::default())?;
/// let mut reader = RowReader::new(&instrument, layout, 0.5);
/// let mut fields = vec!["S1".to_string(), "kk".to_string()];
/// fields.extend(std::iter::repeat("3".to_string()).take(instrument.items().len()));
/// assert!(reader.read(1, &fields).is_ok());
/// let again = reader.read(2, &fields).unwrap_err();
/// assert_eq!(again.reason, RejectReason::DuplicateId { first_row: 1 });
/// # Ok::<(), bagdar::Error>(())
/// ```
#[derive(Debug)]
pub struct RowReader<'a> {
    instrument: &'a Instrument,
    layout: TableLayout,
    required: usize,
    /// 96-bit fingerprint of every accepted id → its row (16 bytes a row instead of a
    /// copy of each id), so a national file's duplicate check stays small.
    seen: std::collections::HashMap<[u32; 3], u32>,
    shift: i64,
    /// Per item, lower-cased option text → option value (empty without label coding).
    labels: Vec<std::collections::HashMap<String, i64>>,
    /// Per item, the category of each option value (a table lookup per answer).
    codes: Vec<Codes>,
}

/// An item's option values → categories as a table over [lowest, lowest + len), the
/// answers of [`AnswerScoring::category`](crate::instrument::AnswerScoring::category)
/// without searching the options.
#[derive(Debug, Clone)]
struct Codes {
    lowest: i64,
    categories: Vec<u8>,
}

/// Table entry of a value that is no option.
const NO_OPTION: u8 = u8::MAX;

impl Codes {
    /// Option values spanning at most this many integers are tabulated.
    const MAX_SPAN: i64 = 256;

    fn new(scoring: &crate::instrument::AnswerScoring) -> Self {
        let values = scoring.values();
        let (Some(&lowest), Some(&highest)) = (values.iter().min(), values.iter().max()) else {
            return Codes {
                lowest: 0,
                categories: Vec::new(),
            };
        };
        if highest.saturating_sub(lowest) >= Self::MAX_SPAN {
            return Codes {
                lowest: 0,
                categories: Vec::new(),
            };
        }
        let categories = (lowest..=highest)
            .map(|v| scoring.category(v).unwrap_or(NO_OPTION))
            .collect();
        Codes { lowest, categories }
    }

    /// As `scoring.category(value)`.
    #[inline]
    fn category(&self, value: i64, scoring: &crate::instrument::AnswerScoring) -> Option<u8> {
        if self.categories.is_empty() {
            return scoring.category(value);
        }
        let offset = usize::try_from(value.checked_sub(self.lowest)?).ok()?;
        match self.categories.get(offset) {
            Some(&NO_OPTION) | None => None,
            Some(&c) => Some(c),
        }
    }
}

impl<'a> RowReader<'a> {
    /// `min_answered` is the fraction (0–1) of the instrument's items a row must answer.
    pub fn new(instrument: &'a Instrument, layout: TableLayout, min_answered: f64) -> Self {
        let items = instrument.items().len();
        let required = ((min_answered.clamp(0.0, 1.0) * items as f64).ceil() as usize).max(1);
        RowReader {
            instrument,
            layout,
            required,
            seen: Default::default(),
            shift: 0,
            labels: Vec::new(),
            codes: (0..items)
                .map(|i| Codes::new(instrument.answer_scoring(i)))
                .collect(),
        }
    }

    /// Reads answer cells with this coding instead of plain option values.
    pub fn with_coding(mut self, coding: ValueCoding) -> Self {
        self.shift = coding.shift;
        self.labels = if coding.labels {
            self.instrument
                .item_option_texts()
                .into_iter()
                .map(|options| {
                    options
                        .into_iter()
                        .map(|(value, text)| (text.trim().to_lowercase(), value))
                        .collect()
                })
                .collect()
        } else {
            Vec::new()
        };
        self
    }

    /// Minimum number of answered items.
    pub fn required(&self) -> usize {
        self.required
    }

    /// Reads one row of text fields.
    ///
    /// # Errors
    ///
    /// A [`Reject`] with the first reason found, checked in this order: column count,
    /// student id, language, each item's value, number answered, duplicate id (a
    /// rejected row does not claim its id).
    pub fn read<S: AsRef<str>>(&mut self, row: u64, fields: &[S]) -> Result<Record, Reject> {
        let record = self.check(row, fields)?;
        self.claim(record)
    }

    /// [`RowReader::read`] without the duplicate-id check: every rule that depends on
    /// the row alone, so rows can be checked in parallel and then claimed in order.
    ///
    /// # Errors
    ///
    /// As [`RowReader::read`], except [`RejectReason::DuplicateId`].
    pub fn check<S: AsRef<str>>(&self, row: u64, fields: &[S]) -> Result<Record, Reject> {
        self.check_fields(row, fields.len(), |i| fields.get(i).map(AsRef::as_ref))
    }

    /// [`RowReader::check`] on a row given by its number of fields and an accessor
    /// (e.g. a CSV record, without copying its fields).
    ///
    /// # Errors
    ///
    /// As [`RowReader::check`].
    pub fn check_fields<'f>(
        &self,
        row: u64,
        count: usize,
        fields: impl Fn(usize) -> Option<&'f str>,
    ) -> Result<Record, Reject> {
        let layout = &self.layout;
        let field = |i: usize| fields(i).map(trim);
        let student_id = field(layout.student_id)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        let reject = |reason| Reject {
            row,
            student_id: student_id.clone(),
            reason,
        };
        if count != layout.columns {
            return Err(reject(RejectReason::WrongColumnCount {
                expected: layout.columns,
                found: count,
            }));
        }
        let Some(id) = student_id.clone() else {
            return Err(reject(RejectReason::MissingId));
        };
        let language = layout.language.and_then(field).map(str::to_string);
        if let Some(l) = &language
            && !self.instrument.definition().languages.contains(l)
        {
            return Err(reject(RejectReason::UnknownLanguage { value: l.clone() }));
        }
        let mut responses = Vec::with_capacity(layout.items.len());
        let mut answered = 0;
        for (i, &column) in layout.items.iter().enumerate() {
            let text = field(column).unwrap_or("");
            if text.is_empty() {
                responses.push(MISSING);
                continue;
            }
            let item_id = || self.instrument.definition().items[i].id.clone();
            let value = match parse_whole(text) {
                Some(v) => v.checked_add(self.shift),
                None => match self.labels.get(i) {
                    Some(labels) => Some(*labels.get(&text.to_lowercase()).ok_or_else(|| {
                        reject(RejectReason::UnknownLabel {
                            item: item_id(),
                            value: text.to_string(),
                        })
                    })?),
                    None => None,
                },
            }
            .ok_or_else(|| {
                reject(RejectReason::NotANumber {
                    item: item_id(),
                    value: text.to_string(),
                })
            })?;
            let scoring = self.instrument.answer_scoring(i);
            let category = self.codes[i].category(value, scoring).ok_or_else(|| {
                reject(RejectReason::OutOfRange {
                    item: item_id(),
                    value,
                    allowed: describe_values(scoring.values()),
                })
            })?;
            answered += 1;
            responses.push(category);
        }
        if answered < self.required {
            return Err(reject(RejectReason::TooManyMissing {
                answered,
                items: layout.items.len(),
                required: self.required,
            }));
        }
        Ok(Record {
            row,
            student_id: id,
            region: layout.region.and_then(field).map(str::to_string),
            school: layout.school.and_then(field).map(str::to_string),
            language,
            responses,
        })
    }

    /// Claims a checked record's student id: rejects it when an earlier claimed row
    /// had the same id. Records must be claimed in row order.
    ///
    /// # Errors
    ///
    /// [`RejectReason::DuplicateId`] naming the first row.
    pub fn claim(&mut self, record: Record) -> Result<Record, Reject> {
        let key = fingerprint(&record.student_id);
        if let Some(&first_row) = self.seen.get(&key) {
            return Err(Reject {
                row: record.row,
                student_id: Some(record.student_id),
                reason: RejectReason::DuplicateId {
                    first_row: u64::from(first_row),
                },
            });
        }
        self.seen
            .insert(key, u32::try_from(record.row).unwrap_or(u32::MAX));
        Ok(record)
    }
}

/// A 96-bit fingerprint of a student id, from two SipHash-1-3 digests (Rust's
/// `DefaultHasher`, fixed keys) of the id with different suffixes. Two distinct ids
/// collide with probability about n²/2⁹⁷ — below 1e-17 for a million rows.
fn fingerprint(id: &str) -> [u32; 3] {
    use std::hash::{Hash, Hasher};
    let digest = |salt: u8| {
        let mut h = std::hash::DefaultHasher::new();
        id.hash(&mut h);
        salt.hash(&mut h);
        h.finish()
    };
    let (a, b) = (digest(1), digest(2));
    [(a >> 32) as u32, a as u32, (b >> 32) as u32]
}

/// `str::trim`, skipping the scan when the text starts and ends with visible ASCII.
#[inline]
fn trim(text: &str) -> &str {
    match text.as_bytes() {
        [] => text,
        [first, .., last] if first.is_ascii_graphic() && last.is_ascii_graphic() => text,
        [only] if only.is_ascii_graphic() => text,
        _ => text.trim(),
    }
}

/// Parses "3", " 3 ", "3.0" (as spreadsheets export whole numbers); not "3.5".
fn parse_whole(text: &str) -> Option<i64> {
    if let [digit @ b'0'..=b'9'] = text.as_bytes() {
        return Some(i64::from(digit - b'0'));
    }
    if let Ok(v) = text.parse::<i64>() {
        return Some(v);
    }
    let v: f64 = text.parse().ok()?;
    (v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15).then_some(v as i64)
}

/// Neutralizes a text cell for spreadsheet output: a leading `=`, `+`, `-`, `@`, tab or
/// carriage return would make Excel or LibreOffice evaluate it as a formula, so such
/// cells get a leading apostrophe (OWASP "CSV injection").
///
/// # Examples
///
/// ```
/// assert_eq!(bagdar::batch::neutralize_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
/// assert_eq!(bagdar::batch::neutralize_cell("Алматы"), "Алматы");
/// ```
pub fn neutralize_cell(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instrument::AnswerScoring;

    #[test]
    fn code_tables_and_trim_agree_with_the_plain_forms() {
        let scorings = [
            AnswerScoring::Ordered {
                values: vec![1, 2, 3, 4, 5],
                reverse: true,
            },
            AnswerScoring::Ordered {
                values: vec![-2, 0, 7],
                reverse: false,
            },
            AnswerScoring::Key {
                key: 3,
                values: vec![1, 2, 3, 4],
            },
            AnswerScoring::Ordered {
                values: vec![0, 1000],
                reverse: false,
            },
        ];
        for scoring in &scorings {
            let codes = Codes::new(scoring);
            for value in [
                -1000,
                -3,
                -2,
                -1,
                0,
                1,
                2,
                3,
                4,
                5,
                6,
                7,
                8,
                999,
                1000,
                i64::MIN,
                i64::MAX,
            ] {
                assert_eq!(
                    codes.category(value, scoring),
                    scoring.category(value),
                    "{scoring:?} {value}"
                );
            }
        }
        for text in [
            "",
            "3",
            " 3",
            "3 ",
            " ",
            "\u{a0}4\u{a0}",
            "ab",
            "\tx",
            "Ж",
            " Ж ",
            "12",
        ] {
            assert_eq!(trim(text), text.trim(), "{text:?}");
        }
        for text in ["0", "7", "12", "-3", "3.0", "3.5", "x", "+4"] {
            let expected = text.parse::<i64>().ok().or_else(|| {
                let v: f64 = text.parse().ok()?;
                (v.fract() == 0.0).then_some(v as i64)
            });
            assert_eq!(parse_whole(text), expected, "{text:?}");
        }
    }
}
