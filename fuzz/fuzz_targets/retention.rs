#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| ember_core::fuzzing::retention(data));
