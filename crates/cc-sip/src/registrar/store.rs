//! The binding store and REGISTER processing.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::{Duration, Instant};

use crate::auth::{DigestServer, Rejection, Verdict};
use crate::error::Error;
use crate::headers::Contact;
use crate::message::Message;
use crate::parser::uri::Uri;
use crate::transaction::messages::response_to;

/// Where the registrar finds passwords.
pub trait UserDirectory {
    /// The password of `user`, `None` if the user is unknown.
    fn password(&self, user: &str) -> Option<String>;

    /// The password of `user` registering in `domain`, `None` if the user is unknown there
    /// (a tenant's agents register in its domain, not in another tenant's). By default a
    /// user is known in every domain the registrar serves.
    fn password_in(&self, domain: &str, user: &str) -> Option<String> {
        let _ = domain;
        self.password(user)
    }
}

impl<F: Fn(&str) -> Option<String>> UserDirectory for F {
    fn password(&self, user: &str) -> Option<String> {
        self(user)
    }
}

/// Limits and defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistrarConfig {
    /// Below this (except 0) a registration is answered 423 with Min-Expires.
    pub min_expires: u32,
    /// Longer requested expirations are cut to this.
    pub max_expires: u32,
    /// Used when neither the contact nor the Expires header says.
    pub default_expires: u32,
    /// Contacts one address-of-record may have; more are refused with 403.
    pub max_bindings_per_aor: usize,
    /// Addresses-of-record the store holds; a new one beyond is refused with 503.
    pub max_aors: usize,
}

impl Default for RegistrarConfig {
    fn default() -> Self {
        Self {
            min_expires: 60,
            max_expires: 7200,
            default_expires: 3600,
            max_bindings_per_aor: 10,
            max_aors: 100_000,
        }
    }
}

/// One contact bound to an address-of-record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The contact URI as registered.
    pub contact: String,
    /// The `q` preference in thousandths, if given.
    pub q: Option<u16>,
    /// When the binding lapses.
    pub expires_at: Instant,
    /// The Call-ID of the REGISTER that last refreshed it.
    pub call_id: String,
    /// Its CSeq number.
    pub cseq: u32,
}

impl Binding {
    /// Whole seconds left at `now`, rounded up.
    pub fn remaining(&self, now: Instant) -> u32 {
        let d = self.expires_at.saturating_duration_since(now);
        let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
        u32::try_from(secs).unwrap_or(u32::MAX)
    }
}

/// What [`Registrar::handle_register`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The bindings of `aor` were updated (or queried); the response is 200.
    Registered {
        /// The address-of-record, normalized.
        aor: String,
        /// How many bindings it has now.
        bindings: usize,
    },
    /// Answered 401 with a challenge (`stale` when the nonce had expired).
    Challenged {
        /// Whether the challenge says `stale=true`.
        stale: bool,
    },
    /// Refused with this status code.
    Rejected(u16),
}

/// The response to send and what happened.
#[derive(Debug, Clone)]
pub struct RegisterAnswer {
    /// The response to send back.
    pub response: Message,
    /// What the registrar did.
    pub outcome: Outcome,
}

/// The registrar for one domain (its digest realm), or several — one per tenant — each
/// with its own realm.
#[derive(Debug, Clone)]
pub struct Registrar {
    domain: String,
    config: RegistrarConfig,
    auth: DigestServer,
    /// Further domains, each its own realm.
    more: Vec<(String, DigestServer)>,
    aors: HashMap<String, Vec<Binding>>,
    /// For every address-of-record, an entry at or before its earliest expiry (older
    /// entries linger until their time and are then skipped).
    deadlines: BinaryHeap<Reverse<(Instant, String)>>,
    tags: u64,
}

/// The key of an address-of-record: scheme, user and lowercase host.
fn aor_key(uri: &Uri<'_>) -> Option<String> {
    let sip = uri.as_sip()?;
    let user = sip.user?;
    let scheme = if sip.secure { "sips" } else { "sip" };
    Some(format!("{scheme}:{user}@{}", sip.host.to_ascii_lowercase()))
}

/// One contact of the request, as it will be stored.
struct Update {
    contact: String,
    q: Option<u16>,
    expires: u32,
}

