//! Answering digest challenges to our own requests (RFC 3261 §22.2, RFC 7616).

use std::fmt;

use crate::auth::{Algorithm, ClientRequest, answer_challenge};
use crate::headers::{Auth, HeaderName};
use crate::message::Message;

/// A user name and password with which the agent answers a 401 or 407 to one of its
/// requests. `Debug` does not show the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name (`username=` of the digest).
    pub username: String,
    /// The password.
    pub password: String,
}

impl Credentials {
    /// Credentials of `username` with `password`.
    pub fn new(username: &str, password: &str) -> Self {
        Self {
            username: username.to_owned(),
            password: password.to_owned(),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// The challenge a request of ours last answered: reused (with the next nonce count)
/// for the next request to the same place, e.g. a registration refresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Challenge {
    /// `Authorization` for a 401, `Proxy-Authorization` for a 407.
    pub(crate) header: &'static str,
    /// The challenge as received (WWW-Authenticate or Proxy-Authenticate value).
    pub(crate) value: String,
    /// The nonce count used last with this nonce.
    pub(crate) nc: u32,
    /// Whether the server said the previous nonce was stale (a fresh try is due).
    pub(crate) stale: bool,
}

/// How much we like an algorithm: SHA-256 over MD5 (RFC 7616 §3.7).
fn rank(auth: &Auth<'_>) -> Option<u8> {
    match auth.algorithm() {
        None => Some(1),
        Some(a) => match Algorithm::parse(&a)? {
            Algorithm::Sha256 => Some(2),
            Algorithm::Md5 => Some(1),
        },
    }
}

/// The challenge of a 401 or 407 we can answer (Digest, MD5 or SHA-256, `qop` absent
/// or offering `auth`), SHA-256 preferred; `None` when there is none.
pub(crate) fn pick(response: &Message) -> Option<Challenge> {
    let (name, header) = match response.status_code()? {
        401 => (HeaderName::WwwAuthenticate, "Authorization"),
        407 => (HeaderName::ProxyAuthenticate, "Proxy-Authorization"),
        _ => return None,
    };
    let mut best: Option<(u8, &str, bool)> = None;
    for value in response.header_values(name) {
        let Ok(auth) = Auth::parse(value, name.as_str()) else {
            continue;
        };
        if !auth.is_digest() || auth.realm().is_none() || auth.nonce().is_none() {
            continue;
        }
        let qop_ok = auth
            .qop()
            .is_none_or(|q| q.split(',').any(|q| q.trim().eq_ignore_ascii_case("auth")));
        let Some(r) = rank(&auth).filter(|_| qop_ok) else {
            continue;
        };
        if best.is_none_or(|(b, _, _)| r > b) {
            best = Some((r, value, auth.stale()));
        }
    }
    best.map(|(_, value, stale)| Challenge {
        header,
        value: value.trim().to_owned(),
        nc: 0,
        stale,
    })
}

impl Challenge {
    /// The header `(name, value)` answering this challenge for `method` on `uri` with the
    /// next nonce count and `cnonce`; `None` when the challenge cannot be answered.
    pub(crate) fn answer(
        &mut self,
        credentials: &Credentials,
        method: &str,
        uri: &str,
        cnonce: &str,
    ) -> Option<(&'static str, String)> {
        let name = if self.header == "Authorization" {
            "WWW-Authenticate"
        } else {
            "Proxy-Authenticate"
        };
        let auth = Auth::parse(&self.value, name).ok()?;
        let nc = self.nc + 1;
        let value = answer_challenge(
            &auth,
            &ClientRequest {
                username: &credentials.username,
                password: &credentials.password,
                method,
                uri,
                cnonce,
                nc,
            },
        )
        .ok()?;
        self.nc = nc;
        Some((self.header, value))
    }
}

/// `request` again as a new transaction (RFC 3261 §22.2): a new top Via `via`, the
/// next CSeq number, the credentials `auth` in place of any earlier ones; every other
/// header and the body as they were.
pub(crate) fn reissue(
    request: &Message,
    via: &str,
    auth: Option<&(&'static str, String)>,
) -> Result<Message, crate::Error> {
    reissue_with_seq(request, via, auth, None)
}

/// [`reissue`] with the CSeq number `seq` (the next one when `None`).
pub(crate) fn reissue_with_seq(
    request: &Message,
    via: &str,
    auth: Option<&(&'static str, String)>,
    seq: Option<u32>,
) -> Result<Message, crate::Error> {
    let method = request.method().unwrap_or_default();
    let uri = request.request_uri_str().unwrap_or_default();
    let cseq = request.cseq()?;
    let next = seq.unwrap_or(cseq.seq + 1);
    let mut b = Message::request(method, uri).header("Via", via);
    let mut via_skipped = false;
    for h in request.headers() {
        match h.name {
            HeaderName::Via if !via_skipped => {
                // Only our own top Via is replaced (we wrote one Via).
                via_skipped = true;
            }
            HeaderName::CSeq => {
                b = b.header("CSeq", &format!("{next} {}", cseq.method));
            }
            HeaderName::ContentLength => {}
            // The credentials being replaced; those for another hop (a proxy's 407
            // before the callee's 401) stay.
            name if auth.is_some_and(|(a, _)| HeaderName::from_name(a) == name) => {}
            _ => b = b.header(h.raw_name, h.value),
        }
    }
    if let Some((name, value)) = auth {
        b = b.header(name, value);
    }
    b.body(request.body_bytes()).build()
}
