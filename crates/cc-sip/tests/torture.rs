//! RFC 4475 torture messages and RFC 5118 IPv6 messages, checked the way the
//! `sip_parse` example checks a file (parse + validate).
//!
//! `torture/*.dat` are the messages of RFC 4475 §3 with CRLF line ends (the RFC's
//! Content-Length values count CRLF). `rfc5118/*.sip` follow RFC 5118 §4.

use std::path::PathBuf;

use cc_sip::{Error, check_message_file};

fn path(dir: &str, name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(dir)
        .join(name)
}

/// RFC 4475 messages an element must accept as syntactically valid (§3.1.1, and §3.2/§3.3
/// messages whose problems are semantic: unknown schemes, unsupported extensions,
/// unknown content types, Max-Forwards 0, RFC 2543 style).
const VALID: &[&str] = &[
    "wsinv",
    "intmeth",
    "esc01",
    "escnull",
    "esc02",
    "lwsdisp",
    "longreq",
    "dblreq",
    "semiuri",
    "transports",
    "mpart01",
    "unreason",
    "noreason",
    "badbranch",
    "unkscm",
    "novelsc",
    "unksm2",
    "bext01",
    "invut",
    "regaut01",
    "bcast",
    "zeromf",
    "cparam01",
    "cparam02",
    "regescrt",
    "sdp01",
    "inv2543",
];

/// RFC 4475 messages that are not well-formed (§3.1.2), or that break RFC 3261 rules the
/// message layer enforces (§3.2.2 insuf, §3.2.9 multi01, §3.2.10 mcl01, §3.1.2.3 ncl).
const INVALID: &[(&str, &str)] = &[
    ("badinv01", "parameter name is empty"),
    ("clerr", "Content-Length is 9999"),
    ("scalar02", "CSeq"),
    ("scalarlg", "CSeq"),
    ("quotbal", "not terminated"),
    ("ltgtruri", "scheme"),
    ("lwsruri", "exactly one SP"),
    ("lwsstart", "Request-URI is missing"),
    ("trws", "exactly one SP"),
    ("escruri", "URI headers"),
    ("baddate", "GMT"),
    ("regbadct", "enclosed in <...>"),
    ("badaspec", "white space"),
    ("baddn", "display name"),
    ("badvers", "SIP/7.0"),
    ("mismatch01", "does not match request method"),
    ("mismatch02", "does not match request method"),
    ("bigcode", "4294967301"),
    ("insuf", "missing"),
    ("multi01", "appears 2 times"),
    ("mcl01", "different values"),
    ("ncl", "Content-Length"),
];

#[test]
fn valid_rfc4475_messages_pass() {
    let failures: Vec<String> = VALID
        .iter()
        .filter_map(|name| {
            check_message_file(path("torture", &format!("{name}.dat")))
                .err()
                .map(|e| format!("{name}: {e}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "valid messages rejected:\n{}",
        failures.join("\n")
    );
}

#[test]
fn invalid_rfc4475_messages_fail_naming_the_problem() {
    let mut problems = Vec::new();
    for (name, expected) in INVALID {
        match check_message_file(path("torture", &format!("{name}.dat"))) {
            Ok(summary) => problems.push(format!("{name}: accepted as {summary}")),
            Err(e) if !e.to_string().contains(expected) => {
                problems.push(format!("{name}: error {e:?} does not mention {expected:?}"));
            }
            Err(_) => {}
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_torture_file_is_classified() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/torture");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".dat").map(str::to_owned))
        .collect();
    names.sort();
    for name in names {
        assert!(
            VALID.contains(&name.as_str()) || INVALID.iter().any(|(n, _)| *n == name),
            "{name} is neither in VALID nor INVALID"
        );
    }
}

#[test]
fn rfc5118_ipv6_messages() {
    for good in [
        "ipv6-good.sip",
        "port-ambiguous.sip",
        "port-unambiguous.sip",
        "via-received-brackets.sip",
        "via-received-bare.sip",
        "mult-ip-in-header.sip",
        "ipv4-mapped.sip",
    ] {
        if let Err(e) = check_message_file(path("rfc5118", good)) {
            panic!("{good} rejected: {e}");
        }
    }
    for bad in [
        "ipv6-bad-unclosed.sip",
        "ipv6-bad-unbracketed.sip",
        "ipv6-bad-contact.sip",
    ] {
        let err = check_message_file(path("rfc5118", bad)).expect_err(bad);
        assert!(
            err.to_string().contains("IPv6") || err.to_string().contains("bracket"),
            "{bad}: {err}"
        );
    }
}

#[test]
fn unreadable_files_are_errors() {
    assert!(matches!(
        check_message_file(path("torture", "no-such-file.dat")),
        Err(Error::Unreadable { .. })
    ));
}

#[test]
fn oversized_files_report_their_size() {
    let dir = std::env::temp_dir().join(format!("cc-sip-big-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("big.sip");
    std::fs::write(&file, vec![b'a'; 70_000]).unwrap();
    let err = check_message_file(&file).unwrap_err();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        err,
        Error::MessageTooLarge {
            size: 70_000,
            max: 65_535
        }
    );
}
