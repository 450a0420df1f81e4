//! SDP and offer/answer against offers written after what carriers, PBXs and softphones
//! send (Asterisk, FreeSWITCH, baresip, SIPp, a WebRTC browser), with hand-checked answers.

use std::net::{IpAddr, SocketAddr};

use cc_sip::Message;
use cc_sip::sdp::{
    Codec, Direction, LocalMedia, NegotiatedCodec, NegotiatedMedia, SdpAnswer, SdpError, SdpOffer,
    SdpSession, negotiated_from_answer,
};

const CARRIER_INVITE: &[u8] = include_bytes!("data/carrier-invite.sip");
const OUR_IP: &str = "198.51.100.20";

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn sock(s: &str) -> Option<SocketAddr> {
    s.parse().ok()
}

fn local() -> LocalMedia {
    LocalMedia::new(ip(OUR_IP), 30000)
}

fn session() -> SdpSession {
    SdpSession::new(4242, ip(OUR_IP))
}

/// Writes `lines` joined with CRLF (each line ends with CRLF).
fn sdp(lines: &[&str]) -> String {
    lines.iter().fold(String::new(), |mut out, l| {
        out.push_str(l);
        out.push_str("\r\n");
        out
    })
}

fn offer(text: &str) -> SdpOffer {
    SdpOffer::parse(text.as_bytes()).unwrap()
}

fn answer_with(text: &str, local: &LocalMedia) -> Result<(SdpAnswer, NegotiatedMedia), SdpError> {
    session().answer(&offer(text), local)
}

fn codec(payload_type: u8, name: &str, clock_rate: u32, channels: u16) -> NegotiatedCodec {
    NegotiatedCodec {
        payload_type,
        name: name.to_owned(),
        clock_rate,
        channels,
    }
}

#[test]
fn carrier_invite_body_is_answered_with_pcma_and_telephone_event() {
    let msg = Message::parse(CARRIER_INVITE).unwrap();
    let offer = SdpOffer::parse(msg.body()).unwrap();
    assert_eq!(
        offer.to_string().as_bytes(),
        msg.body(),
        "prints back byte for byte"
    );
    let (answer, media) = session().answer(&offer, &local()).unwrap();
    assert_eq!(
        answer.to_string(),
        sdp(&[
            "v=0",
            "o=- 4242 4242 IN IP4 198.51.100.20",
            "s=-",
            "c=IN IP4 198.51.100.20",
            "t=0 0",
            "m=audio 30000 RTP/AVP 8 101",
            "a=rtpmap:8 PCMA/8000",
            "a=rtpmap:101 telephone-event/8000",
            "a=fmtp:101 0-16",
            "a=ptime:20",
            "a=sendrecv",
        ])
    );
    assert_eq!(
        media,
        NegotiatedMedia {
            index: 0,
            remote_rtp: sock("203.0.113.10:40000"),
            remote_rtcp: sock("203.0.113.10:40001"),
            codec: codec(8, "PCMA", 8000, 1),
            telephone_event: Some(101),
            ptime: 20,
            direction: Direction::SendRecv,
            rtcp_mux: false,
        }
    );
}

const ASTERISK: &[&str] = &[
    "v=0",
    "o=- 1806373581 1806373581 IN IP4 192.0.2.50",
    "s=Asterisk",
    "c=IN IP4 192.0.2.50",
    "t=0 0",
    "m=audio 10000 RTP/AVP 0 8 3 101",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:3 GSM/8000",
    "a=rtpmap:101 telephone-event/8000",
    "a=fmtp:101 0-16",
    "a=ptime:30",
    "a=maxptime:150",
    "a=sendrecv",
];