impl Registrar {
    /// A registrar for `domain` (also the digest realm); nonces are keyed by `secret`
    /// and timed from `epoch`.
    pub fn new(domain: &str, secret: &[u8], epoch: Instant, config: RegistrarConfig) -> Self {
        Self {
            domain: domain.to_owned(),
            config,
            auth: DigestServer::new(domain, secret, epoch),
            more: Vec::new(),
            aors: HashMap::new(),
            deadlines: BinaryHeap::new(),
            tags: 0,
        }
    }

    /// Replaces the digest server (nonce lifetime, table size, legacy clients).
    pub fn with_digest(mut self, auth: DigestServer) -> Self {
        self.auth = auth;
        self
    }

    /// Also serves `domain`, authenticating with `auth` (whose realm should be `domain`):
    /// REGISTERs whose Request-URI names it are challenged in its realm, and their users
    /// are looked up with [`UserDirectory::password_in`]. A domain already served keeps
    /// its first server.
    #[must_use]
    pub fn with_domain(mut self, domain: &str, auth: DigestServer) -> Self {
        if self.serves(domain).is_none() {
            self.more.push((domain.to_ascii_lowercase(), auth));
        }
        self
    }

    /// Index of the served `domain`: 0 for the first, then in the order added.
    fn serves(&self, domain: &str) -> Option<usize> {
        if domain.eq_ignore_ascii_case(&self.domain) {
            return Some(0);
        }
        self.more
            .iter()
            .position(|(d, _)| d.eq_ignore_ascii_case(domain))
            .map(|i| i + 1)
    }

    fn domain_at(&self, i: usize) -> &str {
        if i == 0 { &self.domain } else { &self.more[i - 1].0 }
    }

    fn auth_at(&mut self, i: usize) -> &mut DigestServer {
        if i == 0 {
            &mut self.auth
        } else {
            &mut self.more[i - 1].1
        }
    }

    fn answer(
        &mut self,
        req: &Message,
        code: u16,
        reason: &str,
        extra: &[(&str, &str)],
        outcome: Outcome,
    ) -> Result<RegisterAnswer, Error> {
        self.tags = self.tags.wrapping_add(1);
        let tag = format!("reg{:x}", self.tags);
        let response = response_to(req, code, reason, Some(&tag), extra)?;
        Ok(RegisterAnswer { response, outcome })
    }

    fn reject(&mut self, req: &Message, code: u16, reason: &str) -> Result<RegisterAnswer, Error> {
        self.answer(req, code, reason, &[], Outcome::Rejected(code))
    }

    fn challenge(
        &mut self,
        now: Instant,
        req: &Message,
        domain: usize,
        stale: bool,
    ) -> Result<RegisterAnswer, Error> {
        let values = self.auth_at(domain).challenge(now, stale);
        let extra: Vec<(&str, &str)> = values.iter().map(|v| ("WWW-Authenticate", v.as_str())).collect();
        self.answer(req, 401, "Unauthorized", &extra, Outcome::Challenged { stale })
    }

