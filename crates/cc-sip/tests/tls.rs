//! SIP over TLS on 127.0.0.1 with rcgen certificates: our endpoint as TLS server and as
//! TLS client in a whole INVITE/200/ACK/BYE dialog on one reused connection, OPTIONS and
//! a keep-alive from a rustls client, outbound REGISTER over TLS with a pinned server
//! name, and the failures: a client that does not trust the server, a client whose
//! certificate the server does not trust, a stalled handshake, plain text on the TLS
//! port, too many connections from one source, TLS asked of an endpoint without it.
//! Every wait is bounded.
#![cfg(feature = "tls")]

mod tls_common;

use std::time::Duration;

use bytes::Bytes;
use cc_sip::transport::{EndpointHandle, ServerName, TlsConfig, TlsIdentity, client_config};
use cc_sip::ua::{EndCause, OutgoingCall, RegisterRequest, Transport, UaEvent};
use cc_sip::{HeaderName, Message, frame_stream};
use tls_common::{Pki, WAIT, any_port, endpoint, next};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::{TlsAcceptor, TlsConnector};

const SDP: &[u8] =
    b"v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";

fn tls_port(handle: &EndpointHandle) -> u16 {
    handle.tls_addr().expect("a TLS listener").port()
}

/// Reads one framed SIP message from `stream`, within [`WAIT`].
async fn read_message<S: AsyncRead + Unpin>(stream: &mut S, buf: &mut Vec<u8>) -> Message {
    timeout(WAIT, async {
        loop {
            if let Ok(cc_sip::Frame::Complete { len }) = frame_stream(buf, &cc_sip::Limits::default()) {
                let bytes: Vec<u8> = buf.drain(..len).collect();
                return Message::parse(bytes).expect("a message");
            }
            let mut chunk = [0_u8; 4096];
            let n = stream.read(&mut chunk).await.expect("read");
            assert!(n > 0, "the peer closed before a whole message");
            buf.extend_from_slice(&chunk[..n]);
        }
    })
    .await
    .expect("a message within 5 s")
}

/// Whether the server closes `stream` (EOF or error, after a TLS alert perhaps) within
/// [`WAIT`].
async fn closed_by_peer<S: AsyncRead + Unpin>(stream: &mut S) -> bool {
    let mut chunk = [0_u8; 256];
    timeout(WAIT, async {
        while let Ok(n) = stream.read(&mut chunk).await {
            if n == 0 {
                break;
            }
        }
    })
    .await
    .is_ok()
}

async fn write_all<S: AsyncWrite + Unpin>(stream: &mut S, bytes: &[u8]) {
    stream.write_all(bytes).await.expect("write");
    stream.flush().await.expect("flush");
}

