use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::*;
use crate::auth::{ClientRequest, answer_challenge};
use crate::headers::{Auth, HeaderName};
use crate::message::Message;

fn users(user: &str) -> Option<String> {
    match user {
        "alice" => Some("alice-pw".to_owned()),
        "bob" => Some("bob-pw".to_owned()),
        _ => None,
    }
}

/// A phone: it remembers the last challenge and counts its uses.
struct Phone {
    user: &'static str,
    password: &'static str,
    call_id: &'static str,
    cseq: u32,
    challenge: Option<String>,
    nc: u32,
}

impl Phone {
    fn new(user: &'static str, password: &'static str) -> Self {
        Self {
            user,
            password,
            call_id: "call-1",
            cseq: 0,
            challenge: None,
            nc: 0,
        }
    }

    fn message(&mut self, to_user: &str, extra: &str) -> Message {
        self.try_message(to_user, extra).unwrap()
    }

    fn try_message(&mut self, to_user: &str, extra: &str) -> Option<Message> {
        self.cseq += 1;
        let auth = self.challenge.as_ref().map_or(String::new(), |ch| {
            self.nc += 1;
            let c = Auth::parse(ch, "WWW-Authenticate").unwrap();
            let req = ClientRequest {
                username: self.user,
                password: self.password,
                method: "REGISTER",
                uri: "sip:example.com",
                cnonce: "abc",
                nc: self.nc,
            };
            format!("Authorization: {}\r\n", answer_challenge(&c, &req).unwrap())
        });
        let raw = format!(
            "REGISTER sip:example.com SIP/2.0\r\n\
             Via: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bK{}\r\n\
             From: <sip:{to_user}@example.com>;tag=f\r\n\
             To: <sip:{to_user}@example.com>\r\n\
             Call-ID: {}\r\nCSeq: {} REGISTER\r\n{auth}{extra}Content-Length: 0\r\n\r\n",
            self.cseq, self.call_id, self.cseq
        );
        Message::parse(raw).ok()
    }

    /// Sends `extra` headers, answering one 401 if it comes.
    fn register(&mut self, reg: &mut Registrar, now: Instant, extra: &str) -> RegisterAnswer {
        let user = self.user;
        self.register_as(reg, now, user, extra)
    }

    fn register_as(
        &mut self,
        reg: &mut Registrar,
        now: Instant,
        to_user: &str,
        extra: &str,
    ) -> RegisterAnswer {
        let msg = self.message(to_user, extra);
        let a = reg.handle_register(now, &msg, &users).unwrap();
        if a.response.status_code() != Some(401) {
            return a;
        }
        self.challenge = a.response.header(HeaderName::WwwAuthenticate).map(str::to_owned);
        self.nc = 0;
        let msg = self.message(to_user, extra);
        reg.handle_register(now, &msg, &users).unwrap()
    }
}

fn registrar(t0: Instant) -> Registrar {
    Registrar::new("example.com", b"secret", t0, RegistrarConfig::default())
}

fn contacts(a: &RegisterAnswer) -> Vec<String> {
    a.response
        .header_values(HeaderName::Contact)
        .map(str::to_owned)
        .collect()
}

#[test]
fn unauthenticated_register_is_challenged_with_both_algorithms() {
    let t0 = Instant::now();
    let mut reg = registrar(t0);
    let msg = Phone::new("alice", "alice-pw").message("alice", "Contact: <sip:a@192.0.2.4>\r\n");
    let a = reg.handle_register(t0, &msg, &users).unwrap();
    assert_eq!(a.response.status_code(), Some(401));
    let challenges: Vec<_> = a.response.www_authenticate().map(Result::unwrap).collect();
    assert_eq!(challenges.len(), 2);
    assert_eq!(challenges[0].algorithm().as_deref(), Some("SHA-256"));
    assert_eq!(challenges[1].algorithm().as_deref(), Some("MD5"));
    assert!(a.response.to_header().unwrap().tag().is_some());
    assert_eq!(reg.aor_count(), 0);
}

