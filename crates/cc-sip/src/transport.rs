//! The tokio driver at the edge: sockets and timers around a [`UserAgent`].
//!
//! [`Endpoint::bind`] binds a UDP socket (and, when asked, a TCP listener on the same
//! port), moves a [`UserAgent`] onto a task, and returns an [`EndpointHandle`] (cheap to
//! clone, `Send`) with async methods that mirror the agent's commands, and the
//! receiver of its [`UaEvent`]s.
//!
//! - UDP datagrams go to [`UserAgent::handle_datagram`]; responses carry RFC 3581
//!   `received`/`rport` and go back to the source address.
//! - TCP: accepted and outgoing connections are kept per peer address and reused for
//!   every message to that peer; messages are framed with
//!   [`frame_stream`](crate::frame_stream); a double-CRLF keep-alive ping is answered
//!   with a CRLF pong (RFC 5626 §4.4.1).
//! - TLS (feature `tls`: `TlsConfig` in `EndpointConfig::with_tls`): a TLS listener
//!   on its own port and outgoing TLS connections, kept and reused per peer address like
//!   TCP (a TLS and a TCP connection to one address are distinct), with the same
//!   framing and keep-alive. Via says `TLS`; a message whose top Via says `TLS` only
//!   ever goes over TLS. `sips:` and `;transport=tls` Request-URIs choose TLS
//!   ([`target_transport`]). Handshakes are bounded in time, accepted connections are
//!   limited per source address and in all, and failures are counted with their reason
//!   (`EndpointHandle::tls_stats`).
//! - Timers: the task sleeps until [`UserAgent::poll_timeout`].
//! - Events are queued inside the task when the application is slow, so a command
//!   awaited while events pile up never deadlocks.
//!
//! ```no_run
//! use cc_sip::transport::{Endpoint, EndpointConfig};
//! use cc_sip::ua::UaEvent;
//!
//! # async fn center() -> Result<(), cc_sip::Error> {
//! let (sip, mut events) = Endpoint::bind(EndpointConfig::new("0.0.0.0:5060".parse().unwrap())).await?;
//! println!("SIP on {}", sip.local_addr());
//! while let Some(event) = events.recv().await {
//!     match event {
//!         UaEvent::IncomingCall { leg, sdp, .. } => {
//!             sip.ringing(leg).await?;
//!             // ... choose an agent, anchor media, then:
//!             sip.answer(leg, sdp).await?;
//!         }
//!         UaEvent::Ended { leg, cause } => println!("{leg} ended: {cause:?}"),
//!         _ => {}
//!     }
//! }
//! # Ok(())
//! # }
//! ```

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{mpsc, oneshot};

mod stream;
#[cfg(feature = "tls")]
mod tls;

use self::stream::{ConnKey, StreamEvent, run_connection, top_via_is_tls};
#[cfg(feature = "tls")]
pub use self::tls::{
    CertificateDer, ClientConfig, PrivateKeyDer, RootCertStore, ServerConfig, ServerName, TlsConfig,
    TlsIdentity, TlsStats, client_config, root_store, server_config,
};
use crate::b2bua::B2bua;
use crate::error::Error;
use crate::protection::Protection;
use crate::registrar::{Registrar, UserDirectory};
use crate::transaction::TransactionId;
use crate::ua::{
    Command, LegId, OutgoingCall, ProbeId, RegisterRequest, RegistrationId, Transport, UaConfig, UaEvent,
    UaStats, UserAgent,
};
use crate::{Limits, transaction};

/// How to bind an [`Endpoint`].
pub struct EndpointConfig {
    /// The UDP address to bind (port 0 picks a free port); the TCP listener, when on,
    /// binds the same port.
    pub listen: SocketAddr,
    /// Whether to listen on TCP too.
    pub tcp: bool,
    /// The address written in Via and Contact, when it differs from the bound one (a
    /// wildcard bind such as `0.0.0.0:5060`, or a public address in front of this
    /// host). `None` writes the bound address.
    pub advertised: Option<SocketAddr>,
    /// The transaction layer's configuration.
    pub transaction: transaction::Config,
    /// The user part of our Contact.
    pub contact_user: String,
    /// How many events wait in the channel before they queue inside the task.
    pub event_capacity: usize,
    /// The UDP socket's receive and send buffer size in bytes (the kernel caps it at
    /// `net.core.rmem_max` / `wmem_max`); large buffers absorb bursts at high call rates.
    pub socket_buffer: usize,
    /// Rate limit and ban per source, scanner drop list, per-source caps
    /// ([`crate::protection`]); counters in [`UaStats::protection`].
    pub protection: Protection,
    /// SIP over TLS: listener, outgoing connections, limits (feature `tls`).
    #[cfg(feature = "tls")]
    pub tls: Option<TlsConfig>,
    /// The registrar, with its password directory.
    registrar: Option<(Registrar, Box<dyn UserDirectory + Send>)>,
}

