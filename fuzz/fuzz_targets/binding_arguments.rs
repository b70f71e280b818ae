#![no_main]
//! `cargo fuzz run binding_arguments`: see bagdar::fuzz::binding_arguments.
libfuzzer_sys::fuzz_target!(|data: &[u8]| bagdar::fuzz::binding_arguments(data));
