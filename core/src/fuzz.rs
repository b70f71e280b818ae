//! Fuzz entry points: each takes arbitrary bytes and drives one way untrusted input
//! enters the engine. The libFuzzer targets in `fuzz/` call these, and
//! `core/tests/fuzz_regressions.rs` replays every stored corpus and crash input through
//! them with the ordinary test runner. An entry point must never panic, whatever the
//! bytes; errors are the expected outcome for most inputs.
//!
//! Not part of the stable API.

use crate::batch::{ColumnNames, RowReader, TableLayout, ValueCoding};
use crate::decide::{Decider, DecisionSettings, Norms};
use crate::instrument::Instrument;
use crate::model::ItemModel;
use crate::report::{ReportBuilder, ReportSettings, ScoresLayout};
use crate::response::{MISSING, ResponseMatrix};
use crate::score::{Scorer, ScoringSettings};
use std::sync::OnceLock;

/// Inputs larger than this are cut (keeps each execution fast).
const MAX_INPUT: usize = 64 * 1024;

fn demo() -> &'static Instrument {
    static DEMO: OnceLock<Instrument> = OnceLock::new();
    DEMO.get_or_init(|| {
        Instrument::from_json(include_str!("../../data/instruments/kasip-demo.json"))
            .expect("the bundled demo instrument is valid")
    })
}

fn cut(data: &[u8]) -> &[u8] {
    &data[..data.len().min(MAX_INPUT)]
}

/// An instrument file: parse and validate; when valid, build its scorers and decider
/// and score one blank and one all-first-option row.
pub fn instrument(data: &[u8]) {
    let Ok(instrument) = Instrument::from_bytes(cut(data)) else {
        return;
    };
    assert_eq!(instrument.checksum().len(), 64);
    let items = instrument.items().len();
    if items > 400 {
        return;
    }
    if let Ok(battery) = instrument.scorers(&ScoringSettings::default()) {
        let blank = ResponseMatrix::new(1, items, vec![MISSING; items]).expect("shape");
        let scores = battery.score(&blank).expect("a blank row scores");
        assert_eq!(scores.len(), instrument.scales().len());
    }
    if let Ok(decider) = Decider::new(&instrument, DecisionSettings::default(), None) {
        let row = vec![0u8; items];
        let decision = decider.decide_row(&row, None).expect("a valid row decides");
        for p in &decision.profiles {
            assert!((0.0..=1.0).contains(&p.p_above_cut) || p.p_above_cut.is_nan());
        }
    }
}

/// Text rows of a response table against the demo instrument: the first line is the
/// header, the rest are rows (fields split on `,`); the first byte picks the value coding.
pub fn response_rows(data: &[u8]) {
    let data = cut(data);
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let instrument = demo();
    let text = String::from_utf8_lossy(rest);
    let mut lines = text.lines();
    let Some(header) = lines.next() else {
        return;
    };
    let header: Vec<&str> = header.split(',').collect();
    let Ok(layout) = TableLayout::from_header(&header, instrument, &ColumnNames::default()) else {
        return;
    };
    let coding = ValueCoding {
        shift: i64::from(mode % 3) - 1,
        labels: mode & 4 != 0,
    };
    let min_answered = f64::from(mode >> 3) / 31.0;
    let mut reader = RowReader::new(instrument, layout, min_answered).with_coding(coding);
    for (row, line) in lines.enumerate() {
        let fields: Vec<&str> = line.split(',').collect();
        if let Ok(record) = reader.read(row as u64 + 1, &fields) {
            assert_eq!(record.responses.len(), instrument.items().len());
            for (i, &c) in record.responses.iter().enumerate() {
                use crate::model::ResponseCurve;
                assert!(c == MISSING || usize::from(c) < instrument.items()[i].categories());
            }
        }
    }
}

