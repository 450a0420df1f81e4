//! The RFC 3261 §17 transaction layer, sans-IO.
//!
//! [`TransactionLayer`] owns every transaction of an endpoint. It is fed with received
//! messages and the TU's calls, and never reads a clock or touches a socket:
//!
//! - inputs: [`TransactionLayer::handle_datagram`] / [`TransactionLayer::handle_message`]
//!   (with the time and the source address), [`TransactionLayer::handle_timeout`],
//!   [`TransactionLayer::handle_transport_error`], and the TU's
//!   [`TransactionLayer::send_request`], [`TransactionLayer::send_response`] and
//!   [`TransactionLayer::cancel`];
//! - outputs, drained after every input: [`TransactionLayer::poll_transmit`] (bytes and
//!   destination), [`TransactionLayer::poll_event`] (for the TU) and
//!   [`TransactionLayer::poll_timeout`] (when to call `handle_timeout` next).
//!
//! Messages are matched to transactions by [`TransactionKey`] through a map to a
//! slab index; timers live in a [`TimerTable`] per transaction and a heap of deadlines
//! across them. Stray requests are answered as RFC 3261 says (481 to a CANCEL that
//! matches no INVITE), malformed requests get a 400 whose reason phrase is the parser's
//! error (505 for another SIP version; built from the raw lines when the parser gave up
//! on the message), and a full layer answers new requests with 503 and Retry-After.
//! Responses go back to the address a request came from (symmetric, as RFC 3581 rport).
//!
//! ```
//! use std::time::{Duration, Instant};
//! use cc_sip::transaction::{Event, TransactionLayer, Config};
//! use cc_sip::Message;
//!
//! let mut server = TransactionLayer::new(Config::default());
//! let now = Instant::now();
//! let peer = "192.0.2.1:5060".parse().unwrap();
//! let options = "OPTIONS sip:carrier.example SIP/2.0\r\n\
//!     Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776\r\n\
//!     From: <sip:probe@192.0.2.1>;tag=1\r\nTo: <sip:carrier.example>\r\n\
//!     Call-ID: k1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
//! server.handle_datagram(now, peer, options.as_bytes().to_vec());
//! let Some(Event::Request { id, request, .. }) = server.poll_event() else { panic!() };
//! let ok = server.response_to(&request, 200, "OK")?;
//! server.send_response(now, id, &ok)?;
//! let out = server.poll_transmit().unwrap();
//! assert_eq!(out.destination, peer);
//! assert!(out.payload.starts_with(b"SIP/2.0 200 OK"));
//! // A retransmitted OPTIONS gets the 200 again; timer J (32 s) ends the transaction.
//! server.handle_timeout(now + Duration::from_secs(32));
//! assert!(matches!(server.poll_event(), Some(Event::Terminated { .. })));
//! # Ok::<(), cc_sip::Error>(())
//! ```

mod client_invite;
mod client_non_invite;
mod key;
pub(crate) mod messages;
mod server_invite;
mod server_non_invite;
mod timer;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::fmt;
use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;

pub use client_invite::ClientInviteState;
pub use client_non_invite::ClientNonInviteState;
pub use key::{MAGIC_COOKIE, Side, TransactionKey};
pub use server_invite::ServerInviteState;
pub use server_non_invite::ServerNonInviteState;
pub use timer::{Timer, TimerConfig, TimerTable};

use client_invite::ClientInvite;
use client_non_invite::ClientNonInvite;
use server_invite::ServerInvite;
use server_non_invite::ServerNonInvite;

use crate::error::Error;
use crate::limits::Limits;
use crate::message::Message;

/// What a state machine asks the layer to do.
#[derive(Debug)]
pub(crate) enum Action {
    /// Send bytes to the transaction's peer; `true` for a retransmission.
    Send(Bytes, bool),
    /// Pass a response to the TU.
    Response(Message),
    /// Pass an ACK for a 2xx to the TU.
    Ack(Message),
    /// The transaction timed out.
    Timeout,
}

