//! A sans-IO SIP user agent: call legs over the [`TransactionLayer`] and [`DialogSet`],
//! with an optional [`Registrar`].
//!
//! [`UserAgent`] is what a B2BUA or a contact center drives. It reads no clock and owns
//! no socket:
//!
//! - inputs: [`UserAgent::handle_datagram`] (UDP), [`UserAgent::handle_stream_message`]
//!   (one framed message from a TCP connection), [`UserAgent::handle_timeout`],
//!   [`UserAgent::handle_transport_error`];
//! - commands on call legs ([`LegId`]): [`UserAgent::invite`], [`UserAgent::ringing`],
//!   [`UserAgent::progress`], [`UserAgent::answer`], [`UserAgent::reject`],
//!   [`UserAgent::hangup`], [`UserAgent::reinvite`], [`UserAgent::send_info_dtmf`],
//!   [`UserAgent::ack`], [`UserAgent::refer`], [`UserAgent::refer_progress`];
//! - outputs: [`UserAgent::poll_transmit`], [`UserAgent::poll_event`] ([`UaEvent`]) and
//!   [`UserAgent::poll_timeout`].
//!
//! What the agent does by itself:
//!
//! - answers OPTIONS (in or out of a dialog) with 200 and `Allow`, BYE with 200, INFO
//!   with 200 (DTMF in `application/dtmf-relay` or `application/dtmf` becomes
//!   [`UaEvent::Dtmf`]), UPDATE without a body with 200 (a session refresh),
//!   an in-dialog request of an unknown dialog with 481, other methods with 405;
//! - retransmits its 2xx to an INVITE until the ACK comes (RFC 3261 §13.3.1.4, RFC
//!   6026), and ends the call with BYE when no ACK comes in 64·T1;
//! - acknowledges every 2xx it receives, again for each retransmitted 2xx, except the
//!   2xx that offers SDP to an INVITE we sent without (late offer): that ACK carries the
//!   application's answer ([`UserAgent::ack`]); on the other side, an ACK that answers
//!   our 2xx's offer comes as [`UaEvent::AckSdp`];
//! - a 401 or 407 to an INVITE placed with [`OutgoingCall::credentials`] is answered:
//!   the INVITE goes again with `Authorization` / `Proxy-Authorization` (digest MD5 or
//!   SHA-256, SHA-256 preferred, `qop=auth` with a fresh cnonce), the same Call-ID and
//!   From tag and the next CSeq, once per challenge (a second challenge of the same kind
//!   that is not `stale` fails the call with its code); in-dialog requests of such a
//!   leg (BYE, INFO, re-INVITE, PRACK) challenged with 401 or 407 are sent again the
//!   same way, with the dialog's next CSeq;
//! - our INVITEs say `Supported: 100rel`; a reliable provisional response (`Require:
//!   100rel` with `RSeq`, RFC 3262) is acknowledged with PRACK in its early dialog, once
//!   per RSeq (a retransmitted one is neither acknowledged nor reported again); an
//!   incoming INVITE with `Supported: 100rel` is answered with plain provisionals, one
//!   with `Require: 100rel` with reliable ones (`RSeq`, retransmitted until the PRACK,
//!   one at a time, the INVITE refused with 504 when no PRACK comes in 64·T1); a PRACK
//!   that acknowledges nothing gets 481;
//! - session timers (RFC 4028, [`SessionTimerConfig`]): `Supported: timer`, our
//!   INVITEs offer `Session-Expires` and answer a 422 once with the larger `Min-SE`; an
//!   incoming interval below our `Min-SE` gets 422; the refresher refreshes at half the
//!   interval (UPDATE, or a re-INVITE with the same SDP), the other side sends BYE when
//!   no refresh comes in time ([`EndCause::SessionExpired`]); all on the
//!   [`UserAgent::poll_timeout`] / [`UserAgent::handle_timeout`] clock;
//! - call transfer ([`UserAgent::refer`], [`UserAgent::refer_progress`],
//!   [`UserAgent::replaces_for`]): a REFER in a dialog is answered 202 and notified
//!   (RFC 3515, [`UaEvent::Refer`]), our REFER's NOTIFYs come as
//!   [`UaEvent::ReferNotify`], an INVITE with Replaces is matched to the leg it
//!   replaces (RFC 3891, [`UaEvent::Replaces`]);
//! - offer/answer in UPDATE (RFC 3311, [`UserAgent::update`], [`UaEvent::Update`],
//!   [`UaEvent::UpdateAnswered`]) in early and confirmed dialogs, one offer at a time
//!   (491 for crossing offers, 500 with Retry-After for a second pending one), and in
//!   PRACK (RFC 3262 §5: [`UserAgent::prack`] answers a reliable provisional's offer,
//!   [`UaEvent::PrackSdp`] brings the answer to ours);
//! - [`UserAgent::hangup`] sends BYE on a confirmed leg, CANCEL on an early outgoing
//!   one (and, if the 200 crosses the CANCEL, ACK then BYE), 487 on an unanswered
//!   incoming one;
//! - outbound registration ([`UserAgent::register`], [`UserAgent::unregister`]):
//!   REGISTER to a carrier or PBX with digest answers, the binding refreshed at half the
//!   granted expiry with the nonce reused (the next nonce count) while the registrar
//!   accepts it, 423 answered with its Min-Expires, failures retried after
//!   [`RegisterRequest::retry_after`]; reported as [`UaEvent::OutboundRegistered`],
//!   [`UaEvent::OutboundRegistrationFailed`] and [`UaEvent::OutboundUnregistered`];
//! - with a registrar attached ([`UserAgent::attach_registrar`]) answers REGISTER with
//!   digest challenges and reports bindings as [`UaEvent::Registered`] /
//!   [`UaEvent::Unregistered`]; [`UserAgent::lookup`] gives the contacts of an
//!   address-of-record.
//!
//! A re-INVITE from the peer is **not** answered by itself: it comes as
//! [`UaEvent::ReInvite`] and the application answers it with [`UserAgent::answer`] (or
//! refuses it with [`UserAgent::reject`], which leaves the call up). This lets a B2BUA
//! carry a hold across to the other leg and answer with that leg's SDP.
//!
//! In-dialog requests go to the socket address the leg talks to (the source of the
//! INVITE for an incoming leg, the destination of an outgoing one); the Request-URI and
//! Route headers follow RFC 3261 §12.2.1.1, but no DNS or URI resolution happens here.
//!
//! ```
//! use std::time::Instant;
//! use cc_sip::ua::{OutgoingCall, UaConfig, UaEvent, UserAgent};
//!
//! let now = Instant::now();
//! let mut alice = UserAgent::new(UaConfig::new("127.0.0.1:5060".parse().unwrap()));
//! let mut bob = UserAgent::new(UaConfig::new("127.0.0.1:5070".parse().unwrap()));
//! let call = OutgoingCall::new("sip:bob@127.0.0.1:5070", "<sip:alice@127.0.0.1>",
//!     "<sip:bob@127.0.0.1>", "127.0.0.1:5070".parse().unwrap());
//! let out_leg = alice.invite(now, call)?;
//! // Carry alice's datagrams to bob (a driver does this with sockets).
//! while let Some(t) = alice.poll_transmit() {
//!     bob.handle_datagram(now, "127.0.0.1:5060".parse().unwrap(), t.payload);
//! }
//! let Some(UaEvent::IncomingCall { leg, .. }) = bob.poll_event() else { panic!() };
//! bob.answer(now, leg, None)?;
//! while let Some(t) = bob.poll_transmit() {
//!     alice.handle_datagram(now, "127.0.0.1:5070".parse().unwrap(), t.payload);
//! }
//! assert!(matches!(alice.poll_event(), Some(UaEvent::Answered { leg, .. }) if leg == out_leg));
//! # Ok::<(), cc_sip::Error>(())
//! ```

mod credentials;
mod dtmf;
mod prack;
mod probe;
mod refer;
mod register;
mod session_timer;
#[cfg(test)]
mod tests;
mod update;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;

pub use crate::transaction::Transmit;
pub use credentials::Credentials;
pub use probe::{ProbeId, probe_alive};
pub use register::{RegisterRequest, RegistrationId, RegistrationState};
pub use session_timer::{MIN_SE_FLOOR, SessionTimerConfig};

use credentials::Challenge;

use crate::dialog::{Dialog, DialogId, DialogSet, Incoming};
use crate::error::Error;
use crate::headers::HeaderName;
use crate::message::Message;
use crate::protection::{Guard, Protection, ProtectionStats, Verdict};
use crate::registrar::{Outcome, Registrar, UserDirectory};
use crate::transaction::{self, Event, TransactionId, TransactionLayer};

/// The methods we accept, sent in `Allow`.
pub const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, PRACK, REFER, NOTIFY";

/// The extensions we support, sent in `Supported`.
pub const SUPPORTED: &str = "100rel, timer, replaces";

/// The handle of a call leg: one dialog (or attempt at one) of this user agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LegId(u64);

impl LegId {
    /// The number behind the id (unique within one [`UserAgent`]).
    pub fn get(self) -> u64 {
        self.0
    }

    /// A leg id from its number, for tests of code that pairs legs.
    #[cfg(test)]
    pub(crate) fn from_raw(n: u64) -> Self {
        Self(n)
    }
}

impl fmt::Display for LegId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "leg#{}", self.0)
    }
}

/// The transport of a leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Transport {
    /// UDP: the agent retransmits.
    #[default]
    Udp,
    /// TCP: reliable, no retransmissions.
    Tcp,
    /// TLS over TCP (the endpoint's `tls` feature): reliable, no retransmissions.
    Tls,
}

impl Transport {
    fn reliable(self) -> bool {
        self != Self::Udp
    }

    fn via_name(self) -> &'static str {
        match self {
            Self::Udp => "UDP",
            Self::Tcp => "TCP",
            Self::Tls => "TLS",
        }
    }
}

/// The configuration of a [`UserAgent`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UaConfig {
    /// The transaction layer's configuration (timers, limits, seed).
    pub transaction: transaction::Config,
    /// Our UDP address, written in Via and Contact.
    pub local_addr: SocketAddr,
    /// Our TCP listening address, written in Via and Contact of TCP legs (defaults to
    /// `local_addr`).
    pub tcp_addr: Option<SocketAddr>,
    /// Our TLS listening address, written in Via and Contact of TLS legs (defaults to
    /// `local_addr`).
    pub tls_addr: Option<SocketAddr>,
    /// The user part of our Contact URI.
    pub contact_user: String,
    /// The `User-Agent` / `Server` value; `None` writes none.
    pub user_agent: Option<String>,
    /// How long an ended leg is kept (to acknowledge a 2xx retransmitted after our BYE,
    /// and to tell late in-dialog requests 481). Retransmitted requests are absorbed by
    /// the transaction layer meanwhile, so a short time does; 5 s (T4) by default keeps
    /// the memory of a high call rate low.
    pub linger: Duration,
    /// Rate limit and ban per source, scanner drop list, per-source caps on dialogs and
    /// transactions (see [`crate::protection`]). The default drops scanner
    /// `User-Agent`s and limits nothing else.
    pub protection: Protection,
    /// Session timers (RFC 4028): the interval our INVITEs offer and our Min-SE.
    pub session_timer: SessionTimerConfig,
}

impl UaConfig {
    /// Defaults for an agent reachable at `local_addr`.
    pub fn new(local_addr: SocketAddr) -> Self {
        Self {
            transaction: transaction::Config::default(),
            local_addr,
            tcp_addr: None,
            tls_addr: None,
            contact_user: "cc".to_owned(),
            user_agent: Some(concat!("ccsdk/", env!("CARGO_PKG_VERSION")).to_owned()),
            linger: Duration::from_secs(5),
            protection: Protection::default(),
            session_timer: SessionTimerConfig::default(),
        }
    }
}

/// A call to place with [`UserAgent::invite`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingCall {
    /// The Request-URI, e.g. `sip:bob@192.0.2.7:5060`.
    pub request_uri: String,
    /// The From value without tag: `<sip:alice@example.com>` or `"Alice" <sip:...>` (a
    /// bare URI is put in angle brackets). This is the caller id.
    pub from: String,
    /// The To value, as `from`.
    pub to: String,
    /// Where the INVITE and later requests of the leg are sent.
    pub destination: SocketAddr,
    /// The SDP offer, if any.
    pub sdp: Option<Bytes>,
    /// More header fields `(name, value)`: P-Asserted-Identity, X-headers...
    pub headers: Vec<(String, String)>,
    /// UDP or TCP.
    pub transport: Transport,
    /// What to answer a 401 or 407 to the INVITE with: the INVITE is sent again with
    /// `Authorization` / `Proxy-Authorization` (same Call-ID and From tag, next CSeq),
    /// once per challenge. Without credentials a challenge fails the call.
    pub credentials: Option<Credentials>,
    /// Without `sdp`: answer an offer that a reliable provisional response brings in
    /// the PRACK (RFC 3262 §5; [`UaEvent::Progress`] brings the offer, send the answer
    /// with [`UserAgent::prack`]). Off by default: the PRACK goes at once without a body
    /// and the offer, repeated in the 2xx, is answered in the ACK.
    pub prack_answer: bool,
}

