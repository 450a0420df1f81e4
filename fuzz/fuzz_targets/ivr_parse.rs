//! The IVR flow parser and checker on arbitrary text: no panic, and a clean parse prints
//! back to text that parses to the same flow.
#![no_main]

use cc_ivr::{Environment, check, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = parse(text);
    for d in &parsed.diagnostics {
        let _ = d.render("fuzz.flow", text);
    }
    if let Some(flow) = parsed.flow {
        let _ = check(&flow, &Environment::unchecked());
        if parsed.diagnostics.is_empty() {
            let printed = flow.to_string();
            let again = parse(&printed);
            assert!(again.diagnostics.is_empty(), "{printed}");
            assert_eq!(again.flow.map(|f| f.to_string()), Some(printed));
        }
    }
});