impl fmt::Debug for EndpointConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut f = f.debug_struct("EndpointConfig");
        f.field("listen", &self.listen)
            .field("tcp", &self.tcp)
            .field("advertised", &self.advertised)
            .field("transaction", &self.transaction)
            .field("contact_user", &self.contact_user)
            .field("event_capacity", &self.event_capacity)
            .field("socket_buffer", &self.socket_buffer)
            .field("protection", &self.protection);
        #[cfg(feature = "tls")]
        f.field("tls", &self.tls);
        f.field("registrar", &self.registrar.as_ref().map(|r| &r.0))
            .finish()
    }
}

impl EndpointConfig {
    /// UDP on `listen`, no TCP, default timers.
    pub fn new(listen: SocketAddr) -> Self {
        Self {
            listen,
            tcp: false,
            advertised: None,
            transaction: transaction::Config::default(),
            contact_user: "cc".to_owned(),
            event_capacity: 4096,
            socket_buffer: 4 << 20,
            protection: Protection::default(),
            #[cfg(feature = "tls")]
            tls: None,
            registrar: None,
        }
    }

    /// Also listens on TCP (same port).
    #[must_use]
    pub fn with_tcp(mut self) -> Self {
        self.tcp = true;
        self
    }

    /// Also speaks SIP over TLS as `tls` says (listens, connects out, or both).
    #[cfg(feature = "tls")]
    #[must_use]
    pub fn with_tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Answers REGISTER with `registrar`, passwords from `users`.
    #[must_use]
    pub fn with_registrar(
        mut self,
        registrar: Registrar,
        users: impl UserDirectory + Send + 'static,
    ) -> Self {
        self.registrar = Some((registrar, Box::new(users)));
        self
    }
}

/// What the handle asks of the task.
enum Op {
    Invite(OutgoingCall, oneshot::Sender<Result<LegId, Error>>),
    Execute(Command, Option<oneshot::Sender<Result<(), Error>>>),
    Lookup(String, oneshot::Sender<Vec<String>>),
    Register(RegisterRequest, oneshot::Sender<Result<RegistrationId, Error>>),
    Probe(
        SocketAddr,
        String,
        Transport,
        oneshot::Sender<Result<ProbeId, Error>>,
    ),
    Unregister(RegistrationId, oneshot::Sender<Result<(), Error>>),
    Stats(oneshot::Sender<UaStats>),
    Shutdown,
}

/// The endpoint's driver; see [`Endpoint::bind`].
#[derive(Debug)]
pub struct Endpoint;

/// The async face of a running endpoint: clone it freely, use it from any task. When
/// every handle is dropped (or [`EndpointHandle::shutdown`] is called) the endpoint stops.
#[derive(Debug, Clone)]
pub struct EndpointHandle {
    ops: mpsc::Sender<Op>,
    local_addr: SocketAddr,
    #[cfg(feature = "tls")]
    tls_addr: Option<SocketAddr>,
    #[cfg(feature = "tls")]
    tls_counters: Option<std::sync::Arc<tls::Counters>>,
}

fn stopped() -> Error {
    Error::Transport {
        reason: "the endpoint has stopped".to_owned(),
    }
}

fn io_error(what: &str, addr: SocketAddr, e: &std::io::Error) -> Error {
    Error::Transport {
        reason: format!("cannot {what} {addr}: {e}"),
    }
}

/// A non-blocking UDP socket bound to `addr` with `buffer` bytes of receive and send
/// buffer (as much as the kernel grants).
fn udp_socket(addr: SocketAddr, buffer: usize) -> std::io::Result<UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if buffer > 0 {
        // Best effort: a smaller buffer than asked for is not an error.
        let _ = socket.set_recv_buffer_size(buffer);
        let _ = socket.set_send_buffer_size(buffer);
    }
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    UdpSocket::from_std(socket.into())
}