#[test]
fn register_binds_and_lists_contacts() {
    let t0 = Instant::now();
    let mut reg = registrar(t0);
    let mut phone = Phone::new("alice", "alice-pw");
    let a = phone.register(&mut reg, t0, "Contact: <sip:alice@192.0.2.4:5060>\r\n");
    assert_eq!(a.response.status_code(), Some(200));
    assert_eq!(
        a.outcome,
        Outcome::Registered {
            aor: "sip:alice@example.com".to_owned(),
            bindings: 1
        }
    );
    assert_eq!(contacts(&a), ["<sip:alice@192.0.2.4:5060>;expires=3600"]);
    let later = t0 + Duration::from_secs(100);
    let b = reg.bindings("sip:alice@EXAMPLE.com", later);
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].contact, "sip:alice@192.0.2.4:5060");
    assert_eq!(b[0].remaining(later), 3500);
    // A query (no Contact) lists the bindings with their remaining time.
    let q = phone.register(&mut reg, later, "");
    assert_eq!(contacts(&q), ["<sip:alice@192.0.2.4:5060>;expires=3500"]);
}

#[test]
fn wrong_password_is_challenged_again() {
    let t0 = Instant::now();
    let mut reg = registrar(t0);
    let mut phone = Phone::new("alice", "nope");
    let a = phone.register(&mut reg, t0, "Contact: <sip:a@h>\r\n");
    assert_eq!(a.outcome, Outcome::Challenged { stale: false });
    assert_eq!(reg.aor_count(), 0);
}

#[test]
fn expired_nonce_gets_a_stale_challenge() {
    let t0 = Instant::now();
    let mut reg = registrar(t0);
    let mut phone = Phone::new("alice", "alice-pw");
    phone.register(&mut reg, t0, "Contact: <sip:a@h>\r\n");
    let msg = phone.message("alice", "Contact: <sip:a@h>\r\n");
    let a = reg
        .handle_register(t0 + Duration::from_secs(400), &msg, &users)
        .unwrap();
    assert_eq!(a.outcome, Outcome::Challenged { stale: true });
    let ch = a.response.www_authenticate().next().unwrap().unwrap();
    assert!(ch.stale());
}

#[test]
fn replayed_register_is_not_accepted() {
    let t0 = Instant::now();
    let mut reg = registrar(t0);
    let mut phone = Phone::new("alice", "alice-pw");
    phone.register(&mut reg, t0, "Contact: <sip:a@h>\r\n");
    let msg = phone.message("alice", "Contact: <sip:a@h>\r\n");
    let a = reg.handle_register(t0, &msg, &users).unwrap();
    assert_eq!(a.response.status_code(), Some(200));
    let again = reg.handle_register(t0, &msg, &users).unwrap();
    assert_eq!(again.outcome, Outcome::Challenged { stale: false });
}

#[test]
fn another_users_aor_is_forbidden_and_foreign_domains_not_found() {
    let t0 = Instant::now();
    let mut reg = registrar(t0);
    let mut phone = Phone::new("bob", "bob-pw");
    let a = phone.register_as(&mut reg, t0, "alice", "Contact: <sip:b@h>\r\n");
    assert_eq!(a.outcome, Outcome::Rejected(403));
    let msg = Message::parse(
        phone
            .message("bob", "Contact: <sip:b@h>\r\n")
            .to_bytes()
            .to_vec()
            .iter()
            .map(|&b| char::from(b))
            .collect::<String>()
            .replace("To: <sip:bob@example.com>", "To: <sip:bob@elsewhere.org>"),
    )
    .unwrap();
    let a = reg.handle_register(t0, &msg, &users).unwrap();
    assert_eq!(a.outcome, Outcome::Rejected(404));
}

#[test]
fn expiry_comes_from_contact_then_header_then_default_and_is_capped() {
    let t0 = Instant::now();
    let mut reg = registrar(t0);
    let mut phone = Phone::new("alice", "alice-pw");
    let a = phone.register(
        &mut reg,
        t0,
        "Expires: 600\r\nContact: <sip:a@h1>;expires=120, <sip:a@h2>\r\nContact: <sip:a@h3>;expires=99999\r\n",
    );
    assert_eq!(
        contacts(&a),
        [
            "<sip:a@h1>;expires=120",
            "<sip:a@h2>;expires=600",
            "<sip:a@h3>;expires=7200"
        ]
    );
}

