//! # cc-sip: SIP for the contact-center SDK
//!
//! This crate holds the message layer: our own zero-copy SIP parser over
//! [`bytes::Bytes`], typed views of the headers a B2BUA and registrar need, a serializer
//! and a builder.
//!
//! - [`Message::parse`] indexes a received datagram (start line, headers, body bounded by
//!   Content-Length) without copying; [`frame_stream`] says how many bytes a message on
//!   TCP/TLS needs. [`Limits`] bound size, header count and header length.
//! - [`Message::validate`] applies the RFC 3261 checks (mandatory headers, single-valued
//!   headers, CSeq/method agreement, the grammar of every known header).
//! - Typed accessors return views into the buffer: [`Message::top_via`] ([`Via`]),
//!   [`Message::from_header`] / [`Message::to_header`] ([`NameAddr`]), [`Message::call_id`],
//!   [`Message::cseq`] ([`CSeq`]), [`Message::contacts`] ([`Contact`]),
//!   [`Message::routes`], [`Message::authorization`] ([`Auth`]), [`Message::replaces`] and more.
//! - [`Message::to_bytes`] writes a message; [`Message::request`] / [`Message::response`]
//!   build one.
//!
//! - [`auth`] is digest authentication (RFC 7616, MD5 and SHA-256, `qop=auth`):
//!   challenges with stateless expiring nonces, verification with nonce-count replay
//!   protection, and the client's answer.
//! - [`registrar`] is a sans-IO REGISTER registrar (RFC 3261 §10.3) over [`auth`].
//! - [`sipfrag`] reads and writes the `message/sipfrag` status lines of REFER's NOTIFYs.
//! - [`sdp`] parses and writes session descriptions and runs offer/answer (RFC 3264).
//! - [`transaction`] is the RFC 3261 §17 transaction layer, sans-IO: client and server,
//!   INVITE and non-INVITE transactions with timers A to K (RFC 6026's L and M), matched
//!   by branch, fed with `(now, source, bytes)` and drained with `poll_*`.
//! - [`dialog`] is RFC 3261 §12, sans-IO: UAC and UAS dialogs (early, confirmed,
//!   terminated), route sets, in-dialog requests with loose or strict routing, CSeq
//!   ordering, target refresh, and a [`dialog::DialogSet`] keyed by dialog id (forking).
//! - [`ua`] is a sans-IO user agent over transactions and dialogs (and optionally the
//!   registrar): call legs ([`ua::LegId`]) with invite, ringing, answer, reject, hangup
//!   (BYE, CANCEL or 487 as the state asks), re-INVITE and INFO DTMF, and the requests it
//!   answers by itself; digest answers to 401/407 for its own requests, outbound
//!   registration with refresh ([`ua::UserAgent::register`]), PRACK / 100rel (RFC
//!   3262) both ways with offer/answer in PRACK, offer/answer in UPDATE (RFC 3311),
//!   session timers (RFC 4028, [`SessionExpires`]), and call transfer: REFER and its
//!   NOTIFYs (RFC 3515, [`ReferTo`], [`Event`], [`SubscriptionState`], [`sipfrag`]) and
//!   INVITE with Replaces (RFC 3891).
//! - [`protection`] guards the user agent: a per-source rate limit with a ban, a drop
//!   list of scanner `User-Agent`s, per-source caps on dialogs and transactions.
//! - [`b2bua`] pairs an inbound and an outbound leg and carries a call across them,
//!   sans-IO, so that a center and the `b2bua` example share it; a REFER from either
//!   side is carried out by the B2BUA itself ([`b2bua::transfer`]).
//! - [`transport`] is the tokio driver at the edge: an [`transport::Endpoint`] on UDP and
//!   TCP (and TLS with the feature `tls`) that runs a user agent on a task behind an
//!   async [`transport::EndpointHandle`].
//!
//! Cargo features, none on by default:
//!
//! - `tls`: SIP over TLS in the endpoint (rustls with the `ring` provider, tokio-rustls).
//! - `rsip`: conversions between [`Message`] and `rsip::SipMessage`, both ways
//!   (`TryFrom`), with what rsip cannot represent listed in module `rsip`.
//!
//! Header names match case-insensitively and compact forms (`v`, `f`, `t`, `i`, `m`, `l`,
//! `c`, `k`, `s`, `e`, `o`, `r`, `b`, `x`, `u`, `y`, `a`, `d`, `j`, `n`) map to their
//! long names. Nothing here panics on input: every parser returns [`Error`].
//!
//! ```
//! use cc_sip::{HeaderName, Message};
//!
//! let raw = "SIP/2.0 180 Ringing\r\n\
//!            Via: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bKx;received=[2001:db8::9]\r\n\
//!            From: \"Alice\" <sip:alice@example.com>;tag=a1\r\n\
//!            To: <sip:bob@example.com>;tag=b2\r\n\
//!            Call-ID: c@h\r\n\
//!            CSeq: 4 INVITE\r\n\
//!            Require: 100rel\r\n\
//!            RSeq: 1\r\n\
//!            Content-Length: 0\r\n\r\n";
//! let msg = Message::parse(raw)?;
//! msg.validate()?;
//! assert_eq!(msg.status_code(), Some(180));
//! assert_eq!(msg.top_via()?.received(), Some("[2001:db8::9]"));
//! assert_eq!(msg.from_header()?.display_name().as_deref(), Some("Alice"));
//! assert_eq!(msg.to_header()?.tag(), Some("b2"));
//! assert!(msg.supports("100rel"));
//! assert_eq!(msg.header(HeaderName::RSeq), Some("1"));
//! # Ok::<(), cc_sip::Error>(())
//! ```

pub mod auth;
pub mod b2bua;
mod builder;
mod check;
pub mod dialog;
mod error;
pub mod headers;
mod limits;
mod message;
pub mod parser;
pub mod protection;
pub mod registrar;
#[cfg(feature = "rsip")]
pub mod rsip;
pub mod sdp;
mod serialize;
pub mod sipfrag;
pub mod transaction;
pub mod transport;
pub mod ua;
mod validate;

pub use builder::MessageBuilder;
pub use check::{check_message, check_message_file};
pub use error::Error;
pub use headers::{
    Auth, CSeq, Contact, Event, HeaderName, MediaType, NameAddr, RAck, Reason, ReferTo, Refresher, Replaces,
    SessionExpires, SubscriptionState, Via,
};
pub use limits::Limits;
pub use message::{Header, Message};
pub use parser::framing::{Frame, frame_stream};
pub use parser::params::{ParamIter, Params};
pub use parser::uri::{SipUriRef, TelUri, Uri};

/// This crate's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