    /// Processes a REGISTER received at `now` and returns the response to send.
    ///
    /// `Err` only when no response can be built (the request lacks Via, From, To,
    /// Call-ID or CSeq); the transport drops such a request.
    pub fn handle_register(
        &mut self,
        now: Instant,
        req: &Message,
        users: &dyn UserDirectory,
    ) -> Result<RegisterAnswer, Error> {
        if req.method() != Some("REGISTER") {
            return self.answer(
                req,
                405,
                "Method Not Allowed",
                &[("Allow", "REGISTER")],
                Outcome::Rejected(405),
            );
        }
        // The domain (§10.3 step 1): the Request-URI's host when we serve it, else the To
        // host's (phones often register to an address, not a name); with one domain only,
        // any Request-URI is taken as ours (the To check below still applies).
        let host_of = |uri: Option<Uri<'_>>| uri.and_then(|u| u.as_sip().map(|s| s.host.to_string()));
        let by_uri = host_of(req.request_uri().and_then(Result::ok)).and_then(|h| self.serves(&h));
        let by_to = || host_of(req.to_header().ok().map(|t| t.uri)).and_then(|h| self.serves(&h));
        let domain = match by_uri.or_else(by_to) {
            Some(i) => i,
            None if self.more.is_empty() => 0,
            None => return self.reject(req, 404, "Not Found"),
        };
        // Authentication (step 4): credentials for that domain's realm.
        let credentials = req.authorization().filter_map(Result::ok).find(|a| {
            a.is_digest()
                && a.realm()
                    .is_some_and(|r| r.eq_ignore_ascii_case(self.domain_at(domain)))
        });
        let Some(credentials) = credentials else {
            return self.challenge(now, req, domain, false);
        };
        // RFC 7616 §3.4.6: the digest-uri must be the Request-URI.
        if credentials.uri().as_deref() != req.request_uri_str() {
            return self.reject(req, 400, "Digest URI Mismatch");
        }
        let realm = self.domain_at(domain).to_owned();
        let verdict = self
            .auth_at(domain)
            .verify(now, &credentials, "REGISTER", |u| users.password_in(&realm, u));
        let username = match verdict {
            Verdict::Authenticated { username } => username,
            Verdict::Stale => return self.challenge(now, req, domain, true),
            Verdict::Rejected(Rejection::Malformed(_) | Rejection::NotDigest) => {
                return self.reject(req, 400, "Malformed Credentials");
            }
            Verdict::Rejected(_) => return self.challenge(now, req, domain, false),
        };
        // The address-of-record (step 5) and the right to change it (step 6).
        let Ok(to) = req.to_header() else {
            return self.reject(req, 400, "Bad To Header");
        };
        let Some(aor) = aor_key(&to.uri) else {
            return self.reject(req, 404, "Not Found");
        };
        let to_host_ok = to
            .uri
            .as_sip()
            .is_some_and(|s| s.host.eq_ignore_ascii_case(self.domain_at(domain)));
        if !to_host_ok {
            return self.reject(req, 404, "Not Found");
        }
        if to.uri.as_sip().and_then(|s| s.user) != Some(username.as_str()) {
            return self.reject(req, 403, "Forbidden");
        }
        let (Ok(call_id), Ok(cseq)) = (req.call_id(), req.cseq()) else {
            return self.reject(req, 400, "Bad Call-ID or CSeq");
        };
        let Ok(header_expires) = req.expires() else {
            return self.reject(req, 400, "Bad Expires");
        };
        let Ok(contacts) = req.contacts().collect::<Result<Vec<Contact<'_>>, Error>>() else {
            return self.reject(req, 400, "Bad Contact");
        };
        self.purge_aor(&aor, now);
        let current = self.aors.get(&aor).map(Vec::as_slice).unwrap_or_default();
        let out_of_order = |b: &Binding| b.call_id == call_id && b.cseq >= cseq.seq;

        if contacts.contains(&Contact::Wildcard) {
            // Step 6: `*` only alone and with Expires: 0.
            if contacts.len() != 1 || header_expires != Some(0) {
                return self.reject(req, 400, "Invalid Wildcard");
            }
            if current.iter().any(out_of_order) {
                return self.reject(req, 500, "Out Of Order");
            }
            self.aors.remove(&aor);
            return self.registered(now, req, aor);
        }