impl OutgoingCall {
    /// A call over UDP without SDP or extra headers.
    pub fn new(request_uri: &str, from: &str, to: &str, destination: SocketAddr) -> Self {
        Self {
            request_uri: request_uri.to_owned(),
            from: from.to_owned(),
            to: to.to_owned(),
            destination,
            sdp: None,
            headers: Vec::new(),
            transport: Transport::Udp,
            credentials: None,
            prack_answer: false,
        }
    }

    /// The call with `credentials` for digest challenges.
    #[must_use]
    pub fn with_credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }
}

/// Why a leg ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndCause {
    /// The peer sent BYE.
    RemoteBye,
    /// The peer cancelled its INVITE before we answered.
    RemoteCancel,
    /// A transaction timed out (no ACK for our 2xx, no answer to an in-dialog request).
    Timeout,
    /// The transport could not reach the peer.
    TransportError,
    /// No session refresh came in time (RFC 4028 session timer): the agent sent BYE
    /// (with `Reason: SIP;cause=408`).
    SessionExpired,
}

/// What the user agent tells its application.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UaEvent {
    /// A new INVITE: answer with [`UserAgent::ringing`], [`UserAgent::answer`] or
    /// [`UserAgent::reject`].
    IncomingCall {
        /// The new leg.
        leg: LegId,
        /// The Request-URI.
        request_uri: String,
        /// The From value without its tag (display name and URI).
        from: String,
        /// The To value without tag.
        to: String,
        /// The Call-ID.
        call_id: String,
        /// The SDP offer, if any.
        sdp: Option<Bytes>,
        /// Where the INVITE came from.
        source: SocketAddr,
    },
    /// Our INVITE got 180 (or 181, 182).
    Ringing {
        /// The leg.
        leg: LegId,
    },
    /// Our INVITE got 183 Session Progress (early media when `sdp` is set).
    Progress {
        /// The leg.
        leg: LegId,
        /// The status code (183, or another 1xx beyond 182).
        code: u16,
        /// The early SDP answer, if any.
        sdp: Option<Bytes>,
    },
    /// Our INVITE got a 2xx; the agent has sent the ACK, except when our INVITE had no
    /// SDP and the 2xx offers some (late offer): then send the answer with
    /// [`UserAgent::ack`].
    Answered {
        /// The leg.
        leg: LegId,
        /// The SDP of the 2xx, if any.
        sdp: Option<Bytes>,
    },
    /// Our INVITE failed with a final response (or 408 when it timed out, 503 when the
    /// transport failed). The leg has ended.
    Failed {
        /// The leg.
        leg: LegId,
        /// The status code.
        code: u16,
        /// The reason phrase.
        reason: String,
    },
    /// An established or ringing leg ended for a reason other than our command.
    Ended {
        /// The leg.
        leg: LegId,
        /// Why.
        cause: EndCause,
    },
    /// The peer sent a re-INVITE (hold, unhold, media change): answer it with
    /// [`UserAgent::answer`] or refuse it with [`UserAgent::reject`].
    ReInvite {
        /// The leg.
        leg: LegId,
        /// The new offer, if any.
        sdp: Option<Bytes>,
    },
    /// Our re-INVITE got its final response (the ACK for a 2xx has been sent).
    ReInviteAnswered {
        /// The leg.
        leg: LegId,
        /// The status code.
        code: u16,
        /// The SDP answer of a 2xx, if any.
        sdp: Option<Bytes>,
    },
    /// The ACK for our 2xx carried SDP: the answer to the offer we put in the 2xx when
    /// the INVITE (or re-INVITE) came without one (late offer). Sent only when the ACK
    /// has a body.
    AckSdp {
        /// The leg.
        leg: LegId,
        /// The SDP answer.
        sdp: Bytes,
    },
    /// A DTMF digit arrived in SIP INFO.
    Dtmf {
        /// The leg.
        leg: LegId,
        /// `0`-`9`, `*`, `#`, `A`-`D`, or `F` for flash.
        digit: char,
    },
    /// A contact was registered (or refreshed) for an address-of-record.
    Registered {
        /// The address-of-record.
        aor: String,
        /// The contact URI.
        contact: String,
    },
    /// A contact was removed (by REGISTER or expiry).
    Unregistered {
        /// The address-of-record.
        aor: String,
        /// The contact URI.
        contact: String,
    },
    /// An outbound registration ([`UserAgent::register`]) got its 200 (first time or a
    /// refresh).
    OutboundRegistered {
        /// The registration.
        registration: RegistrationId,
        /// The expiry the registrar granted, in seconds.
        expires: u32,
    },
    /// An outbound registration failed (a final error after any challenge was answered,
    /// 408 for a timeout, 503 for a transport error); it is tried again after its
    /// `retry_after`.
    OutboundRegistrationFailed {
        /// The registration.
        registration: RegistrationId,
        /// The status code.
        code: u16,
    },
    /// An outbound registration was removed ([`UserAgent::unregister`]) and forgotten.
    OutboundUnregistered {
        /// The registration.
        registration: RegistrationId,
    },
    /// An OPTIONS probe ([`UserAgent::probe`]) was answered, timed out (408) or could not
    /// be sent (503); see [`probe_alive`].
    ProbeAnswered {
        /// The probe.
        probe: ProbeId,
        /// The final status code.
        code: u16,
        /// The round trip, when the peer answered.
        rtt: Option<std::time::Duration>,
    },
    /// The peer of a confirmed leg sent REFER (RFC 3515): the agent answered 202 and
    /// sent NOTIFY `100 Trying`. Place the call to `target` and report how it goes with
    /// [`UserAgent::refer_progress`].
    Refer {
        /// The leg the REFER came on.
        leg: LegId,
        /// The URI to call (Refer-To without its URI headers).
        target: String,
        /// The Replaces embedded in Refer-To (attended transfer), decoded, if any.
        replaces: Option<String>,
        /// The Referred-By URI, if any.
        referred_by: Option<String>,
    },
    /// Our REFER ([`UserAgent::refer`]) got its final response (408 when it timed out).
    ReferAnswered {
        /// The leg.
        leg: LegId,
        /// The status code (202 when accepted).
        code: u16,
    },
    /// A NOTIFY of our REFER's subscription (answered 200): the status line of the
    /// referred call.
    ReferNotify {
        /// The leg.
        leg: LegId,
        /// The status code in the sipfrag.
        code: u16,
        /// The reason phrase in the sipfrag.
        reason: String,
        /// The subscription has ended (the last NOTIFY).
        terminated: bool,
    },
    /// The peer sent UPDATE with an SDP offer (RFC 3311), in an early or confirmed
    /// dialog: answer it with [`UserAgent::answer`] or refuse it with
    /// [`UserAgent::reject`] (the call stays up either way).
    Update {
        /// The leg.
        leg: LegId,
        /// The offer.
        sdp: Bytes,
    },
    /// Our UPDATE ([`UserAgent::update`]) got its final response (408 when it timed
    /// out, 503 on a transport error).
    UpdateAnswered {
        /// The leg.
        leg: LegId,
        /// The status code.
        code: u16,
        /// The SDP answer of a 2xx, if any.
        sdp: Option<Bytes>,
    },
    /// The PRACK of our reliable provisional response carried SDP: the answer to the
    /// offer that provisional carried (the INVITE came without SDP; RFC 3262 §5).
    PrackSdp {
        /// The leg.
        leg: LegId,
        /// The SDP answer.
        sdp: Bytes,
    },
    /// The INVITE reported next as [`UaEvent::IncomingCall`] on `leg` carries Replaces
    /// (RFC 3891) naming our leg `replaced`: answer `leg` and hang up `replaced`.
    Replaces {
        /// The new leg.
        leg: LegId,
        /// The leg it replaces.
        replaced: LegId,
    },
}

/// A command on an existing leg, as a value: what [`crate::b2bua::B2bua`] issues, and
/// what [`UserAgent::execute`] (or the endpoint handle) carries out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// [`UserAgent::ringing`].
    Ringing {
        /// The leg.
        leg: LegId,
    },
    /// [`UserAgent::progress`].
    Progress {
        /// The leg.
        leg: LegId,
        /// 101 to 199.
        code: u16,
        /// Early-media SDP.
        sdp: Option<Bytes>,
    },
    /// [`UserAgent::answer`].
    Answer {
        /// The leg.
        leg: LegId,
        /// The SDP answer.
        sdp: Option<Bytes>,
    },
    /// [`UserAgent::reject`].
    Reject {
        /// The leg.
        leg: LegId,
        /// 300 to 699.
        code: u16,
        /// The reason phrase.
        reason: String,
    },
    /// [`UserAgent::hangup`].
    Hangup {
        /// The leg.
        leg: LegId,
    },
    /// [`UserAgent::reinvite`].
    ReInvite {
        /// The leg.
        leg: LegId,
        /// The new offer.
        sdp: Option<Bytes>,
    },
    /// [`UserAgent::ack`].
    Ack {
        /// The leg.
        leg: LegId,
        /// The SDP answer.
        sdp: Bytes,
    },
    /// [`UserAgent::send_info_dtmf`] with a 160 ms duration.
    Dtmf {
        /// The leg.
        leg: LegId,
        /// The digit.
        digit: char,
    },
    /// [`UserAgent::prack`].
    Prack {
        /// The leg.
        leg: LegId,
        /// The SDP answer.
        sdp: Bytes,
    },
    /// [`UserAgent::update`].
    Update {
        /// The leg.
        leg: LegId,
        /// The SDP offer.
        sdp: Bytes,
    },
    /// [`UserAgent::refer`].
    Refer {
        /// The leg.
        leg: LegId,
        /// The URI the peer should call.
        target: String,
        /// A Replaces value to embed (attended transfer).
        replaces: Option<String>,
    },
    /// [`UserAgent::refer_progress`].
    ReferProgress {
        /// The leg the REFER came on.
        leg: LegId,
        /// The status of the referred call.
        code: u16,
        /// Its reason phrase.
        reason: String,
    },
}

impl Command {
    /// The leg the command is for.
    pub fn leg(&self) -> LegId {
        match self {
            Self::Ringing { leg }
            | Self::Progress { leg, .. }
            | Self::Answer { leg, .. }
            | Self::Reject { leg, .. }
            | Self::Hangup { leg }
            | Self::ReInvite { leg, .. }
            | Self::Ack { leg, .. }
            | Self::Dtmf { leg, .. }
            | Self::Update { leg, .. }
            | Self::Prack { leg, .. }
            | Self::Refer { leg, .. }
            | Self::ReferProgress { leg, .. } => *leg,
        }
    }
}

/// Counters of the agent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UaStats {
    /// INVITEs received that created a leg.
    pub incoming_calls: u64,
    /// INVITEs sent.
    pub outgoing_calls: u64,
    /// Legs answered (2xx sent or received).
    pub answered: u64,
    /// Outgoing legs that failed.
    pub failed: u64,
    /// Legs ended by the peer or a timeout.
    pub ended: u64,
    /// Legs held now (live or lingering).
    pub legs: u64,
    /// Our 2xx responses to INVITE sent again because no ACK had come.
    pub retransmitted_2xx: u64,
    /// Requests of ours sent again with credentials after a 401 or 407.
    pub auth_retries: u64,
    /// PRACKs sent for reliable provisional responses (RFC 3262).
    pub pracks_sent: u64,
    /// The transaction layer's counters.
    pub transactions: transaction::Stats,
    /// The protection's counters.
    pub protection: ProtectionStats,
}

/// The state of a leg, as [`UserAgent::leg_state`] reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LegState {
    /// Outgoing: INVITE sent, no provisional response with a tag yet. Incoming: INVITE
    /// received, nothing but 100 sent.
    Calling,
    /// A provisional response with a tag was sent or received.
    Early,
    /// Incoming: our 2xx was sent, the ACK is awaited.
    Answered,
    /// Confirmed dialog.
    Confirmed,
    /// Our CANCEL is on its way (outgoing leg).
    Cancelling,
    /// The leg has ended; it is kept a while for retransmissions.
    Ended,
}

/// What a client transaction of a leg is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Invite,
    ReInvite,
    /// A session refresh of ours (RFC 4028): re-INVITE or UPDATE.
    Refresh,
    /// Our REFER (RFC 3515).
    Refer,
    /// A NOTIFY of ours for the peer's REFER.
    Notify,
    /// Our UPDATE with an offer (RFC 3311).
    Update,
    Other,
}

/// A pending retransmission of our 2xx (RFC 3261 §13.3.1.4).
#[derive(Debug)]
struct Retransmit {
    response: Message,
    next: Instant,
    interval: Duration,
    give_up: Instant,
    /// The re-INVITE's CSeq when this is the 2xx of a re-INVITE.
    reinvite: bool,
}