/// The configuration of a [`TransactionLayer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Timer values (T1, T2, T4, D, 100 Trying delay, Proceeding bound).
    pub timers: TimerConfig,
    /// Most live transactions; beyond, requests get 503 and `send_request` fails.
    pub max_transactions: usize,
    /// Retry-After seconds in the 503 sent when full.
    pub retry_after: u32,
    /// Parser limits for received datagrams.
    pub limits: Limits,
    /// Seed of the branch and tag generator (any value; vary it per process).
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            timers: TimerConfig::default(),
            max_transactions: 100_000,
            retry_after: 5,
            limits: Limits::default(),
            seed: 0x5eed_cc51_9000_0001,
        }
    }
}

/// The handle of a transaction; stale handles of ended transactions are recognized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransactionId {
    index: u32,
    generation: u32,
}

impl fmt::Display for TransactionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}.{}", self.index, self.generation)
    }
}

/// A message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// The transaction that sends it (`None` for stateless responses).
    pub transaction: Option<TransactionId>,
    /// Where to send it.
    pub destination: SocketAddr,
    /// `true` for a reliable (stream) transport.
    pub reliable: bool,
    /// The bytes.
    pub payload: Bytes,
}

/// What the layer tells its transaction user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A new request created server transaction `id`; answer with
    /// [`TransactionLayer::send_response`].
    Request {
        /// The new server transaction.
        id: TransactionId,
        /// The request.
        request: Message,
        /// Where it came from (responses go back there).
        remote: SocketAddr,
    },
    /// A response for client transaction `id` (provisional, final, or a retransmitted
    /// 2xx to re-acknowledge).
    Response {
        /// The client transaction.
        id: TransactionId,
        /// The response.
        response: Message,
    },
    /// A CANCEL matched server INVITE transaction `invite`, which has not answered
    /// finally yet; the layer has answered the CANCEL with 200, the TU should answer the
    /// INVITE (normally 487 Request Terminated).
    Cancelled {
        /// The INVITE's server transaction.
        invite: TransactionId,
        /// The CANCEL.
        request: Message,
    },
    /// An ACK that belongs to no transaction: the ACK for a 2xx, for the dialog layer.
    Ack {
        /// The ACK.
        request: Message,
        /// Where it came from.
        remote: SocketAddr,
    },
    /// A response that matches no transaction (a retransmitted 2xx after the INVITE
    /// transaction ended, or a late one), for the dialog layer.
    StrayResponse {
        /// The response.
        response: Message,
        /// Where it came from.
        remote: SocketAddr,
    },
    /// Transaction `id` timed out (timer B, C, F or H).
    Timeout {
        /// The transaction.
        id: TransactionId,
    },
    /// The driver reported that sending for transaction `id` failed.
    TransportError {
        /// The transaction.
        id: TransactionId,
    },
    /// Transaction `id` ended; its handle is no longer valid.
    Terminated {
        /// The transaction.
        id: TransactionId,
    },
}

/// The state of a transaction, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// A client INVITE transaction.
    ClientInvite(ClientInviteState),
    /// A client non-INVITE transaction.
    ClientNonInvite(ClientNonInviteState),
    /// A server INVITE transaction.
    ServerInvite(ServerInviteState),
    /// A server non-INVITE transaction.
    ServerNonInvite(ServerNonInviteState),
}

/// Counters of what the layer has seen and done.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Messages received (parsed or not).
    pub received: u64,
    /// Messages that failed to parse or validate.
    pub malformed: u64,
    /// 400 (or 505) responses sent to malformed requests.
    pub bad_requests_answered: u64,
    /// Requests refused with 503 because the layer was full.
    pub rejected_full: u64,
    /// Responses that matched no transaction.
    pub stray_responses: u64,
    /// CANCELs answered with 481.
    pub stray_cancels: u64,
    /// Retransmissions sent (timer-driven or in answer to a retransmitted request).
    pub retransmissions: u64,
    /// Transactions that timed out.
    pub timeouts: u64,
    /// Transactions created.
    pub created: u64,
}

