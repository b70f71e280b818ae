#![no_main]
//! `cargo fuzz run response_rows`: see bagdar::fuzz::response_rows.
libfuzzer_sys::fuzz_target!(|data: &[u8]| bagdar::fuzz::response_rows(data));