fn options(port: u16, local: std::net::SocketAddr) -> String {
    format!(
        "OPTIONS sip:cc@127.0.0.1:{port};transport=tls SIP/2.0\r\n\
         Via: SIP/2.0/TLS {local};branch=z9hG4bKtls1\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:probe@127.0.0.1>;tag=p1\r\n\
         To: <sip:cc@127.0.0.1>\r\n\
         Call-ID: tls-options-1@127.0.0.1\r\n\
         CSeq: 1 OPTIONS\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

#[tokio::test]
async fn two_endpoints_hold_a_whole_dialog_over_one_tls_connection() {
    let pki = Pki::new("test CA");
    let (bob, mut bob_events) = endpoint(TlsConfig::new().listen(any_port(), pki.server_config())).await;
    let (alice, mut alice_events) = endpoint(TlsConfig::new().connect(pki.client_config())).await;
    // A sips: target chooses TLS; the server name checked is `localhost`.
    let mut call = OutgoingCall::new(
        &format!("sips:bob@localhost:{}", tls_port(&bob)),
        "\"Alice\" <sip:alice@127.0.0.1>",
        "<sip:bob@127.0.0.1>",
        bob.tls_addr().unwrap(),
    );
    call.sdp = Some(Bytes::from_static(SDP));
    assert_eq!(call.transport, Transport::Udp);
    let a_leg = alice.invite(call).await.unwrap();
    let UaEvent::IncomingCall {
        leg: b_leg,
        sdp,
        source,
        ..
    } = next(&mut bob_events).await
    else {
        panic!("expected an incoming call");
    };
    assert_eq!(sdp.as_deref(), Some(SDP));
    assert_ne!(source, alice.local_addr(), "it came on a TCP connection, not UDP");
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
    // The ACK reached bob: an in-dialog INFO from alice is then answered.
    alice.send_dtmf(a_leg, '5').await.unwrap();
    assert_eq!(
        next(&mut bob_events).await,
        UaEvent::Dtmf {
            leg: b_leg,
            digit: '5'
        }
    );
    // The server side sends BYE back over the connection alice opened.
    bob.hangup(b_leg).await.unwrap();
    assert_eq!(
        next(&mut alice_events).await,
        UaEvent::Ended {
            leg: a_leg,
            cause: EndCause::RemoteBye
        }
    );
    let (a, b) = (alice.tls_stats(), bob.tls_stats());
    assert_eq!(
        (a.connected, a.failed),
        (1, 0),
        "one connection carried the dialog: {a:?}"
    );
    assert_eq!((b.accepted, b.failed), (1, 0), "{b:?}");
    let stats = bob.stats().await.unwrap();
    assert_eq!((stats.incoming_calls, stats.answered), (1, 1));
    alice.shutdown().await;
    bob.shutdown().await;
}

#[tokio::test]
async fn a_rustls_client_gets_200_to_options_and_a_keepalive_pong() {
    let pki = Pki::new("test CA");
    // The server identity from PEM files, as a deployment loads it.
    let dir = std::env::temp_dir().join(format!("cc-sip-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("server.pem"), dir.join("server.key"));
    std::fs::write(&cert, &pki.server_cert_pem).unwrap();
    std::fs::write(&key, &pki.server_key_pem).unwrap();
    let identity = TlsIdentity::from_pem_files(&cert, &key).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let server = cc_sip::transport::server_config(identity, None).unwrap();
    let (sip, _events) = endpoint(TlsConfig::new().listen(any_port(), server)).await;

    let tcp = TcpStream::connect(sip.tls_addr().unwrap()).await.unwrap();
    let local = tcp.local_addr().unwrap();
    let mut tls = TlsConnector::from(pki.client_config())
        .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
        .await
        .expect("the handshake with our endpoint");
    write_all(&mut tls, options(tls_port(&sip), local).as_bytes()).await;
    let mut buf = Vec::new();
    let response = read_message(&mut tls, &mut buf).await;
    assert_eq!(response.status_code(), Some(200));
    assert_eq!(response.cseq().unwrap().method, "OPTIONS");
    let via = response.top_via().unwrap();
    assert_eq!((via.transport, via.host), ("TLS", "127.0.0.1"));
    assert_eq!(via.branch(), Some("z9hG4bKtls1"));
    // RFC 5626 keep-alive on the same TLS connection.
    write_all(&mut tls, b"\r\n\r\n").await;
    let mut pong = [0_u8; 2];
    timeout(WAIT, tls.read_exact(&mut pong)).await.unwrap().unwrap();
    assert_eq!(&pong, b"\r\n");
    sip.shutdown().await;
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_server_fails_the_call_with_an_error() {
    let (pki, rogue) = (Pki::new("test CA"), Pki::new("rogue CA"));
    let (bob, _bob_events) = endpoint(TlsConfig::new().listen(any_port(), pki.server_config())).await;
    let (alice, mut alice_events) = endpoint(TlsConfig::new().connect(rogue.client_config())).await;
    let call = OutgoingCall::new(
        &format!("sip:bob@127.0.0.1:{};transport=tls", tls_port(&bob)),
        "<sip:alice@127.0.0.1>",
        "<sip:bob@127.0.0.1>",
        bob.tls_addr().unwrap(),
    );
    let leg = alice.invite(call).await.unwrap();
    let UaEvent::Failed {
        leg: failed, code, ..
    } = next(&mut alice_events).await
    else {
        panic!("expected the call to fail");
    };
    assert_eq!((failed, code), (leg, 503));
    let stats = alice.tls_stats();
    assert_eq!((stats.connected, stats.failed), (0, 1));
    let reason = stats.last_failure.expect("the reason").to_string();
    assert!(reason.contains("certificate"), "{reason}");
    // The server saw the client give up.
    timeout(WAIT, async {
        while bob.tls_stats().failed == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the server counts the failed handshake");
    assert_eq!(bob.stats().await.unwrap().incoming_calls, 0);
}

#[tokio::test]
async fn a_server_that_requires_client_certificates_refuses_a_wrong_one() {
    let (pki, rogue) = (Pki::new("test CA"), Pki::new("rogue CA"));
    let server = cc_sip::transport::server_config(pki.server_identity(), Some(pki.roots())).unwrap();
    let (bob, mut bob_events) = endpoint(TlsConfig::new().listen(any_port(), server)).await;
    let target = format!("sips:bob@127.0.0.1:{}", tls_port(&bob));
    let call = || {
        OutgoingCall::new(
            &target,
            "<sip:alice@127.0.0.1>",
            "<sip:bob@127.0.0.1>",
            bob.tls_addr().unwrap(),
        )
    };

    // A client with a certificate of another CA (it trusts the server).
    let wrong = client_config(pki.roots(), Some(rogue.client_identity())).unwrap();
    let (mallory, mut mallory_events) = endpoint(TlsConfig::new().connect(wrong)).await;
    mallory.invite(call()).await.unwrap();
    assert!(
        matches!(next(&mut mallory_events).await, UaEvent::Failed { code: 503, .. }),
        "the refused client's call fails"
    );
    timeout(WAIT, async {
        while bob.tls_stats().failed == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the server counts the refused handshake");
    let reason = bob.tls_stats().last_failure.unwrap().to_string();
    assert!(reason.contains("handshake with client"), "{reason}");

    // A client with a certificate of the trusted CA gets through.
    let right = client_config(pki.roots(), Some(pki.client_identity())).unwrap();
    let (alice, _alice_events) = endpoint(TlsConfig::new().connect(right)).await;
    alice.invite(call()).await.unwrap();
    assert!(matches!(
        next(&mut bob_events).await,
        UaEvent::IncomingCall { .. }
    ));
    assert_eq!(bob.tls_stats().accepted, 1);
}

#[tokio::test]
async fn a_stalled_handshake_and_plain_text_are_dropped_not_stuck() {
    let pki = Pki::new("test CA");
    let mut tls = TlsConfig::new().listen(any_port(), pki.server_config());
    tls.handshake_timeout = Duration::from_millis(300);
    let (sip, _events) = endpoint(tls).await;
    // Says nothing: closed after the handshake time.
    let mut silent = TcpStream::connect(sip.tls_addr().unwrap()).await.unwrap();
    assert!(closed_by_peer(&mut silent).await, "a silent client is dropped");
    // Speaks SIP in the clear to the TLS port.
    let mut plain = TcpStream::connect(sip.tls_addr().unwrap()).await.unwrap();
    let local = plain.local_addr().unwrap();
    write_all(&mut plain, options(tls_port(&sip), local).as_bytes()).await;
    assert!(closed_by_peer(&mut plain).await, "plain text is dropped");
    // (rustls may drop the socket a moment before the failure is counted.)
    timeout(WAIT, async {
        while sip.tls_stats().failed < 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("both failures counted");
    let stats = sip.tls_stats();
    assert_eq!((stats.accepted, stats.failed), (0, 2), "{stats:?}");
    // The endpoint still serves.
    let tcp = TcpStream::connect(sip.tls_addr().unwrap()).await.unwrap();
    let local = tcp.local_addr().unwrap();
    let mut tls = TlsConnector::from(pki.client_config())
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    write_all(&mut tls, options(tls_port(&sip), local).as_bytes()).await;
    assert_eq!(
        read_message(&mut tls, &mut Vec::new()).await.status_code(),
        Some(200)
    );
}

#[tokio::test]
async fn connections_per_source_are_limited() {
    let pki = Pki::new("test CA");
    let mut tls = TlsConfig::new().listen(any_port(), pki.server_config());
    tls.max_connections_per_source = 2;
    let (sip, _events) = endpoint(tls).await;
    let addr = sip.tls_addr().unwrap();
    let first = TcpStream::connect(addr).await.unwrap();
    let _second = TcpStream::connect(addr).await.unwrap();
    let mut third = TcpStream::connect(addr).await.unwrap();
    assert!(closed_by_peer(&mut third).await, "the third is closed at once");
    assert_eq!(sip.tls_stats().refused, 1);
    // Closing one makes room.
    drop(first);
    timeout(WAIT, async {
        loop {
            let mut next = TcpStream::connect(addr).await.unwrap();
            let mut byte = [0_u8; 1];
            // A kept connection stays silent (the handshake waits for us).
            if timeout(Duration::from_millis(200), next.read(&mut byte))
                .await
                .is_err()
            {
                break;
            }
        }
    })
    .await
    .expect("room again after a close");
}

#[tokio::test]
async fn outbound_register_goes_over_tls_with_a_pinned_server_name() {
    let pki = Pki::new("test CA");
    // A carrier edge: a plain rustls server that answers one REGISTER with 200.
    let listener = tokio::net::TcpListener::bind(any_port()).await.unwrap();
    let carrier = listener.local_addr().unwrap();
    let acceptor = TlsAcceptor::from(pki.server_config());
    let edge = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut tls = acceptor
            .accept(tcp)
            .await
            .expect("our endpoint completes the handshake");
        let register = read_message(&mut tls, &mut Vec::new()).await;
        let mut ok = Message::response(200, "OK");
        for name in ["Via", "From", "To", "Call-ID", "CSeq", "Contact"] {
            for value in register.header_values_named(name) {
                ok = ok.header(name, value);
            }
        }
        let ok = ok.header("Expires", "300").build().unwrap();
        write_all(&mut tls, &ok.to_bytes()).await;
        // Hold the connection until the endpoint closes it.
        let _ = timeout(WAIT, tls.read(&mut [0_u8; 64])).await;
        register
    });
    // The Request-URI names the carrier's domain; its certificate is for localhost.
    let tls = TlsConfig::new()
        .connect(pki.client_config())
        .with_server_name(carrier, "localhost")
        .unwrap();
    let (alice, mut events) = endpoint(tls).await;
    let mut request = RegisterRequest::new(carrier, "sip:alice@carrier.example", 300);
    request.transport = Transport::Tls;
    alice.register(request).await.unwrap();
    assert!(
        matches!(next(&mut events).await, UaEvent::OutboundRegistered { .. }),
        "registered over TLS"
    );
    alice.shutdown().await;
    let register = timeout(WAIT, edge).await.unwrap().unwrap();
    assert_eq!(register.top_via().unwrap().transport, "TLS");
    let contact = register.header(HeaderName::Contact).unwrap();
    assert!(contact.contains(";transport=tls"), "{contact}");
}

#[tokio::test]
async fn tls_without_a_client_configuration_is_an_error() {
    let pki = Pki::new("test CA");
    // Listens on TLS but cannot connect out over TLS.
    let (sip, _events) = endpoint(TlsConfig::new().listen(any_port(), pki.server_config())).await;
    let call = OutgoingCall::new(
        "sips:bob@127.0.0.1:5061",
        "<sip:alice@127.0.0.1>",
        "<sip:bob@127.0.0.1>",
        "127.0.0.1:5061".parse().unwrap(),
    );
    let error = sip.invite(call).await.unwrap_err().to_string();
    assert!(error.contains("TLS"), "{error}");
}
