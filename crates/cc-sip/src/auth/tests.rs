use std::time::{Duration, Instant};

use super::digest::{self, Algorithm, Qop};
use super::*;
use crate::headers::Auth;

/// RFC 2617 §3.5: the MD5 example with qop=auth.
#[test]
fn rfc2617_md5_example() {
    let ha1 = digest::ha1(Algorithm::Md5, "Mufasa", "testrealm@host.com", "Circle Of Life");
    let ha2 = digest::ha2(Algorithm::Md5, "GET", "/dir/index.html");
    let qop = Qop::Auth {
        nc: "00000001",
        cnonce: "0a4f113b",
    };
    let r = digest::response(
        Algorithm::Md5,
        &ha1,
        "dcd98b7102dd2f0e8b11d0f600bfb0c093",
        qop,
        &ha2,
    );
    assert_eq!(r, "6629fae49393a05397450978507c4ef1");
}

const RFC7616_NONCE: &str = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
const RFC7616_CNONCE: &str = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

fn rfc7616(alg: Algorithm) -> String {
    let ha1 = digest::ha1(alg, "Mufasa", "http-auth@example.org", "Circle of Life");
    let ha2 = digest::ha2(alg, "GET", "/dir/index.html");
    let qop = Qop::Auth {
        nc: "00000001",
        cnonce: RFC7616_CNONCE,
    };
    digest::response(alg, &ha1, RFC7616_NONCE, qop, &ha2)
}

/// RFC 7616 §3.9.1: the SHA-256 and MD5 responses published for the example.
#[test]
fn rfc7616_example() {
    assert_eq!(
        rfc7616(Algorithm::Sha256),
        "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
    );
    assert_eq!(rfc7616(Algorithm::Md5), "8ca523f5e9506fed4657c9700eebdbec");
}

/// The client side reproduces the RFC 7616 example from its challenge.
#[test]
fn client_answers_the_rfc7616_challenge() {
    let raw = format!(
        "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", algorithm=SHA-256, \
         nonce=\"{RFC7616_NONCE}\", opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""
    );
    let challenge = Auth::parse(&raw, "WWW-Authenticate").unwrap();
    let req = ClientRequest {
        username: "Mufasa",
        password: "Circle of Life",
        method: "GET",
        uri: "/dir/index.html",
        cnonce: RFC7616_CNONCE,
        nc: 1,
    };
    let value = answer_challenge(&challenge, &req).unwrap();
    let creds = Auth::parse(&value, "Authorization").unwrap();
    assert_eq!(
        creds.response().as_deref(),
        Some("753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1")
    );
    assert_eq!(creds.nonce_count(), Some(1));
    assert_eq!(creds.qop().as_deref(), Some("auth"));
    assert_eq!(
        creds.opaque().as_deref(),
        Some("FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")
    );
    assert_eq!(creds.algorithm().as_deref(), Some("SHA-256"));
}

#[test]
fn client_refuses_what_it_cannot_answer() {
    let req = ClientRequest {
        username: "a",
        password: "b",
        method: "REGISTER",
        uri: "sip:x",
        cnonce: "c",
        nc: 1,
    };
    let cases = [
        ("Basic realm=\"x\"", ClientError::NotDigest),
        ("Digest realm=\"x\"", ClientError::Incomplete),
        (
            "Digest realm=\"x\",nonce=\"n\",algorithm=MD5-sess",
            ClientError::UnsupportedAlgorithm,
        ),
        (
            "Digest realm=\"x\",nonce=\"n\",qop=\"auth-int\"",
            ClientError::UnsupportedQop,
        ),
    ];
    for (raw, err) in cases {
        let c = Auth::parse(raw, "WWW-Authenticate").unwrap();
        assert_eq!(answer_challenge(&c, &req), Err(err), "{raw}");
    }
}

const PASSWORD: &str = "s3cr\"et";

fn users(user: &str) -> Option<String> {
    (user == "alice").then(|| PASSWORD.to_owned())
}

