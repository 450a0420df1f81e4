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

mod refer {
    use cc_sip::headers::{
        Event, ReferTo, SubscriptionState, percent_decode, percent_encode, refer_to_value,
    };
    use cc_sip::sipfrag::{StatusFrag, status_body};
    use cc_sip::{NameAddr, Replaces};
    use proptest::prelude::*;

    use super::header_like;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn refer_to_and_referred_by_never_panic(text in header_like()) {
            if let Ok(r) = ReferTo::parse(&text) {
                let _ = (r.target(), r.replaces());
            }
            let _ = NameAddr::parse(&text, "Referred-By");
        }

        #[test]
        fn event_and_subscription_state_never_panic(text in header_like()) {
            let _ = Event::parse(&text);
            let _ = SubscriptionState::parse(&text);
        }

        #[test]
        fn sipfrag_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            let _ = StatusFrag::parse(&bytes);
        }

        #[test]
        fn sipfrag_reads_back(code in 100u16..700, reason in "[A-Za-z][A-Za-z ]{0,20}[A-Za-z]") {
            let body = status_body(code, &reason);
            let f = StatusFrag::parse(body.as_bytes()).unwrap();
            prop_assert_eq!((f.code, f.reason), (code, reason.as_str()));
        }

        #[test]
        fn an_embedded_replaces_reads_back(
            call_id in "[a-zA-Z0-9.!%*_+`'~-]{1,12}(@[a-z0-9.-]{1,10})?",
            to_tag in "[a-zA-Z0-9]{1,10}",
            from_tag in "[a-zA-Z0-9]{1,10}",
            early in any::<bool>(),
        ) {
            let mut replaces = format!("{call_id};to-tag={to_tag};from-tag={from_tag}");
            if early {
                replaces.push_str(";early-only");
            }
            let value = refer_to_value("sip:carol@example.com:5060", Some(&replaces));
            let refer = ReferTo::parse(&value).unwrap();
            prop_assert_eq!(refer.target(), "sip:carol@example.com:5060");
            let decoded = refer.replaces().unwrap().unwrap();
            let r = Replaces::parse(&decoded).unwrap();
            prop_assert_eq!((r.call_id, r.to_tag, r.from_tag, r.early_only), (call_id.as_str(), to_tag.as_str(), from_tag.as_str(), early));
        }

        #[test]
        fn percent_coding_round_trips(text in "[ -~é漢]{0,30}") {
            prop_assert_eq!(percent_decode(&percent_encode(&text)), Some(text));
        }

        #[test]
        fn percent_decoding_never_panics(text in "[%0-9a-fA-Fxyz]{0,20}") {
            let _ = percent_decode(&text);
        }
    }
}