#[test]
fn too_brief_interval_is_423_with_min_expires() {
    let t0 = Instant::now();
    let mut reg = registrar(t0);
    let mut phone = Phone::new("alice", "alice-pw");
    let a = phone.register(&mut reg, t0, "Contact: <sip:a@h1>, <sip:a@h2>;expires=30\r\n");
    assert_eq!(a.outcome, Outcome::Rejected(423));
    assert_eq!(a.response.min_expires().unwrap(), Some(60));
    // Nothing of the request was applied.
    assert_eq!(reg.aor_count(), 0);
}

#[test]
fn expires_zero_removes_one_and_wildcard_removes_all() {
    let t0 = Instant::now();
    let mut reg = registrar(t0);
    let mut phone = Phone::new("alice", "alice-pw");
    phone.register(&mut reg, t0, "Contact: <sip:a@h1>, <sip:a@h2>, <sip:a@h3>\r\n");
    let a = phone.register(&mut reg, t0, "Contact: <sip:a@h2>;expires=0\r\n");
    assert_eq!(contacts(&a).len(), 2);
    assert!(
        reg.bindings("sip:alice@example.com", t0)
            .iter()
            .all(|b| b.contact != "sip:a@h2")
    );
    let bad = phone.register(&mut reg, t0, "Contact: *\r\n");
    assert_eq!(bad.outcome, Outcome::Rejected(400));
    let bad = phone.register(&mut reg, t0, "Expires: 0\r\nContact: *, <sip:a@h1>\r\n");
    assert_eq!(bad.outcome, Outcome::Rejected(400));
    let a = phone.register(&mut reg, t0, "Expires: 0\r\nContact: *\r\n");
    assert_eq!(a.response.status_code(), Some(200));
    assert!(contacts(&a).is_empty());
    assert!(reg.bindings("sip:alice@example.com", t0).is_empty());
    assert_eq!(reg.aor_count(), 0);
}

#[test]
fn out_of_order_cseq_on_the_same_call_id_fails_with_500() {
    let t0 = Instant::now();
    let mut reg = registrar(t0);
    let mut phone = Phone::new("alice", "alice-pw");
    phone.cseq = 10;
    phone.register(&mut reg, t0, "Contact: <sip:a@h1>\r\n");
    phone.cseq = 3;
    let a = phone.register(&mut reg, t0, "Contact: <sip:a@h1>;expires=0\r\n");
    assert_eq!(a.outcome, Outcome::Rejected(500));
    assert_eq!(reg.bindings("sip:alice@example.com", t0).len(), 1);
    let a = phone.register(&mut reg, t0, "Expires: 0\r\nContact: *\r\n");
    assert_eq!(a.outcome, Outcome::Rejected(500));
    // Another Call-ID (another device or a reboot) may update it.
    phone.call_id = "call-2";
    let a = phone.register(&mut reg, t0, "Contact: <sip:a@h1>;expires=0\r\n");
    assert_eq!(a.response.status_code(), Some(200));
    assert!(reg.bindings("sip:alice@example.com", t0).is_empty());
}

#[test]
fn bindings_are_ordered_by_q() {
    let t0 = Instant::now();
    let mut reg = registrar(t0);
    let mut phone = Phone::new("alice", "alice-pw");
    let a = phone.register(
        &mut reg,
        t0,
        "Contact: <sip:a@low>;q=0.1, <sip:a@none>, <sip:a@mid>;q=0.55\r\n",
    );
    assert!(contacts(&a).contains(&"<sip:a@mid>;expires=3600;q=0.55".to_owned()));
    let order: Vec<_> = reg
        .bindings("sip:alice@example.com", t0)
        .iter()
        .map(|b| b.contact.clone())
        .collect();
    assert_eq!(order, ["sip:a@none", "sip:a@mid", "sip:a@low"]);
}

