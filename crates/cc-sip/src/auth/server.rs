//! The server side: challenges with stateless nonces, verification of credentials.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::digest::{self, Algorithm, Qop, hex};
use super::{constant_time_eq, quote};
use crate::headers::Auth;

/// The outcome of [`DigestServer::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The credentials are right; `username` is who sent them.
    Authenticated {
        /// The authenticated user.
        username: String,
    },
    /// The response was right but the nonce has expired: challenge again with
    /// `stale=true` so the client retries without asking its user.
    Stale,
    /// The credentials are refused.
    Rejected(Rejection),
}

/// Why credentials were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// The scheme is not Digest.
    NotDigest,
    /// A parameter the response needs is missing or malformed.
    Malformed(&'static str),
    /// The realm is not this server's.
    WrongRealm,
    /// The algorithm is neither MD5 nor SHA-256.
    UnsupportedAlgorithm,
    /// `qop` is not `auth`, or is missing while legacy credentials are not allowed.
    UnsupportedQop,
    /// The nonce was not issued by this server (or comes from the future).
    BadNonce,
    /// `opaque` differs from the one in the challenge.
    WrongOpaque,
    /// The user is unknown.
    UnknownUser,
    /// The response does not match (wrong password, method or URI).
    WrongResponse,
    /// The nonce count did not increase: a replay.
    Replay,
}

/// Issues digest challenges and verifies credentials.
///
/// Nonces are `timestamp-counter-mac`, where `mac` is a SHA-256 hash of the server secret,
/// the realm, the timestamp and the counter: a nonce is checked without storing it and
/// expires after [`DigestServer::with_nonce_ttl`]. The last nonce count seen per nonce is
/// kept in a table of at most [`DigestServer::with_max_nonces`] entries (expired entries
/// go first, then the oldest) so a replayed `nc` is refused.
#[derive(Debug, Clone)]
pub struct DigestServer {
    realm: String,
    secret: Vec<u8>,
    epoch: Instant,
    counter: u64,
    ttl: Duration,
    max_nonces: usize,
    allow_no_qop: bool,
    opaque: String,
    algorithms: Vec<Algorithm>,
    /// nonce → (issue time in seconds since `epoch`, last nonce count).
    seen: HashMap<String, (u64, u32)>,
}

impl DigestServer {
    /// A server for `realm` keyed by `secret`; nonce times count from `epoch`.
    /// Nonces live 300 s; at most 10 000 nonce counts are remembered; credentials
    /// without `qop` (RFC 2069) are accepted.
    pub fn new(realm: &str, secret: &[u8], epoch: Instant) -> Self {
        let mut opaque = Sha256::new();
        opaque.update(secret);
        opaque.update(b":opaque:");
        opaque.update(realm.as_bytes());
        let opaque = hex(&opaque.finalize()).chars().take(32).collect();
        Self {
            realm: realm.to_owned(),
            secret: secret.to_vec(),
            epoch,
            counter: 0,
            ttl: Duration::from_secs(300),
            max_nonces: 10_000,
            allow_no_qop: true,
            opaque,
            algorithms: vec![Algorithm::Sha256, Algorithm::Md5],
            seen: HashMap::new(),
        }
    }

    /// Sets how long a nonce stays valid.
    pub fn with_nonce_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Sets how many nonces' counts are remembered (at least 1).
    pub fn with_max_nonces(mut self, max: usize) -> Self {
        self.max_nonces = max.max(1);
        self
    }

    /// Whether credentials without `qop` (RFC 2069, no replay protection) are accepted.
    pub fn with_legacy_no_qop(mut self, allow: bool) -> Self {
        self.allow_no_qop = allow;
        self
    }

    /// The algorithms offered, most preferred first (SHA-256 then MD5 unless set);
    /// credentials with another are refused. An empty list keeps the current one.
    pub fn with_algorithms(mut self, algorithms: &[Algorithm]) -> Self {
        if !algorithms.is_empty() {
            self.algorithms = algorithms.to_vec();
        }
        self
    }

    /// The realm.
    pub fn realm(&self) -> &str {
        &self.realm
    }

