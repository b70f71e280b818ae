#![no_main]
//! `cargo fuzz run settings`: see bagdar::fuzz::settings.
libfuzzer_sys::fuzz_target!(|data: &[u8]| bagdar::fuzz::settings(data));