impl Endpoint {
    /// Binds the sockets, starts the endpoint task on the current tokio runtime, and
    /// returns its handle and its events.
    pub async fn bind(config: EndpointConfig) -> Result<(EndpointHandle, mpsc::Receiver<UaEvent>), Error> {
        let udp = udp_socket(config.listen, config.socket_buffer)
            .map_err(|e| io_error("bind UDP on", config.listen, &e))?;
        let local_addr = udp
            .local_addr()
            .map_err(|e| io_error("read the address of", config.listen, &e))?;
        let listener = if config.tcp {
            Some(
                TcpListener::bind(local_addr)
                    .await
                    .map_err(|e| io_error("bind TCP on", local_addr, &e))?,
            )
        } else {
            None
        };
        #[cfg(feature = "tls")]
        let tls = match config.tls {
            Some(tls) => Some(tls::bind(tls, config.advertised).await?),
            None => None,
        };
        let advertised = config.advertised.unwrap_or(local_addr);
        let mut ua_config = UaConfig::new(advertised);
        ua_config.transaction = config.transaction;
        ua_config.contact_user = config.contact_user;
        ua_config.protection = config.protection;
        if listener.is_some() {
            ua_config.tcp_addr = Some(advertised);
        }
        #[cfg(feature = "tls")]
        {
            ua_config.tls_addr = tls.as_ref().and_then(|t| t.advertised);
        }
        let limits = ua_config.transaction.limits;
        let mut ua = UserAgent::new(ua_config);
        if let Some((registrar, users)) = config.registrar {
            ua.attach_registrar(registrar, Directory(users));
        }
        let (ops_tx, ops_rx) = mpsc::channel(1024);
        let (events_tx, events_rx) = mpsc::channel(config.event_capacity.max(1));
        let (stream_tx, stream_rx) = mpsc::unbounded_channel();
        #[cfg(feature = "tls")]
        let (tls_side, tls_listener, tls_addr) = match tls {
            Some(b) => (Some(b.side), b.listener, b.local),
            None => (None, None, None),
        };
        #[cfg(not(feature = "tls"))]
        let tls_listener = None;
        let handle = EndpointHandle {
            ops: ops_tx,
            local_addr,
            #[cfg(feature = "tls")]
            tls_addr,
            #[cfg(feature = "tls")]
            tls_counters: tls_side.as_ref().map(|t| std::sync::Arc::clone(&t.counters)),
        };
        let driver = Driver {
            ua,
            udp,
            listener,
            tls_listener,
            #[cfg(feature = "tls")]
            tls: tls_side,
            ops: ops_rx,
            events: events_tx,
            pending: VecDeque::new(),
            stream_tx,
            stream_rx,
            conns: HashMap::new(),
            connecting: HashMap::new(),
            next_conn: 0,
            limits,
        };
        tokio::spawn(driver.run());
        Ok((handle, events_rx))
    }
}