#[test]
fn bindings_expire_on_timeout() {
    let t0 = Instant::now();
    let mut reg = registrar(t0);
    let mut phone = Phone::new("alice", "alice-pw");
    phone.register(
        &mut reg,
        t0,
        "Contact: <sip:a@h1>;expires=60, <sip:a@h2>;expires=120\r\n",
    );
    assert_eq!(reg.poll_timeout(), Some(t0 + Duration::from_secs(60)));
    assert!(reg.handle_timeout(t0 + Duration::from_secs(59)).is_empty());
    let gone = reg.handle_timeout(t0 + Duration::from_secs(60));
    assert_eq!(gone.len(), 1);
    assert_eq!(gone[0].0, "sip:alice@example.com");
    assert_eq!(gone[0].1.contact, "sip:a@h1");
    assert_eq!(reg.poll_timeout(), Some(t0 + Duration::from_secs(120)));
    reg.handle_timeout(t0 + Duration::from_secs(120));
    assert_eq!(reg.poll_timeout(), None);
    assert_eq!(reg.aor_count(), 0);
}

#[test]
fn too_many_bindings_are_refused() {
    let t0 = Instant::now();
    let config = RegistrarConfig {
        max_bindings_per_aor: 2,
        ..RegistrarConfig::default()
    };
    let mut reg = Registrar::new("example.com", b"secret", t0, config);
    let mut phone = Phone::new("alice", "alice-pw");
    let a = phone.register(&mut reg, t0, "Contact: <sip:a@d1>, <sip:a@d2>, <sip:a@d3>\r\n");
    assert_eq!(a.outcome, Outcome::Rejected(403));
    assert_eq!(reg.aor_count(), 0);
}

#[test]
fn digest_uri_must_be_the_request_uri() {
    let t0 = Instant::now();
    let mut reg = registrar(t0);
    let mut phone = Phone::new("alice", "alice-pw");
    phone.register(&mut reg, t0, "");
    let text = phone.message("alice", "Contact: <sip:a@h>\r\n").to_string();
    let msg =
        Message::parse(text.replacen("REGISTER sip:example.com ", "REGISTER sip:other.example.com ", 1))
            .unwrap();
    let a = reg.handle_register(t0, &msg, &users).unwrap();
    assert_eq!(a.outcome, Outcome::Rejected(400));
}

#[test]
fn other_methods_get_405() {
    let t0 = Instant::now();
    let mut reg = registrar(t0);
    let msg = Message::parse(
        "OPTIONS sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
         From: <sip:a@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\nCall-ID: c\r\n\
         CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
    )
    .unwrap();
    let a = reg.handle_register(t0, &msg, &users).unwrap();
    assert_eq!(a.outcome, Outcome::Rejected(405));
}

fn header_line() -> impl Strategy<Value = String> {
    prop_oneof![
        "(Contact|m|Expires|Authorization|To|t|CSeq|Call-ID): [ -~]{0,60}",
        Just("Contact: *".to_owned()),
        Just("Expires: 0".to_owned()),
        "Contact: <sip:[a-z]{1,3}@[a-z]{1,3}>(;expires=[0-9]{1,11})?(;q=[0-9.]{1,5})?",
        "Authorization: Digest username=\"(alice|bob|)\",realm=\"example.com\",nonce=\"[0-9a-f-]{0,40}\",uri=\"sip:example.com\",response=\"[0-9a-f]{0,64}\"(,qop=auth,nc=[0-9a-f]{1,9},cnonce=\"x\")?",
    ]
}

proptest! {
    #[test]
    fn register_like_messages_never_panic(lines in prop::collection::vec(header_line(), 0..8), secs in 0u64..100_000) {
        let t0 = Instant::now();
        let mut reg = registrar(t0);
        let mut raw = String::from(
            "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
             From: <sip:alice@example.com>;tag=1\r\n",
        );
        for l in &lines {
            raw.push_str(l);
            raw.push_str("\r\n");
        }
        raw.push_str("Content-Length: 0\r\n\r\n");
        if let Ok(msg) = Message::parse(raw) {
            let now = t0 + Duration::from_secs(secs);
            let _ = reg.handle_register(now, &msg, &users);
            let _ = reg.bindings("sip:alice@example.com", now);
            let _ = reg.handle_timeout(now);
        }
    }
}

