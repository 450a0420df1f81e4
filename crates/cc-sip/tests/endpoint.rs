//! The tokio endpoint on 127.0.0.1: two endpoints calling each other over UDP and TCP,
//! the TCP keep-alive pong, RFC 3581 on responses, and a phone that registers through a
//! digest challenge and is then called. Every wait is bounded.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use cc_sip::auth::{ClientRequest, answer_challenge};
use cc_sip::registrar::{Registrar, RegistrarConfig};
use cc_sip::transport::{Endpoint, EndpointConfig, EndpointHandle};
use cc_sip::ua::{EndCause, OutgoingCall, Transport, UaEvent};
use cc_sip::{Auth, HeaderName, Message};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::mpsc::Receiver;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(5);
const SDP: &[u8] =
    b"v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";

async fn endpoint(tcp: bool) -> (EndpointHandle, Receiver<UaEvent>) {
    let mut config = EndpointConfig::new("127.0.0.1:0".parse().unwrap());
    if tcp {
        config = config.with_tcp();
    }
    Endpoint::bind(config).await.expect("bind")
}

async fn next(events: &mut Receiver<UaEvent>) -> UaEvent {
    timeout(WAIT, events.recv())
        .await
        .expect("an event within 5 s")
        .expect("the endpoint runs")
}

async fn call_flow(transport: Transport) {
    let (alice, mut alice_events) = endpoint(true).await;
    let (bob, mut bob_events) = endpoint(true).await;
    let mut call = OutgoingCall::new(
        &format!("sip:bob@{}", bob.local_addr()),
        "\"Alice\" <sip:alice@127.0.0.1>",
        "<sip:bob@127.0.0.1>",
        bob.local_addr(),
    );
    call.transport = transport;
    call.sdp = Some(Bytes::from_static(SDP));
    let a_leg = alice.invite(call).await.unwrap();
    let UaEvent::IncomingCall {
        leg: b_leg,
        from,
        sdp,
        ..
    } = next(&mut bob_events).await
    else {
        panic!("expected an incoming call");
    };
    assert_eq!(from, "\"Alice\" <sip:alice@127.0.0.1>");
    assert_eq!(sdp.as_deref(), Some(SDP));
    bob.ringing(b_leg).await.unwrap();
    assert_eq!(next(&mut alice_events).await, UaEvent::Ringing { leg: a_leg });
    bob.answer(b_leg, Some(Bytes::from_static(SDP))).await.unwrap();
    assert_eq!(
        next(&mut alice_events).await,
        UaEvent::Answered {
            leg: a_leg,
            sdp: Some(Bytes::from_static(SDP))
        }
    );
    alice.send_dtmf(a_leg, '9').await.unwrap();
    assert_eq!(
        next(&mut bob_events).await,
        UaEvent::Dtmf {
            leg: b_leg,
            digit: '9'
        }
    );
    alice.hangup(a_leg).await.unwrap();
    assert_eq!(
        next(&mut bob_events).await,
        UaEvent::Ended {
            leg: b_leg,
            cause: EndCause::RemoteBye
        }
    );
    assert!(alice.hangup(a_leg).await.is_err(), "a leg hangs up once");
    // The handle is Clone + Send: a clone works from another task.
    let remote = bob.clone();
    let stats = tokio::spawn(async move { remote.stats().await })
        .await
        .unwrap()
        .unwrap();
    assert_eq!((stats.incoming_calls, stats.answered), (1, 1));
    alice.shutdown().await;
    bob.shutdown().await;
}

/// The handle must be usable from any task.
const _: fn() = || {
    fn send_sync_clone<T: Send + Sync + Clone + 'static>() {}
    send_sync_clone::<EndpointHandle>();
};

#[tokio::test]
async fn two_endpoints_call_each_other_over_udp() {
    call_flow(Transport::Udp).await;
}

#[tokio::test]
async fn two_endpoints_call_each_other_over_tcp() {
    call_flow(Transport::Tcp).await;
}

#[tokio::test]
async fn a_tcp_keepalive_ping_gets_a_pong() {
    let (sip, _events) = endpoint(true).await;
    let mut stream = TcpStream::connect(sip.local_addr()).await.unwrap();
    stream.write_all(b"\r\n\r\n").await.unwrap();
    let mut pong = [0_u8; 2];
    timeout(WAIT, stream.read_exact(&mut pong))
        .await
        .expect("a pong within 5 s")
        .unwrap();
    assert_eq!(&pong, b"\r\n");
    // The connection carries SIP afterwards.
    let options = "OPTIONS sip:cc@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKka1\r\n\
                   From: <sip:p@127.0.0.1>;tag=1\r\nTo: <sip:cc@127.0.0.1>\r\nCall-ID: ka1\r\n\
                   CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    stream.write_all(options.as_bytes()).await.unwrap();
    let mut buf = vec![0_u8; 4096];
    let n = timeout(WAIT, stream.read(&mut buf)).await.unwrap().unwrap();
    assert!(
        buf[..n].starts_with(b"SIP/2.0 200 OK"),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );
}