    fn secs(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.epoch).as_secs()
    }

    fn mac(&self, ts: u64, counter: u64) -> String {
        let mut h = Sha256::new();
        h.update(&self.secret);
        h.update(b":");
        h.update(self.realm.as_bytes());
        h.update(format!(":{ts:x}:{counter:x}").as_bytes());
        hex(&h.finalize()).chars().take(32).collect()
    }

    /// A fresh nonce.
    pub fn nonce(&mut self, now: Instant) -> String {
        self.counter = self.counter.wrapping_add(1);
        let ts = self.secs(now);
        format!("{ts:x}-{:x}-{}", self.counter, self.mac(ts, self.counter))
    }

    /// The issue time of `nonce` in seconds since the epoch, if this server made it.
    fn nonce_time(&self, nonce: &str) -> Option<u64> {
        let mut parts = nonce.split('-');
        let ts = parts.next()?;
        let ctr = parts.next()?;
        let mac = parts.next()?;
        if parts.next().is_some() || ts.len() > 16 || ctr.len() > 16 {
            return None;
        }
        let ts = u64::from_str_radix(ts, 16).ok()?;
        let ctr = u64::from_str_radix(ctr, 16).ok()?;
        constant_time_eq(self.mac(ts, ctr).as_bytes(), mac.as_bytes()).then_some(ts)
    }

    /// Challenge values for WWW-Authenticate or Proxy-Authenticate: one per offered
    /// algorithm, SHA-256 then MD5 by default (RFC 7616 §3.7: most preferred first),
    /// sharing one nonce.
    /// `stale` adds `stale=true`.
    pub fn challenge(&mut self, now: Instant, stale: bool) -> Vec<String> {
        let nonce = self.nonce(now);
        self.algorithms
            .iter()
            .map(|alg| {
                let mut v = format!(
                    "Digest realm={},nonce={},opaque={},qop=\"auth\",algorithm={}",
                    quote(&self.realm),
                    quote(&nonce),
                    quote(&self.opaque),
                    alg.name()
                );
                if stale {
                    v.push_str(",stale=true");
                }
                v
            })
            .collect()
    }

    /// Checks credentials (an Authorization or Proxy-Authorization value) for a request
    /// with `method`; `password` gives the password of a user, `None` if unknown.
    ///
    /// The digest-uri is taken from the credentials; a caller that wants it to match
    /// the Request-URI compares [`Auth::uri`] itself.
    pub fn verify(
        &mut self,
        now: Instant,
        credentials: &Auth<'_>,
        method: &str,
        password: impl FnOnce(&str) -> Option<String>,
    ) -> Verdict {
        match self.check(now, credentials, method, password) {
            Ok(v) | Err(v) => v,
        }
    }

    fn check(
        &mut self,
        now: Instant,
        c: &Auth<'_>,
        method: &str,
        password: impl FnOnce(&str) -> Option<String>,
    ) -> Result<Verdict, Verdict> {
        use Rejection as R;
        let reject = |r| Verdict::Rejected(r);
        if !c.is_digest() {
            return Err(reject(R::NotDigest));
        }
        let username = c.username().ok_or(reject(R::Malformed("username")))?;
        let realm = c.realm().ok_or(reject(R::Malformed("realm")))?;
        let nonce = c.nonce().ok_or(reject(R::Malformed("nonce")))?;
        let uri = c.uri().ok_or(reject(R::Malformed("uri")))?;
        let given = c.response().ok_or(reject(R::Malformed("response")))?;
        if realm != self.realm {
            return Err(reject(R::WrongRealm));
        }
        let alg = match c.algorithm() {
            None => Algorithm::Md5,
            Some(a) => Algorithm::parse(&a).ok_or(reject(R::UnsupportedAlgorithm))?,
        };
        if !self.algorithms.contains(&alg) {
            return Err(reject(R::UnsupportedAlgorithm));
        }
        if c.opaque().is_some_and(|o| o != self.opaque) {
            return Err(reject(R::WrongOpaque));
        }
        let issued = self.nonce_time(&nonce).ok_or(reject(R::BadNonce))?;
        let now_secs = self.secs(now);
        if issued > now_secs {
            return Err(reject(R::BadNonce));
        }
        let qop = c.qop();
        let nc_raw = c.param("nc");
        let cnonce = c.cnonce();
        let (qop, nc) = match qop.as_deref() {
            Some(q) if q.eq_ignore_ascii_case("auth") => {
                let nc = c.nonce_count().ok_or(reject(R::Malformed("nc")))?;
                let cnonce = cnonce.as_deref().ok_or(reject(R::Malformed("cnonce")))?;
                let nc_raw = nc_raw.as_deref().ok_or(reject(R::Malformed("nc")))?;
                (Qop::Auth { nc: nc_raw, cnonce }, Some(nc))
            }
            None if self.allow_no_qop => (Qop::None, None),
            _ => return Err(reject(R::UnsupportedQop)),
        };
        let password = password(&username).ok_or(reject(R::UnknownUser))?;
        let ha1 = digest::ha1(alg, &username, &realm, &password);
        let ha2 = digest::ha2(alg, method, &uri);
        let expected = digest::response(alg, &ha1, &nonce, qop, &ha2);
        if !constant_time_eq(expected.as_bytes(), given.to_ascii_lowercase().as_bytes()) {
            return Err(reject(R::WrongResponse));
        }
        if now_secs - issued > self.ttl.as_secs() {
            self.seen.remove(nonce.as_ref());
            return Err(Verdict::Stale);
        }
        if let Some(nc) = nc {
            self.record_count(&nonce, issued, nc, now_secs)
                .map_err(|()| reject(R::Replay))?;
        }
        Ok(Verdict::Authenticated {
            username: username.into_owned(),
        })
    }

    /// Records `nc` for `nonce`; `Err` if it does not exceed the last count seen.
    fn record_count(&mut self, nonce: &str, issued: u64, nc: u32, now_secs: u64) -> Result<(), ()> {
        if let Some((_, last)) = self.seen.get_mut(nonce) {
            if nc <= *last {
                return Err(());
            }
            *last = nc;
            return Ok(());
        }
        if self.seen.len() >= self.max_nonces {
            let ttl = self.ttl.as_secs();
            self.seen.retain(|_, (t, _)| now_secs.saturating_sub(*t) <= ttl);
        }
        while self.seen.len() >= self.max_nonces {
            let oldest = self
                .seen
                .iter()
                .min_by_key(|(_, (t, _))| *t)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => self.seen.remove(&k),
                None => break,
            };
        }
        self.seen.insert(nonce.to_owned(), (issued, nc));
        Ok(())
    }

    /// How many nonce counts are remembered now.
    pub fn tracked_nonces(&self) -> usize {
        self.seen.len()
    }
}