#[test]
fn asterisk_offer_our_order_or_theirs_and_ptime_honored() {
    let (answer, media) = answer_with(&sdp(ASTERISK), &local()).unwrap();
    assert_eq!(media.codec, codec(8, "PCMA", 8000, 1), "our order: PCMA first");
    assert_eq!(media.ptime, 30, "the offer's ptime is honored");
    assert!(answer.to_string().contains("m=audio 30000 RTP/AVP 8 101\r\n"));
    assert!(answer.to_string().contains("a=ptime:30\r\n"));

    let theirs = LocalMedia {
        prefer_offer_order: true,
        ..local()
    };
    let (answer, media) = answer_with(&sdp(ASTERISK), &theirs).unwrap();
    assert_eq!(media.codec, codec(0, "PCMU", 8000, 1), "offer order: PCMU first");
    assert!(answer.to_string().contains("m=audio 30000 RTP/AVP 0 101\r\n"));

    // maxptime caps our packetization when the offer gives no ptime.
    let capped: Vec<&str> = ASTERISK
        .iter()
        .copied()
        .filter(|l| !l.starts_with("a=ptime"))
        .map(|l| {
            if l.starts_with("a=maxptime") {
                "a=maxptime:10"
            } else {
                l
            }
        })
        .collect();
    let (_, media) = answer_with(&sdp(&capped), &local()).unwrap();
    assert_eq!(media.ptime, 10);
}

const FREESWITCH: &[&str] = &[
    "v=0",
    "o=FreeSWITCH 1700000000 1700000001 IN IP4 192.0.2.60",
    "s=FreeSWITCH",
    "c=IN IP4 192.0.2.60",
    "t=0 0",
    "m=audio 16384 RTP/AVP 102 9 0 8 101 13",
    "a=rtpmap:102 opus/48000/2",
    "a=fmtp:102 useinbandfec=1; maxaveragebitrate=30000; maxplaybackrate=48000; ptime=20; minptime=10; maxptime=40",
    "a=rtpmap:9 G722/8000",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:101 telephone-event/8000",
    "a=fmtp:101 0-16",
    "a=rtpmap:13 CN/8000",
    "a=ptime:20",
    "a=rtcp:16385 IN IP4 192.0.2.61",
];

#[test]
fn freeswitch_offer_with_opus_first() {
    let (_, media) = answer_with(&sdp(FREESWITCH), &local()).unwrap();
    assert_eq!(media.codec, codec(8, "PCMA", 8000, 1));
    assert_eq!(
        media.remote_rtcp,
        sock("192.0.2.61:16385"),
        "a=rtcp with its own address"
    );

    // An opus-first agent: opus by its dynamic PT, telephone-event/8000 kept although
    // its rate differs (the offer has no 48 kHz one).
    let opus_first = LocalMedia {
        codecs: vec![
            Codec {
                fmtp: Some("useinbandfec=1".to_owned()),
                ..Codec::opus()
            },
            Codec::pcma(),
            Codec::telephone_event(48000),
            Codec::telephone_event(8000),
        ],
        ..local()
    };
    let (answer, media) = answer_with(&sdp(FREESWITCH), &opus_first).unwrap();
    assert_eq!(media.codec, codec(102, "opus", 48000, 2));
    assert_eq!(media.telephone_event, Some(101));
    assert_eq!(
        answer.as_sdp().media[0].to_string(),
        sdp(&[
            "m=audio 30000 RTP/AVP 102 101",
            "a=rtpmap:102 opus/48000/2",
            "a=fmtp:102 useinbandfec=1",
            "a=rtpmap:101 telephone-event/8000",
            "a=fmtp:101 0-16",
            "a=ptime:20",
            "a=sendrecv",
        ])
    );
}

const BARESIP_IPV6: &[&str] = &[
    "v=0",
    "o=- 2021 2021 IN IP6 2001:db8::5",
    "s=-",
    "c=IN IP6 2001:db8::5",
    "t=0 0",
    "m=audio 5004 RTP/AVP 96 0 8 97",
    "b=AS:64",
    "a=rtpmap:96 opus/48000/2",
    "a=fmtp:96 stereo=1;sprop-stereo=1",
    "a=rtpmap:97 Telephone-Event/8000",
    "a=fmtp:97 0-15",
    "a=rtcp-mux",
    "a=label:1",
    "a=ssrc:1234567 cname:baresip@example",
    "a=sendrecv",
];

