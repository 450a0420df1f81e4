//! Properties of the RFC 4028 / RFC 3515 header parsers: any text gives a value or an
//! error (never a panic), and well-formed values read back what was written.

use cc_sip::headers::{Refresher, SessionExpires, parse_min_se};
use proptest::prelude::*;

/// Text that looks like header values: digits, separators, tokens, quotes.
fn header_like() -> impl Strategy<Value = String> {
    "[0-9a-zA-Z;=,\"<>@:./ \t-]{0,40}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn session_expires_never_panics(text in header_like()) {
        let _ = SessionExpires::parse(&text);
    }

    #[test]
    fn min_se_never_panics(text in header_like()) {
        let _ = parse_min_se(&text);
    }

    #[test]
    fn session_expires_reads_back(
        delta in any::<u32>(),
        refresher in proptest::option::of(prop_oneof![Just(Refresher::Uac), Just(Refresher::Uas)]),
        extra in proptest::option::of("[a-z]{1,8}=[a-z0-9]{1,8}"),
    ) {
        let mut text = delta.to_string();
        if let Some(r) = refresher {
            text.push_str(";refresher=");
            text.push_str(r.as_str());
        }
        if let Some(e) = extra {
            text.push(';');
            text.push_str(&e);
        }
        let se = SessionExpires::parse(&text);
        prop_assert_eq!(se.ok(), Some(SessionExpires { delta, refresher }));
    }

    #[test]
    fn min_se_reads_back(delta in any::<u32>()) {
        prop_assert_eq!(parse_min_se(&format!("{delta}")).ok(), Some(delta));
    }

    #[test]
    fn a_session_expires_out_of_range_is_an_error(delta in (u64::from(u32::MAX) + 1)..u64::MAX) {
        prop_assert!(SessionExpires::parse(&delta.to_string()).is_err());
    }
}