impl EndpointHandle {
    /// The bound address (UDP, and TCP when on).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The bound TLS listening address, when the endpoint listens on TLS.
    #[cfg(feature = "tls")]
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.tls_addr
    }

    /// The TLS counters: handshakes done and failed (with the last reason), connections
    /// refused by the limits. All zero without TLS.
    #[cfg(feature = "tls")]
    pub fn tls_stats(&self) -> TlsStats {
        self.tls_counters
            .as_ref()
            .map(|c| c.snapshot())
            .unwrap_or_default()
    }

    async fn ask<T>(&self, op: impl FnOnce(oneshot::Sender<T>) -> Op) -> Result<T, Error> {
        let (tx, rx) = oneshot::channel();
        self.ops.send(op(tx)).await.map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())
    }

    /// Places a call ([`UserAgent::invite`]). A `sips:` Request-URI, or one with
    /// `;transport=tls`, places it over TLS whatever `call.transport` says
    /// ([`target_transport`]); TLS without a TLS client configured is an error.
    pub async fn invite(&self, mut call: OutgoingCall) -> Result<LegId, Error> {
        if target_transport(&call.request_uri) == Some(Transport::Tls) {
            call.transport = Transport::Tls;
        }
        self.ask(|tx| Op::Invite(call, tx)).await?
    }

    /// Runs `command` and waits for its result ([`UserAgent::execute`]).
    pub async fn execute(&self, command: Command) -> Result<(), Error> {
        self.ask(|tx| Op::Execute(command, Some(tx))).await?
    }

    /// Hands `command` to the endpoint without waiting for its result (errors of the
    /// command are dropped; only a stopped endpoint is reported). For hot paths such as
    /// a B2BUA relaying thousands of calls.
    pub async fn dispatch(&self, command: Command) -> Result<(), Error> {
        self.ops
            .send(Op::Execute(command, None))
            .await
            .map_err(|_| stopped())
    }

    /// 180 Ringing ([`UserAgent::ringing`]).
    pub async fn ringing(&self, leg: LegId) -> Result<(), Error> {
        self.execute(Command::Ringing { leg }).await
    }

    /// A provisional response ([`UserAgent::progress`]).
    pub async fn progress(&self, leg: LegId, code: u16, sdp: Option<Bytes>) -> Result<(), Error> {
        self.execute(Command::Progress { leg, code, sdp }).await
    }

    /// 200 OK to an incoming leg or a pending re-INVITE ([`UserAgent::answer`]).
    pub async fn answer(&self, leg: LegId, sdp: Option<Bytes>) -> Result<(), Error> {
        self.execute(Command::Answer { leg, sdp }).await
    }

    /// A final refusal ([`UserAgent::reject`]).
    pub async fn reject(&self, leg: LegId, code: u16, reason: &str) -> Result<(), Error> {
        self.execute(Command::Reject {
            leg,
            code,
            reason: reason.to_owned(),
        })
        .await
    }

    /// BYE, CANCEL or 487 as the leg's state asks ([`UserAgent::hangup`]).
    pub async fn hangup(&self, leg: LegId) -> Result<(), Error> {
        self.execute(Command::Hangup { leg }).await
    }

    /// The ACK with the answer to a late offer ([`UserAgent::ack`]).
    pub async fn ack(&self, leg: LegId, sdp: Bytes) -> Result<(), Error> {
        self.execute(Command::Ack { leg, sdp }).await
    }

    /// A re-INVITE ([`UserAgent::reinvite`]).
    pub async fn reinvite(&self, leg: LegId, sdp: Option<Bytes>) -> Result<(), Error> {
        self.execute(Command::ReInvite { leg, sdp }).await
    }

    /// DTMF in SIP INFO ([`UserAgent::send_info_dtmf`], 160 ms).
    pub async fn send_dtmf(&self, leg: LegId, digit: char) -> Result<(), Error> {
        self.execute(Command::Dtmf { leg, digit }).await
    }

    /// Sends REFER on a confirmed leg ([`UserAgent::refer`]).
    pub async fn refer(&self, leg: LegId, target: &str, replaces: Option<&str>) -> Result<(), Error> {
        self.execute(Command::Refer {
            leg,
            target: target.to_owned(),
            replaces: replaces.map(str::to_owned),
        })
        .await
    }

    /// Notifies the progress of the peer's REFER ([`UserAgent::refer_progress`]).
    pub async fn refer_progress(&self, leg: LegId, code: u16, reason: &str) -> Result<(), Error> {
        self.execute(Command::ReferProgress {
            leg,
            code,
            reason: reason.to_owned(),
        })
        .await
    }

    /// The registered contacts of `aor` ([`UserAgent::lookup`]).
    pub async fn lookup(&self, aor: &str) -> Result<Vec<String>, Error> {
        self.ask(|tx| Op::Lookup(aor.to_owned(), tx)).await
    }

    /// Starts an outbound registration ([`UserAgent::register`]); its results come as
    /// [`UaEvent::OutboundRegistered`] / [`UaEvent::OutboundRegistrationFailed`].
    pub async fn register(&self, request: RegisterRequest) -> Result<RegistrationId, Error> {
        self.ask(|tx| Op::Register(request, tx)).await?
    }

    /// Sends an OPTIONS probe ([`UserAgent::probe`]); the answer comes as
    /// [`UaEvent::ProbeAnswered`].
    pub async fn probe(
        &self,
        destination: SocketAddr,
        target: &str,
        transport: Transport,
    ) -> Result<ProbeId, Error> {
        self.ask(|tx| Op::Probe(destination, target.to_owned(), transport, tx))
            .await?
    }

    /// Removes an outbound registration ([`UserAgent::unregister`]);
    /// [`UaEvent::OutboundUnregistered`] follows.
    pub async fn unregister(&self, registration: RegistrationId) -> Result<(), Error> {
        self.ask(|tx| Op::Unregister(registration, tx)).await?
    }

    /// The agent's counters.
    pub async fn stats(&self) -> Result<UaStats, Error> {
        self.ask(Op::Stats).await
    }

    /// Stops the endpoint (calls in progress are dropped without BYE).
    pub async fn shutdown(&self) {
        let _ = self.ops.send(Op::Shutdown).await;
    }
}

