//! Every cc-core text parser on arbitrary input: none may panic, and what parses must
//! print back to text that parses to the same value.
#![no_main]

use cc_core::{Address, AgentId, CallId, Channel, DtmfDigit, Language, PhoneNumber, SipUri};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = AgentId::new(text);
    let _ = CallId::new(text);
    let _ = text.parse::<Channel>();
    let _ = text.parse::<DtmfDigit>();
    let _ = PhoneNumber::normalize(text, 86);
    if let Ok(number) = PhoneNumber::parse_e164(text) {
        assert_eq!(PhoneNumber::parse_e164(number.as_str()).ok(), Some(number));
    }
    if let Ok(uri) = SipUri::parse(text) {
        assert_eq!(SipUri::parse(&uri.to_string()).ok(), Some(uri));
    }
    if let Ok(address) = Address::parse(text) {
        assert_eq!(Address::parse(&address.to_string()).ok(), Some(address));
    }
    if let Ok(lang) = Language::new(text) {
        assert_eq!(Language::new(lang.as_str()).ok(), Some(lang));
    }
});
