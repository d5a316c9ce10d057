#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| cpom_fuzz::run(cpom_import::robustness::Reader::Authorisations, data));