async fn exchange(socket: &UdpSocket, to: SocketAddr, message: &Message) -> Message {
    socket.send_to(&message.to_bytes(), to).await.unwrap();
    let mut buf = vec![0_u8; 65_535];
    let (n, _) = timeout(WAIT, socket.recv_from(&mut buf)).await.unwrap().unwrap();
    Message::parse(buf[..n].to_vec()).unwrap()
}

#[tokio::test]
async fn udp_responses_carry_received_and_rport() {
    let (sip, _events) = endpoint(false).await;
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let port = socket.local_addr().unwrap().port();
    let options = Message::request("OPTIONS", &format!("sip:{}", sip.local_addr()))
        .header("Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKrp1;rport")
        .header("From", "<sip:p@192.0.2.1>;tag=1")
        .header("To", "<sip:cc@127.0.0.1>")
        .header("Call-ID", "rp1")
        .header("CSeq", "1 OPTIONS")
        .build()
        .unwrap();
    let reply = exchange(&socket, sip.local_addr(), &options).await;
    assert_eq!(reply.status_code(), Some(200));
    let via = reply.top_via().unwrap();
    assert_eq!(via.rport(), Some(Some(port)));
    assert_eq!(via.received(), Some("127.0.0.1"));
    assert!(
        reply
            .header(HeaderName::Allow)
            .is_some_and(|a| a.contains("INVITE"))
    );
}

#[tokio::test]
async fn a_phone_registers_through_a_challenge_and_the_center_calls_it() {
    let registrar = Registrar::new("127.0.0.1", b"secret", Instant::now(), RegistrarConfig::default());
    let config = EndpointConfig::new("127.0.0.1:0".parse().unwrap())
        .with_registrar(registrar, |user: &str| (user == "1001").then(|| "pw".to_owned()));
    let (center, mut events) = Endpoint::bind(config).await.unwrap();
    let phone = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let phone_addr = phone.local_addr().unwrap();
    let contact = format!("sip:1001@{phone_addr}");
    let register = |cseq: u32, auth: Option<&str>| {
        let mut b = Message::request("REGISTER", "sip:127.0.0.1")
            .header(
                "Via",
                &format!("SIP/2.0/UDP {phone_addr};branch=z9hG4bKr{cseq};rport"),
            )
            .header("From", "<sip:1001@127.0.0.1>;tag=ph")
            .header("To", "<sip:1001@127.0.0.1>")
            .header("Call-ID", "reg-ph")
            .header("CSeq", &format!("{cseq} REGISTER"))
            .header("Contact", &format!("<{contact}>"))
            .header("Expires", "300");
        if let Some(auth) = auth {
            b = b.header("Authorization", auth);
        }
        b.build().unwrap()
    };
    let challenge = exchange(&phone, center.local_addr(), &register(1, None)).await;
    assert_eq!(challenge.status_code(), Some(401));
    let www = challenge.header(HeaderName::WwwAuthenticate).unwrap();
    let auth = answer_challenge(
        &Auth::parse(www, "WWW-Authenticate").unwrap(),
        &ClientRequest {
            username: "1001",
            password: "pw",
            method: "REGISTER",
            uri: "sip:127.0.0.1",
            cnonce: "abc",
            nc: 1,
        },
    )
    .unwrap();
    let ok = exchange(&phone, center.local_addr(), &register(2, Some(&auth))).await;
    assert_eq!(ok.status_code(), Some(200));
    assert_eq!(
        next(&mut events).await,
        UaEvent::Registered {
            aor: "sip:1001@127.0.0.1".into(),
            contact: contact.clone()
        }
    );
    let contacts = center.lookup("sip:1001@127.0.0.1").await.unwrap();
    assert_eq!(contacts, vec![contact.clone()]);
    center
        .invite(OutgoingCall::new(
            &contacts[0],
            "<sip:center@127.0.0.1>",
            "<sip:1001@127.0.0.1>",
            phone_addr,
        ))
        .await
        .unwrap();
    let mut buf = vec![0_u8; 65_535];
    let (n, _) = timeout(WAIT, phone.recv_from(&mut buf)).await.unwrap().unwrap();
    let invite = Message::parse(buf[..n].to_vec()).unwrap();
    assert_eq!(invite.method(), Some("INVITE"));
    assert_eq!(invite.request_uri_str(), Some(contact.as_str()));
}