fn answer(challenge: &str, password: &str, nc: u32) -> String {
    let c = Auth::parse(challenge, "WWW-Authenticate").unwrap();
    let req = ClientRequest {
        username: "alice",
        password,
        method: "REGISTER",
        uri: "sip:example.com",
        cnonce: "c1",
        nc,
    };
    answer_challenge(&c, &req).unwrap()
}

fn verify(server: &mut DigestServer, now: Instant, value: &str) -> Verdict {
    let creds = Auth::parse(value, "Authorization").unwrap();
    server.verify(now, &creds, "REGISTER", users)
}

fn ok() -> Verdict {
    Verdict::Authenticated {
        username: "alice".to_owned(),
    }
}

#[test]
fn round_trip_with_both_algorithms() {
    let t0 = Instant::now();
    let mut server = DigestServer::new("example.com", b"k", t0);
    let challenges = server.challenge(t0, false);
    assert_eq!(challenges.len(), 2);
    assert!(challenges[0].contains("algorithm=SHA-256"));
    assert!(challenges[1].contains("algorithm=MD5"));
    // Both challenges share one nonce, so the counts go on from one to the other.
    for (nc, ch) in (1..).zip(&challenges) {
        let v = answer(ch, PASSWORD, nc);
        assert_eq!(verify(&mut server, t0 + Duration::from_secs(2), &v), ok());
    }
}

#[test]
fn wrong_password_is_rejected() {
    let t0 = Instant::now();
    let mut server = DigestServer::new("example.com", b"k", t0);
    let ch = server.challenge(t0, false);
    let v = answer(&ch[0], "wrong", 1);
    assert_eq!(
        verify(&mut server, t0, &v),
        Verdict::Rejected(Rejection::WrongResponse)
    );
}

#[test]
fn unknown_user_and_wrong_realm_are_rejected() {
    let t0 = Instant::now();
    let mut server = DigestServer::new("example.com", b"k", t0);
    let ch = server.challenge(t0, false);
    let v = answer(&ch[0], PASSWORD, 1).replace("username=\"alice\"", "username=\"bob\"");
    assert_eq!(
        verify(&mut server, t0, &v),
        Verdict::Rejected(Rejection::UnknownUser)
    );
    let v = answer(&ch[0], PASSWORD, 1).replace("realm=\"example.com\"", "realm=\"other\"");
    assert_eq!(
        verify(&mut server, t0, &v),
        Verdict::Rejected(Rejection::WrongRealm)
    );
}

#[test]
fn expired_nonce_with_right_password_is_stale() {
    let t0 = Instant::now();
    let mut server = DigestServer::new("example.com", b"k", t0).with_nonce_ttl(Duration::from_secs(30));
    let ch = server.challenge(t0, false);
    let v = answer(&ch[0], PASSWORD, 1);
    assert_eq!(
        verify(&mut server, t0 + Duration::from_secs(31), &v),
        Verdict::Stale
    );
    // A wrong password with an expired nonce is still a wrong password.
    let v = answer(&ch[0], "wrong", 2);
    assert_eq!(
        verify(&mut server, t0 + Duration::from_secs(31), &v),
        Verdict::Rejected(Rejection::WrongResponse)
    );
    let fresh = server.challenge(t0 + Duration::from_secs(31), true);
    assert!(fresh[0].ends_with(",stale=true"));
    let c = Auth::parse(&fresh[0], "WWW-Authenticate").unwrap();
    assert!(c.stale());
}

#[test]
fn replayed_nonce_count_is_refused() {
    let t0 = Instant::now();
    let mut server = DigestServer::new("example.com", b"k", t0);
    let ch = server.challenge(t0, false);
    let first = answer(&ch[0], PASSWORD, 1);
    assert_eq!(verify(&mut server, t0, &first), ok());
    assert_eq!(
        verify(&mut server, t0, &first),
        Verdict::Rejected(Rejection::Replay)
    );
    let second = answer(&ch[0], PASSWORD, 2);
    assert_eq!(verify(&mut server, t0, &second), ok());
    assert_eq!(
        verify(&mut server, t0, &first),
        Verdict::Rejected(Rejection::Replay)
    );
}