#[test]
fn baresip_ipv6_offer_with_mixed_case_telephone_event_and_rtcp_mux() {
    let text = sdp(BARESIP_IPV6);
    assert_eq!(offer(&text).to_string(), text, "unknown attributes kept verbatim");
    let mux = LocalMedia {
        rtcp_mux: true,
        ..LocalMedia::new(ip("2001:db8::20"), 30000)
    };
    let mut session = SdpSession::new(9, ip("2001:db8::20"));
    let (answer, media) = session.answer(&offer(&text), &mux).unwrap();
    assert_eq!(media.codec, codec(8, "PCMA", 8000, 1));
    assert_eq!(
        media.telephone_event,
        Some(97),
        "Telephone-Event matched case-insensitively"
    );
    assert_eq!(media.remote_rtp, sock("[2001:db8::5]:5004"));
    assert_eq!(media.remote_rtcp, media.remote_rtp, "rtcp-mux: one port");
    assert!(media.rtcp_mux);
    let text = answer.to_string();
    assert!(text.starts_with("v=0\r\no=- 9 9 IN IP6 2001:db8::20\r\ns=-\r\nc=IN IP6 2001:db8::20\r\n"));
    assert!(text.contains("a=rtpmap:97 Telephone-Event/8000\r\na=fmtp:97 0-16\r\n"));
    assert!(text.contains("a=rtcp-mux\r\n"));
}

#[test]
fn sipp_offer_with_static_payload_types_only_and_mixed_case_rtpmap() {
    // SIPp's uac scenario: no rtpmap at all, LF line ends.
    let sipp = "v=0\no=user1 53655765 2353687637 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 6000 RTP/AVP 0\n";
    let (answer, media) = answer_with(sipp, &local()).unwrap();
    assert_eq!(
        media.codec,
        codec(0, "PCMU", 8000, 1),
        "static PT 0 without rtpmap"
    );
    assert_eq!(media.telephone_event, None, "not offered, not answered");
    assert_eq!(media.ptime, 20, "our ptime when the offer has none");
    assert!(
        answer
            .to_string()
            .contains("m=audio 30000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=sendrecv\r\n")
    );

    let lower = sdp(&[
        "v=0",
        "o=- 1 1 IN IP4 192.0.2.7",
        "s=-",
        "t=0 0",
        "m=audio 7000 RTP/AVP 8",
        "c=IN IP4 192.0.2.7",
        "a=rtpmap:8 pcma/8000",
    ]);
    let (_, media) = answer_with(&lower, &local()).unwrap();
    assert_eq!(media.codec, codec(8, "pcma", 8000, 1));
    assert_eq!(media.remote_rtp, sock("192.0.2.7:7000"), "media-level c=");
}

#[test]
fn g729_only_offer_is_rejected_with_488() {
    let g729 = sdp(&[
        "v=0",
        "o=- 5 5 IN IP4 192.0.2.9",
        "s=-",
        "c=IN IP4 192.0.2.9",
        "t=0 0",
        "m=audio 20000 RTP/AVP 18 101",
        "a=rtpmap:18 G729/8000",
        "a=fmtp:18 annexb=no",
        "a=rtpmap:101 telephone-event/8000",
    ]);
    let err = answer_with(&g729, &local()).unwrap_err();
    assert_eq!(err.sip_status(), 488);
    assert_eq!(
        err.to_string(),
        "no acceptable media: no common codec in [G729/8000, telephone-event/8000]"
    );
}

