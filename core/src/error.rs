//! The one error type of the engine.
//!
//! Every public function that can fail returns [`Result`]. Variants say what went wrong
//! and where (item id, person row, field), so a surface (CLI, Python, WASM) can show the
//! message as it is.

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the engine.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A model parameter is not finite or outside its allowed range.
    #[error("item {item}: {field} = {value} is not allowed ({reason})")]
    InvalidParameter {
        /// Item id (or index when the item has no id).
        item: String,
        /// Parameter name, e.g. `slope`, `intercepts[2]`, `guessing`.
        field: String,
        /// The offending value.
        value: f64,
        /// What the value must satisfy.
        reason: &'static str,
    },
    /// A list has the wrong length (thresholds for a model, options for an item, …).
    #[error("item {item}: {field} has {found} entries, expected {expected}")]
    WrongCount {
        /// Item id.
        item: String,
        /// Field name.
        field: String,
        /// Expected length (or minimum, as the message of the caller says).
        expected: usize,
        /// Length found.
        found: usize,
    },
    /// A response is outside the item's categories.
    #[error("person {person}, item {item}: response {value} is outside the categories 0..={max}")]
    ResponseOutOfRange {
        /// Person (row) index, 0-based.
        person: usize,
        /// Item id or index.
        item: String,
        /// The response as given.
        value: i64,
        /// Highest allowed category.
        max: usize,
    },
    /// A raw answer is not one of the item's option values.
    #[error("person {person}, item {item}: answer {value} is not one of the options {allowed}")]
    InvalidAnswer {
        /// Person (row) index, 0-based.
        person: usize,
        /// Item id.
        item: String,
        /// The answer as given.
        value: String,
        /// The allowed option values, e.g. `1..5`.
        allowed: String,
    },
    /// The response matrix and the item list disagree in size.
    #[error("responses have {found} item columns but {expected} items were given")]
    WrongItemCount {
        /// Number of items.
        expected: usize,
        /// Number of columns in the data.
        found: usize,
    },
    /// The data buffer does not have persons × items entries.
    #[error("response buffer has {found} entries, expected {persons} persons × {items} items")]
    WrongDataLength {
        /// Persons.
        persons: usize,
        /// Items.
        items: usize,
        /// Entries found.
        found: usize,
    },
    /// Estimation settings are invalid (quadrature, prior, bounds, …).
    #[error("invalid setting {setting}: {reason}")]
    InvalidSetting {
        /// Which setting.
        setting: String,
        /// Why.
        reason: String,
    },
    /// The instrument JSON could not be read.
    #[error("instrument JSON, line {line}, column {column}: {message}")]
    InstrumentSyntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// Parser message.
        message: String,
    },
    /// The instrument parsed but breaks a rule of the format.
    #[error("instrument {location}: {message}")]
    InvalidInstrument {
        /// Where: e.g. `item SO03, field scale`.
        location: String,
        /// What rule is broken.
        message: String,
    },
    /// A text lacks one of the instrument's languages.
    #[error("instrument {location}: missing {language} translation")]
    MissingTranslation {
        /// Where: e.g. `item SO03, stem`.
        location: String,
        /// Language code (`kk`, `ru`, `en`).
        language: String,
    },
    /// Two things share an id.
    #[error("instrument: duplicate {kind} id {id:?}")]
    DuplicateId {
        /// `item`, `scale`, `profile`, …
        kind: &'static str,
        /// The repeated id.
        id: String,
    },
    /// An id was referenced but does not exist.
    #[error("unknown {kind} {id:?}{context}")]
    UnknownId {
        /// `scale`, `item`, `profile`, `option set`, `language`, …
        kind: &'static str,
        /// The id.
        id: String,
        /// Extra location text, e.g. ` (item SO03)`; may be empty.
        context: String,
    },
    /// An item to calibrate has no responses at all.
    #[error("item {item}: no responses, its parameters cannot be estimated")]
    NoResponses {
        /// Item id or index.
        item: String,
    },
    /// A category of an item to calibrate is never observed, so a parameter of that
    /// category has no finite estimate.
    #[error(
        "item {item}: category {category} of 0..={max} is never observed, its parameter cannot be estimated"
    )]
    UnobservedCategory {
        /// Item id or index.
        item: String,
        /// The category nobody chose.
        category: usize,
        /// Highest category of the item.
        max: usize,
    },
    /// Estimation produced a value that is not finite.
    #[error("calibration, iteration {iteration}: {what} is not finite")]
    NumericalFailure {
        /// EM iteration (0 = starting values).
        iteration: usize,
        /// What failed, e.g. `log-likelihood` or `item 3 parameters`.
        what: String,
    },
    /// An estimated slope fell to (numerically) zero: the item does not discriminate
    /// in the direction of the scale.
    #[error(
        "item {item}: the estimated slope {slope:e} is effectively 0; is the item reverse-keyed or unrelated to the scale?"
    )]
    DegenerateSlope {
        /// Item id or index.
        item: String,
        /// The estimate.
        slope: f64,
    },
    /// A calibration ended without converging and the caller required convergence.
    #[error("calibration did not converge: {status} after {iterations} iterations")]
    NotConverged {
        /// How it ended (`iteration_limit`, `likelihood_decreased`).
        status: &'static str,
        /// Iterations run.
        iterations: usize,
    },
    /// The instrument's format version is not one this build reads.
    #[error("instrument format_version {found} is not supported (this build reads {supported})")]
    UnsupportedFormatVersion {
        /// Version in the file.
        found: u32,
        /// Version supported.
        supported: u32,
    },
    /// A profile's cut is a percentile of the norm group but no norms cover it.
    #[error(
        "profile {profile}: the cut is a percentile of the norm group, but the norms have no composite for it"
    )]
    MissingNorms {
        /// Profile id.
        profile: String,
    },
    /// Norms, item pairs or explanation texts (data files of the decision step) are
    /// malformed.
    #[error("{file}: {location}: {message}")]
    InvalidDecisionData {
        /// Which data: `norms`, `item pairs`, `explanations`.
        file: &'static str,
        /// Where in it: a key, a scale, a line.
        location: String,
        /// What is wrong.
        message: String,
    },
    /// A statistic that needs complete data met a missing response.
    #[error("{statistic} needs complete data: person {person}, item {item} is missing")]
    MissingResponse {
        /// Which statistic (`M2`, `S-X2`, …).
        statistic: &'static str,
        /// Person (row) index, 0-based.
        person: usize,
        /// Item index.
        item: String,
    },
    /// Too few persons for a statistic.
    #[error("{statistic} needs at least {needed} persons, found {found}")]
    TooFewPersons {
        /// Which statistic.
        statistic: &'static str,
        /// Minimum.
        needed: usize,
        /// Persons available.
        found: usize,
    },
    /// A per-person vector (θ, groups) has the wrong length.
    #[error("{what} has {found} entries, expected one per person ({expected})")]
    WrongLength {
        /// Which vector (`theta`, `groups`).
        what: &'static str,
        /// Persons.
        expected: usize,
        /// Entries found.
        found: usize,
    },
    /// The group labels cannot define the comparison asked for.
    #[error("groups: {message}")]
    InvalidGroups {
        /// What is wrong.
        message: String,
    },
    /// A fit statistic has no degrees of freedom: the model has as many parameters as
    /// the statistic has moments.
    #[error(
        "{statistic}: {moments} moments but {parameters} estimated parameters leave no degrees of freedom"
    )]
    NoDegreesOfFreedom {
        /// Which statistic.
        statistic: &'static str,
        /// Moments (or cells) of the statistic.
        moments: usize,
        /// Estimated parameters.
        parameters: usize,
    },
    /// Response times do not fit the instrument.
    #[error("person {person}: {message}")]
    InvalidTimings {
        /// Person (row) index, 0-based.
        person: usize,
        /// What is wrong (count, a negative or non-finite time).
        message: String,
    },
    /// A CAT answer names an item that is not the one waiting for an answer.
    #[error("CAT session: answer for item {item:?}, but {}", match pending { Some(p) => format!("the item asked is {p:?}"), None => "no item is waiting for an answer (call next_item first)".to_string() })]
    CatItemNotPending {
        /// The item id given.
        item: String,
        /// The item waiting for an answer, if any.
        pending: Option<String>,
    },
    /// A CAT answer is not one of the item's option values.
    #[error("CAT session, item {item}: answer {value} is not one of the options {allowed}")]
    CatInvalidAnswer {
        /// Item id.
        item: String,
        /// The answer as given.
        value: i64,
        /// The allowed option values, e.g. `1..5`.
        allowed: String,
    },
    /// A CAT session that has stopped was given another answer.
    #[error("CAT session stopped ({reason}) after {items} items; no more answers are taken")]
    CatStopped {
        /// Why it stopped.
        reason: String,
        /// Items administered.
        items: usize,
    },
    /// A saved CAT session belongs to another instrument version.
    #[error(
        "CAT session was started with instrument checksum {session}, but this instrument has {instrument}"
    )]
    ChecksumMismatch {
        /// Checksum stored in the session.
        session: String,
        /// Checksum of the instrument given.
        instrument: String,
    },
    /// A saved CAT session is not valid JSON or has fields of the wrong type
    /// (corrupted or truncated).
    #[error("CAT session JSON, line {line}, column {column}: {message}")]
    SessionSyntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// Parser message.
        message: String,
    },
    /// A saved CAT session parsed but is not a state this engine can resume (wrong
    /// format or version, or a response log that replay does not reproduce).
    #[error("CAT session {location}: {message}")]
    InvalidSession {
        /// Where: a field or a log step.
        location: String,
        /// What is wrong.
        message: String,
    },
    /// A response record (the web form's download) is malformed or inconsistent.
    #[error("response record, {location}: {message}")]
    InvalidRecord {
        /// Where: a field or a response.
        location: String,
        /// What is wrong.
        message: String,
    },
    /// Linking: the base and new lists of common items differ in length.
    #[error(
        "linking: {base} items from the base form but {new} from the new form; give each common item's parameters from both"
    )]
    CommonItemCount {
        /// Items given for the base form.
        base: usize,
        /// Items given for the new form.
        new: usize,
    },
    /// Linking: too few common items for the method.
    #[error("linking by {method} needs at least {needed} common items, found {found}{context}")]
    TooFewCommonItems {
        /// The linking method.
        method: &'static str,
        /// Minimum.
        needed: usize,
        /// Common items given.
        found: usize,
        /// Where, e.g. ` on scale verbal`; may be empty.
        context: String,
    },
    /// Linking: a common item has a different model family or number of categories on
    /// the two forms.
    #[error("linking, common item {item}: {base} on the base form but {new} on the new form")]
    CommonItemMismatch {
        /// Item id or index.
        item: String,
        /// Model and categories on the base form, e.g. `grm with 4 categories`.
        base: String,
        /// Model and categories on the new form.
        new: String,
    },
    /// Linking by mean/sigma: the difficulties of one form have no spread.
    #[error(
        "linking by mean_sigma: the {difficulties} difficulties of the common items on the {form} form all equal, their standard deviation is 0 (use mean_mean or a characteristic-curve method)"
    )]
    ZeroDifficultySpread {
        /// `base` or `new`.
        form: &'static str,
        /// Number of difficulties and thresholds.
        difficulties: usize,
    },
}