#[test]
fn forged_or_foreign_nonces_are_refused() {
    let t0 = Instant::now();
    let mut server = DigestServer::new("example.com", b"k", t0);
    let mut other = DigestServer::new("example.com", b"other key", t0);
    let ch = other.challenge(t0, false);
    let v = answer(&ch[0], PASSWORD, 1);
    // Same realm, different secret: nonce and opaque are both foreign.
    let v = v.replace(
        &format!(
            "opaque=\"{}\"",
            Auth::parse(&ch[0], "x").unwrap().opaque().unwrap()
        ),
        "x=y",
    );
    assert_eq!(
        verify(&mut server, t0, &v),
        Verdict::Rejected(Rejection::BadNonce)
    );
    for nonce in ["", "1-2", "zz-1-00", "1-1-00000000000000000000000000000000-9"] {
        let raw = format!(
            "Digest username=\"alice\",realm=\"example.com\",nonce=\"{nonce}\",uri=\"sip:x\",response=\"00\""
        );
        assert_eq!(
            verify(&mut server, t0, &raw),
            Verdict::Rejected(Rejection::BadNonce),
            "{nonce}"
        );
    }
}

#[test]
fn legacy_credentials_without_qop() {
    let t0 = Instant::now();
    let mut server = DigestServer::new("example.com", b"k", t0);
    let nonce = server.nonce(t0);
    let ch = format!("Digest realm=\"example.com\",nonce=\"{nonce}\"");
    let v = answer(&ch, PASSWORD, 1);
    assert!(!v.contains("qop="));
    assert_eq!(verify(&mut server, t0, &v), ok());
    let mut strict = DigestServer::new("example.com", b"k", t0).with_legacy_no_qop(false);
    assert_eq!(
        verify(&mut strict, t0, &v),
        Verdict::Rejected(Rejection::UnsupportedQop)
    );
}

#[test]
fn nonce_table_stays_bounded() {
    let t0 = Instant::now();
    let mut server = DigestServer::new("example.com", b"k", t0).with_max_nonces(3);
    for _ in 0..10 {
        let ch = server.challenge(t0, false);
        assert_eq!(verify(&mut server, t0, &answer(&ch[0], PASSWORD, 1)), ok());
        assert!(server.tracked_nonces() <= 3);
    }
}

#[test]
fn malformed_credentials_are_rejected_not_panicking() {
    let t0 = Instant::now();
    let mut server = DigestServer::new("example.com", b"k", t0);
    for raw in [
        "Basic realm=\"x\"",
        "Digest username=\"alice\"",
        "Digest username=\"alice\",realm=\"example.com\",nonce=\"1-1-x\",uri=\"u\",response=\"r\",qop=auth",
        "Digest username=\"alice\",realm=\"example.com\",nonce=\"1-1-x\",uri=\"u\",response=\"r\",algorithm=SHA-512",
    ] {
        assert!(
            matches!(verify(&mut server, t0, raw), Verdict::Rejected(_)),
            "{raw}"
        );
    }
}

#[test]
fn constant_time_eq_compares() {
    assert!(constant_time_eq(b"abc", b"abc"));
    assert!(!constant_time_eq(b"abc", b"abd"));
    assert!(!constant_time_eq(b"abc", b"ab"));
}

#[test]
fn only_offered_algorithms_are_accepted() {
    let t0 = Instant::now();
    let mut server = DigestServer::new("example.com", b"k", t0).with_algorithms(&[Algorithm::Md5]);
    let ch = server.challenge(t0, false);
    assert_eq!(ch.len(), 1);
    assert!(ch[0].contains("algorithm=MD5"));
    let sha = ch[0].replace("algorithm=MD5", "algorithm=SHA-256");
    let v = answer(&sha, PASSWORD, 1);
    assert_eq!(
        verify(&mut server, t0, &v),
        Verdict::Rejected(Rejection::UnsupportedAlgorithm)
    );
    assert_eq!(verify(&mut server, t0, &answer(&ch[0], PASSWORD, 1)), ok());
}
