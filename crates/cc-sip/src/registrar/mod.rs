//! A REGISTER registrar (RFC 3261 §10.3), sans-IO: a binding store fed with
//! `(now, request)` that answers with the response to send.
//!
//! - [`Registrar::handle_register`] authenticates with digest ([`crate::auth`]) against
//!   a [`UserDirectory`], checks the address-of-record in To, processes Contact (`*`
//!   with `Expires: 0`, per-contact `expires` over the Expires header over the default,
//!   423 below the minimum, a cap above the maximum, `q`), orders updates by Call-ID and
//!   CSeq, and answers 200 with every current binding and its remaining time.
//! - [`Registrar::bindings`] gives the contacts of an address-of-record, most preferred
//!   first, to route an offer to an agent's devices.
//! - [`Registrar::poll_timeout`] / [`Registrar::handle_timeout`] expire bindings.
//!
//! ```
//! use std::time::Instant;
//! use cc_sip::registrar::{Outcome, Registrar, RegistrarConfig};
//! use cc_sip::Message;
//!
//! let t0 = Instant::now();
//! let mut registrar = Registrar::new("example.com", b"secret", t0, RegistrarConfig::default());
//! let users = |user: &str| (user == "alice").then(|| "pw".to_owned());
//! let register = Message::parse(
//!     "REGISTER sip:example.com SIP/2.0\r\n\
//!      Via: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bK1\r\n\
//!      From: <sip:alice@example.com>;tag=1\r\n\
//!      To: <sip:alice@example.com>\r\n\
//!      Call-ID: c1\r\nCSeq: 1 REGISTER\r\n\
//!      Contact: <sip:alice@192.0.2.4>\r\nContent-Length: 0\r\n\r\n",
//! )?;
//! let answer = registrar.handle_register(t0, &register, &users)?;
//! assert_eq!(answer.response.status_code(), Some(401));
//! assert_eq!(answer.outcome, Outcome::Challenged { stale: false });
//! # Ok::<(), cc_sip::Error>(())
//! ```

mod store;

pub use store::{Binding, Outcome, RegisterAnswer, Registrar, RegistrarConfig, UserDirectory};

#[cfg(test)]
mod tests;