/// Settings and norms files as JSON: decision settings (validated against the demo
/// instrument), scoring settings (a scorer is built), norms and report settings.
pub fn settings(data: &[u8]) {
    let data = cut(data);
    let instrument = demo();
    if let Ok(settings) = serde_json::from_slice::<DecisionSettings>(data)
        && settings.scoring.grid.points <= 2_000
    {
        let _ = Decider::new(instrument, settings, None);
    }
    if let Ok(settings) = serde_json::from_slice::<ScoringSettings>(data)
        && settings.grid.points <= 2_000
    {
        let _ = instrument.scorers(&settings);
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(norms) = Norms::from_json(text)
    {
        let _ = Decider::new(instrument, DecisionSettings::default(), Some(norms));
    }
    if let Ok(settings) = serde_json::from_slice::<ReportSettings>(data)
        && settings.histogram_bins <= 10_000
    {
        let _ = ReportBuilder::new(instrument, &["teacher"], settings);
    }
}

/// What the WASM and Python entry points decode: the first byte splits the input into
/// item-model JSON (as `scoreItems` takes) and little-endian f64 answers (as
/// `Instrument.score`/`decide` take, NaN = blank).
pub fn binding_arguments(data: &[u8]) {
    let data = cut(data);
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let split = (usize::from(split) * rest.len() / 255).min(rest.len());
    let (json, numbers) = rest.split_at(split);
    let raw: Vec<f64> = numbers
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect();
    if let Ok(models) = serde_json::from_slice::<Vec<ItemModel>>(json)
        && !models.is_empty()
        && let Ok(scorer) = Scorer::from_models(&models, &ScoringSettings::default())
    {
        let k = models.len();
        let persons = raw.len() / k;
        let data: Vec<u8> = raw[..persons * k]
            .iter()
            .map(|v| {
                if v.is_finite() && *v >= 0.0 && *v < 255.0 {
                    *v as u8
                } else {
                    MISSING
                }
            })
            .collect();
        if let Ok(matrix) = ResponseMatrix::new(persons, k, data)
            && let Ok(estimates) = scorer.score(&matrix)
        {
            assert_eq!(estimates.len(), persons);
        }
    }
    let instrument = demo();
    let items = instrument.items().len();
    let persons = raw.len() / items;
    if persons == 0 {
        return;
    }
    static DECIDER: OnceLock<Decider> = OnceLock::new();
    let decider = DECIDER.get_or_init(|| {
        Decider::new(instrument, DecisionSettings::default(), None).expect("demo decider")
    });
    if let Ok(coded) = instrument.code_matrix(persons, &raw[..persons * items]) {
        let batch = decider
            .decide_batch(&coded, None, None)
            .expect("coded answers decide");
        assert_eq!(batch.students.len(), persons);
    }
}

/// Rows of a scores file (`bagdar report` input) against the demo instrument: the first
/// line is the header; the rows that parse go into a report.
pub fn scores_rows(data: &[u8]) {
    let instrument = demo();
    let text = String::from_utf8_lossy(cut(data));
    let mut lines = text.lines();
    let Some(header) = lines.next() else {
        return;
    };
    let header: Vec<&str> = header.split(',').collect();
    let Ok(layout) = ScoresLayout::from_header(&header, instrument) else {
        return;
    };
    let Ok(mut builder) =
        ReportBuilder::new(instrument, &layout.profiles(), ReportSettings::default())
    else {
        return;
    };
    let mut added = 0;
    for (row, line) in lines.enumerate() {
        let fields: Vec<&str> = line.split(',').collect();
        if let Ok(student) = layout.read(row as u64 + 1, &fields) {
            builder.add(&student).expect("a parsed row fits its layout");
            added += 1;
        }
    }
    let report = builder.finish();
    if let Some(n) = report.total.students {
        assert_eq!(n, added);
    }
}

/// A fuzz entry point.
pub type Target = fn(&[u8]);

/// Compiling a CAT engine (log-probability, information and KL tables of all items on
/// the grids) is most of a session's cost. Engines larger than this (grid points plus
/// KL points) are not compiled at all: the input is skipped.
const MAX_CAT_POINTS: usize = 7_000;
/// Engines up to this size are kept for reuse ...
const CACHED_CAT_POINTS: usize = 1_500;
/// ... and at most this many of them (the cache is emptied when full).
const CACHED_CAT_ENGINES: usize = 32;

fn cat_points(settings: &crate::cat::CatSettings) -> usize {
    use crate::cat::Criterion;
    let kl = match settings.selection.criterion {
        Criterion::Kl => settings.selection.kl_points,
        _ => 0,
    };
    settings.estimation.scoring.grid.points.saturating_add(kl)
}

/// The demo instrument's CAT engine for `settings`, compiled once per distinct settings
/// value (the settings' `Debug` text is the key) and shared by every input that uses
/// them: the defaults, the seeds' settings and each settings the fuzzer keeps. The
/// engine is immutable; sessions only read it.
///
/// # Errors
///
/// As [`crate::cat::CatEngine::new`] (errors are not cached: each input re-checks).
fn cat_engine(
    settings: crate::cat::CatSettings,
) -> crate::Result<std::sync::Arc<crate::cat::CatEngine>> {
    use crate::cat::CatEngine;
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, PoisonError};
    static ENGINES: OnceLock<Mutex<HashMap<String, Arc<CatEngine>>>> = OnceLock::new();
    let engines = ENGINES.get_or_init(Mutex::default);
    let key = format!("{settings:?}");
    if let Some(engine) = engines
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&key)
    {
        return Ok(engine.clone());
    }
    let cacheable = cat_points(&settings) <= CACHED_CAT_POINTS;
    let engine = Arc::new(CatEngine::new(demo(), settings)?);
    if cacheable {
        let mut engines = engines.lock().unwrap_or_else(PoisonError::into_inner);
        if engines.len() >= CACHED_CAT_ENGINES {
            engines.clear();
        }
        engines.insert(key, engine.clone());
    }
    Ok(engine)
}