fn contact_line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Contact: *".to_owned()),
        "Expires: [0-9]{1,11}",
        "(Contact|m): <sip:[a-z]{1,3}@[a-z]{1,3}>(;expires=[0-9]{1,11})?(;q=[0-9.]{1,5})?(, <sip:x@[a-z]{1,2}>)?",
        "Contact: [ -~]{0,30}",
    ]
}

proptest! {
    /// Authenticated requests reach Contact processing; whatever they hold, nothing
    /// panics and the store stays within its limits.
    #[test]
    fn authenticated_register_like_messages_never_panic(
        requests in prop::collection::vec((prop::collection::vec(contact_line(), 0..5), 0u64..5000, 0u32..4), 1..6)
    ) {
        let t0 = Instant::now();
        let mut reg = registrar(t0);
        let mut phone = Phone::new("alice", "alice-pw");
        phone.register(&mut reg, t0, "");
        for (lines, secs, cseq_back) in requests {
            let mut extra = String::new();
            for l in &lines {
                extra.push_str(l);
                extra.push_str("\r\n");
            }
            phone.cseq = phone.cseq.saturating_sub(cseq_back);
            let now = t0 + Duration::from_secs(secs);
            let Some(msg) = phone.try_message("alice", &extra) else {
                continue;
            };
            let a = reg.handle_register(now, &msg, &users).unwrap();
            prop_assert!(a.response.status_code().is_some());
            prop_assert!(reg.bindings("sip:alice@example.com", now).len() <= RegistrarConfig::default().max_bindings_per_aor);
            let _ = reg.handle_timeout(now);
        }
    }
}

#[test]
fn a_refresh_moves_the_expiry_and_leaves_only_a_harmless_early_wakeup() {
    let t0 = Instant::now();
    let mut reg = registrar(t0);
    let mut phone = Phone::new("alice", "alice-pw");
    phone.register(&mut reg, t0, "Contact: <sip:a@h1>;expires=60\r\n");
    let t1 = t0 + Duration::from_secs(30);
    phone.register(&mut reg, t1, "Contact: <sip:a@h1>;expires=120\r\n");
    let wake = reg.poll_timeout().unwrap();
    assert!(wake <= t1 + Duration::from_secs(120));
    assert!(reg.handle_timeout(t0 + Duration::from_secs(60)).is_empty());
    assert_eq!(reg.poll_timeout(), Some(t1 + Duration::from_secs(120)));
    assert_eq!(
        reg.bindings("sip:alice@example.com", t0 + Duration::from_secs(100))
            .len(),
        1
    );
    assert_eq!(reg.handle_timeout(t1 + Duration::from_secs(120)).len(), 1);
    assert_eq!(reg.poll_timeout(), None);
}

#[test]
fn many_refreshes_keep_working() {
    let t0 = Instant::now();
    let mut reg = registrar(t0);
    let mut phone = Phone::new("alice", "alice-pw");
    for i in 0..3000u64 {
        let now = t0 + Duration::from_millis(i * 50);
        let a = phone.register(&mut reg, now, "Contact: <sip:a@h1>;expires=60\r\n");
        assert_eq!(a.response.status_code(), Some(200), "{i}");
        reg.handle_timeout(now);
    }
    let end = t0 + Duration::from_millis(2999 * 50);
    assert_eq!(reg.handle_timeout(end + Duration::from_secs(60)).len(), 1);
    assert_eq!(reg.poll_timeout(), None);
}

/// Tenants' directories: alice belongs to a.example, bob to b.example; both may use the
/// center's own domain.
struct Tenants;

