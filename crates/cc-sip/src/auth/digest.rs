//! The digest computations of RFC 7616 §3.4.1 to §3.4.3 for `qop=auth` and the
//! RFC 2069 form without `qop`.

use md5::Md5;
use sha2::{Digest, Sha256};

/// A digest algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `MD5` (RFC 2617), the default when a challenge names none.
    Md5,
    /// `SHA-256` (RFC 7616).
    Sha256,
}

impl Algorithm {
    /// The token written in `algorithm=`.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Sha256 => "SHA-256",
        }
    }

    /// Parses an `algorithm` value (case-insensitive); `None` for the `-sess` variants
    /// and algorithms this crate does not implement.
    pub fn parse(name: &str) -> Option<Self> {
        if name.eq_ignore_ascii_case("MD5") {
            Some(Algorithm::Md5)
        } else if name.eq_ignore_ascii_case("SHA-256") {
            Some(Algorithm::Sha256)
        } else {
            None
        }
    }

    /// The lowercase hex hash of `parts` joined by `:`.
    pub fn hash_hex(self, parts: &[&str]) -> String {
        fn feed<D: Digest>(mut d: D, parts: &[&str]) -> String {
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    d.update(b":");
                }
                d.update(p.as_bytes());
            }
            hex(&d.finalize())
        }
        match self {
            Algorithm::Md5 => feed(Md5::new(), parts),
            Algorithm::Sha256 => feed(Sha256::new(), parts),
        }
    }
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// `HA1 = H(username:realm:password)`.
pub fn ha1(alg: Algorithm, username: &str, realm: &str, password: &str) -> String {
    alg.hash_hex(&[username, realm, password])
}

/// `HA2 = H(method:digest-uri)` (`qop=auth` or no `qop`).
pub fn ha2(alg: Algorithm, method: &str, uri: &str) -> String {
    alg.hash_hex(&[method, uri])
}

/// What the response covers besides HA1 and HA2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qop<'a> {
    /// `qop=auth` with the nonce count (8 hex digits as sent) and the client nonce.
    Auth {
        /// `nc` as written, e.g. `00000001`.
        nc: &'a str,
        /// `cnonce`.
        cnonce: &'a str,
    },
    /// No `qop` (RFC 2069): `H(HA1:nonce:HA2)`.
    None,
}

/// The `response` value: `H(HA1:nonce:nc:cnonce:auth:HA2)` or `H(HA1:nonce:HA2)`.
pub fn response(alg: Algorithm, ha1: &str, nonce: &str, qop: Qop<'_>, ha2: &str) -> String {
    match qop {
        Qop::Auth { nc, cnonce } => alg.hash_hex(&[ha1, nonce, nc, cnonce, "auth", ha2]),
        Qop::None => alg.hash_hex(&[ha1, nonce, ha2]),
    }
}