/// A CAT session: bytes up to the first 0xFF are a saved session (resumed) or CAT
/// settings (a new session starts); each byte after it is one step — answer the
/// pending item with option `b % (options + 1)` (the extra one is out of range), or,
/// when the top bit is set, answer some other item. The final state must resume to
/// itself.
///
/// Engines are compiled through [`cat_engine`] (once per distinct settings), so an
/// execution costs the session's own steps, not the tables; settings whose grids are
/// too large to compile quickly are skipped.
pub fn cat_session(data: &[u8]) {
    use crate::cat::{CatSession, CatSettings};
    let data = cut(data);
    let instrument = demo();
    let split = data.iter().position(|&b| b == 0xff).unwrap_or(data.len());
    let (state, script) = (&data[..split], data.get(split + 1..).unwrap_or(&[]));
    let text = String::from_utf8_lossy(state);
    let mut too_large = false;
    let resumed = CatSession::from_json_with(&text, instrument, |settings| {
        if cat_points(&settings) > MAX_CAT_POINTS {
            too_large = true;
            return Err(crate::Error::setting("fuzz", "too large to compile"));
        }
        cat_engine(settings)
    });
    if too_large {
        return;
    }
    let mut session = match resumed {
        Ok(session) => session,
        Err(_) => {
            let settings = CatSettings::from_json(&text).unwrap_or_default();
            if cat_points(&settings) > MAX_CAT_POINTS {
                return;
            }
            let seed = state
                .iter()
                .fold(0u64, |h, &b| h.wrapping_mul(31) ^ u64::from(b));
            // As `CatSession::start`, on the shared engine.
            match cat_engine(settings)
                .and_then(|engine| CatSession::with_engine(engine, "kk", seed))
            {
                Ok(session) => session,
                Err(_) => return,
            }
        }
    };
    for &b in script.iter().take(30) {
        let next = match session.next_item(instrument) {
            Ok(next) => next,
            Err(_) => return,
        };
        let Some(next) = next else {
            assert!(session.answer(instrument, "SO01", 1, None).is_err());
            return;
        };
        let item = if b & 0x80 != 0 {
            instrument.definition().items[usize::from(b) % instrument.items().len()]
                .id
                .clone()
        } else {
            next.item.clone()
        };
        let options = next.options.len();
        let k = usize::from(b & 0x7f) % (options + 1);
        let value = next.options.get(k).map_or(i64::from(b) + 100, |o| o.value);
        let answered = session.answer(instrument, &item, value, None);
        assert_eq!(answered.is_ok(), item == next.item && k < options);
    }
    // Resuming replays the whole log: checked once, at the end. The engine comes from
    // the settings as saved (a settings value that does not round-trip compiles anew).
    let saved = session.to_json().expect("a session saves");
    let resumed = CatSession::from_json_with(&saved, instrument, cat_engine)
        .expect("a saved session resumes");
    assert_eq!(resumed.to_json().expect("saves again"), saved);
}

/// Every entry point by name, for the regression runner.
pub const TARGETS: &[(&str, Target)] = &[
    ("instrument", instrument),
    ("response_rows", response_rows),
    ("settings", settings),
    ("binding_arguments", binding_arguments),
    ("scores_rows", scores_rows),
    ("cat_session", cat_session),
];
