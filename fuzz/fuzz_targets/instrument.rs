#![no_main]
//! `cargo fuzz run instrument`: see bagdar::fuzz::instrument.
libfuzzer_sys::fuzz_target!(|data: &[u8]| bagdar::fuzz::instrument(data));