/// The transport a target URI asks for: TLS for `sips:` or `;transport=tls`, TCP or UDP
/// for `;transport=tcp` / `udp`, `None` when it says nothing (or does not parse).
///
/// ```
/// use cc_sip::transport::target_transport;
/// use cc_sip::ua::Transport;
///
/// assert_eq!(target_transport("sips:bob@pbx.example.com"), Some(Transport::Tls));
/// assert_eq!(target_transport("sip:bob@192.0.2.7:5061;transport=TLS"), Some(Transport::Tls));
/// assert_eq!(target_transport("sip:bob@192.0.2.7;transport=tcp"), Some(Transport::Tcp));
/// assert_eq!(target_transport("sip:bob@192.0.2.7"), None);
/// ```
pub fn target_transport(uri: &str) -> Option<Transport> {
    let crate::Uri::Sip(sip) = crate::Uri::parse(uri).ok()? else {
        return None;
    };
    if sip.secure {
        return Some(Transport::Tls);
    }
    match sip.transport()? {
        t if t.eq_ignore_ascii_case("tls") => Some(Transport::Tls),
        t if t.eq_ignore_ascii_case("tcp") => Some(Transport::Tcp),
        t if t.eq_ignore_ascii_case("udp") => Some(Transport::Udp),
        _ => None,
    }
}

/// What woke the endpoint task.
enum Wake {
    Udp(Option<(usize, SocketAddr)>),
    Op(Option<Op>),
    Stream(StreamEvent),
    Accepted(Option<(TcpStream, SocketAddr)>),
    TlsAccepted(Option<(TcpStream, SocketAddr)>),
    Timer,
    Permit(Option<mpsc::OwnedPermit<UaEvent>>),
}

/// A boxed password directory.
struct Directory(Box<dyn UserDirectory + Send>);

impl UserDirectory for Directory {
    fn password(&self, user: &str) -> Option<String> {
        self.0.password(user)
    }
    fn password_in(&self, domain: &str, user: &str) -> Option<String> {
        self.0.password_in(domain, user)
    }
}

struct Driver {
    ua: UserAgent,
    udp: UdpSocket,
    listener: Option<TcpListener>,
    tls_listener: Option<TcpListener>,
    #[cfg(feature = "tls")]
    tls: Option<tls::TlsSide>,
    ops: mpsc::Receiver<Op>,
    events: mpsc::Sender<UaEvent>,
    pending: VecDeque<UaEvent>,
    stream_tx: mpsc::UnboundedSender<StreamEvent>,
    stream_rx: mpsc::UnboundedReceiver<StreamEvent>,
    /// Connections by peer and kind: (connection number, writer queue).
    conns: HashMap<ConnKey, (u64, mpsc::UnboundedSender<Bytes>)>,
    /// Transactions sent on an outgoing connection that has not yet carried a message
    /// from the peer: they fail with a transport error when it closes first (a TLS 1.3
    /// server refuses a client certificate only after the client's handshake is done).
    /// Keyed like `conns`, with the connection's number.
    connecting: HashMap<ConnKey, (u64, Vec<TransactionId>)>,
    next_conn: u64,
    limits: Limits,
}

async fn accept(listener: Option<&TcpListener>) -> std::io::Result<(TcpStream, SocketAddr)> {
    match listener {
        Some(l) => l.accept().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
        None => std::future::pending().await,
    }
}