#[derive(Debug)]
#[allow(clippy::enum_variant_names)]
enum Machine {
    ClientInvite(ClientInvite),
    ClientNonInvite(ClientNonInvite),
    ServerInvite(ServerInvite),
    ServerNonInvite(ServerNonInvite),
}

impl Machine {
    fn state(&self) -> State {
        match self {
            Self::ClientInvite(t) => State::ClientInvite(t.state),
            Self::ClientNonInvite(t) => State::ClientNonInvite(t.state),
            Self::ServerInvite(t) => State::ServerInvite(t.state),
            Self::ServerNonInvite(t) => State::ServerNonInvite(t.state),
        }
    }

    fn is_terminated(&self) -> bool {
        matches!(
            self.state(),
            State::ClientInvite(ClientInviteState::Terminated)
                | State::ClientNonInvite(ClientNonInviteState::Terminated)
                | State::ServerInvite(ServerInviteState::Terminated)
                | State::ServerNonInvite(ServerNonInviteState::Terminated)
        )
    }

    fn timers_mut(&mut self) -> &mut TimerTable {
        match self {
            Self::ClientInvite(t) => &mut t.timers,
            Self::ClientNonInvite(t) => &mut t.timers,
            Self::ServerInvite(t) => &mut t.timers,
            Self::ServerNonInvite(t) => &mut t.timers,
        }
    }

    fn request(&self) -> &Message {
        match self {
            Self::ClientInvite(t) => &t.request,
            Self::ClientNonInvite(t) => &t.request,
            Self::ServerInvite(t) => &t.request,
            Self::ServerNonInvite(t) => &t.request,
        }
    }

    fn terminate(&mut self) {
        match self {
            Self::ClientInvite(t) => t.terminate(),
            Self::ClientNonInvite(t) => t.terminate(),
            Self::ServerInvite(t) => t.terminate(),
            Self::ServerNonInvite(t) => t.terminate(),
        }
    }

    fn on_timer(&mut self, now: Instant, timer: Timer, out: &mut Vec<Action>) {
        match self {
            Self::ClientInvite(t) => t.on_timer(now, timer, out),
            Self::ClientNonInvite(t) => t.on_timer(now, timer, out),
            Self::ServerInvite(t) => t.on_timer(now, timer, out),
            Self::ServerNonInvite(t) => t.on_timer(timer, out),
        }
    }
}

#[derive(Debug)]
struct Entry {
    key: TransactionKey,
    remote: SocketAddr,
    reliable: bool,
    machine: Machine,
    /// For a client INVITE: its CANCEL transaction, if the TU cancelled.
    cancel: Option<TransactionId>,
    /// The deadline this entry has in the heap, if any.
    scheduled: Option<Instant>,
}

#[derive(Debug, Default)]
struct Slot {
    generation: u32,
    entry: Option<Entry>,
}

/// Every transaction of one endpoint, sans-IO. See the [module docs](self).
///
/// Methods fall into getters, `handle_*` inputs, TU calls and `poll_*` outputs. After
/// every input or TU call, drain [`poll_transmit`](Self::poll_transmit) and
/// [`poll_event`](Self::poll_event), then ask [`poll_timeout`](Self::poll_timeout).
#[derive(Debug)]
pub struct TransactionLayer {
    config: Config,
    slots: Vec<Slot>,
    free: Vec<u32>,
    live: usize,
    index: HashMap<TransactionKey, TransactionId>,
    deadlines: BinaryHeap<Reverse<(Instant, TransactionId)>>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    stats: Stats,
    counter: u64,
    scratch: Vec<Action>,
}