/// What kind of problem an error is; each surface maps it to its own error class
/// (Python: `InstrumentError`, `ResponseDataError`, `SettingsError`, `ConvergenceError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCategory {
    /// The instrument or item parameters break a rule.
    Instrument,
    /// Response data do not fit the items.
    ResponseData,
    /// Settings (including an unknown id asked for by the caller).
    Settings,
    /// An estimation failed numerically or did not converge.
    Convergence,
}

impl ErrorCategory {
    /// The class name the surfaces use: `InstrumentError`, `ResponseDataError`,
    /// `SettingsError` or `ConvergenceError`.
    pub fn class_name(self) -> &'static str {
        match self {
            ErrorCategory::Instrument => "InstrumentError",
            ErrorCategory::ResponseData => "ResponseDataError",
            ErrorCategory::Settings => "SettingsError",
            ErrorCategory::Convergence => "ConvergenceError",
        }
    }
}

impl Error {
    /// The same error with the item it names (if any) renamed by `rename`: a fit on
    /// derived columns reports the items as the caller knows them.
    pub(crate) fn map_item(self, rename: impl Fn(String) -> String) -> Error {
        match self {
            Error::InvalidParameter {
                item,
                field,
                value,
                reason,
            } => Error::InvalidParameter {
                item: rename(item),
                field,
                value,
                reason,
            },
            Error::NoResponses { item } => Error::NoResponses { item: rename(item) },
            Error::UnobservedCategory {
                item,
                category,
                max,
            } => Error::UnobservedCategory {
                item: rename(item),
                category,
                max,
            },
            Error::DegenerateSlope { item, slope } => Error::DegenerateSlope {
                item: rename(item),
                slope,
            },
            other => other,
        }
    }