impl UserDirectory for Tenants {
    fn password(&self, user: &str) -> Option<String> {
        users(user)
    }
    fn password_in(&self, domain: &str, user: &str) -> Option<String> {
        match (domain, user) {
            ("a.example", "alice") | ("b.example", "bob") | ("center.example", _) => users(user),
            _ => None,
        }
    }
}

/// One REGISTER in `domain` (Request-URI `uri`), answering the challenge it gets.
fn register_in(
    reg: &mut Registrar,
    now: Instant,
    (user, password): (&str, &str),
    uri: &str,
    domain: &str,
) -> (RegisterAnswer, Option<String>) {
    let build = |cseq: u32, auth: &str| {
        Message::parse(format!(
            "REGISTER {uri} SIP/2.0\r\n\
             Via: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bKd{cseq}\r\n\
             From: <sip:{user}@{domain}>;tag=f\r\nTo: <sip:{user}@{domain}>\r\n\
             Call-ID: multi-{user}-{domain}\r\nCSeq: {cseq} REGISTER\r\n{auth}\
             Contact: <sip:{user}@192.0.2.4>\r\nContent-Length: 0\r\n\r\n"
        ))
        .unwrap()
    };
    let first = reg.handle_register(now, &build(1, ""), &Tenants).unwrap();
    if first.response.status_code() != Some(401) {
        return (first, None);
    }
    let challenge = first
        .response
        .header(HeaderName::WwwAuthenticate)
        .unwrap()
        .to_owned();
    let c = Auth::parse(&challenge, "WWW-Authenticate").unwrap();
    let realm = c.realm().map(|r| r.to_string());
    let answer = answer_challenge(
        &c,
        &ClientRequest {
            username: user,
            password,
            method: "REGISTER",
            uri,
            cnonce: "abc",
            nc: 1,
        },
    )
    .unwrap();
    let second = reg
        .handle_register(now, &build(2, &format!("Authorization: {answer}\r\n")), &Tenants)
        .unwrap();
    (second, realm)
}

#[test]
fn each_tenant_domain_is_its_own_realm_with_its_own_users() {
    let t0 = Instant::now();
    let mut reg = Registrar::new("center.example", b"secret", t0, RegistrarConfig::default())
        .with_domain(
            "a.example",
            crate::auth::DigestServer::new("a.example", b"secret", t0),
        )
        .with_domain(
            "b.example",
            crate::auth::DigestServer::new("b.example", b"secret", t0),
        );

    // alice registers in her tenant's domain, challenged in its realm.
    let (a, realm) = register_in(&mut reg, t0, ("alice", "alice-pw"), "sip:a.example", "a.example");
    assert_eq!(a.response.status_code(), Some(200));
    assert_eq!(realm.as_deref(), Some("a.example"));
    assert_eq!(reg.bindings("sip:alice@a.example", t0).len(), 1);

    // Her right password does not let her into another tenant's domain.
    let (a, realm) = register_in(&mut reg, t0, ("alice", "alice-pw"), "sip:b.example", "b.example");
    assert_eq!(a.response.status_code(), Some(401));
    assert_eq!(realm.as_deref(), Some("b.example"));
    assert!(reg.bindings("sip:alice@b.example", t0).is_empty());

    // A phone that registers to an address is placed by its To domain.
    let (a, realm) = register_in(&mut reg, t0, ("bob", "bob-pw"), "sip:192.0.2.1:5060", "b.example");
    assert_eq!(a.response.status_code(), Some(200));
    assert_eq!(realm.as_deref(), Some("b.example"));

    // A domain nobody serves is not found, before any challenge.
    let (a, _) = register_in(&mut reg, t0, ("bob", "bob-pw"), "sip:c.example", "c.example");
    assert_eq!(a.response.status_code(), Some(404));

    // The first domain serves everyone the directory lets in.
    let (a, realm) = register_in(
        &mut reg,
        t0,
        ("bob", "bob-pw"),
        "sip:center.example",
        "center.example",
    );
    assert_eq!(realm.as_deref(), Some("center.example"));
    assert_eq!(a.response.status_code(), Some(200));
}