impl Driver {
    async fn run(mut self) {
        let mut buf = vec![0_u8; 65_535];
        loop {
            let deadline = self.ua.poll_timeout();
            let permit_for = (!self.pending.is_empty()).then(|| self.events.clone());
            let wake = tokio::select! {
                received = self.udp.recv_from(&mut buf) => Wake::Udp(received.ok()),
                op = self.ops.recv() => Wake::Op(op),
                Some(event) = self.stream_rx.recv() => Wake::Stream(event),
                accepted = accept(self.listener.as_ref()) => Wake::Accepted(accepted.ok()),
                accepted = accept(self.tls_listener.as_ref()) => Wake::TlsAccepted(accepted.ok()),
                () = sleep_until(deadline) => Wake::Timer,
                permit = async { permit_for?.reserve_owned().await.ok() }, if permit_for.is_some() => Wake::Permit(permit),
            };
            let now = Instant::now();
            match wake {
                Wake::Udp(received) => {
                    if let Some((n, from)) = received {
                        self.ua.handle_datagram(
                            now,
                            from,
                            Bytes::copy_from_slice(buf.get(..n).unwrap_or_default()),
                        );
                    }
                    // Take what else is waiting before sending anything.
                    for _ in 0..64 {
                        match self.udp.try_recv_from(&mut buf) {
                            Ok((n, from)) => {
                                let bytes = Bytes::copy_from_slice(buf.get(..n).unwrap_or_default());
                                self.ua.handle_datagram(now, from, bytes);
                            }
                            Err(_) => break,
                        }
                    }
                }
                Wake::Op(None | Some(Op::Shutdown)) => break,
                Wake::Op(Some(op)) => {
                    self.op(op);
                    while let Ok(op) = self.ops.try_recv() {
                        if matches!(op, Op::Shutdown) {
                            return;
                        }
                        self.op(op);
                    }
                }
                Wake::Stream(event) => self.stream_event(event),
                Wake::Accepted(accepted) => {
                    if let Some((stream, peer)) = accepted {
                        self.accepted(stream, peer);
                    }
                }
                Wake::TlsAccepted(accepted) => {
                    if let Some((stream, peer)) = accepted {
                        self.tls_accepted(stream, peer);
                    }
                }
                Wake::Timer => self.ua.handle_timeout(now),
                Wake::Permit(permit) => {
                    if let (Some(permit), Some(event)) = (permit, self.pending.pop_front()) {
                        permit.send(event);
                    }
                }
            }
            self.flush().await;
        }
    }

    fn op(&mut self, op: Op) {
        let now = Instant::now();
        match op {
            Op::Invite(call, reply) => {
                let result = self
                    .check_transport(call.transport)
                    .and_then(|()| self.ua.invite(now, call));
                let _ = reply.send(result);
            }
            Op::Execute(command, reply) => {
                let result = self.ua.execute(now, command);
                if let Some(reply) = reply {
                    let _ = reply.send(result);
                }
            }
            Op::Lookup(aor, reply) => {
                let _ = reply.send(self.ua.lookup(now, &aor));
            }
            Op::Register(request, reply) => {
                let result = self
                    .check_transport(request.transport)
                    .and_then(|()| self.ua.register(now, request));
                let _ = reply.send(result);
            }
            Op::Probe(destination, target, transport, reply) => {
                let result = self
                    .check_transport(transport)
                    .and_then(|()| self.ua.probe(now, destination, &target, transport));
                let _ = reply.send(result);
            }
            Op::Unregister(id, reply) => {
                let _ = reply.send(self.ua.unregister(now, id));
            }
            Op::Stats(reply) => {
                let _ = reply.send(self.ua.stats());
            }
            Op::Shutdown => {}
        }
    }

    fn stream_event(&mut self, event: StreamEvent) {
        let now = Instant::now();
        match event {
            StreamEvent::Message(key, bytes) => {
                // The peer has spoken: the connection works.
                if !self.connecting.is_empty() {
                    self.connecting.remove(&key);
                }
                // A message that does not parse on a stream loses the framing: drop the
                // connection.
                if self.ua.handle_stream_message(now, key.peer, bytes).is_err() {
                    self.conns.remove(&key);
                }
            }
            StreamEvent::Closed(key, number) => {
                if self.conns.get(&key).is_some_and(|(n, _)| *n == number) {
                    self.conns.remove(&key);
                }
                #[cfg(feature = "tls")]
                if let Some(tls) = &mut self.tls {
                    tls.closed(number);
                }
                if self.connecting.get(&key).is_some_and(|(n, _)| *n == number) {
                    for tx in self.connecting.remove(&key).map(|(_, t)| t).unwrap_or_default() {
                        self.ua.handle_transport_error(now, tx);
                    }
                }
            }
        }
    }

    /// Refuses TLS where the endpoint cannot open TLS connections.
    #[cfg_attr(not(feature = "tls"), allow(clippy::unused_self))]
    fn check_transport(&self, transport: Transport) -> Result<(), Error> {
        if transport != Transport::Tls {
            return Ok(());
        }
        #[cfg(feature = "tls")]
        if self.tls.as_ref().is_some_and(tls::TlsSide::can_connect) {
            return Ok(());
        }
        Err(Error::Transport {
            reason: "TLS is asked for (sips: or transport=tls) but this endpoint cannot connect over TLS: \
                     build cc-sip with the `tls` feature and give EndpointConfig::with_tls a \
                     TlsConfig::connect"
                .to_owned(),
        })
    }