#[derive(Debug)]
struct Leg {
    uac: bool,
    state: LegState,
    remote: SocketAddr,
    transport: Transport,
    local_tag: String,
    /// The INVITE we sent or received.
    invite: Message,
    invite_tx: Option<TransactionId>,
    dialog: Option<DialogId>,
    /// Our last SDP (offer or answer).
    local_sdp: Option<Bytes>,
    /// Outgoing: the ACK for the 2xx, resent for each retransmitted 2xx.
    ack: Option<Message>,
    /// Outgoing late offer: the 2xx carried the offer, the ACK waits for the
    /// application's answer ([`UserAgent::ack`]).
    ack_pending: bool,
    /// Outgoing: the ACK of our last re-INVITE's 2xx.
    reinvite_ack: Option<(u32, Message)>,
    /// Incoming: the 2xx being retransmitted.
    retransmit: Option<Retransmit>,
    /// Incoming: a re-INVITE waiting for the application's answer.
    pending_reinvite: Option<(TransactionId, Message)>,
    /// Outgoing: a re-INVITE of ours in progress.
    reinvite_tx: Option<TransactionId>,
    /// Incoming: we hung up after answering; BYE goes when the ACK comes.
    bye_after_ack: bool,
    /// Whether `Ringing` was reported (once per leg).
    ringing_reported: bool,
    linger_until: Option<Instant>,
    /// The deadline filed in the heap.
    scheduled: Option<Instant>,
    /// Outgoing: what to answer challenges with.
    credentials: Option<Credentials>,
    /// Outgoing: the last challenge answered, and how many times the INVITE was
    /// re-sent with credentials.
    challenge: Option<Challenge>,
    auth_tries: u8,
    /// Outgoing: the highest RSeq acknowledged with PRACK, per early dialog (RFC 3262).
    pracked: Vec<(DialogId, u32)>,
    /// Outgoing: a reliable provisional that offered SDP, whose PRACK waits for the
    /// application's answer ([`UserAgent::prack`]).
    prack_pending: Option<(DialogId, u32)>,
    /// Outgoing: [`OutgoingCall::prack_answer`].
    prack_answer: bool,
    /// Incoming: the INVITE requires 100rel, so provisionals go reliably.
    rel100: bool,
    /// Incoming: the RSeq of our last reliable provisional.
    rseq: u32,
    /// Incoming: the reliable provisional awaiting its PRACK, retransmitted meanwhile.
    reliable: Option<Retransmit>,
    /// Incoming: reliable provisionals waiting for the one before to be acknowledged.
    queued: VecDeque<Message>,
    /// The session timer (RFC 4028).
    session: session_timer::Session,
    /// The peer's last SDP (offer or answer), to tell a refresh re-INVITE.
    remote_sdp: Option<Bytes>,
    /// The subscription of the peer's REFER that we notify (RFC 3515).
    refer_in: Option<refer::ReferSub>,
    /// The peer's UPDATE offer waiting for the application's answer (RFC 3311).
    pending_update: Option<(TransactionId, Message)>,
    /// Our UPDATE offer in progress.
    update_tx: Option<TransactionId>,
}

/// A registrar and the directory it checks passwords in.
struct RegistrarSlot {
    registrar: Registrar,
    users: Box<dyn UserDirectory + Send>,
}

impl fmt::Debug for RegistrarSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistrarSlot")
            .field("registrar", &self.registrar)
            .finish_non_exhaustive()
    }
}

/// A sans-IO SIP user agent. See the [module docs](self).
#[derive(Debug)]
pub struct UserAgent {
    config: UaConfig,
    tx: TransactionLayer,
    dialogs: DialogSet,
    legs: HashMap<LegId, Leg>,
    by_dialog: HashMap<DialogId, LegId>,
    by_tx: HashMap<TransactionId, (LegId, Purpose)>,
    /// Incoming legs by (Call-ID, From tag, CSeq), to spot merged requests.
    incoming: HashMap<(String, String, u32), LegId>,
    deadlines: BinaryHeap<Reverse<(Instant, LegId)>>,
    events: VecDeque<UaEvent>,
    registrar: Option<RegistrarSlot>,
    registrations: HashMap<RegistrationId, register::Registration>,
    guard: Guard,
    /// Live server transactions by source (kept only with a per-source cap).
    server_tx_source: HashMap<TransactionId, std::net::IpAddr>,
    transactions_by_source: HashMap<std::net::IpAddr, u32>,
    /// Live incoming legs by source (kept only with a per-source cap).
    dialogs_by_source: HashMap<std::net::IpAddr, u32>,
    reg_by_tx: HashMap<TransactionId, RegistrationId>,
    next_registration: u64,
    /// OPTIONS probes on their way, by transaction.
    probes: HashMap<TransactionId, probe::Probe>,
    next_probe: u64,
    next_leg: u64,
    stats: UaStats,
    contact_udp: String,
    contact_tcp: String,
    contact_tls: String,
}

/// A name-addr in angle brackets unless it already has them.
fn name_addr(value: &str) -> String {
    let value = value.trim();
    if value.contains('<') {
        value.to_owned()
    } else {
        format!("<{value}>")
    }
}

/// The From/To value of `msg` without its tag (display name and URI).
fn without_tag(addr: &crate::NameAddr<'_>) -> String {
    match addr.display_name_raw() {
        Some(display) if !display.trim().is_empty() => {
            format!("{} <{}>", display.trim(), addr.uri.as_str())
        }
        _ => format!("<{}>", addr.uri.as_str()),
    }
}

/// The top Via with RFC 3581 `received` and `rport` filled in when the request asked
/// for `rport` (an empty `rport` parameter), else as written.
fn via_with_received(via: &str, remote: SocketAddr) -> String {
    let mut out = String::with_capacity(via.len() + 32);
    let mut asked = false;
    for (i, part) in via.split(';').enumerate() {
        if i > 0 {
            out.push(';');
        }
        if i > 0 && part.trim().eq_ignore_ascii_case("rport") {
            asked = true;
            out.push_str("rport=");
            out.push_str(&remote.port().to_string());
        } else {
            out.push_str(part.trim());
        }
    }
    if asked {
        out.push_str(";received=");
        out.push_str(&remote.ip().to_string());
    }
    out
}

/// Copies the Via headers of `request` into a response, the top one with
/// `received`/`rport` for `remote`.
fn copy_vias(mut b: crate::MessageBuilder, request: &Message, remote: SocketAddr) -> crate::MessageBuilder {
    let mut first = true;
    for value in request.header_values(HeaderName::Via) {
        if first {
            first = false;
            let mut entries = crate::parser::text::CommaSplit::new(value);
            if let Some(top) = entries.next() {
                b = b.header("Via", &via_with_received(top.trim(), remote));
            }
            for rest in entries {
                b = b.header("Via", rest.trim());
            }
        } else {
            b = b.header("Via", value.trim());
        }
    }
    b
}

/// What identifies an INVITE that reached us more than once by different paths (RFC
/// 3261 §8.2.2.2): Call-ID, From tag and CSeq number.
fn merge_key(request: &Message) -> Option<(String, String, u32)> {
    let call_id = request.call_id().ok()?;
    let from = request.from_header().ok()?;
    let seq = request.cseq().ok()?.seq;
    Some((call_id.to_owned(), from.tag()?.to_owned(), seq))
}

/// The body as SDP, when it is one.
fn sdp_of(msg: &Message) -> Option<Bytes> {
    if msg.body().is_empty() {
        return None;
    }
    let is_sdp = msg
        .header(HeaderName::ContentType)
        .is_none_or(|t| t.trim().to_ascii_lowercase().starts_with("application/sdp"));
    is_sdp.then(|| msg.body_bytes())
}

/// One fewer for `ip` in a per-source count (the entry goes at zero).
fn release(counts: &mut HashMap<std::net::IpAddr, u32>, ip: std::net::IpAddr) {
    if let Some(n) = counts.get_mut(&ip) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            counts.remove(&ip);
        }
    }
}

fn unknown(leg: LegId) -> Error {
    Error::UnknownLeg { leg: leg.to_string() }
}

fn state_error(leg: LegId, action: &'static str, reason: &str) -> Error {
    Error::LegState {
        leg: leg.to_string(),
        action,
        reason: reason.to_owned(),
    }
}

impl UserAgent {
    /// An agent with `config`.
    pub fn new(config: UaConfig) -> Self {
        let tcp = config.tcp_addr.unwrap_or(config.local_addr);
        let contact_udp = format!("<sip:{}@{}>", config.contact_user, config.local_addr);
        let contact_tcp = format!("<sip:{}@{};transport=tcp>", config.contact_user, tcp);
        let tls = config.tls_addr.unwrap_or(config.local_addr);
        let contact_tls = format!("<sip:{}@{};transport=tls>", config.contact_user, tls);
        Self {
            guard: Guard::new(config.protection.clone()),
            tx: TransactionLayer::new(config.transaction.clone()),
            config,
            dialogs: DialogSet::new(),
            legs: HashMap::new(),
            by_dialog: HashMap::new(),
            by_tx: HashMap::new(),
            incoming: HashMap::new(),
            deadlines: BinaryHeap::new(),
            events: VecDeque::new(),
            registrar: None,
            registrations: HashMap::new(),
            server_tx_source: HashMap::new(),
            transactions_by_source: HashMap::new(),
            dialogs_by_source: HashMap::new(),
            reg_by_tx: HashMap::new(),
            next_registration: 0,
            probes: HashMap::new(),
            next_probe: 0,
            next_leg: 0,
            stats: UaStats::default(),
            contact_udp,
            contact_tcp,
            contact_tls,
        }
    }

    /// Attaches a registrar: REGISTER is then answered by it, with passwords from `users`.
    pub fn attach_registrar(&mut self, registrar: Registrar, users: impl UserDirectory + Send + 'static) {
        self.registrar = Some(RegistrarSlot {
            registrar,
            users: Box::new(users),
        });
    }

    /// The configuration in use.
    pub fn config(&self) -> &UaConfig {
        &self.config
    }

    /// The counters.
    pub fn stats(&self) -> UaStats {
        UaStats {
            legs: self.legs.len() as u64,
            transactions: self.tx.stats(),
            protection: self.guard.stats(),
            ..self.stats
        }
    }

    /// The state of `leg`, `None` once it is forgotten.
    pub fn leg_state(&self, leg: LegId) -> Option<LegState> {
        self.legs.get(&leg).map(|l| l.state)
    }

    /// The contacts registered for `aor` (a SIP URI), most preferred first; empty without
    /// a registrar.
    pub fn lookup(&self, now: Instant, aor: &str) -> Vec<String> {
        self.registrar.as_ref().map_or_else(Vec::new, |r| {
            r.registrar
                .bindings(aor, now)
                .into_iter()
                .map(|b| b.contact.clone())
                .collect()
        })
    }

    fn contact(&self, transport: Transport) -> &str {
        match transport {
            Transport::Udp => &self.contact_udp,
            Transport::Tcp => &self.contact_tcp,
            Transport::Tls => &self.contact_tls,
        }
    }

    fn via(&mut self, transport: Transport) -> String {
        let addr = match transport {
            Transport::Udp => self.config.local_addr,
            Transport::Tcp => self.config.tcp_addr.unwrap_or(self.config.local_addr),
            Transport::Tls => self.config.tls_addr.unwrap_or(self.config.local_addr),
        };
        let branch = self.tx.new_branch();
        format!("SIP/2.0/{} {addr};branch={branch};rport", transport.via_name())
    }

    // ----- inputs -----

    /// A UDP datagram arrived from `remote` at `now`.
    pub fn handle_datagram(&mut self, now: Instant, remote: SocketAddr, bytes: impl Into<Bytes>) {
        let bytes = bytes.into();
        if self.guard.check(now, remote.ip(), &bytes) != Verdict::Accept {
            return;
        }
        self.tx.handle_datagram(now, remote, bytes);
        self.process(now);
    }

    /// One whole message (framed with [`frame_stream`](crate::frame_stream)) arrived on a
    /// TCP connection from `remote`. A message that does not parse is dropped and `Err`
    /// returned: the driver should close the connection.
    pub fn handle_stream_message(
        &mut self,
        now: Instant,
        remote: SocketAddr,
        bytes: impl Into<Bytes>,
    ) -> Result<(), Error> {
        let bytes = bytes.into();
        if self.guard.check(now, remote.ip(), &bytes) != Verdict::Accept {
            return Ok(());
        }
        let msg = Message::parse_with(bytes, &self.config.transaction.limits)?;
        self.tx.handle_message(now, remote, true, msg);
        self.process(now);
        Ok(())
    }

    /// The driver could not send a transmit of `transaction`.
    pub fn handle_transport_error(&mut self, now: Instant, transaction: TransactionId) {
        self.tx.handle_transport_error(transaction);
        self.process(now);
    }

