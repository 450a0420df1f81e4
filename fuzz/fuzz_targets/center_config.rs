//! The center's configuration reader and checker on arbitrary text: no panic, and every
//! refusal names a key path.
#![no_main]

use cc_center::config::CenterConfig;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match CenterConfig::from_toml(text) {
        Ok(config) => {
            for problem in config.check() {
                assert!(!problem.place.is_empty(), "{problem}");
            }
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
