//! HTTP digest authentication for SIP (RFC 7616, compatible with RFC 2617 and the
//! RFC 2069 form without `qop`), sans-IO.
//!
//! - [`digest`] computes HA1, HA2 and the response for MD5 and SHA-256.
//! - [`DigestServer`] issues challenges with stateless, expiring nonces and verifies
//!   credentials, with nonce-count replay protection in a bounded table.
//! - [`answer_challenge`] is the client side: the Authorization value for a challenge.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use cc_sip::auth::{answer_challenge, ClientRequest, DigestServer, Verdict};
//! use cc_sip::Auth;
//!
//! let t0 = Instant::now();
//! let mut server = DigestServer::new("example.com", b"server secret", t0);
//! let challenges = server.challenge(t0, false);
//! let challenge = Auth::parse(&challenges[0], "WWW-Authenticate")?;
//! let request = ClientRequest {
//!     username: "alice",
//!     password: "secret",
//!     method: "REGISTER",
//!     uri: "sip:example.com",
//!     cnonce: "0a4f113b",
//!     nc: 1,
//! };
//! let value = answer_challenge(&challenge, &request).expect("digest challenge");
//! let credentials = Auth::parse(&value, "Authorization")?;
//! let verdict = server.verify(t0 + Duration::from_secs(1), &credentials, "REGISTER", |_| {
//!     Some("secret".to_owned())
//! });
//! assert_eq!(verdict, Verdict::Authenticated { username: "alice".to_owned() });
//! # Ok::<(), cc_sip::Error>(())
//! ```

mod client;
pub mod digest;
mod server;

pub use client::{ClientError, ClientRequest, answer_challenge};
pub use digest::Algorithm;
pub use server::{DigestServer, Rejection, Verdict};

/// Compares two byte strings in time that depends only on their lengths.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Writes `s` as a quoted string, escaping `"` and `\`.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests;
