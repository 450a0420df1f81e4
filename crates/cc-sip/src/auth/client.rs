//! The client side: answering a digest challenge.

use super::digest::{self, Algorithm, Qop};
use super::quote;
use crate::headers::Auth;

/// What the client needs to answer a challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientRequest<'a> {
    /// The user name.
    pub username: &'a str,
    /// The password.
    pub password: &'a str,
    /// The request method, e.g. `REGISTER`.
    pub method: &'a str,
    /// The digest-uri: the Request-URI of the request.
    pub uri: &'a str,
    /// The client nonce (used with `qop=auth`).
    pub cnonce: &'a str,
    /// The nonce count: 1 for the first use of a nonce, then 2, 3...
    pub nc: u32,
}

/// Why a challenge cannot be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The scheme is not Digest.
    #[error("the challenge's scheme is not Digest")]
    NotDigest,
    /// The challenge lacks `realm` or `nonce`.
    #[error("the challenge lacks realm or nonce")]
    Incomplete,
    /// The algorithm is neither MD5 nor SHA-256.
    #[error("the challenge's algorithm is not MD5 or SHA-256")]
    UnsupportedAlgorithm,
    /// `qop` is offered but without `auth`.
    #[error("the challenge offers qop without auth")]
    UnsupportedQop,
}

/// The Authorization (or Proxy-Authorization) value answering `challenge`.
///
/// With `qop` offered, `auth` is chosen and `cnonce` / `nc` are sent; without it the
/// RFC 2069 response is computed. `opaque` and `algorithm` are echoed.
pub fn answer_challenge(challenge: &Auth<'_>, req: &ClientRequest<'_>) -> Result<String, ClientError> {
    if !challenge.is_digest() {
        return Err(ClientError::NotDigest);
    }
    let realm = challenge.realm().ok_or(ClientError::Incomplete)?;
    let nonce = challenge.nonce().ok_or(ClientError::Incomplete)?;
    let alg = match challenge.algorithm() {
        None => Algorithm::Md5,
        Some(a) => Algorithm::parse(&a).ok_or(ClientError::UnsupportedAlgorithm)?,
    };
    let use_qop = match challenge.qop() {
        None => false,
        Some(list) => {
            if list.split(',').any(|q| q.trim().eq_ignore_ascii_case("auth")) {
                true
            } else {
                return Err(ClientError::UnsupportedQop);
            }
        }
    };
    let nc = format!("{:08x}", req.nc);
    let qop = if use_qop {
        Qop::Auth {
            nc: &nc,
            cnonce: req.cnonce,
        }
    } else {
        Qop::None
    };
    let ha1 = digest::ha1(alg, req.username, &realm, req.password);
    let ha2 = digest::ha2(alg, req.method, req.uri);
    let response = digest::response(alg, &ha1, &nonce, qop, &ha2);
    let mut v = format!(
        "Digest username={},realm={},nonce={},uri={},response=\"{response}\",algorithm={}",
        quote(req.username),
        quote(&realm),
        quote(&nonce),
        quote(req.uri),
        alg.name()
    );
    if use_qop {
        v.push_str(",qop=auth,nc=");
        v.push_str(&nc);
        v.push_str(",cnonce=");
        v.push_str(&quote(req.cnonce));
    }
    if let Some(opaque) = challenge.opaque() {
        v.push_str(",opaque=");
        v.push_str(&quote(&opaque));
    }
    Ok(v)
}