    /// A stable snake_case code for the variant (the WASM `Error.code`, the bad-input
    /// corpus's expected errors).
    ///
    /// ```
    /// let e = bagdar::instrument::Instrument::from_json("").unwrap_err();
    /// assert_eq!(e.code(), "instrument_syntax");
    /// assert_eq!(e.category().class_name(), "InstrumentError");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidParameter { .. } => "invalid_parameter",
            Error::WrongCount { .. } => "wrong_count",
            Error::ResponseOutOfRange { .. } => "response_out_of_range",
            Error::InvalidAnswer { .. } => "invalid_answer",
            Error::WrongItemCount { .. } => "wrong_item_count",
            Error::WrongDataLength { .. } => "wrong_data_length",
            Error::InvalidSetting { .. } => "invalid_setting",
            Error::InstrumentSyntax { .. } => "instrument_syntax",
            Error::InvalidInstrument { .. } => "invalid_instrument",
            Error::MissingTranslation { .. } => "missing_translation",
            Error::DuplicateId { .. } => "duplicate_id",
            Error::UnknownId { .. } => "unknown_id",
            Error::NoResponses { .. } => "no_responses",
            Error::UnobservedCategory { .. } => "unobserved_category",
            Error::NumericalFailure { .. } => "numerical_failure",
            Error::DegenerateSlope { .. } => "degenerate_slope",
            Error::NotConverged { .. } => "not_converged",
            Error::UnsupportedFormatVersion { .. } => "unsupported_format_version",
            Error::MissingNorms { .. } => "missing_norms",
            Error::InvalidDecisionData { .. } => "invalid_decision_data",
            Error::InvalidTimings { .. } => "invalid_timings",
            Error::MissingResponse { .. } => "missing_response",
            Error::TooFewPersons { .. } => "too_few_persons",
            Error::WrongLength { .. } => "wrong_length",
            Error::InvalidGroups { .. } => "invalid_groups",
            Error::NoDegreesOfFreedom { .. } => "no_degrees_of_freedom",
            Error::CatItemNotPending { .. } => "cat_item_not_pending",
            Error::CatInvalidAnswer { .. } => "cat_invalid_answer",
            Error::CatStopped { .. } => "cat_stopped",
            Error::ChecksumMismatch { .. } => "checksum_mismatch",
            Error::SessionSyntax { .. } => "session_syntax",
            Error::InvalidSession { .. } => "invalid_session",
            Error::InvalidRecord { .. } => "invalid_record",
            Error::CommonItemCount { .. } => "common_item_count",
            Error::TooFewCommonItems { .. } => "too_few_common_items",
            Error::CommonItemMismatch { .. } => "common_item_mismatch",
            Error::ZeroDifficultySpread { .. } => "zero_difficulty_spread",
        }
    }

    /// The kind of problem, for the surfaces' error classes.
    pub fn category(&self) -> ErrorCategory {
        match self {
            Error::InvalidParameter { .. }
            | Error::WrongCount { .. }
            | Error::InstrumentSyntax { .. }
            | Error::InvalidInstrument { .. }
            | Error::MissingTranslation { .. }
            | Error::DuplicateId { .. }
            | Error::UnsupportedFormatVersion { .. }
            | Error::ChecksumMismatch { .. }
            | Error::CommonItemCount { .. }
            | Error::TooFewCommonItems { .. }
            | Error::CommonItemMismatch { .. }
            | Error::ZeroDifficultySpread { .. } => ErrorCategory::Instrument,
            Error::ResponseOutOfRange { .. }
            | Error::InvalidAnswer { .. }
            | Error::WrongItemCount { .. }
            | Error::WrongDataLength { .. }
            | Error::NoResponses { .. }
            | Error::UnobservedCategory { .. }
            | Error::InvalidDecisionData { .. }
            | Error::InvalidTimings { .. }
            | Error::MissingResponse { .. }
            | Error::TooFewPersons { .. }
            | Error::WrongLength { .. }
            | Error::InvalidGroups { .. }
            | Error::CatItemNotPending { .. }
            | Error::CatInvalidAnswer { .. }
            | Error::CatStopped { .. }
            | Error::SessionSyntax { .. }
            | Error::InvalidSession { .. }
            | Error::InvalidRecord { .. } => ErrorCategory::ResponseData,
            Error::InvalidSetting { .. }
            | Error::UnknownId { .. }
            | Error::MissingNorms { .. }
            | Error::NoDegreesOfFreedom { .. } => ErrorCategory::Settings,
            Error::NumericalFailure { .. }
            | Error::DegenerateSlope { .. }
            | Error::NotConverged { .. } => ErrorCategory::Convergence,
        }
    }

    /// Shorthand for [`Error::InvalidSetting`].
    pub(crate) fn setting(setting: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidSetting {
            setting: setting.into(),
            reason: reason.into(),
        }
    }

    /// Shorthand for [`Error::InvalidInstrument`].
    pub(crate) fn instrument(location: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidInstrument {
            location: location.into(),
            message: message.into(),
        }
    }
}
