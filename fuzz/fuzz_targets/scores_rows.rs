#![no_main]
//! `cargo fuzz run scores_rows`: see bagdar::fuzz::scores_rows.
libfuzzer_sys::fuzz_target!(|data: &[u8]| bagdar::fuzz::scores_rows(data));