const WEBRTC: &[&str] = &[
    "v=0",
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0 1",
    "a=extmap-allow-mixed",
    "a=msid-semantic: WMS stream",
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126",
    "c=IN IP4 0.0.0.0",
    "a=rtcp:9 IN IP4 0.0.0.0",
    "a=ice-ufrag:Xj1d",
    "a=ice-pwd:8Wf4q2kXkW1qx6c0bF1v2m3n",
    "a=ice-options:trickle",
    "a=fingerprint:sha-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF",
    "a=setup:actpass",
    "a=mid:0",
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    "a=sendrecv",
    "a=msid:stream track",
    "a=rtcp-mux",
    "a=rtpmap:111 opus/48000/2",
    "a=rtcp-fb:111 transport-cc",
    "a=fmtp:111 minptime=10;useinbandfec=1",
    "a=rtpmap:63 red/48000/2",
    "a=fmtp:63 111/111",
    "a=rtpmap:9 G722/8000",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:13 CN/8000",
    "a=rtpmap:110 telephone-event/48000",
    "a=rtpmap:126 telephone-event/8000",
    "a=ssrc:3735928559 cname:abcdEFGHijkl",
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97",
    "c=IN IP4 0.0.0.0",
    "a=mid:1",
    "a=rtpmap:96 VP8/90000",
    "a=rtcp-fb:96 nack pli",
    "a=rtpmap:97 rtx/90000",
    "a=fmtp:97 apt=96",
    "a=sendrecv",
];

#[test]
fn webrtc_offer_parses_round_trips_and_is_refused_without_srtp() {
    let text = sdp(WEBRTC);
    let o = offer(&text);
    assert_eq!(o.to_string(), text);
    let audio = &o.as_sdp().media[0];
    assert_eq!(audio.mid(), Some("0"));
    assert!(audio.rtcp_mux());
    assert_eq!(audio.rtpmap(110).unwrap().clock_rate, 48000);
    assert_eq!(audio.attribute("setup"), Some("actpass"));
    assert_eq!(o.as_sdp().attribute("group"), Some("BUNDLE 0 1"));
    let err = answer_with(&text, &local()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no acceptable media: audio over UDP/TLS/RTP/SAVPF (only RTP/AVP and RTP/AVPF are supported)"
    );
}

#[test]
fn streams_beyond_the_first_usable_audio_are_rejected_in_place() {
    let text = sdp(&[
        "v=0",
        "o=- 1 1 IN IP4 192.0.2.1",
        "s=-",
        "c=IN IP4 192.0.2.1",
        "t=0 0",
        "m=audio 4000 RTP/SAVP 0",
        "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz",
        "m=video 4002 RTP/AVP 31",
        "a=mid:v",
        "m=audio 4004 RTP/AVP 8",
        "m=audio 4006 RTP/AVP 0",
        "m=audio 0 RTP/AVP 0",
    ]);
    let (answer, media) = answer_with(&text, &local()).unwrap();
    assert_eq!(media.index, 2);
    assert_eq!(media.remote_rtp, sock("192.0.2.1:4004"));
    let lines: Vec<String> = answer.as_sdp().media.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "m=audio 0 RTP/SAVP 0\r\n",
            "m=video 0 RTP/AVP 31\r\na=mid:v\r\n",
            "m=audio 30000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=ptime:20\r\na=sendrecv\r\n",
            "m=audio 0 RTP/AVP 0\r\n",
            "m=audio 0 RTP/AVP 0\r\n",
        ]
    );
}

#[test]
fn missing_connection_is_an_error() {
    let text = sdp(&[
        "v=0",
        "o=- 1 1 IN IP4 192.0.2.1",
        "s=-",
        "t=0 0",
        "m=audio 4000 RTP/AVP 0",
    ]);
    assert_eq!(
        answer_with(&text, &local()).unwrap_err(),
        SdpError::MissingConnection { index: 0 }
    );
}

