//! SDP properties: parse(print(s)) == s for generated descriptions; no input, however
//! broken, makes the parser or offer/answer panic.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use cc_sip::sdp::{
    Attribute, Bandwidth, Connection, Direction, LocalMedia, MediaDescription, Origin, Rtcp, RtpMap,
    SdpAnswer, SdpOffer, SdpSession, SessionDescription, Timing, negotiated_from_answer, parse,
};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

const CARRIER_INVITE: &[u8] = include_bytes!("data/carrier-invite.sip");

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9!#$%&'*+.^_`{|}~-]{1,10}"
}

/// Free text for `s=`, `i=`, `u=`, `e=`, `p=`... (printable, possibly empty).
fn text() -> impl Strategy<Value = String> {
    "[ -~é]{0,20}"
}

/// A field without spaces.
fn field() -> impl Strategy<Value = String> {
    "[!-~]{1,12}"
}

fn connection() -> impl Strategy<Value = Connection> {
    prop_oneof![
        (any::<[u8; 4]>(), option::of(1u8..=255)).prop_map(|(o, ttl)| {
            let mut c = Connection::from_ip(IpAddr::V4(Ipv4Addr::from(o)));
            if let Some(ttl) = ttl {
                c.address = format!("{}/{ttl}", c.address);
            }
            c
        }),
        any::<[u16; 8]>().prop_map(|s| Connection::from_ip(IpAddr::V6(Ipv6Addr::from(s)))),
        ("IP4|IP6", "[a-z][a-z0-9.-]{0,12}").prop_map(|(t, host)| Connection {
            net_type: "IN".to_owned(),
            addr_type: t,
            address: host,
        }),
    ]
}

fn bandwidth() -> impl Strategy<Value = Bandwidth> {
    (token(), any::<u64>()).prop_map(|(kind, value)| Bandwidth { kind, value })
}

const KNOWN: [&str; 11] = [
    "rtpmap", "fmtp", "ptime", "maxptime", "rtcp", "rtcp-mux", "mid", "sendrecv", "sendonly", "recvonly",
    "inactive",
];

fn direction() -> impl Strategy<Value = Direction> {
    prop_oneof![
        Just(Direction::SendRecv),
        Just(Direction::SendOnly),
        Just(Direction::RecvOnly),
        Just(Direction::Inactive),
    ]
}

fn attribute() -> impl Strategy<Value = Attribute> {
    prop_oneof![
        (0u8..=127, token(), any::<u32>(), option::of(any::<u16>())).prop_map(
            |(payload_type, encoding, clock_rate, channels)| {
                Attribute::RtpMap(RtpMap {
                    payload_type,
                    encoding,
                    clock_rate,
                    channels,
                })
            }
        ),
        (token(), text()).prop_map(|(format, params)| Attribute::Fmtp { format, params }),
        any::<u32>().prop_map(Attribute::Ptime),
        any::<u32>().prop_map(Attribute::MaxPtime),
        direction().prop_map(Attribute::Direction),
        (any::<u16>(), option::of(connection()))
            .prop_map(|(port, connection)| Attribute::Rtcp(Rtcp { port, connection })),
        Just(Attribute::RtcpMux),
        field().prop_map(Attribute::Mid),
        (token(), option::of(text()))
            .prop_filter("not a typed attribute", |(n, _)| !KNOWN.contains(&n.as_str()))
            .prop_map(|(name, value)| Attribute::Other { name, value }),
    ]
}

fn media() -> impl Strategy<Value = MediaDescription> {
    (
        (
            token(),
            any::<u16>(),
            option::of(any::<u16>()),
            vec(token(), 1..4).prop_map(|p| p.join("/")),
            vec(token(), 0..6),
        ),
        option::of(text()),
        vec(connection(), 0..3),
        vec(bandwidth(), 0..2),
        option::of(text()),
        vec(attribute(), 0..10),
    )
        .prop_map(
            |(
                (kind, port, port_count, proto, formats),
                information,
                connections,
                bandwidths,
                key,
                attributes,
            )| {
                let mut m = MediaDescription::new(&kind, port, &proto, formats);
                m.port_count = port_count;
                m.information = information;
                m.connections = connections;
                m.bandwidths = bandwidths;
                m.key = key;
                m.attributes = attributes;
                m
            },
        )
}