    /// Timers due by `now` fire.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.tx.handle_timeout(now);
        self.process(now);
        while let Some(&Reverse((at, id))) = self.deadlines.peek() {
            if at > now {
                break;
            }
            self.deadlines.pop();
            if self.legs.get(&id).is_some_and(|l| l.scheduled == Some(at)) {
                if let Some(leg) = self.legs.get_mut(&id) {
                    leg.scheduled = None;
                }
                self.leg_timers(now, id);
            }
        }
        self.registration_timers(now);
        if let Some(slot) = &mut self.registrar {
            for (aor, binding) in slot.registrar.handle_timeout(now) {
                self.events.push_back(UaEvent::Unregistered {
                    aor,
                    contact: binding.contact,
                });
            }
        }
        self.process(now);
    }

    // ----- outputs -----

    /// The next message to send.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.tx.poll_transmit()
    }

    /// The next event for the application.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<UaEvent> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called.
    #[must_use]
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        while let Some(&Reverse((at, id))) = self.deadlines.peek() {
            if self.legs.get(&id).is_some_and(|l| l.scheduled == Some(at)) {
                break;
            }
            self.deadlines.pop();
        }
        let own = self.deadlines.peek().map(|Reverse((at, _))| *at);
        let reg = self.registrar.as_ref().and_then(|r| r.registrar.poll_timeout());
        [self.tx.poll_timeout(), own, reg, self.registration_timeout()]
            .into_iter()
            .flatten()
            .min()
    }

    // ----- commands -----

    /// Carries out `command` (see [`Command`] for the method each variant calls).
    pub fn execute(&mut self, now: Instant, command: Command) -> Result<(), Error> {
        match command {
            Command::Ringing { leg } => self.ringing(now, leg),
            Command::Progress { leg, code, sdp } => self.progress(now, leg, code, sdp),
            Command::Answer { leg, sdp } => self.answer(now, leg, sdp),
            Command::Reject { leg, code, reason } => self.reject(now, leg, code, &reason),
            Command::Hangup { leg } => self.hangup(now, leg),
            Command::ReInvite { leg, sdp } => self.reinvite(now, leg, sdp),
            Command::Ack { leg, sdp } => self.ack(now, leg, sdp),
            Command::Dtmf { leg, digit } => self.send_info_dtmf(now, leg, digit, 160),
            Command::Update { leg, sdp } => self.update(now, leg, sdp),
            Command::Prack { leg, sdp } => self.prack(now, leg, sdp),
            Command::Refer {
                leg,
                target,
                replaces,
            } => self.refer(now, leg, &target, replaces.as_deref()),
            Command::ReferProgress { leg, code, reason } => self.refer_progress(now, leg, code, &reason),
        }
    }

    /// Places a call: sends an INVITE (with `call.sdp` as offer) and returns its leg.
    pub fn invite(&mut self, now: Instant, call: OutgoingCall) -> Result<LegId, Error> {
        let local_tag = self.tx.new_tag();
        let host = self.config.local_addr.ip();
        let call_id = format!("{}{}@{host}", self.tx.new_tag(), self.tx.new_tag());
        let via = self.via(call.transport);
        let mut b = Message::request("INVITE", &call.request_uri)
            .header("Via", &via)
            .header("Max-Forwards", "70")
            .header("From", &format!("{};tag={local_tag}", name_addr(&call.from)))
            .header("To", &name_addr(&call.to))
            .header("Call-ID", &call_id)
            .header("CSeq", "1 INVITE")
            .header("Contact", self.contact(call.transport))
            .header("Allow", ALLOW)
            .header("Supported", SUPPORTED);
        for (name, value) in self.session_offer_headers() {
            b = b.header(name, &value);
        }
        if let Some(ua) = &self.config.user_agent {
            b = b.header("User-Agent", ua);
        }
        for (name, value) in &call.headers {
            b = b.header(name, value);
        }
        if let Some(sdp) = &call.sdp {
            b = b.header("Content-Type", "application/sdp").body(sdp.clone());
        }
        let invite = b.build()?;
        let tx = self
            .tx
            .send_request(now, call.destination, call.transport.reliable(), invite.clone())?;
        let credentials = call.credentials;
        let prack_answer = call.prack_answer;
        let id = self.new_leg(Leg {
            uac: true,
            state: LegState::Calling,
            remote: call.destination,
            transport: call.transport,
            local_tag,
            invite,
            invite_tx: Some(tx),
            dialog: None,
            local_sdp: call.sdp,
            ack: None,
            ack_pending: false,
            reinvite_ack: None,
            retransmit: None,
            pending_reinvite: None,
            reinvite_tx: None,
            bye_after_ack: false,
            ringing_reported: false,
            linger_until: None,
            scheduled: None,
            credentials,
            challenge: None,
            auth_tries: 0,
            pracked: Vec::new(),
            prack_pending: None,
            prack_answer,
            rel100: false,
            rseq: 0,
            reliable: None,
            queued: VecDeque::new(),
            session: session_timer::Session::default(),
            remote_sdp: None,
            refer_in: None,
            pending_update: None,
            update_tx: None,
        });
        self.by_tx.insert(tx, (id, Purpose::Invite));
        self.stats.outgoing_calls += 1;
        self.process(now);
        Ok(id)
    }

    /// Sends 180 Ringing on an incoming leg.
    pub fn ringing(&mut self, now: Instant, leg: LegId) -> Result<(), Error> {
        self.provisional(now, leg, 180, "Ringing", None)
    }

    /// Sends a provisional response (`code` 101 to 199, e.g. 183 with early-media SDP)
    /// on an incoming leg.
    pub fn progress(&mut self, now: Instant, leg: LegId, code: u16, sdp: Option<Bytes>) -> Result<(), Error> {
        if !(101..=199).contains(&code) {
            return Err(state_error(
                leg,
                "send a provisional response",
                "the code must be 101 to 199",
            ));
        }
        let reason = if code == 183 {
            "Session Progress"
        } else {
            "Ringing"
        };
        self.provisional(now, leg, code, reason, sdp.as_ref())?;
        if let Some(l) = self.legs.get_mut(&leg)
            && sdp.is_some()
        {
            l.local_sdp = sdp;
        }
        Ok(())
    }

    fn provisional(
        &mut self,
        now: Instant,
        id: LegId,
        code: u16,
        reason: &str,
        sdp: Option<&Bytes>,
    ) -> Result<(), Error> {
        let leg = self.legs.get(&id).ok_or_else(|| unknown(id))?;
        if leg.uac || !matches!(leg.state, LegState::Calling | LegState::Early) {
            return Err(state_error(
                id,
                "ring",
                "only an incoming leg not yet answered rings",
            ));
        }
        let tx = leg.invite_tx.ok_or_else(|| unknown(id))?;
        if !leg.rel100 {
            let response = self.uas_response(id, code, reason, sdp)?;
            self.tx.send_response(now, tx, &response)?;
            self.ensure_uas_dialog(id, &response);
            if let Some(leg) = self.legs.get_mut(&id) {
                leg.state = LegState::Early;
            }
            self.process(now);
            return Ok(());
        }
        // The INVITE requires 100rel: every provisional goes reliably (RFC 3262 §3),
        // one at a time; a later one waits for the PRACK of the one before.
        let rseq = (leg.rseq + 1).to_string();
        let response = self.response_for_with(
            &leg.invite,
            (code, reason),
            &leg.local_tag,
            (leg.transport, leg.remote),
            sdp,
            &[("Require", "100rel"), ("RSeq", &rseq)],
        )?;
        let waiting = leg.reliable.is_some();
        if !waiting {
            self.tx.send_response(now, tx, &response)?;
        }
        self.ensure_uas_dialog(id, &response);
        let t1 = self.config.transaction.timers.t1;
        if let Some(leg) = self.legs.get_mut(&id) {
            leg.state = LegState::Early;
            leg.rseq += 1;
            if waiting {
                leg.queued.push_back(response);
            } else {
                leg.reliable = Some(Retransmit {
                    response,
                    next: now + t1,
                    interval: t1,
                    give_up: now + t1 * 64,
                    reinvite: false,
                });
            }
        }
        self.reschedule(id);
        self.process(now);
        Ok(())
    }

    /// A PRACK on incoming leg `id`: 200 when it acknowledges the reliable provisional
    /// awaiting one (and the next queued one goes), else 481 (RFC 3262 §3).
    fn on_prack(
        &mut self,
        now: Instant,
        tx: TransactionId,
        id: LegId,
        request: &Message,
        remote: SocketAddr,
    ) {
        let rack = request
            .rack()
            .ok()
            .flatten()
            .map(|r| (r.rseq, r.cseq, r.method.to_owned()));
        let Some(leg) = self.legs.get_mut(&id) else { return };
        let invite_seq = leg.invite.cseq().map(|c| c.seq).ok();
        let matches = leg.reliable.as_ref().is_some_and(|r| {
            rack.as_ref().is_some_and(|(rseq, cseq, method)| {
                r.response.rseq().ok().flatten() == Some(*rseq)
                    && Some(*cseq) == invite_seq
                    && method.eq_ignore_ascii_case("INVITE")
            })
        });
        if !matches {
            self.respond(now, tx, request, 481, "Call/Transaction Does Not Exist", remote);
            return;
        }
        leg.reliable = None;
        let next = leg.queued.pop_front();
        let invite_tx = leg.invite_tx;
        self.on_prack_sdp(id, request);
        let Some(leg) = self.legs.get(&id) else { return };
        let (tag, peer) = (leg.local_tag.clone(), (leg.transport, leg.remote));
        if let Ok(response) = self.response_for(request, 200, "OK", &tag, peer, None) {
            let _ = self.tx.send_response(now, tx, &response);
        }
        if let (Some(response), Some(invite_tx)) = (next, invite_tx)
            && self.tx.send_response(now, invite_tx, &response).is_ok()
        {
            let t1 = self.config.transaction.timers.t1;
            if let Some(leg) = self.legs.get_mut(&id) {
                leg.reliable = Some(Retransmit {
                    response,
                    next: now + t1,
                    interval: t1,
                    give_up: now + t1 * 64,
                    reinvite: false,
                });
            }
            self.reschedule(id);
        }
    }

    /// A response of ours to the leg's INVITE, with our To tag, Contact and SDP.
    fn uas_response(
        &self,
        id: LegId,
        code: u16,
        reason: &str,
        sdp: Option<&Bytes>,
    ) -> Result<Message, Error> {
        let leg = self.legs.get(&id).ok_or_else(|| unknown(id))?;
        self.response_for(
            &leg.invite,
            code,
            reason,
            &leg.local_tag,
            (leg.transport, leg.remote),
            sdp,
        )
    }

    fn response_for(
        &self,
        request: &Message,
        code: u16,
        reason: &str,
        tag: &str,
        peer: (Transport, SocketAddr),
        sdp: Option<&Bytes>,
    ) -> Result<Message, Error> {
        self.response_for_with(request, (code, reason), tag, peer, sdp, &[])
    }

    fn response_for_with(
        &self,
        request: &Message,
        (code, reason): (u16, &str),
        tag: &str,
        (transport, remote): (Transport, SocketAddr),
        sdp: Option<&Bytes>,
        extra: &[(&str, &str)],
    ) -> Result<Message, Error> {
        let mut b = Message::response(code, reason);
        b = copy_vias(b, request, remote);
        let to = request.single(HeaderName::To, "To")?;
        let has_tag = request.to_header().is_ok_and(|t| t.tag().is_some());
        let to = if has_tag {
            to.to_owned()
        } else {
            format!("{to};tag={tag}")
        };
        b = b
            .header("From", request.single(HeaderName::From, "From")?)
            .header("To", &to)
            .header("Call-ID", request.single(HeaderName::CallId, "Call-ID")?)
            .header("CSeq", request.single(HeaderName::CSeq, "CSeq")?);
        for rr in request.header_values(HeaderName::RecordRoute) {
            b = b.header("Record-Route", rr.trim());
        }
        if code > 100 && code < 300 {
            b = b
                .header("Contact", self.contact(transport))
                .header("Allow", ALLOW);
        }
        if let Some(ua) = &self.config.user_agent {
            b = b.header("Server", ua);
        }
        for (name, value) in extra {
            b = b.header(name, value);
        }
        if let Some(sdp) = sdp {
            b = b.header("Content-Type", "application/sdp").body(sdp.clone());
        }
        b.build()
    }

    fn ensure_uas_dialog(&mut self, id: LegId, response: &Message) {
        let Some(leg) = self.legs.get_mut(&id) else { return };
        if leg.dialog.is_some() {
            if let Some(d) = leg.dialog.as_ref().and_then(|d| self.dialogs.get_mut(d)) {
                let _ = d.on_sent_response(response);
            }
            return;
        }
        if let Ok(dialog) = Dialog::new_uas(&leg.invite, response) {
            let did = dialog.id().clone();
            leg.dialog = Some(did.clone());
            self.dialogs.insert(dialog);
            self.by_dialog.insert(did, id);
        }
    }

    /// Answers: on a leg with a pending UPDATE offer ([`UaEvent::Update`]), 200 OK to
    /// the UPDATE with `sdp` (this comes first); on an incoming leg not yet answered,
    /// 200 OK with `sdp` (retransmitted until the ACK comes); on a leg with a pending
    /// re-INVITE ([`UaEvent::ReInvite`]), 200 OK to the re-INVITE with `sdp`.
    pub fn answer(&mut self, now: Instant, id: LegId, sdp: Option<Bytes>) -> Result<(), Error> {
        if self.answer_update(now, id, sdp.as_ref())? {
            return Ok(());
        }
        let leg = self.legs.get_mut(&id).ok_or_else(|| unknown(id))?;
        if let Some((tx, request)) = leg.pending_reinvite.take() {
            let (tag, transport) = (leg.local_tag.clone(), (leg.transport, leg.remote));
            let min_se = self.config.session_timer.min_se();
            let timer = Self::session_refreshed(min_se, now, leg, &request);
            if let Some(offer) = sdp_of(&request) {
                leg.remote_sdp = Some(offer);
            }
            let extra: Vec<(&str, &str)> = timer.iter().map(|(n, v)| (*n, v.as_str())).collect();
            let response =
                self.response_for_with(&request, (200, "OK"), &tag, transport, sdp.as_ref(), &extra)?;
            self.tx.send_response(now, tx, &response)?;
            let t1 = self.config.transaction.timers.t1;
            if let Some(leg) = self.legs.get_mut(&id) {
                if sdp.is_some() {
                    leg.local_sdp = sdp;
                }
                leg.retransmit = Some(Retransmit {
                    response,
                    next: now + t1,
                    interval: t1,
                    give_up: now + t1 * 64,
                    reinvite: true,
                });
            }
            self.reschedule(id);
            self.process(now);
            return Ok(());
        }
        if leg.uac || !matches!(leg.state, LegState::Calling | LegState::Early) {
            return Err(state_error(
                id,
                "answer",
                "only an incoming leg not yet answered, or one with a pending re-INVITE, is answered",
            ));
        }
        let tx = leg.invite_tx.ok_or_else(|| unknown(id))?;
        let timer = Self::session_answer(now, leg);
        let extra: Vec<(&str, &str)> = timer.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let leg = self.legs.get(&id).ok_or_else(|| unknown(id))?;
        let response = self.response_for_with(
            &leg.invite,
            (200, "OK"),
            &leg.local_tag,
            (leg.transport, leg.remote),
            sdp.as_ref(),
            &extra,
        )?;
        self.tx.send_response(now, tx, &response)?;
        self.ensure_uas_dialog(id, &response);
        let t1 = self.config.transaction.timers.t1;
        if let Some(leg) = self.legs.get_mut(&id) {
            // The final response ends the reliable provisionals still unacknowledged.
            leg.reliable = None;
            leg.queued.clear();
            leg.state = LegState::Answered;
            leg.local_sdp = sdp;
            leg.retransmit = Some(Retransmit {
                response,
                next: now + t1,
                interval: t1,
                give_up: now + t1 * 64,
                reinvite: false,
            });
        }
        self.stats.answered += 1;
        self.reschedule(id);
        self.process(now);
        Ok(())
    }

    /// Refuses: a pending UPDATE offer (first) or re-INVITE gets `code` (300 to 699)
    /// and the call stays up; otherwise an incoming leg not yet answered gets the final
    /// `code` and ends.
    pub fn reject(&mut self, now: Instant, id: LegId, code: u16, reason: &str) -> Result<(), Error> {
        if !(300..=699).contains(&code) {
            return Err(state_error(id, "reject", "the code must be 300 to 699"));
        }
        if self.reject_update(now, id, code, reason)? {
            return Ok(());
        }
        let leg = self.legs.get_mut(&id).ok_or_else(|| unknown(id))?;
        if let Some((tx, request)) = leg.pending_reinvite.take() {
            let (tag, transport) = (leg.local_tag.clone(), (leg.transport, leg.remote));
            let response = self.response_for(&request, code, reason, &tag, transport, None)?;
            self.tx.send_response(now, tx, &response)?;
            self.process(now);
            return Ok(());
        }
        if leg.uac || !matches!(leg.state, LegState::Calling | LegState::Early) {
            return Err(state_error(
                id,
                "reject",
                "only an incoming leg not yet answered is rejected",
            ));
        }
        let tx = leg.invite_tx.ok_or_else(|| unknown(id))?;
        let response = self.uas_response(id, code, reason, None)?;
        self.tx.send_response(now, tx, &response)?;
        self.end_leg(now, id);
        self.process(now);
        Ok(())
    }

    /// Ends a leg from our side: BYE on a confirmed leg, CANCEL on an outgoing one not
    /// yet answered (a 2xx that crosses the CANCEL is acknowledged and followed by BYE),
    /// 487 on an incoming one not yet answered; on an incoming leg answered but not yet
    /// acknowledged, BYE goes once the ACK comes (or the 2xx times out). No event follows
    /// for the leg.
    pub fn hangup(&mut self, now: Instant, id: LegId) -> Result<(), Error> {
        let leg = self.legs.get_mut(&id).ok_or_else(|| unknown(id))?;
        match (leg.uac, leg.state) {
            (_, LegState::Ended | LegState::Cancelling) => {
                return Err(state_error(id, "hang up", "the leg has already ended"));
            }
            (true, LegState::Calling | LegState::Early) => {
                leg.state = LegState::Cancelling;
                if let Some(tx) = leg.invite_tx {
                    // Fails only when a final response has come: the 2xx path then sends BYE.
                    let _ = self.tx.cancel(now, tx);
                }
            }
            (false, LegState::Calling | LegState::Early) => {
                if let Some(tx) = leg.invite_tx {
                    let response = self.uas_response(id, 487, "Request Terminated", None)?;
                    let _ = self.tx.send_response(now, tx, &response);
                }
                self.end_leg(now, id);
            }
            (false, LegState::Answered) => {
                leg.bye_after_ack = true;
            }
            (_, LegState::Confirmed) => {
                if leg.ack_pending {
                    // Acknowledge without the answer: the call ends at once anyway.
                    self.send_ack(id, None);
                }
                self.send_bye(now, id);
                self.end_leg(now, id);
            }
            (true, LegState::Answered) => {}
        }
        self.process(now);
        Ok(())
    }

    /// Sends the ACK, with the SDP answer, for an outgoing leg placed without an offer
    /// whose 2xx carried one (late offer: [`UaEvent::Answered`] brought the offer and
    /// the agent waited for this answer). Until then the peer's 2xx retransmissions are
    /// absorbed.
    pub fn ack(&mut self, now: Instant, id: LegId, sdp: Bytes) -> Result<(), Error> {
        let leg = self.legs.get(&id).ok_or_else(|| unknown(id))?;
        if !leg.ack_pending {
            return Err(state_error(
                id,
                "send the ACK",
                "only a late-offer 2xx waits for the application's ACK; the agent acknowledged the others",
            ));
        }
        self.send_ack(id, Some(sdp));
        self.process(now);
        Ok(())
    }

    /// Builds, sends and keeps the ACK for the 2xx of an outgoing leg.
    fn send_ack(&mut self, id: LegId, sdp: Option<Bytes>) {
        let Some(leg) = self.legs.get(&id) else { return };
        let transport = leg.transport;
        let via = self.via(transport);
        let Some(leg) = self.legs.get_mut(&id) else { return };
        let mut builder = leg
            .dialog
            .as_ref()
            .and_then(|d| self.dialogs.get_mut(d))
            .and_then(|d| d.ack(&via).ok());
        if let Some(sdp) = &sdp {
            builder = builder.map(|b| b.header("Content-Type", "application/sdp").body(sdp.clone()));
        }
        let ack = builder.and_then(|b| b.build().ok());
        if let Some(ack) = &ack {
            self.tx.send_stateless(leg.remote, transport.reliable(), ack);
        }
        leg.ack = ack;
        leg.ack_pending = false;
        if sdp.is_some() {
            leg.local_sdp = sdp;
        }
    }

    /// Sends a re-INVITE with `sdp` on a confirmed leg (hold: an offer with
    /// `a=sendonly`; unhold: `a=sendrecv`). The answer comes as
    /// [`UaEvent::ReInviteAnswered`].
    pub fn reinvite(&mut self, now: Instant, id: LegId, sdp: Option<Bytes>) -> Result<(), Error> {
        let leg = self.legs.get(&id).ok_or_else(|| unknown(id))?;
        if leg.state != LegState::Confirmed {
            return Err(state_error(id, "re-INVITE", "the leg is not confirmed"));
        }
        if leg.reinvite_tx.is_some() || leg.pending_reinvite.is_some() {
            return Err(state_error(
                id,
                "re-INVITE",
                "another re-INVITE is in progress (RFC 3261 §14.1)",
            ));
        }
        let transport = leg.transport;
        let mut headers = vec![("Allow", ALLOW.to_owned())];
        if sdp.is_some() {
            headers.push(("Content-Type", "application/sdp".to_owned()));
        }
        let tx = self.in_dialog_request(
            now,
            id,
            "INVITE",
            &headers,
            sdp.clone().unwrap_or_default(),
            transport,
        )?;
        self.by_tx.insert(tx, (id, Purpose::ReInvite));
        if let Some(leg) = self.legs.get_mut(&id) {
            leg.reinvite_tx = Some(tx);
            if sdp.is_some() {
                leg.local_sdp = sdp;
            }
        }
        self.process(now);
        Ok(())
    }

    /// Sends DTMF `digit` in SIP INFO (`application/dtmf-relay`, `duration_ms` long) on a
    /// confirmed leg.
    pub fn send_info_dtmf(
        &mut self,
        now: Instant,
        id: LegId,
        digit: char,
        duration_ms: u32,
    ) -> Result<(), Error> {
        let leg = self.legs.get(&id).ok_or_else(|| unknown(id))?;
        if leg.state != LegState::Confirmed {
            return Err(state_error(id, "send INFO", "the leg is not confirmed"));
        }
        if !dtmf::is_digit(digit) {
            return Err(state_error(
                id,
                "send INFO",
                "a DTMF digit is 0-9, *, #, A-D or F",
            ));
        }
        let transport = leg.transport;
        let body = format!("Signal={digit}\r\nDuration={duration_ms}\r\n");
        let headers = [("Content-Type", "application/dtmf-relay".to_owned())];
        let tx = self.in_dialog_request(now, id, "INFO", &headers, Bytes::from(body), transport)?;
        self.by_tx.insert(tx, (id, Purpose::Other));
        self.process(now);
        Ok(())
    }

    fn in_dialog_request(
        &mut self,
        now: Instant,
        id: LegId,
        method: &str,
        headers: &[(&str, String)],
        body: Bytes,
        transport: Transport,
    ) -> Result<TransactionId, Error> {
        let via = self.via(transport);
        let leg = self.legs.get(&id).ok_or_else(|| unknown(id))?;
        let remote = leg.remote;
        let dialog = leg
            .dialog
            .as_ref()
            .and_then(|d| self.dialogs.get_mut(d))
            .ok_or_else(|| state_error(id, "send a request", "the leg has no dialog"))?;
        let mut b = dialog.request(method, &via)?;
        for (name, value) in headers {
            b = b.header(name, value);
        }
        if !body.is_empty() {
            b = b.body(body);
        }
        let request = b.build()?;
        self.tx.send_request(now, remote, transport.reliable(), request)
    }

    fn send_bye(&mut self, now: Instant, id: LegId) {
        let Some(leg) = self.legs.get(&id) else { return };
        let transport = leg.transport;
        if let Ok(tx) = self.in_dialog_request(now, id, "BYE", &[], Bytes::new(), transport) {
            self.by_tx.insert(tx, (id, Purpose::Other));
        }
    }

    // ----- bookkeeping -----

    fn new_leg(&mut self, leg: Leg) -> LegId {
        self.next_leg += 1;
        let id = LegId(self.next_leg);
        self.legs.insert(id, leg);
        id
    }

    /// The leg has ended: it lingers, then is forgotten.
    fn end_leg(&mut self, now: Instant, id: LegId) {
        let linger = self.config.linger;
        let Some(leg) = self.legs.get_mut(&id) else { return };
        if !leg.uac && leg.state != LegState::Ended && self.config.protection.max_dialogs_per_source.is_some()
        {
            release(&mut self.dialogs_by_source, leg.remote.ip());
        }
        leg.state = LegState::Ended;
        leg.session.stop();
        leg.retransmit = None;
        leg.reliable = None;
        leg.queued.clear();
        leg.linger_until = Some(now + linger);
        if let Some(d) = leg.dialog.as_ref().and_then(|d| self.dialogs.get_mut(d)) {
            d.terminate();
        }
        self.reschedule(id);
    }

    fn forget(&mut self, id: LegId) {
        let Some(leg) = self.legs.remove(&id) else { return };
        if !leg.uac
            && let Some(key) = merge_key(&leg.invite)
            && self.incoming.get(&key) == Some(&id)
        {
            self.incoming.remove(&key);
        }
        if let Some(did) = leg.dialog {
            self.dialogs.remove(&did);
            self.by_dialog.remove(&did);
        }
    }

    fn reschedule(&mut self, id: LegId) {
        let Some(leg) = self.legs.get_mut(&id) else { return };
        let next = [
            leg.retransmit.as_ref().map(|r| r.next.min(r.give_up)),
            leg.reliable.as_ref().map(|r| r.next.min(r.give_up)),
            leg.session.next(),
            leg.refer_in.as_ref().map(|r| r.expires),
            leg.linger_until,
        ]
        .into_iter()
        .flatten()
        .min();
        if let Some(next) = next
            && leg.scheduled.is_none_or(|s| next < s)
        {
            leg.scheduled = Some(next);
            self.deadlines.push(Reverse((next, id)));
        }
    }

    fn leg_timers(&mut self, now: Instant, id: LegId) {
        let t2 = self.config.transaction.timers.t2;
        let Some(leg) = self.legs.get_mut(&id) else { return };
        if leg.linger_until.is_some_and(|t| t <= now) {
            self.forget(id);
            return;
        }
        if self.session_timers(now, id) {
            return;
        }
        self.refer_timers(now, id);
        let Some(leg) = self.legs.get_mut(&id) else { return };
        if let Some(r) = &mut leg.reliable {
            if r.give_up <= now {
                // No PRACK in 64·T1 (RFC 3262 §3): refuse the INVITE.
                leg.reliable = None;
                if let Some(tx) = leg.invite_tx
                    && let Ok(response) =
                        self.uas_response(id, 504, "Reliable Provisional Not Acknowledged", None)
                {
                    let _ = self.tx.send_response(now, tx, &response);
                }
                self.end_remote(now, id, EndCause::Timeout);
                return;
            } else if r.next <= now {
                if !leg.transport.reliable() {
                    self.tx.send_stateless(leg.remote, false, &r.response);
                }
                r.interval *= 2;
                r.next = now + r.interval;
            }
        }
        let Some(leg) = self.legs.get_mut(&id) else { return };
        let mut timed_out = false;
        if let Some(r) = &mut leg.retransmit {
            if r.give_up <= now {
                timed_out = !r.reinvite;
                leg.retransmit = None;
            } else if r.next <= now {
                if !leg.transport.reliable() {
                    self.tx.send_stateless(leg.remote, false, &r.response);
                    self.stats.retransmitted_2xx += 1;
                }
                r.interval = (r.interval * 2).min(t2);
                r.next = now + r.interval;
            }
        }
        if timed_out {
            // No ACK for our 2xx (RFC 3261 §13.3.1.4): the call is over.
            leg.state = LegState::Confirmed;
            let silent = leg.bye_after_ack;
            self.send_bye(now, id);
            self.end_leg(now, id);
            if !silent {
                self.stats.ended += 1;
                self.events.push_back(UaEvent::Ended {
                    leg: id,
                    cause: EndCause::Timeout,
                });
            }
            return;
        }
        self.reschedule(id);
    }

    /// Drains the transaction layer's events.
    fn process(&mut self, now: Instant) {
        while let Some(event) = self.tx.poll_event() {
            match event {
                Event::Request { id, request, remote } => {
                    if !self.over_transaction_cap(now, id, &request, remote) {
                        self.on_request(now, id, request, remote);
                    }
                }
                Event::Response { id, response } => self.on_response(now, id, &response),
                Event::Cancelled { invite, .. } => self.on_cancelled(now, invite),
                Event::Ack { request, .. } => self.on_ack(now, &request),
                Event::StrayResponse { response, .. } => self.on_stray_response(&response),
                Event::Timeout { id } => {
                    if !self.on_register_failure(now, id, 408) && !self.on_probe_failure(id, 408) {
                        self.on_failure(now, id, EndCause::Timeout);
                    }
                }
                Event::TransportError { id } => {
                    if !self.on_register_failure(now, id, 503) && !self.on_probe_failure(id, 503) {
                        self.on_failure(now, id, EndCause::TransportError);
                    }
                }
                Event::Terminated { id } => {
                    self.by_tx.remove(&id);
                    self.reg_by_tx.remove(&id);
                    if let Some(ip) = self.server_tx_source.remove(&id) {
                        release(&mut self.transactions_by_source, ip);
                    }
                }
            }
        }
    }

    fn respond(
        &mut self,
        now: Instant,
        tx: TransactionId,
        request: &Message,
        code: u16,
        reason: &str,
        remote: SocketAddr,
    ) {
        self.respond_with(now, tx, request, (code, reason), remote, &[]);
    }

    fn respond_with(
        &mut self,
        now: Instant,
        tx: TransactionId,
        request: &Message,
        (code, reason): (u16, &str),
        remote: SocketAddr,
        extra: &[(&str, &str)],
    ) {
        let tag = self.tx.new_tag();
        if let Ok(response) = Self::simple_response(request, code, reason, &tag, remote, extra) {
            let _ = self.tx.send_response(now, tx, &response);
        }
    }

    fn simple_response(
        request: &Message,
        code: u16,
        reason: &str,
        tag: &str,
        remote: SocketAddr,
        extra: &[(&str, &str)],
    ) -> Result<Message, Error> {
        let mut b = Message::response(code, reason);
        b = copy_vias(b, request, remote);
        let to = request.single(HeaderName::To, "To")?;
        let has_tag = request.to_header().is_ok_and(|t| t.tag().is_some());
        let to = if has_tag || code == 100 {
            to.to_owned()
        } else {
            format!("{to};tag={tag}")
        };
        b = b
            .header("From", request.single(HeaderName::From, "From")?)
            .header("To", &to)
            .header("Call-ID", request.single(HeaderName::CallId, "Call-ID")?)
            .header("CSeq", request.single(HeaderName::CSeq, "CSeq")?);
        if code == 200 || code == 405 {
            b = b.header("Allow", ALLOW);
        }
        if (code == 200 && request.method() == Some("OPTIONS")) || code == 415 {
            b = b.header("Accept", "application/sdp");
        }
        for (name, value) in extra {
            b = b.header(name, value);
        }
        b.build()
    }

    /// The RFC 3261 §8.2 checks a UAS makes before it looks at a request (method
    /// inspection is done by the dispatch): the Request-URI scheme (416), extensions in
    /// Require (420, we support none), a merged request (482), and for INVITE the body's
    /// type (415). Returns `true` when the request was answered.
    fn refused_by_checks(
        &mut self,
        now: Instant,
        tx: TransactionId,
        request: &Message,
        remote: SocketAddr,
    ) -> bool {
        if !matches!(
            request.request_uri(),
            Some(Ok(crate::Uri::Sip(_) | crate::Uri::Tel(_)))
        ) {
            self.respond_with(now, tx, request, (416, "Unsupported URI Scheme"), remote, &[]);
            return true;
        }
        // 100rel (RFC 3262), timer (RFC 4028) and replaces (RFC 3891) are the
        // extensions we support.
        let unsupported: Vec<&str> = request
            .require()
            .filter_map(Result::ok)
            .filter(|t| !SUPPORTED.split(", ").any(|s| t.eq_ignore_ascii_case(s)))
            .collect();
        if !unsupported.is_empty() {
            let list = unsupported.join(", ");
            self.respond_with(
                now,
                tx,
                request,
                (420, "Bad Extension"),
                remote,
                &[("Unsupported", &list)],
            );
            return true;
        }
        if request.method() != Some("INVITE") {
            return false;
        }
        let in_dialog = request.to_header().is_ok_and(|t| t.tag().is_some());
        if !in_dialog && let Some(key) = merge_key(request) {
            let branch = request.top_via().ok().and_then(|v| v.branch().map(str::to_owned));
            let merged = self
                .incoming
                .get(&key)
                .and_then(|id| self.legs.get(id))
                .is_some_and(|leg| {
                    leg.invite
                        .top_via()
                        .ok()
                        .and_then(|v| v.branch().map(str::to_owned))
                        != branch
                });
            if merged {
                self.respond_with(now, tx, request, (482, "Loop Detected"), remote, &[]);
                return true;
            }
        }
        let sdp_or_empty = request.body().is_empty()
            || request
                .content_type()
                .is_ok_and(|t| t.is_none_or(|t| t.is("application", "sdp")));
        if !sdp_or_empty {
            self.respond_with(now, tx, request, (415, "Unsupported Media Type"), remote, &[]);
            return true;
        }
        false
    }

    fn on_request(&mut self, now: Instant, tx: TransactionId, request: Message, remote: SocketAddr) {
        if self.refused_by_checks(now, tx, &request, remote) {
            return;
        }
        let method = request.method().unwrap_or_default().to_owned();
        let in_dialog = request.to_header().is_ok_and(|t| t.tag().is_some());
        if in_dialog {
            match self.dialogs.on_request(&request) {
                Ok(Some(Incoming::Reject(response))) => {
                    let _ = self.tx.send_response(now, tx, &response);
                    return;
                }
                Ok(Some(Incoming::Accept)) => {}
                Ok(None) | Err(_) => {
                    self.respond(now, tx, &request, 400, "Bad Request", remote);
                    return;
                }
            }
            let leg = DialogId::of_incoming(&request)
                .ok()
                .and_then(|d| self.by_dialog.get(&d).copied());
            let Some(leg) = leg else {
                self.respond(now, tx, &request, 481, "Call/Transaction Does Not Exist", remote);
                return;
            };
            self.on_dialog_request(now, tx, leg, &method, request, remote);
            return;
        }
        match method.as_str() {
            "INVITE" => self.on_invite(now, tx, request, remote),
            "OPTIONS" => self.respond(now, tx, &request, 200, "OK", remote),
            "REGISTER" => self.on_register(now, tx, &request, remote),
            "BYE" | "INFO" | "UPDATE" | "PRACK" | "NOTIFY" => {
                self.respond(now, tx, &request, 481, "Call/Transaction Does Not Exist", remote);
            }
            "REFER" => {
                self.respond(
                    now,
                    tx,
                    &request,
                    400,
                    "REFER Outside A Dialog Is Not Supported",
                    remote,
                );
            }
            _ => self.respond(now, tx, &request, 405, "Method Not Allowed", remote),
        }
    }

    fn on_invite(&mut self, now: Instant, tx: TransactionId, request: Message, remote: SocketAddr) {
        let verdict = self.judge_session(&request);
        if let session_timer::Verdict::Refuse(code, reason, headers) = &verdict {
            let extra: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
            self.respond_with(now, tx, &request, (*code, reason), remote, &extra);
            return;
        }
        let replaced = match self.match_replaces(&request) {
            refer::ReplacesMatch::None => None,
            refer::ReplacesMatch::Leg(leg) => Some(leg),
            refer::ReplacesMatch::Refuse(code, reason) => {
                self.respond_with(now, tx, &request, (code, reason), remote, &[]);
                return;
            }
        };
        if let Some(max) = self.config.protection.max_dialogs_per_source
            && !self.guard.is_trusted(remote.ip())
        {
            let live = self.dialogs_by_source.entry(remote.ip()).or_insert(0);
            if *live >= max {
                if *live == 0 {
                    self.dialogs_by_source.remove(&remote.ip());
                }
                self.guard.note_rejected_dialog();
                let retry = self.config.transaction.retry_after.to_string();
                self.respond_with(
                    now,
                    tx,
                    &request,
                    (503, "Too Many Calls From Source"),
                    remote,
                    &[("Retry-After", &retry)],
                );
                return;
            }
            *live += 1;
        }
        let has_contact = request.contacts().next().is_some_and(|c| c.is_ok());
        if !has_contact {
            self.respond(now, tx, &request, 400, "Missing Contact", remote);
            return;
        }
        let (Ok(from), Ok(to), Ok(call_id)) = (request.from_header(), request.to_header(), request.call_id())
        else {
            self.respond(now, tx, &request, 400, "Bad Request", remote);
            return;
        };
        let (from, to, call_id) = (without_tag(&from), without_tag(&to), call_id.to_owned());
        let transport = match request.top_via().map(|v| v.transport) {
            Ok(t) if t.eq_ignore_ascii_case("TCP") => Transport::Tcp,
            Ok(t) if t.eq_ignore_ascii_case("TLS") => Transport::Tls,
            _ => Transport::Udp,
        };
        let request_uri = request.request_uri_str().unwrap_or_default().to_owned();
        let sdp = sdp_of(&request);
        let local_tag = self.tx.new_tag();
        let rel100 = request
            .require()
            .filter_map(Result::ok)
            .any(|t| t.eq_ignore_ascii_case("100rel"));
        let session = Self::session_of_invite(&request, &verdict);
        let remote_sdp = sdp.clone();
        let id = self.new_leg(Leg {
            uac: false,
            state: LegState::Calling,
            remote,
            transport,
            local_tag,
            invite: request,
            invite_tx: Some(tx),
            dialog: None,
            local_sdp: None,
            ack: None,
            ack_pending: false,
            reinvite_ack: None,
            retransmit: None,
            pending_reinvite: None,
            reinvite_tx: None,
            bye_after_ack: false,
            ringing_reported: false,
            linger_until: None,
            scheduled: None,
            credentials: None,
            challenge: None,
            auth_tries: 0,
            pracked: Vec::new(),
            prack_pending: None,
            prack_answer: false,
            rel100,
            rseq: 0,
            reliable: None,
            queued: VecDeque::new(),
            session,
            remote_sdp,
            refer_in: None,
            pending_update: None,
            update_tx: None,
        });
        self.by_tx.insert(tx, (id, Purpose::Invite));
        if let Some(key) = self.legs.get(&id).and_then(|l| merge_key(&l.invite)) {
            self.incoming.insert(key, id);
        }
        self.stats.incoming_calls += 1;
        if let Some(replaced) = replaced {
            // Announced first, so that a B2BUA routes the new leg in the old one's place.
            self.events.push_back(UaEvent::Replaces { leg: id, replaced });
        }
        self.events.push_back(UaEvent::IncomingCall {
            leg: id,
            request_uri,
            from,
            to,
            call_id,
            sdp,
            source: remote,
        });
    }

    fn on_dialog_request(
        &mut self,
        now: Instant,
        tx: TransactionId,
        id: LegId,
        method: &str,
        request: Message,
        remote: SocketAddr,
    ) {
        match method {
            "BYE" => {
                self.respond(now, tx, &request, 200, "OK", remote);
                let live = self.legs.get(&id).is_some_and(|l| l.state != LegState::Ended);
                self.end_leg(now, id);
                if live {
                    self.stats.ended += 1;
                    self.events.push_back(UaEvent::Ended {
                        leg: id,
                        cause: EndCause::RemoteBye,
                    });
                }
            }
            "OPTIONS" => self.respond(now, tx, &request, 200, "OK", remote),
            "PRACK" => self.on_prack(now, tx, id, &request, remote),
            "REFER" => self.on_refer(now, tx, id, &request, remote),
            "NOTIFY" => self.on_notify(now, tx, id, &request, remote),
            "INFO" => {
                self.respond(now, tx, &request, 200, "OK", remote);
                if let Some(digit) = dtmf::digit_of(&request) {
                    self.events.push_back(UaEvent::Dtmf { leg: id, digit });
                }
            }
            "UPDATE" => {
                if self.refused_session(now, tx, &request, remote)
                    || self.on_update_offer(now, tx, id, &request, remote)
                {
                    return;
                }
                if !request.body().is_empty() {
                    self.respond(now, tx, &request, 415, "Unsupported Media Type", remote);
                    return;
                }
                let min_se = self.config.session_timer.min_se();
                let Some(leg) = self.legs.get_mut(&id) else { return };
                // No body: a session refresh (RFC 4028), answered here.
                let timer = Self::session_refreshed(min_se, now, leg, &request);
                let (tag, transport) = (leg.local_tag.clone(), (leg.transport, leg.remote));
                let extra: Vec<(&str, &str)> = timer.iter().map(|(n, v)| (*n, v.as_str())).collect();
                if let Ok(response) =
                    self.response_for_with(&request, (200, "OK"), &tag, transport, None, &extra)
                {
                    let _ = self.tx.send_response(now, tx, &response);
                }
                self.reschedule(id);
            }
            "INVITE" => {
                if self.refused_session(now, tx, &request, remote) {
                    return;
                }
                let Some(leg) = self.legs.get_mut(&id) else { return };
                if leg.state != LegState::Confirmed || leg.reinvite_tx.is_some() {
                    // Glare or not yet confirmed (RFC 3261 §14.2).
                    self.respond(now, tx, &request, 491, "Request Pending", remote);
                    return;
                }
                if leg.pending_reinvite.is_some() {
                    self.respond(now, tx, &request, 500, "Server Internal Error", remote);
                    return;
                }
                let sdp = sdp_of(&request);
                let refresh = Self::is_refresh(leg, &request);
                leg.pending_reinvite = Some((tx, request));
                if refresh {
                    // A session refresh (RFC 4028): the same session, answered here.
                    let ours = leg.local_sdp.clone();
                    let _ = self.answer(now, id, ours);
                    return;
                }
                self.events.push_back(UaEvent::ReInvite { leg: id, sdp });
            }
            _ => self.respond(now, tx, &request, 405, "Method Not Allowed", remote),
        }
    }

    fn on_register(&mut self, now: Instant, tx: TransactionId, request: &Message, remote: SocketAddr) {
        let Some(slot) = &mut self.registrar else {
            self.respond(now, tx, request, 405, "Method Not Allowed", remote);
            return;
        };
        let aor_uri = request
            .to_header()
            .map(|t| t.uri.as_str().to_owned())
            .unwrap_or_default();
        let before: Vec<String> = slot
            .registrar
            .bindings(&aor_uri, now)
            .into_iter()
            .map(|b| b.contact.clone())
            .collect();
        let Ok(answer) = slot.registrar.handle_register(now, request, slot.users.as_ref()) else {
            return;
        };
        let _ = self.tx.send_response(now, tx, &answer.response);
        if let Outcome::Registered { .. } = answer.outcome {
            let after: Vec<String> = slot
                .registrar
                .bindings(&aor_uri, now)
                .into_iter()
                .map(|b| b.contact.clone())
                .collect();
            let refreshed: Vec<String> = request
                .contacts()
                .filter_map(Result::ok)
                .filter_map(|c| c.address().map(|a| a.uri.as_str().to_owned()))
                .collect();
            for contact in &after {
                if !before.contains(contact) || refreshed.contains(contact) {
                    self.events.push_back(UaEvent::Registered {
                        aor: aor_uri.clone(),
                        contact: contact.clone(),
                    });
                }
            }
            for contact in before {
                if !after.contains(&contact) {
                    self.events.push_back(UaEvent::Unregistered {
                        aor: aor_uri.clone(),
                        contact,
                    });
                }
            }
        }
    }

    fn on_cancelled(&mut self, now: Instant, invite: TransactionId) {
        let Some(&(id, purpose)) = self.by_tx.get(&invite) else {
            return;
        };
        if purpose != Purpose::Invite {
            return;
        }
        let Some(leg) = self.legs.get(&id) else { return };
        if leg.uac || !matches!(leg.state, LegState::Calling | LegState::Early) {
            return;
        }
        if let Ok(response) = self.uas_response(id, 487, "Request Terminated", None) {
            let _ = self.tx.send_response(now, invite, &response);
        }
        self.end_leg(now, id);
        self.stats.ended += 1;
        self.events.push_back(UaEvent::Ended {
            leg: id,
            cause: EndCause::RemoteCancel,
        });
    }

    fn on_ack(&mut self, now: Instant, request: &Message) {
        let Ok(did) = DialogId::of_incoming(request) else {
            return;
        };
        let Some(&id) = self.by_dialog.get(&did) else {
            return;
        };
        let Some(leg) = self.legs.get_mut(&id) else { return };
        let seq = request.cseq().map(|c| c.seq).unwrap_or_default();
        let Some(r) = &leg.retransmit else { return };
        if r.response.cseq().is_ok_and(|c| c.seq != seq) {
            return;
        }
        leg.retransmit = None;
        let hanging_up = leg.bye_after_ack;
        if leg.state == LegState::Answered {
            leg.state = LegState::Confirmed;
            if hanging_up {
                self.send_bye(now, id);
                self.end_leg(now, id);
            }
        }
        // Late offer: our 2xx carried the offer, the ACK carries the answer.
        if !hanging_up && let Some(sdp) = sdp_of(request) {
            if let Some(leg) = self.legs.get_mut(&id) {
                leg.remote_sdp = Some(sdp.clone());
            }
            self.events.push_back(UaEvent::AckSdp { leg: id, sdp });
        }
    }

    fn on_response(&mut self, now: Instant, tx: TransactionId, response: &Message) {
        if self.on_register_response(now, tx, response) || self.on_probe_response(now, tx, response) {
            return;
        }
        let Some(&(id, purpose)) = self.by_tx.get(&tx) else {
            return;
        };
        let code = response.status_code().unwrap_or_default();
        match purpose {
            Purpose::Invite => self.on_invite_response(now, id, code, response),
            Purpose::ReInvite => self.on_reinvite_response(now, id, tx, code, response),
            Purpose::Refresh => self.on_refresh_response(now, id, tx, code, response),
            Purpose::Update => self.on_update_response(now, id, tx, code, response),
            Purpose::Refer | Purpose::Notify => {
                if let Some(d) = self
                    .legs
                    .get(&id)
                    .and_then(|l| l.dialog.as_ref())
                    .and_then(|d| self.dialogs.get_mut(d))
                {
                    let _ = d.on_response(response);
                }
                if purpose == Purpose::Refer {
                    self.on_refer_response(id, code);
                }
            }
            Purpose::Other => {
                if matches!(code, 401 | 407)
                    && self.retry_in_dialog_with_auth(now, id, tx, Purpose::Other, response)
                {
                    return;
                }
                if let Some(d) = self
                    .legs
                    .get(&id)
                    .and_then(|l| l.dialog.as_ref())
                    .and_then(|d| self.dialogs.get_mut(d))
                {
                    let _ = d.on_response(response);
                }
                // 481 or 408 to an in-dialog request ends the call (RFC 3261 §12.2.1.2).
                let is_bye = response.cseq().map_or(true, |c| c.method == "BYE");
                if matches!(code, 408 | 481) && !is_bye {
                    self.end_remote(now, id, EndCause::Timeout);
                }
            }
        }
    }

    fn end_remote(&mut self, now: Instant, id: LegId, cause: EndCause) {
        let live = self
            .legs
            .get(&id)
            .is_some_and(|l| !matches!(l.state, LegState::Ended | LegState::Cancelling));
        self.end_leg(now, id);
        if live {
            self.stats.ended += 1;
            self.events.push_back(UaEvent::Ended { leg: id, cause });
        }
    }

    fn on_invite_response(&mut self, now: Instant, id: LegId, code: u16, response: &Message) {
        let Some(leg) = self.legs.get(&id) else { return };
        if !leg.uac {
            return;
        }
        let invite = leg.invite.clone();
        let dialog = self.dialogs.on_invite_response(&invite, response).ok().flatten();
        let Some(leg) = self.legs.get_mut(&id) else { return };
        if let Some(did) = &dialog
            && leg.dialog.is_none()
        {
            leg.dialog = Some(did.clone());
            self.by_dialog.insert(did.clone(), id);
        }
        match code {
            100 => {}
            101..=199 => {
                if leg.state == LegState::Calling && dialog.is_some() {
                    leg.state = LegState::Early;
                }
                let reliable = response
                    .require()
                    .filter_map(Result::ok)
                    .any(|t| t.eq_ignore_ascii_case("100rel"));
                if reliable && let (Ok(Some(rseq)), Some(did)) = (response.rseq(), dialog.as_ref()) {
                    let last = leg.pracked.iter().find(|(d, _)| d == did).map(|(_, r)| *r);
                    if last.is_some_and(|l| rseq <= l) {
                        // A retransmission of a reliable provisional already acknowledged:
                        // our PRACK transaction takes care of a lost PRACK.
                        return;
                    }
                    leg.pracked.retain(|(d, _)| d != did);
                    leg.pracked.push((did.clone(), rseq));
                    let did = did.clone();
                    if self.on_reliable_provisional(now, id, did, rseq, response) {
                        return;
                    }
                }
                let Some(leg) = self.legs.get_mut(&id) else { return };
                if leg.state == LegState::Cancelling {
                    return;
                }
                if (180..=182).contains(&code) {
                    if !leg.ringing_reported {
                        leg.ringing_reported = true;
                        self.events.push_back(UaEvent::Ringing { leg: id });
                    }
                } else if code != 100 {
                    self.events.push_back(UaEvent::Progress {
                        leg: id,
                        code,
                        sdp: sdp_of(response),
                    });
                }
            }
            200..=299 => {
                if let Some(ack) = &leg.ack {
                    // A retransmitted 2xx: acknowledge again.
                    let (remote, reliable) = (leg.remote, leg.transport.reliable());
                    let ack = ack.clone();
                    self.tx.send_stateless(remote, reliable, &ack);
                    return;
                }
                if leg.ack_pending {
                    // Retransmitted while the application prepares the answer.
                    return;
                }
                // A 2xx of another fork than the one we kept: acknowledge and end it.
                let leg_dialog = leg.dialog.clone();
                if dialog.is_some() && dialog != leg_dialog {
                    if let Some(did) = dialog {
                        self.ack_and_bye_fork(now, id, &did);
                    }
                    return;
                }
                let cancelling = leg.state == LegState::Cancelling;
                let sdp = sdp_of(response);
                if sdp.is_some() {
                    leg.remote_sdp.clone_from(&sdp);
                }
                if !cancelling && leg.local_sdp.is_none() && sdp.is_some() {
                    // Late offer: the 2xx offers, the ACK must answer.
                    leg.state = LegState::Confirmed;
                    leg.ack_pending = true;
                    self.stats.answered += 1;
                    self.session_answered(now, id, response);
                    self.events.push_back(UaEvent::Answered { leg: id, sdp });
                    return;
                }
                let transport = leg.transport;
                let via = self.via(transport);
                let Some(leg) = self.legs.get_mut(&id) else { return };
                let ack = leg
                    .dialog
                    .as_ref()
                    .and_then(|d| self.dialogs.get_mut(d))
                    .and_then(|d| d.ack(&via).ok())
                    .and_then(|b| b.build().ok());
                if let Some(ack) = &ack {
                    self.tx.send_stateless(leg.remote, transport.reliable(), ack);
                }
                leg.ack = ack;
                leg.state = LegState::Confirmed;
                if cancelling {
                    // The 2xx crossed our CANCEL: the call is up; end it with BYE.
                    self.send_bye(now, id);
                    self.end_leg(now, id);
                    return;
                }
                self.stats.answered += 1;
                self.session_answered(now, id, response);
                self.events.push_back(UaEvent::Answered { leg: id, sdp });
            }
            _ => {
                if code == 422 && self.retry_after_422(now, id, response) {
                    return;
                }
                let Some(leg) = self.legs.get(&id) else { return };
                let challenged = matches!(code, 401 | 407)
                    && leg.credentials.is_some()
                    && matches!(leg.state, LegState::Calling | LegState::Early);
                if challenged && self.retry_invite_with_auth(now, id, response) {
                    return;
                }
                let Some(leg) = self.legs.get_mut(&id) else { return };
                let was = leg.state;
                if was == LegState::Ended {
                    return;
                }
                self.end_leg(now, id);
                if was != LegState::Cancelling {
                    self.stats.failed += 1;
                    self.events.push_back(UaEvent::Failed {
                        leg: id,
                        code,
                        reason: response.reason_phrase().unwrap_or_default().to_owned(),
                    });
                }
            }
        }
    }

    /// Sends the in-dialog request of client transaction `tx` (a BYE, INFO, re-INVITE,
    /// PRACK... of leg `id`) again with credentials answering the 401 or 407
    /// `response`. Once per challenge: a request that already carried credentials of the
    /// same kind is not sent again unless the nonce was stale. `false` when nothing was
    /// sent.
    fn retry_in_dialog_with_auth(
        &mut self,
        now: Instant,
        id: LegId,
        tx: TransactionId,
        purpose: Purpose,
        response: &Message,
    ) -> bool {
        let Some(original) = self.tx.request(tx).cloned() else {
            return false;
        };
        let Some(mut challenge) = credentials::pick(response) else {
            return false;
        };
        let answered_before = original.header_values_named(challenge.header).next().is_some();
        if answered_before && !challenge.stale {
            return false;
        }
        let Some(leg) = self.legs.get(&id) else {
            return false;
        };
        let Some(creds) = leg.credentials.clone() else {
            return false;
        };
        let (remote, transport, did) = (leg.remote, leg.transport, leg.dialog.clone());
        let method = original.method().unwrap_or_default().to_owned();
        let uri = original.request_uri_str().unwrap_or_default().to_owned();
        let cnonce = self.tx.new_tag();
        let via = self.via(transport);
        let Some(auth) = challenge.answer(&creds, &method, &uri, &cnonce) else {
            return false;
        };
        // In a live dialog the new request takes the dialog's next CSeq; a BYE (the
        // dialog has ended) takes the one after its own.
        let seq = did
            .as_ref()
            .and_then(|d| self.dialogs.get_mut(d))
            .filter(|d| d.state() != crate::dialog::DialogState::Terminated)
            .and_then(|d| d.request(&method, &via).ok().and(d.local_seq()));
        let Ok(request) = credentials::reissue_with_seq(&original, &via, Some(&auth), seq) else {
            return false;
        };
        let Ok(new_tx) = self.tx.send_request(now, remote, transport.reliable(), request) else {
            return false;
        };
        self.by_tx.insert(new_tx, (id, purpose));
        if purpose == Purpose::ReInvite
            && let Some(leg) = self.legs.get_mut(&id)
        {
            leg.reinvite_tx = Some(new_tx);
        }
        self.stats.auth_retries += 1;
        true
    }

    /// Sends the INVITE of outgoing leg `id` again with credentials answering the 401
    /// or 407 `response`; `false` (the call fails) when the challenge cannot be
    /// answered, or when it repeats the one answered already (wrong credentials).
    fn retry_invite_with_auth(&mut self, now: Instant, id: LegId, response: &Message) -> bool {
        let Some(mut challenge) = credentials::pick(response) else {
            return false;
        };
        let Some(transport) = self.legs.get(&id).map(|l| l.transport) else {
            return false;
        };
        let cnonce = self.tx.new_tag();
        let via = self.via(transport);
        let Some(leg) = self.legs.get_mut(&id) else {
            return false;
        };
        let Some(creds) = leg.credentials.as_ref() else {
            return false;
        };
        // Once per challenge: the same kind of challenge again, not for a stale nonce,
        // means the credentials were refused.
        let repeated = leg
            .challenge
            .as_ref()
            .is_some_and(|c| c.header == challenge.header)
            && !challenge.stale;
        if repeated || leg.auth_tries >= 3 {
            return false;
        }
        let uri = leg.invite.request_uri_str().unwrap_or_default().to_owned();
        let Some(auth) = challenge.answer(creds, "INVITE", &uri, &cnonce) else {
            return false;
        };
        let Ok(invite) = credentials::reissue(&leg.invite, &via, Some(&auth)) else {
            return false;
        };
        let Ok(tx) = self
            .tx
            .send_request(now, leg.remote, transport.reliable(), invite.clone())
        else {
            return false;
        };
        if let Some(did) = leg.dialog.take() {
            self.dialogs.remove(&did);
            self.by_dialog.remove(&did);
        }
        leg.invite = invite;
        leg.invite_tx = Some(tx);
        leg.challenge = Some(challenge);
        leg.auth_tries += 1;
        leg.state = LegState::Calling;
        self.by_tx.insert(tx, (id, Purpose::Invite));
        self.stats.auth_retries += 1;
        true
    }

    /// Counts a new server transaction against its source's cap; answers 503 and returns
    /// `true` when the source already holds its maximum.
    fn over_transaction_cap(
        &mut self,
        now: Instant,
        id: TransactionId,
        request: &Message,
        remote: SocketAddr,
    ) -> bool {
        let Some(max) = self.config.protection.max_transactions_per_source else {
            return false;
        };
        let ip = remote.ip();
        if self.guard.is_trusted(ip) {
            return false;
        }
        let live = self.transactions_by_source.entry(ip).or_insert(0);
        let over = *live >= max;
        *live += 1;
        self.server_tx_source.insert(id, ip);
        if over {
            self.guard.note_rejected_transaction();
            let retry = self.config.transaction.retry_after.to_string();
            self.respond_with(
                now,
                id,
                request,
                (503, "Too Many Transactions From Source"),
                remote,
                &[("Retry-After", &retry)],
            );
        }
        over
    }

    /// ACK then BYE on a dialog a forked INVITE created beside the leg's own.
    fn ack_and_bye_fork(&mut self, now: Instant, id: LegId, did: &DialogId) {
        let Some(leg) = self.legs.get(&id) else { return };
        let (remote, transport) = (leg.remote, leg.transport);
        let via = self.via(transport);
        let via2 = self.via(transport);
        let Some(dialog) = self.dialogs.get_mut(did) else {
            return;
        };
        if let Ok(ack) = dialog.ack(&via).and_then(crate::MessageBuilder::build) {
            self.tx.send_stateless(remote, transport.reliable(), &ack);
        }
        if let Ok(bye) = dialog
            .request("BYE", &via2)
            .and_then(crate::MessageBuilder::build)
        {
            let _ = self.tx.send_request(now, remote, transport.reliable(), bye);
        }
        dialog.terminate();
    }

    fn on_reinvite_response(
        &mut self,
        now: Instant,
        id: LegId,
        tx: TransactionId,
        code: u16,
        response: &Message,
    ) {
        if code < 200 {
            return;
        }
        if matches!(code, 401 | 407)
            && self.retry_in_dialog_with_auth(now, id, tx, Purpose::ReInvite, response)
        {
            return;
        }
        let Some(leg) = self.legs.get(&id) else { return };
        let (remote, transport) = (leg.remote, leg.transport);
        let did = leg.dialog.clone();
        let resent = match &leg.reinvite_ack {
            Some((s, ack)) if response.cseq().is_ok_and(|c| c.seq == *s) => Some(ack.clone()),
            _ => None,
        };
        if let Some(ack) = resent {
            self.tx.send_stateless(remote, transport.reliable(), &ack);
            return;
        }
        let dialog = did.as_ref().and_then(|d| self.dialogs.get_mut(d));
        if let Some(d) = dialog {
            let _ = d.on_response(response);
        }
        let seq = response.cseq().map(|c| c.seq).unwrap_or_default();
        if (200..300).contains(&code) {
            let via = self.via(transport);
            let ack = did
                .as_ref()
                .and_then(|d| self.dialogs.get_mut(d))
                .and_then(|d| d.ack(&via).ok())
                .and_then(|b| b.build().ok());
            if let Some(ack) = ack {
                self.tx.send_stateless(remote, transport.reliable(), &ack);
                if let Some(leg) = self.legs.get_mut(&id) {
                    leg.reinvite_ack = Some((seq, ack));
                }
            }
        }
        let Some(leg) = self.legs.get_mut(&id) else { return };
        if (200..300).contains(&code) {
            if let Some(answer) = sdp_of(response) {
                leg.remote_sdp = Some(answer);
            }
            Self::session_confirmed(now, leg, response);
        }
        if leg.reinvite_tx == Some(tx) {
            leg.reinvite_tx = None;
            if leg.state != LegState::Ended {
                self.events.push_back(UaEvent::ReInviteAnswered {
                    leg: id,
                    code,
                    sdp: sdp_of(response),
                });
            }
            if matches!(code, 408 | 481) {
                self.send_bye(now, id);
                self.end_remote(now, id, EndCause::Timeout);
            }
        }
        self.reschedule(id);
    }

    fn on_stray_response(&mut self, response: &Message) {
        // A 2xx retransmitted after the INVITE transaction ended: acknowledge again.
        if !response.status_code().is_some_and(|c| (200..300).contains(&c)) {
            return;
        }
        let Ok(did) = DialogId::of_incoming(response) else {
            return;
        };
        let Some(leg) = self.by_dialog.get(&did).and_then(|id| self.legs.get(id)) else {
            return;
        };
        let seq = response.cseq().map(|c| c.seq).unwrap_or_default();
        let ack = match &leg.reinvite_ack {
            Some((s, ack)) if *s == seq => Some(ack),
            _ => leg.ack.as_ref(),
        };
        if let Some(ack) = ack {
            let ack = ack.clone();
            self.tx.send_stateless(leg.remote, leg.transport.reliable(), &ack);
        }
    }

    fn on_failure(&mut self, now: Instant, tx: TransactionId, cause: EndCause) {
        let Some((id, purpose)) = self.by_tx.remove(&tx) else {
            return;
        };
        let Some(leg) = self.legs.get_mut(&id) else { return };
        match purpose {
            Purpose::Invite if leg.uac => {
                let was = leg.state;
                if matches!(was, LegState::Ended | LegState::Confirmed) {
                    return;
                }
                self.end_leg(now, id);
                if was != LegState::Cancelling {
                    let (code, reason) = match cause {
                        EndCause::TransportError => (503, "Service Unavailable"),
                        _ => (408, "Request Timeout"),
                    };
                    self.stats.failed += 1;
                    self.events.push_back(UaEvent::Failed {
                        leg: id,
                        code,
                        reason: reason.to_owned(),
                    });
                }
            }
            Purpose::Invite => {
                // Timer C: the application never answered the INVITE, and the layer has
                // answered 408. (Timer H, a non-2xx never acknowledged, finds the leg
                // ended already.)
                if matches!(leg.state, LegState::Calling | LegState::Early) {
                    self.end_remote(now, id, EndCause::Timeout);
                }
            }
            Purpose::Refer => self.on_refer_response(id, 408),
            Purpose::Update => {
                let code = if cause == EndCause::TransportError {
                    503
                } else {
                    408
                };
                self.on_update_failure(id, tx, code);
            }
            // A NOTIFY nobody took ends the subscription, not the call.
            Purpose::Notify => {}
            Purpose::ReInvite | Purpose::Refresh => {
                if leg.reinvite_tx == Some(tx) {
                    leg.reinvite_tx = None;
                }
                self.send_bye(now, id);
                self.end_remote(now, id, cause);
            }
            Purpose::Other => {
                if leg.uac
                    && matches!(
                        leg.state,
                        LegState::Calling | LegState::Early | LegState::Cancelling
                    )
                {
                    // A PRACK in an early dialog went unanswered: the INVITE's own
                    // final response (or its timeout) decides the call.
                    return;
                }
                let in_dialog_bye = leg.state == LegState::Ended;
                if !in_dialog_bye {
                    self.send_bye(now, id);
                    self.end_remote(now, id, cause);
                }
            }
        }
    }
}