/// An offer from 192.0.2.1:4000 with PCMA, a session-level `session_dir` line (or none),
/// a media-level `media_dir` line (or none), and connection address `addr`.
fn directed_offer(session_dir: Option<&str>, media_dir: Option<&str>, addr: &str) -> String {
    let c = format!("c=IN IP4 {addr}");
    let mut lines = vec!["v=0", "o=- 1 1 IN IP4 192.0.2.1", "s=-", &c, "t=0 0"];
    let s = session_dir.map(|d| format!("a={d}"));
    let m = media_dir.map(|d| format!("a={d}"));
    lines.extend(s.as_deref());
    lines.push("m=audio 4000 RTP/AVP 8");
    lines.extend(m.as_deref());
    sdp(&lines)
}

#[test]
fn direction_matrix_through_full_answers() {
    use Direction::{Inactive, RecvOnly, SendOnly, SendRecv};
    // (session attr, media attr, connection, local, expected answer direction)
    type Row = (
        Option<&'static str>,
        Option<&'static str>,
        &'static str,
        Direction,
        Direction,
    );
    let table: &[Row] = &[
        (None, None, "192.0.2.1", SendRecv, SendRecv),
        (None, Some("sendrecv"), "192.0.2.1", SendRecv, SendRecv),
        (None, Some("sendonly"), "192.0.2.1", SendRecv, RecvOnly),
        (None, Some("recvonly"), "192.0.2.1", SendRecv, SendOnly),
        (None, Some("inactive"), "192.0.2.1", SendRecv, Inactive),
        (Some("sendonly"), None, "192.0.2.1", SendRecv, RecvOnly),
        (
            Some("inactive"),
            Some("sendrecv"),
            "192.0.2.1",
            SendRecv,
            SendRecv,
        ),
        (
            Some("sendrecv"),
            Some("sendonly"),
            "192.0.2.1",
            SendRecv,
            RecvOnly,
        ),
        (None, None, "0.0.0.0", SendRecv, RecvOnly),
        (None, Some("sendonly"), "0.0.0.0", SendRecv, RecvOnly),
        (None, Some("recvonly"), "0.0.0.0", SendRecv, Inactive),
        (None, None, "192.0.2.1", SendOnly, SendOnly),
        (None, Some("sendonly"), "192.0.2.1", SendOnly, Inactive),
        (None, None, "192.0.2.1", RecvOnly, RecvOnly),
        (None, Some("recvonly"), "192.0.2.1", RecvOnly, Inactive),
        (None, None, "192.0.2.1", Inactive, Inactive),
    ];
    for &(s, m, addr, ours, expected) in table {
        let text = directed_offer(s, m, addr);
        let local = LocalMedia {
            direction: ours,
            ..local()
        };
        let (answer, media) = answer_with(&text, &local).unwrap();
        assert_eq!(media.direction, expected, "{s:?} {m:?} {addr} local {ours}");
        assert_eq!(answer.as_sdp().media[0].direction(), Some(expected));
        let held = addr == "0.0.0.0";
        assert_eq!(
            media.remote_rtp.is_none(),
            held,
            "no address to send to on c=0.0.0.0 hold"
        );
    }
}

#[test]
fn session_version_moves_only_when_our_sdp_changes() {
    let mut s = session();
    let local = local();
    let first = s.offer(&local);
    assert_eq!(first.as_sdp().origin.session_version, 4242);
    let same = s.offer(&local);
    assert_eq!(
        same.as_sdp().origin.session_version,
        4242,
        "unchanged: same version"
    );
    assert_eq!(same, first);

    let hold = s.hold(&local, Direction::SendRecv);
    assert_eq!(hold.as_sdp().origin.session_version, 4243);
    assert_eq!(hold.as_sdp().media[0].direction(), Some(Direction::SendOnly));
    let resume = s.resume(&local, Direction::SendOnly);
    assert_eq!(resume.as_sdp().origin.session_version, 4244);
    assert_eq!(resume.as_sdp().media[0].direction(), Some(Direction::SendRecv));

    // Held by the peer (we answered recvonly), then we hold too: inactive; resuming
    // gives back recvonly.
    let both = s.hold(&local, Direction::RecvOnly);
    assert_eq!(both.as_sdp().media[0].direction(), Some(Direction::Inactive));
    assert_eq!(both.as_sdp().origin.session_version, 4245);
    let back = s.resume(&local, Direction::Inactive);
    assert_eq!(back.as_sdp().media[0].direction(), Some(Direction::RecvOnly));

    // Answers to re-offers are versioned the same way.
    let carrier = offer(&directed_offer(None, None, "192.0.2.1"));
    let (a1, _) = s.answer(&carrier, &local).unwrap();
    let (a2, _) = s.answer(&carrier, &local).unwrap();
    assert_eq!(a1.as_sdp().origin.session_version, 4247);
    assert_eq!(a2.as_sdp().origin.session_version, 4247);
    let (a3, _) = s
        .answer(
            &offer(&directed_offer(None, Some("sendonly"), "192.0.2.1")),
            &local,
        )
        .unwrap();
    assert_eq!(a3.as_sdp().origin.session_version, 4248);
    assert_eq!(a3.as_sdp().origin.session_id, "4242", "the id never changes");
}