/// SplitMix64: spreads a counter into an unpredictable-looking 64-bit value.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl TransactionLayer {
    /// A layer with `config`. A zero T1 is raised to 1 ms and T2 to at least T1, so that
    /// retransmission timers always move forward.
    pub fn new(mut config: Config) -> Self {
        let t = &mut config.timers;
        t.t1 = t.t1.max(std::time::Duration::from_millis(1));
        t.t2 = t.t2.max(t.t1);
        Self {
            config,
            slots: Vec::new(),
            free: Vec::new(),
            live: 0,
            index: HashMap::new(),
            deadlines: BinaryHeap::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            stats: Stats::default(),
            counter: 0,
            scratch: Vec::new(),
        }
    }

    // ----- getters -----

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The counters.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// How many transactions are live.
    pub fn len(&self) -> usize {
        self.live
    }

    /// `true` when no transaction is live.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// The state of transaction `id`, `None` once it has ended.
    pub fn state(&self, id: TransactionId) -> Option<State> {
        self.entry(id).map(|e| e.machine.state())
    }

    /// The request that started transaction `id`.
    pub fn request(&self, id: TransactionId) -> Option<&Message> {
        self.entry(id).map(|e| e.machine.request())
    }

    /// A new branch with the magic cookie, unique within this layer's seed.
    pub fn new_branch(&mut self) -> String {
        format!("{MAGIC_COOKIE}{:016x}", self.next_random())
    }

    /// A new tag for From or To.
    pub fn new_tag(&mut self) -> String {
        format!("{:012x}", self.next_random() >> 16)
    }

    /// A response to `request` (Via, From, To, Call-ID and CSeq copied, RFC 3261
    /// §8.2.6); for codes above 100 a To tag is added when To has none.
    pub fn response_to(&mut self, request: &Message, code: u16, reason: &str) -> Result<Message, Error> {
        let tag = (code > 100).then(|| self.new_tag());
        messages::response_to(request, code, reason, tag.as_deref(), &[])
    }

    /// [`TransactionLayer::response_to`] with a To tag of the caller's choosing (the
    /// dialog's tag, so that 180 and the final response carry the same one).
    pub fn response_with_tag(
        request: &Message,
        code: u16,
        reason: &str,
        to_tag: &str,
    ) -> Result<Message, Error> {
        messages::response_to(request, code, reason, Some(to_tag), &[])
    }

    fn next_random(&mut self) -> u64 {
        self.counter = self.counter.wrapping_add(1);
        mix(self.config.seed ^ mix(self.counter))
    }

    fn entry(&self, id: TransactionId) -> Option<&Entry> {
        self.slots
            .get(id.index as usize)
            .filter(|s| s.generation == id.generation)
            .and_then(|s| s.entry.as_ref())
    }

    fn entry_mut(&mut self, id: TransactionId) -> Option<&mut Entry> {
        self.slots
            .get_mut(id.index as usize)
            .filter(|s| s.generation == id.generation)
            .and_then(|s| s.entry.as_mut())
    }

    // ----- inputs -----

    /// A datagram arrived from `remote` at `now` (UDP: unreliable).
    pub fn handle_datagram(&mut self, now: Instant, remote: SocketAddr, bytes: impl Into<Bytes>) {
        let bytes = bytes.into();
        if bytes.iter().all(u8::is_ascii_whitespace) {
            // CRLF keep-alives (RFC 5626) and empty datagrams carry no message.
            return;
        }
        match Message::parse_with(bytes.clone(), &self.config.limits) {
            Ok(msg) => self.handle_message(now, remote, false, msg),
            Err(e) => {
                self.stats.received += 1;
                self.stats.malformed += 1;
                // Answer from the raw lines when they hold what a response needs: 505 for
                // another SIP version, else 400 naming the problem.
                let (code, reason) = match e {
                    Error::UnsupportedVersion { .. } => (505, "Version Not Supported".to_owned()),
                    _ => (400, messages::reason_phrase(&e.to_string())),
                };
                let tag = self.new_tag();
                if let Some(resp) = messages::salvage_response(&bytes, code, &reason, &tag) {
                    self.stats.bad_requests_answered += 1;
                    self.send_stateless(remote, false, &resp);
                }
            }
        }
    }

    /// A parsed message arrived from `remote` at `now` over a reliable (stream) transport
    /// when `reliable`, else over UDP.
    pub fn handle_message(&mut self, now: Instant, remote: SocketAddr, reliable: bool, msg: Message) {
        self.stats.received += 1;
        if let Err(e) = msg.validate() {
            self.stats.malformed += 1;
            self.answer_malformed(remote, reliable, &msg, &e);
            return;
        }
        if msg.is_request() {
            self.handle_request(now, remote, reliable, msg);
        } else {
            self.handle_response(now, remote, msg);
        }
    }

    fn answer_malformed(&mut self, remote: SocketAddr, reliable: bool, msg: &Message, e: &Error) {
        if !msg.is_request() || msg.method() == Some("ACK") {
            return;
        }
        let reason = messages::reason_phrase(&e.to_string());
        let tag = self.new_tag();
        if let Ok(resp) = messages::response_to(msg, 400, &reason, Some(&tag), &[]) {
            self.stats.bad_requests_answered += 1;
            self.send_stateless(remote, reliable, &resp);
        }
    }

    fn handle_request(&mut self, now: Instant, remote: SocketAddr, reliable: bool, msg: Message) {
        let Ok(key) = TransactionKey::server_for_request(&msg) else {
            self.stats.malformed += 1;
            return;
        };
        if let Some(&id) = self.index.get(&key) {
            let mut out = std::mem::take(&mut self.scratch);
            if let Some(entry) = self.entry_mut(id) {
                match &mut entry.machine {
                    Machine::ServerInvite(t) => t.on_request(now, msg, &mut out),
                    Machine::ServerNonInvite(t) => t.on_request(&mut out),
                    _ => {}
                }
            }
            self.apply(id, &mut out);
            self.scratch = out;
            return;
        }
        let method = msg.method().unwrap_or_default();
        if method == "ACK" {
            self.events.push_back(Event::Ack { request: msg, remote });
            return;
        }
        if self.live >= self.config.max_transactions {
            self.stats.rejected_full += 1;
            let retry = self.config.retry_after.to_string();
            let tag = self.new_tag();
            if let Ok(resp) = messages::response_to(
                &msg,
                503,
                "Service Unavailable",
                Some(&tag),
                &[("Retry-After", &retry)],
            ) {
                self.send_stateless(remote, reliable, &resp);
            }
            return;
        }
        let timers = self.config.timers;
        if method == "CANCEL" {
            let invite = TransactionKey::invite_for_cancel(&msg)
                .ok()
                .and_then(|k| self.index.get(&k).copied());
            let target = invite.and_then(|id| match self.entry(id).map(|e| &e.machine) {
                Some(Machine::ServerInvite(t)) => Some((id, t.state, t.to_tag.clone())),
                _ => None,
            });
            let machine = ServerNonInvite::new(now, msg.clone(), timers, reliable);
            let id = self.insert(key, remote, reliable, Machine::ServerNonInvite(machine));
            let response = if let Some((invite, state, to_tag)) = target {
                let tag = to_tag.unwrap_or_else(|| self.new_tag());
                if state == ServerInviteState::Proceeding {
                    self.events.push_back(Event::Cancelled {
                        invite,
                        request: msg.clone(),
                    });
                }
                messages::response_to(&msg, 200, "OK", Some(&tag), &[])
            } else {
                self.stats.stray_cancels += 1;
                let tag = self.new_tag();
                messages::response_to(&msg, 481, "Call/Transaction Does Not Exist", Some(&tag), &[])
            };
            if let Ok(resp) = response {
                // A fresh server transaction in Trying accepts its first response.
                let _ = self.send_response(now, id, &resp);
            } else {
                self.remove(id);
            }
            return;
        }
        let machine = if method == "INVITE" {
            Machine::ServerInvite(ServerInvite::new(now, msg.clone(), timers, reliable))
        } else {
            Machine::ServerNonInvite(ServerNonInvite::new(now, msg.clone(), timers, reliable))
        };
        let id = self.insert(key, remote, reliable, machine);
        self.events.push_back(Event::Request {
            id,
            request: msg,
            remote,
        });
        self.reschedule(id);
    }

    fn handle_response(&mut self, now: Instant, remote: SocketAddr, msg: Message) {
        let id = TransactionKey::client_for_response(&msg)
            .ok()
            .and_then(|k| self.index.get(&k).copied());
        let Some(id) = id else {
            self.stats.stray_responses += 1;
            self.events.push_back(Event::StrayResponse {
                response: msg,
                remote,
            });
            return;
        };
        let mut out = std::mem::take(&mut self.scratch);
        let mut start_cancel = None;
        let mut drop_cancel = None;
        if let Some(entry) = self.entry_mut(id) {
            match &mut entry.machine {
                Machine::ClientInvite(t) => {
                    t.on_response(now, msg, &mut out);
                    match t.state {
                        ClientInviteState::Proceeding => start_cancel = entry.cancel,
                        ClientInviteState::Calling => {}
                        _ => drop_cancel = entry.cancel.take(),
                    }
                }
                Machine::ClientNonInvite(t) => t.on_response(now, msg, &mut out),
                _ => {}
            }
        }
        self.apply(id, &mut out);
        self.scratch = out;
        if let Some(cancel) = start_cancel {
            self.send_waiting_cancel(now, cancel);
        }
        if let Some(cancel) = drop_cancel {
            self.drop_waiting_cancel(cancel);
        }
    }

    /// Timers that expired by `now` fire. An early call, or a `now` earlier than a
    /// previous one, does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(&Reverse((at, id))) = self.deadlines.peek() {
            if at > now {
                break;
            }
            self.deadlines.pop();
            let mut out = std::mem::take(&mut self.scratch);
            let mut ended_invite = None;
            if let Some(entry) = self.entry_mut(id)
                && entry.scheduled == Some(at)
            {
                entry.scheduled = None;
                while let Some(timer) = entry.machine.timers_mut().take_expired(now) {
                    entry.machine.on_timer(now, timer, &mut out);
                }
                if entry.machine.is_terminated() {
                    ended_invite = entry.cancel.take();
                }
                self.apply(id, &mut out);
            }
            self.scratch = out;
            if let Some(cancel) = ended_invite {
                self.drop_waiting_cancel(cancel);
            }
        }
    }

    /// The driver could not send for transaction `id` (RFC 3261 §17.1.4): the transaction
    /// ends with [`Event::TransportError`].
    pub fn handle_transport_error(&mut self, id: TransactionId) {
        if let Some(entry) = self.entry_mut(id) {
            entry.machine.terminate();
            let cancel = entry.cancel.take();
            self.events.push_back(Event::TransportError { id });
            self.remove(id);
            if let Some(cancel) = cancel {
                self.drop_waiting_cancel(cancel);
            }
        }
    }

    // ----- TU calls -----

    /// Starts a client transaction for `request` to `destination`. The request's top Via
    /// must carry a new branch with the magic cookie ([`TransactionLayer::new_branch`]).
    /// An ACK is not a transaction: send it with [`TransactionLayer::send_stateless`].
    pub fn send_request(
        &mut self,
        now: Instant,
        destination: SocketAddr,
        reliable: bool,
        request: Message,
    ) -> Result<TransactionId, Error> {
        let key = TransactionKey::client_for_request(&request)?;
        let method = request.method().unwrap_or_default();
        if method == "ACK" {
            return Err(Error::InvalidPart {
                part: "method",
                value: "ACK".to_owned(),
                reason: "an ACK is sent with send_stateless, it starts no transaction".to_owned(),
            });
        }
        if let Some(&id) = self.index.get(&key) {
            let branch = self
                .request(id)
                .and_then(|r| r.top_via().ok())
                .and_then(|v| v.branch());
            return Err(Error::DuplicateBranch {
                branch: branch.unwrap_or_default().to_owned(),
            });
        }
        if self.live >= self.config.max_transactions {
            return Err(Error::TooManyTransactions {
                max: self.config.max_transactions,
            });
        }
        let timers = self.config.timers;
        let mut out = std::mem::take(&mut self.scratch);
        let machine = if method == "INVITE" {
            Machine::ClientInvite(ClientInvite::start(now, request, timers, reliable, &mut out))
        } else {
            let mut t = ClientNonInvite::new(request, timers, reliable);
            t.send(now, &mut out);
            Machine::ClientNonInvite(t)
        };
        let id = self.insert(key, destination, reliable, machine);
        self.apply(id, &mut out);
        self.scratch = out;
        Ok(id)
    }

    /// Sends `response` on server transaction `id`.
    pub fn send_response(
        &mut self,
        now: Instant,
        id: TransactionId,
        response: &Message,
    ) -> Result<(), Error> {
        let mut out = std::mem::take(&mut self.scratch);
        let result = match self.entry_mut(id).map(|e| &mut e.machine) {
            None => Err(None),
            Some(Machine::ServerInvite(t)) => t.send_response(now, response, &mut out).map_err(Some),
            Some(Machine::ServerNonInvite(t)) => t.send_response(now, response, &mut out).map_err(Some),
            Some(_) => Err(Some("a client transaction sends requests, not responses")),
        }
        .map_err(|reason| match reason {
            None => Error::UnknownTransaction { id: id.to_string() },
            Some(reason) => Error::TransactionState {
                id: id.to_string(),
                action: "send a response",
                reason: reason.to_owned(),
            },
        });
        self.apply(id, &mut out);
        self.scratch = out;
        result
    }

    /// Cancels client INVITE transaction `id` (RFC 3261 §9.1): a CANCEL transaction on
    /// the INVITE's branch, sent at once if a provisional response has arrived, else as
    /// soon as one does (and dropped if a final response comes first). Its responses come
    /// as [`Event::Response`] with the returned id.
    pub fn cancel(&mut self, now: Instant, id: TransactionId) -> Result<TransactionId, Error> {
        let state_error = |reason: &str| Error::TransactionState {
            id: id.to_string(),
            action: "cancel",
            reason: reason.to_owned(),
        };
        let entry = self
            .entry(id)
            .ok_or(Error::UnknownTransaction { id: id.to_string() })?;
        let Machine::ClientInvite(invite) = &entry.machine else {
            return Err(state_error("only a client INVITE transaction can be cancelled"));
        };
        if !matches!(
            invite.state,
            ClientInviteState::Calling | ClientInviteState::Proceeding
        ) {
            return Err(state_error("a final response has arrived"));
        }
        if entry.cancel.is_some() {
            return Err(state_error("it is already cancelled"));
        }
        if self.live >= self.config.max_transactions {
            return Err(Error::TooManyTransactions {
                max: self.config.max_transactions,
            });
        }
        let proceeding = invite.state == ClientInviteState::Proceeding;
        let (remote, reliable) = (entry.remote, entry.reliable);
        let request = messages::cancel_for(&invite.request)?;
        let key = TransactionKey::client_for_request(&request)?;
        let machine = ClientNonInvite::new(request, self.config.timers, reliable);
        let cancel = self.insert(key, remote, reliable, Machine::ClientNonInvite(machine));
        if let Some(e) = self.entry_mut(id) {
            e.cancel = Some(cancel);
        }
        if proceeding {
            self.send_waiting_cancel(now, cancel);
        }
        Ok(cancel)
    }

    /// Sends `message` to `destination` outside any transaction (the ACK for a 2xx, a
    /// 2xx retransmitted by the dialog layer).
    pub fn send_stateless(&mut self, destination: SocketAddr, reliable: bool, message: &Message) {
        self.transmits.push_back(Transmit {
            transaction: None,
            destination,
            reliable,
            payload: message.to_bytes(),
        });
    }

    fn send_waiting_cancel(&mut self, now: Instant, cancel: TransactionId) {
        let mut out = std::mem::take(&mut self.scratch);
        if let Some(Machine::ClientNonInvite(t)) = self.entry_mut(cancel).map(|e| &mut e.machine) {
            t.send(now, &mut out);
        }
        self.apply(cancel, &mut out);
        self.scratch = out;
    }

    fn drop_waiting_cancel(&mut self, cancel: TransactionId) {
        if let Some(entry) = self.entry_mut(cancel)
            && let Machine::ClientNonInvite(t) = &mut entry.machine
            && t.state == ClientNonInviteState::Waiting
        {
            t.terminate();
            self.remove(cancel);
        }
    }

    // ----- outputs -----

    /// The next message to send.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event for the TU.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called.
    #[must_use]
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        while let Some(&Reverse((at, id))) = self.deadlines.peek() {
            self.deadlines.pop();
            let Some(entry) = self.entry_mut(id) else { continue };
            if entry.scheduled != Some(at) {
                continue;
            }
            // A timer stopped or moved later since this deadline was filed: file the
            // real one instead, so that the driver is not woken early.
            let next = entry.machine.timers_mut().next_timeout();
            if next == Some(at) {
                self.deadlines.push(Reverse((at, id)));
                return Some(at);
            }
            entry.scheduled = None;
            self.reschedule(id);
        }
        None
    }

    // ----- bookkeeping -----

    fn insert(
        &mut self,
        key: TransactionKey,
        remote: SocketAddr,
        reliable: bool,
        machine: Machine,
    ) -> TransactionId {
        let entry = Entry {
            key: key.clone(),
            remote,
            reliable,
            machine,
            cancel: None,
            scheduled: None,
        };
        let index = self.free.pop().unwrap_or_else(|| {
            self.slots.push(Slot::default());
            (self.slots.len() - 1) as u32
        });
        let id = match self.slots.get_mut(index as usize) {
            Some(slot) => {
                slot.entry = Some(entry);
                TransactionId {
                    index,
                    generation: slot.generation,
                }
            }
            None => TransactionId { index, generation: 0 },
        };
        self.index.insert(key, id);
        self.live += 1;
        self.stats.created += 1;
        id
    }

    /// Turns the machine's actions into transmits and events, then reschedules the
    /// transaction or removes it if it has terminated.
    fn apply(&mut self, id: TransactionId, out: &mut Vec<Action>) {
        let Some(entry) = self.entry(id) else {
            out.clear();
            return;
        };
        let (remote, reliable) = (entry.remote, entry.reliable);
        for action in out.drain(..) {
            match action {
                Action::Send(payload, retransmission) => {
                    if retransmission {
                        self.stats.retransmissions += 1;
                    }
                    self.transmits.push_back(Transmit {
                        transaction: Some(id),
                        destination: remote,
                        reliable,
                        payload,
                    });
                }
                Action::Response(response) => self.events.push_back(Event::Response { id, response }),
                Action::Ack(request) => self.events.push_back(Event::Ack { request, remote }),
                Action::Timeout => {
                    self.stats.timeouts += 1;
                    self.events.push_back(Event::Timeout { id });
                }
            }
        }
        if self.entry(id).is_some_and(|e| e.machine.is_terminated()) {
            self.remove(id);
        } else {
            self.reschedule(id);
        }
    }

    fn reschedule(&mut self, id: TransactionId) {
        let Some(entry) = self.entry_mut(id) else { return };
        let Some(next) = entry.machine.timers_mut().next_timeout() else {
            return;
        };
        if entry.scheduled.is_none_or(|s| next < s) {
            entry.scheduled = Some(next);
            self.deadlines.push(Reverse((next, id)));
            self.compact_deadlines();
        }
    }

    /// Drops the deadlines of ended transactions (and superseded ones) once they
    /// outnumber the live transactions, so that the heap stays proportional to them.
    fn compact_deadlines(&mut self) {
        if self.deadlines.len() <= 2 * self.live + 1024 {
            return;
        }
        let slots = &self.slots;
        self.deadlines.retain(|Reverse((at, id))| {
            slots
                .get(id.index as usize)
                .filter(|s| s.generation == id.generation)
                .and_then(|s| s.entry.as_ref())
                .is_some_and(|e| e.scheduled == Some(*at))
        });
    }

    fn remove(&mut self, id: TransactionId) {
        let Some(slot) = self.slots.get_mut(id.index as usize) else {
            return;
        };
        if slot.generation != id.generation {
            return;
        }
        let Some(entry) = slot.entry.take() else { return };
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(id.index);
        self.live -= 1;
        if self.index.get(&entry.key) == Some(&id) {
            self.index.remove(&entry.key);
        }
        self.events.push_back(Event::Terminated { id });
    }
}

#[cfg(test)]
mod tests;
