#![no_main]
//! `cargo fuzz run cat_session`: see bagdar::fuzz::cat_session.
libfuzzer_sys::fuzz_target!(|data: &[u8]| bagdar::fuzz::cat_session(data));