fn origin() -> impl Strategy<Value = Origin> {
    (field(), "[0-9]{1,20}", any::<u64>(), connection()).prop_map(
        |(username, session_id, session_version, c)| Origin {
            username,
            session_id,
            session_version,
            net_type: c.net_type,
            addr_type: c.addr_type,
            address: c.address,
        },
    )
}

fn timing() -> impl Strategy<Value = Timing> {
    (any::<u64>(), any::<u64>(), vec(text(), 0..2)).prop_map(|(start, stop, repeats)| Timing {
        start,
        stop,
        repeats,
    })
}

fn description() -> impl Strategy<Value = SessionDescription> {
    (
        (origin(), text(), option::of(text()), option::of(text())),
        (
            vec(text(), 0..2),
            vec(text(), 0..2),
            option::of(connection()),
            vec(bandwidth(), 0..2),
        ),
        (vec(timing(), 0..3), option::of(text()), option::of(text())),
        vec(attribute(), 0..6),
        vec(media(), 0..4),
    )
        .prop_map(
            |(
                (origin, session_name, information, uri),
                (emails, phones, connection, bandwidths),
                (timings, time_zones, key),
                attributes,
                media,
            )| SessionDescription {
                origin,
                session_name,
                information,
                uri,
                emails,
                phones,
                connection,
                bandwidths,
                timings,
                time_zones,
                key,
                attributes,
                media,
            },
        )
}

/// Line-shaped noise: SDP type letters with fragments of real values.
fn sdp_like() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        Just("v=0".to_owned()),
        Just("o=- 1 1 IN IP4 192.0.2.1".to_owned()),
        Just("s=-".to_owned()),
        Just("c=IN IP4 0.0.0.0".to_owned()),
        Just("t=0 0".to_owned()),
        "m=(audio|video) [0-9]{1,6}(/[0-9])? RTP/(AVP|SAVP) [0-9 ]{0,12}",
        "a=(rtpmap|fmtp|ptime|rtcp|mid|sendonly|rtcp-mux)(:[ -~]{0,16})?",
        "[a-z]=[ -~]{0,20}",
        "[ -~]{0,10}",
    ];
    (vec(line, 0..20), "(\r\n|\n)").prop_map(|(lines, end)| lines.join(&end))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn printed_descriptions_parse_back_equal(sdp in description()) {
        let text = sdp.to_string();
        prop_assert_eq!(parse(text.as_bytes()), Ok(sdp.clone()), "{}", text);
        let lf = text.replace("\r\n", "\n");
        prop_assert_eq!(parse(lf.as_bytes()), Ok(sdp));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..512)) {
        let _ = parse(&bytes);
    }

    #[test]
    fn sdp_like_text_never_panics_and_answers_never_panic(text in sdp_like()) {
        if let Ok(sdp) = parse(text.as_bytes()) {
            prop_assert_eq!(parse(sdp.to_string().as_bytes()), Ok(sdp.clone()));
            let local = LocalMedia::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 30000);
            let mut session = SdpSession::new(1, local.address);
            let _ = session.answer(&SdpOffer(sdp.clone()), &local);
            let ours = session.offer(&local);
            let _ = negotiated_from_answer(&ours, &SdpAnswer(sdp));
        }
    }

    #[test]
    fn mutated_carrier_offers_never_panic(
        edits in vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8)
    ) {
        let body_at = CARRIER_INVITE
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(0, |p| p + 4);
        let mut bytes = CARRIER_INVITE.get(body_at..).unwrap_or_default().to_vec();
        for (at, byte, op) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ => bytes.truncate(i),
            }
        }
        if let Ok(sdp) = parse(&bytes) {
            let local = LocalMedia::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 30000);
            let _ = SdpSession::new(1, local.address).answer(&SdpOffer(sdp), &local);
        }
    }
}