    /// Registers a connection under `key`: its number and writer queue.
    fn register_connection(
        &mut self,
        key: ConnKey,
    ) -> (u64, mpsc::UnboundedSender<Bytes>, mpsc::UnboundedReceiver<Bytes>) {
        self.next_conn += 1;
        let number = self.next_conn;
        let (tx, rx) = mpsc::unbounded_channel();
        self.conns.insert(key, (number, tx.clone()));
        (number, tx, rx)
    }

    /// A connection a peer opened to our TCP listener.
    fn accepted(&mut self, stream: TcpStream, peer: SocketAddr) {
        let _ = stream.set_nodelay(true);
        let key = ConnKey { peer, tls: false };
        let (number, _, rx) = self.register_connection(key);
        let (reader, writer) = stream.into_split();
        tokio::spawn(run_connection(
            reader,
            writer,
            key,
            number,
            rx,
            self.stream_tx.clone(),
            self.limits,
        ));
    }

    /// A connection a peer opened to our TLS listener: admitted within the limits, then
    /// the handshake, then SIP.
    #[cfg(feature = "tls")]
    fn tls_accepted(&mut self, stream: TcpStream, peer: SocketAddr) {
        // The number `register_connection` gives it next.
        let number = self.next_conn + 1;
        if !self.tls.as_mut().is_some_and(|t| t.admit(peer, number)) {
            return;
        }
        let key = ConnKey { peer, tls: true };
        let (number, _, queue) = self.register_connection(key);
        let task = tls::ConnTask {
            key,
            number,
            queue,
            events: self.stream_tx.clone(),
            limits: self.limits,
        };
        if let Some(tls) = &self.tls {
            tls.spawn_accept(stream, task);
        }
    }

    /// Without the `tls` feature there is no TLS listener.
    #[cfg(not(feature = "tls"))]
    #[allow(clippy::unused_self, clippy::needless_pass_by_value)]
    fn tls_accepted(&mut self, _stream: TcpStream, _peer: SocketAddr) {}

    /// Opens a connection under `key`, TCP or TLS (`payload` is the first message, which
    /// names the TLS server); messages queue until it is up. `None` when TLS is asked
    /// for and the endpoint cannot connect over TLS.
    fn connect(&mut self, key: ConnKey, payload: &Bytes) -> Option<mpsc::UnboundedSender<Bytes>> {
        if key.tls {
            return self.connect_tls(key, payload);
        }
        let (number, tx, rx) = self.register_connection(key);
        let events = self.stream_tx.clone();
        let limits = self.limits;
        tokio::spawn(async move {
            let connected =
                tokio::time::timeout(std::time::Duration::from_secs(10), TcpStream::connect(key.peer)).await;
            if let Ok(Ok(stream)) = connected {
                let _ = stream.set_nodelay(true);
                let (reader, writer) = stream.into_split();
                run_connection(reader, writer, key, number, rx, events, limits).await;
            } else {
                let _ = events.send(StreamEvent::Closed(key, number));
            }
        });
        Some(tx)
    }

    #[cfg(feature = "tls")]
    fn connect_tls(&mut self, key: ConnKey, payload: &Bytes) -> Option<mpsc::UnboundedSender<Bytes>> {
        if !self.tls.as_ref().is_some_and(tls::TlsSide::can_connect) {
            return None;
        }
        let (number, tx, queue) = self.register_connection(key);
        let task = tls::ConnTask {
            key,
            number,
            queue,
            events: self.stream_tx.clone(),
            limits: self.limits,
        };
        if let Some(tls) = &self.tls {
            tls.spawn_connect(payload, task);
        }
        Some(tx)
    }

    #[cfg(not(feature = "tls"))]
    #[allow(clippy::unused_self)]
    fn connect_tls(&mut self, _key: ConnKey, _payload: &Bytes) -> Option<mpsc::UnboundedSender<Bytes>> {
        None
    }

    /// Remembers that `transaction` went on the connection just opened under `key`. What
    /// still waited on an earlier connection under the key fails: that one has closed.
    fn wait_for_peer(&mut self, now: Instant, key: ConnKey, transaction: TransactionId) {
        let number = self.next_conn;
        let waiting = self.connecting.entry(key).or_default();
        if waiting.0 == number {
            waiting.1.push(transaction);
            return;
        }
        let (_, stale) = std::mem::replace(waiting, (number, vec![transaction]));
        for tx in stale {
            self.ua.handle_transport_error(now, tx);
        }
    }