#[test]
fn our_offer_lists_every_codec() {
    let o = session().offer(&local());
    assert_eq!(
        o.to_string(),
        sdp(&[
            "v=0",
            "o=- 4242 4242 IN IP4 198.51.100.20",
            "s=-",
            "c=IN IP4 198.51.100.20",
            "t=0 0",
            "m=audio 30000 RTP/AVP 8 0 111 101",
            "a=rtpmap:8 PCMA/8000",
            "a=rtpmap:0 PCMU/8000",
            "a=rtpmap:111 opus/48000/2",
            "a=rtpmap:101 telephone-event/8000",
            "a=fmtp:101 0-16",
            "a=ptime:20",
            "a=sendrecv",
        ])
    );
}

fn remote_answer(lines: &[&str]) -> SdpAnswer {
    SdpAnswer::parse(sdp(lines).as_bytes()).unwrap()
}

const ANSWER_HEAD: [&str; 5] = [
    "v=0",
    "o=- 77 77 IN IP4 203.0.113.5",
    "s=-",
    "c=IN IP4 203.0.113.5",
    "t=0 0",
];

fn with_head(rest: &[&'static str]) -> Vec<&'static str> {
    ANSWER_HEAD.iter().chain(rest).copied().collect()
}

#[test]
fn answers_to_our_offer_are_read() {
    let ours = session().offer(&local());
    let a = remote_answer(&with_head(&[
        "m=audio 20000 RTP/AVP 0 101",
        "a=rtpmap:101 telephone-event/8000",
        "a=ptime:30",
        "a=recvonly",
    ]));
    assert_eq!(
        negotiated_from_answer(&ours, &a).unwrap(),
        NegotiatedMedia {
            index: 0,
            remote_rtp: sock("203.0.113.5:20000"),
            remote_rtcp: sock("203.0.113.5:20001"),
            codec: codec(0, "PCMU", 8000, 1),
            telephone_event: Some(101),
            ptime: 30,
            direction: Direction::SendOnly,
            rtcp_mux: false,
        }
    );

    // Old-style hold in the answer: nowhere to send.
    let held = remote_answer(&[
        "v=0",
        "o=- 77 78 IN IP4 203.0.113.5",
        "s=-",
        "c=IN IP4 0.0.0.0",
        "t=0 0",
        "m=audio 20000 RTP/AVP 8",
    ]);
    let media = negotiated_from_answer(&ours, &held).unwrap();
    assert_eq!(media.remote_rtp, None);
    assert_eq!(media.direction, Direction::SendOnly.reversed(), "we only receive");
    assert_eq!(media.ptime, 20, "our offered ptime when the answer has none");
}

#[test]
fn invalid_answers_are_refused() {
    let ours = session().offer(&local());
    let two = remote_answer(&with_head(&["m=audio 20000 RTP/AVP 8", "m=video 0 RTP/AVP 31"]));
    assert_eq!(
        negotiated_from_answer(&ours, &two).unwrap_err(),
        SdpError::MediaCountMismatch { offer: 1, answer: 2 }
    );
    let g729 = remote_answer(&with_head(&["m=audio 20000 RTP/AVP 18"]));
    assert_eq!(
        negotiated_from_answer(&ours, &g729).unwrap_err(),
        SdpError::CodecNotOffered {
            index: 0,
            payload_type: "18".to_owned()
        }
    );
    let video = remote_answer(&with_head(&["m=video 20000 RTP/AVP 8"]));
    assert!(matches!(
        negotiated_from_answer(&ours, &video).unwrap_err(),
        SdpError::MediaTypeMismatch { index: 0, .. }
    ));
    let rejected = remote_answer(&with_head(&["m=audio 0 RTP/AVP 8"]));
    assert!(matches!(
        negotiated_from_answer(&ours, &rejected).unwrap_err(),
        SdpError::NoCommonMedia { .. }
    ));
    let no_c = remote_answer(&[
        "v=0",
        "o=- 1 1 IN IP4 h.example",
        "s=-",
        "t=0 0",
        "m=audio 2 RTP/AVP 8",
    ]);
    assert_eq!(
        negotiated_from_answer(&ours, &no_c).unwrap_err(),
        SdpError::MissingConnection { index: 0 }
    );
    let only_te = remote_answer(&with_head(&["m=audio 20000 RTP/AVP 101"]));
    assert!(matches!(
        negotiated_from_answer(&ours, &only_te).unwrap_err(),
        SdpError::NoCommonMedia { .. }
    ));
}

#[test]
fn offer_answer_between_two_of_our_sessions() {
    let alice_local = LocalMedia::new(ip("192.0.2.10"), 10000);
    let bob_local = LocalMedia {
        codecs: vec![Codec::pcmu(), Codec::telephone_event(8000)],
        ..LocalMedia::new(ip("192.0.2.20"), 20000)
    };
    let mut alice = SdpSession::new(1, alice_local.address);
    let mut bob = SdpSession::new(2, bob_local.address);
    let o = alice.offer(&alice_local);
    let (a, bob_media) = bob.answer(&o, &bob_local).unwrap();
    let alice_media = negotiated_from_answer(&o, &a).unwrap();
    assert_eq!(alice_media.codec, bob_media.codec);
    assert_eq!(alice_media.codec.name, "PCMU");
    assert_eq!(alice_media.telephone_event, Some(101));
    assert_eq!(alice_media.remote_rtp, sock("192.0.2.20:20000"));
    assert_eq!(bob_media.remote_rtp, sock("192.0.2.10:10000"));

    // Alice holds: Bob answers recvonly, Alice then only sends.
    let hold = alice.hold(&alice_local, alice_media.direction);
    let (a, bob_media) = bob.answer(&hold, &bob_local).unwrap();
    assert_eq!(bob_media.direction, Direction::RecvOnly);
    assert_eq!(
        negotiated_from_answer(&hold, &a).unwrap().direction,
        Direction::SendOnly
    );
    assert_eq!(
        a.as_sdp().origin.session_version,
        3,
        "Bob's answer changed: version 2 -> 3"
    );
}

#[test]
fn message_bodies_are_read_as_sdp_only_when_typed_so() {
    let msg = Message::parse(CARRIER_INVITE).unwrap();
    let sdp = msg.sdp().unwrap().unwrap();
    assert_eq!(sdp.media[0].port, 40000);

    let broken = String::from_utf8_lossy(CARRIER_INVITE).replace("m=audio 40000", "m=audio 4x000");
    let err = Message::parse(broken.into_bytes())
        .unwrap()
        .sdp()
        .unwrap()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "SDP: SDP line 6 \"m=audio 4x000 RTP/AVP 8 0 101\": expected a port number 0-65535 in m="
    );

    let text = String::from_utf8_lossy(CARRIER_INVITE).replace("application/sdp", "text/plain");
    assert!(Message::parse(text.into_bytes()).unwrap().sdp().is_none());
}