        // Step 7: every contact checked before any is applied.
        let mut updates = Vec::with_capacity(contacts.len());
        for c in &contacts {
            let Some(addr) = c.address() else { continue };
            let requested = addr
                .expires()
                .or(header_expires)
                .unwrap_or(self.config.default_expires);
            if requested != 0 && requested < self.config.min_expires {
                let min = self.config.min_expires.to_string();
                return self.answer(
                    req,
                    423,
                    "Interval Too Brief",
                    &[("Min-Expires", &min)],
                    Outcome::Rejected(423),
                );
            }
            let contact = addr.uri.as_str();
            if current
                .iter()
                .any(|b| b.contact.eq_ignore_ascii_case(contact) && out_of_order(b))
            {
                return self.reject(req, 500, "Out Of Order");
            }
            updates.push(Update {
                contact: contact.to_owned(),
                q: addr.q(),
                expires: requested.min(self.config.max_expires),
            });
        }
        let mut bindings = current.to_vec();
        for u in updates {
            bindings.retain(|b| !b.contact.eq_ignore_ascii_case(&u.contact));
            if u.expires > 0 {
                bindings.push(Binding {
                    contact: u.contact,
                    q: u.q,
                    expires_at: now + Duration::from_secs(u64::from(u.expires)),
                    call_id: call_id.to_owned(),
                    cseq: cseq.seq,
                });
            }
        }
        if bindings.len() > self.config.max_bindings_per_aor {
            return self.reject(req, 403, "Too Many Bindings");
        }
        if bindings.is_empty() {
            self.aors.remove(&aor);
        } else {
            if !self.aors.contains_key(&aor) && self.aors.len() >= self.config.max_aors {
                return self.reject(req, 503, "Registrar Full");
            }
            self.schedule(&aor, &bindings);
            self.aors.insert(aor.clone(), bindings);
        }
        self.registered(now, req, aor)
    }

    /// The 200 listing every binding of `aor` (step 8).
    fn registered(&mut self, now: Instant, req: &Message, aor: String) -> Result<RegisterAnswer, Error> {
        let contacts: Vec<String> = self
            .aors
            .get(&aor)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|b| {
                let mut v = format!("<{}>;expires={}", b.contact, b.remaining(now));
                if let Some(q) = b.q {
                    v.push_str(&format_q(q));
                }
                v
            })
            .collect();
        let extra: Vec<(&str, &str)> = contacts.iter().map(|c| ("Contact", c.as_str())).collect();
        let outcome = Outcome::Registered {
            bindings: contacts.len(),
            aor,
        };
        self.answer(req, 200, "OK", &extra, outcome)
    }

    /// Records the earliest expiry of `aor`; rebuilds the heap when stale entries
    /// outnumber the live ones.
    fn schedule(&mut self, aor: &str, bindings: &[Binding]) {
        if let Some(first) = bindings.iter().map(|b| b.expires_at).min() {
            self.deadlines.push(Reverse((first, aor.to_owned())));
        }
        if self.deadlines.len() > 2 * self.aors.len() + 1024 {
            self.deadlines = self
                .aors
                .iter()
                .filter_map(|(k, l)| Some(Reverse((l.iter().map(|b| b.expires_at).min()?, k.clone()))))
                .collect();
            if let Some(first) = bindings.iter().map(|b| b.expires_at).min() {
                self.deadlines.push(Reverse((first, aor.to_owned())));
            }
        }
    }

    fn purge_aor(&mut self, aor: &str, now: Instant) {
        if let Some(list) = self.aors.get_mut(aor) {
            list.retain(|b| b.expires_at > now);
            if list.is_empty() {
                self.aors.remove(aor);
            }
        }
    }

    /// The live bindings of `aor` (a SIP URI; the user and host are what count), most
    /// preferred first (`q` absent counts as 1.0).
    pub fn bindings(&self, aor: &str, now: Instant) -> Vec<&Binding> {
        let key = Uri::parse(aor).ok().and_then(|u| aor_key(&u));
        let mut list: Vec<&Binding> = key
            .and_then(|k| self.aors.get(&k))
            .map(|l| l.iter().filter(|b| b.expires_at > now).collect())
            .unwrap_or_default();
        list.sort_by_key(|b| std::cmp::Reverse(b.q.unwrap_or(1000)));
        list
    }

    /// How many addresses-of-record have bindings (expired ones included until
    /// [`Registrar::handle_timeout`]).
    pub fn aor_count(&self) -> usize {
        self.aors.len()
    }

    /// When to call [`Registrar::handle_timeout`] next: at or before the next binding
    /// lapses (a refreshed binding can leave an earlier, harmless wake-up).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadlines.peek().map(|Reverse((t, _))| *t)
    }

    /// Removes every binding lapsed at `now`; returns them with their address-of-record.
    /// A binding that a REGISTER finds lapsed is dropped then and not reported here.
    pub fn handle_timeout(&mut self, now: Instant) -> Vec<(String, Binding)> {
        let mut expired = Vec::new();
        while let Some(Reverse((t, _))) = self.deadlines.peek() {
            if *t > now {
                break;
            }
            let Some(Reverse((_, aor))) = self.deadlines.pop() else {
                break;
            };
            let Some(list) = self.aors.get_mut(&aor) else {
                continue;
            };
            let (gone, kept): (Vec<Binding>, Vec<Binding>) = std::mem::take(list)
                .into_iter()
                .partition(|b| b.expires_at <= now);
            expired.extend(gone.into_iter().map(|b| (aor.clone(), b)));
            if kept.is_empty() {
                self.aors.remove(&aor);
            } else {
                if let Some(first) = kept.iter().map(|b| b.expires_at).min() {
                    self.deadlines.push(Reverse((first, aor.clone())));
                }
                *list = kept;
            }
        }
        expired
    }
}

/// `;q=0.5` from thousandths.
fn format_q(q: u16) -> String {
    match q {
        0 => ";q=0".to_owned(),
        1000.. => ";q=1".to_owned(),
        _ => format!(";q=0.{}", format!("{q:03}").trim_end_matches('0')),
    }
}