    /// The writer of the open connection under `key`.
    fn writer(&self, key: ConnKey) -> Option<mpsc::UnboundedSender<Bytes>> {
        self.conns
            .get(&key)
            .filter(|(_, w)| !w.is_closed())
            .map(|(_, w)| w.clone())
    }

    /// Sends what the agent wants sent and passes its events on.
    async fn flush(&mut self) {
        let now = Instant::now();
        while let Some(t) = self.ua.poll_transmit() {
            if t.reliable {
                // A message whose top Via says TLS never goes in the clear; others take a
                // TCP connection, or else a TLS one to the same address.
                let tls = top_via_is_tls(&t.payload);
                let key = ConnKey {
                    peer: t.destination,
                    tls,
                };
                let existing = self.writer(key).or_else(|| {
                    (!tls)
                        .then(|| self.writer(ConnKey { tls: true, ..key }))
                        .flatten()
                });
                let writer = existing.or_else(|| {
                    let opened = self.connect(key, &t.payload);
                    if opened.is_some()
                        && let Some(tx) = t.transaction
                    {
                        self.wait_for_peer(now, key, tx);
                    }
                    opened
                });
                let sent = writer.is_some_and(|w| w.send(t.payload).is_ok());
                if !sent && let Some(tx) = t.transaction {
                    self.ua.handle_transport_error(now, tx);
                }
                continue;
            }
            let sent = match self.udp.try_send_to(&t.payload, t.destination) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    self.udp.send_to(&t.payload, t.destination).await
                }
                other => other,
            };
            if sent.is_err()
                && let Some(tx) = t.transaction
            {
                self.ua.handle_transport_error(now, tx);
            }
        }
        while let Some(event) = self.ua.poll_event() {
            self.pending.push_back(event);
        }
        while let Some(event) = self.pending.pop_front() {
            match self.events.try_send(event) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(event)) => {
                    self.pending.push_front(event);
                    break;
                }
                Err(mpsc::error::TrySendError::Closed(_)) => {
                    self.pending.clear();
                    break;
                }
            }
        }
    }
}

/// Runs a B2BUA on an endpoint until its events end: every incoming call is relayed to
/// `target` over `transport` as a second dialog and paired with it in `b2b`, which then
/// carries ringing, answer, failures, BYE, CANCEL, re-INVITE and DTMF across, and
/// carries out a REFER from either side (calls placed for [`B2bua::poll_transfer`]). Calls that
/// cannot be placed are refused with 503. Cancel the future to stop; `b2b` keeps its
/// counters.
pub async fn relay(
    handle: &EndpointHandle,
    events: &mut mpsc::Receiver<UaEvent>,
    b2b: &mut B2bua,
    target: SocketAddr,
    transport: Transport,
) -> Result<(), Error> {
    while let Some(event) = events.recv().await {
        if b2b.handle_event(&event) {
            loop {
                while let Some(command) = b2b.poll_command() {
                    if matches!(command, Command::ReInvite { .. } | Command::Update { .. }) {
                        // The commands whose failure the pairing must hear about.
                        match handle.execute(command.clone()).await {
                            Err(Error::Transport { reason }) => return Err(Error::Transport { reason }),
                            Err(_) => b2b.command_failed(&command),
                            Ok(()) => {}
                        }
                    } else {
                        handle.dispatch(command).await?;
                    }
                }
                let Some(transfer) = b2b.poll_transfer() else {
                    break;
                };
                match handle.invite(transfer.call).await {
                    Ok(leg) => b2b.transfer_started(transfer.referrer, leg),
                    Err(Error::Transport { reason }) => return Err(Error::Transport { reason }),
                    Err(_) => b2b.transfer_failed(transfer.referrer),
                }
            }
            continue;
        }
        if let Some((inbound, call)) = b2b.outgoing_call(&event, target, transport) {
            match handle.invite(call).await {
                Ok(outbound) => b2b.bridge(inbound, outbound),
                Err(Error::Transport { reason }) => return Err(Error::Transport { reason }),
                Err(_) => {
                    handle
                        .dispatch(Command::Reject {
                            leg: inbound,
                            code: 503,
                            reason: "Service Unavailable".to_owned(),
                        })
                        .await?;
                }
            }
        }
    }
    Ok(())
}
