#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| {
    phananh_fuzz::Target::ReportJson.check(input);
});
