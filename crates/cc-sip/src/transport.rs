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
//!   every message to that peer; messages are framed with [`frame_stream`]; a
//!   double-CRLF keep-alive ping is answered with a CRLF pong (RFC 5626 §4.4.1).
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

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{mpsc, oneshot};

use crate::b2bua::B2bua;
use crate::error::Error;
use crate::parser::framing::{Frame, frame_stream};
use crate::protection::Protection;
use crate::registrar::{Registrar, UserDirectory};
use crate::transaction::TransactionId;
use crate::ua::{
    Command, LegId, OutgoingCall, RegisterRequest, RegistrationId, Transport, UaConfig, UaEvent, UaStats,
    UserAgent,
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
    /// The registrar, with its password directory.
    registrar: Option<(Registrar, Box<dyn UserDirectory + Send>)>,
}

impl fmt::Debug for EndpointConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EndpointConfig")
            .field("listen", &self.listen)
            .field("tcp", &self.tcp)
            .field("advertised", &self.advertised)
            .field("transaction", &self.transaction)
            .field("contact_user", &self.contact_user)
            .field("event_capacity", &self.event_capacity)
            .field("socket_buffer", &self.socket_buffer)
            .field("protection", &self.protection)
            .field("registrar", &self.registrar.as_ref().map(|r| &r.0))
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
            registrar: None,
        }
    }

    /// Also listens on TCP (same port).
    #[must_use]
    pub fn with_tcp(mut self) -> Self {
        self.tcp = true;
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
    Unregister(RegistrationId, oneshot::Sender<Result<(), Error>>),
    Stats(oneshot::Sender<UaStats>),
    Shutdown,
}

/// What connection tasks tell the endpoint task.
enum StreamEvent {
    Message(SocketAddr, Bytes),
    Connected(SocketAddr),
    Closed(SocketAddr, u64),
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
        let advertised = config.advertised.unwrap_or(local_addr);
        let mut ua_config = UaConfig::new(advertised);
        ua_config.transaction = config.transaction;
        ua_config.contact_user = config.contact_user;
        ua_config.protection = config.protection;
        if listener.is_some() {
            ua_config.tcp_addr = Some(advertised);
        }
        let limits = ua_config.transaction.limits;
        let mut ua = UserAgent::new(ua_config);
        if let Some((registrar, users)) = config.registrar {
            ua.attach_registrar(registrar, Directory(users));
        }
        let (ops_tx, ops_rx) = mpsc::channel(1024);
        let (events_tx, events_rx) = mpsc::channel(config.event_capacity.max(1));
        let (stream_tx, stream_rx) = mpsc::unbounded_channel();
        let driver = Driver {
            ua,
            udp,
            listener,
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
        Ok((
            EndpointHandle {
                ops: ops_tx,
                local_addr,
            },
            events_rx,
        ))
    }
}

impl EndpointHandle {
    /// The bound address (UDP, and TCP when on).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    async fn ask<T>(&self, op: impl FnOnce(oneshot::Sender<T>) -> Op) -> Result<T, Error> {
        let (tx, rx) = oneshot::channel();
        self.ops.send(op(tx)).await.map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())
    }

    /// Places a call ([`UserAgent::invite`]).
    pub async fn invite(&self, call: OutgoingCall) -> Result<LegId, Error> {
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

/// What woke the endpoint task.
enum Wake {
    Udp(Option<(usize, SocketAddr)>),
    Op(Option<Op>),
    Stream(StreamEvent),
    Accepted(Option<(TcpStream, SocketAddr)>),
    Timer,
    Permit(Option<mpsc::OwnedPermit<UaEvent>>),
}

/// A boxed password directory.
struct Directory(Box<dyn UserDirectory + Send>);

impl UserDirectory for Directory {
    fn password(&self, user: &str) -> Option<String> {
        self.0.password(user)
    }
}

struct Driver {
    ua: UserAgent,
    udp: UdpSocket,
    listener: Option<TcpListener>,
    ops: mpsc::Receiver<Op>,
    events: mpsc::Sender<UaEvent>,
    pending: VecDeque<UaEvent>,
    stream_tx: mpsc::UnboundedSender<StreamEvent>,
    stream_rx: mpsc::UnboundedReceiver<StreamEvent>,
    /// Connections by peer: (connection number, writer queue).
    conns: HashMap<SocketAddr, (u64, mpsc::UnboundedSender<Bytes>)>,
    /// Transactions waiting for an outgoing connection to open.
    connecting: HashMap<SocketAddr, Vec<TransactionId>>,
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
                let _ = reply.send(self.ua.invite(now, call));
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
                let _ = reply.send(self.ua.register(now, request));
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
            StreamEvent::Message(peer, bytes) => {
                // A message that does not parse on a stream loses the framing: drop the
                // connection.
                if self.ua.handle_stream_message(now, peer, bytes).is_err() {
                    self.conns.remove(&peer);
                }
            }
            StreamEvent::Connected(peer) => {
                self.connecting.remove(&peer);
            }
            StreamEvent::Closed(peer, number) => {
                if self.conns.get(&peer).is_some_and(|(n, _)| *n == number) {
                    self.conns.remove(&peer);
                }
                for tx in self.connecting.remove(&peer).unwrap_or_default() {
                    self.ua.handle_transport_error(now, tx);
                }
            }
        }
    }

    /// Registers a connection to `peer`: its number and writer queue.
    fn register_connection(
        &mut self,
        peer: SocketAddr,
    ) -> (u64, mpsc::UnboundedSender<Bytes>, mpsc::UnboundedReceiver<Bytes>) {
        self.next_conn += 1;
        let number = self.next_conn;
        let (tx, rx) = mpsc::unbounded_channel();
        self.conns.insert(peer, (number, tx.clone()));
        (number, tx, rx)
    }

    /// A connection a peer opened to our listener.
    fn accepted(&mut self, stream: TcpStream, peer: SocketAddr) {
        let _ = stream.set_nodelay(true);
        let (number, _, rx) = self.register_connection(peer);
        tokio::spawn(connection(
            stream,
            peer,
            number,
            rx,
            self.stream_tx.clone(),
            self.limits,
        ));
    }

    /// Opens a connection to `peer`; messages queue until it is up.
    fn connect(&mut self, peer: SocketAddr) -> mpsc::UnboundedSender<Bytes> {
        let (number, tx, rx) = self.register_connection(peer);
        let events = self.stream_tx.clone();
        let limits = self.limits;
        tokio::spawn(async move {
            let connected =
                tokio::time::timeout(std::time::Duration::from_secs(10), TcpStream::connect(peer)).await;
            if let Ok(Ok(stream)) = connected {
                let _ = stream.set_nodelay(true);
                let _ = events.send(StreamEvent::Connected(peer));
                connection(stream, peer, number, rx, events, limits).await;
            } else {
                let _ = events.send(StreamEvent::Closed(peer, number));
            }
        });
        tx
    }

    /// Sends what the agent wants sent and passes its events on.
    async fn flush(&mut self) {
        let now = Instant::now();
        while let Some(t) = self.ua.poll_transmit() {
            if t.reliable {
                let writer = match self.conns.get(&t.destination) {
                    Some((_, w)) if !w.is_closed() => w.clone(),
                    _ => {
                        if let Some(tx) = t.transaction {
                            self.connecting.entry(t.destination).or_default().push(tx);
                        }
                        self.connect(t.destination)
                    }
                };
                if writer.send(t.payload).is_err()
                    && let Some(tx) = t.transaction
                {
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

/// One TCP connection: reads and frames messages for the endpoint, writes what its
/// queue holds, answers CRLFCRLF pings with CRLF.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    number: u64,
    mut queue: mpsc::UnboundedReceiver<Bytes>,
    events: mpsc::UnboundedSender<StreamEvent>,
    limits: Limits,
) {
    let (mut reader, mut writer) = stream.into_split();
    let mut buf = BytesMut::with_capacity(16 * 1024);
    'io: loop {
        tokio::select! {
            read = reader.read_buf(&mut buf) => {
                match read {
                    Ok(0) | Err(_) => break 'io,
                    Ok(_) => {}
                }
                loop {
                    match frame_stream(&buf, &limits) {
                        Ok(Frame::KeepAlive { len }) => {
                            let ping = len >= 4;
                            let _ = buf.split_to(len.min(buf.len()));
                            if ping && writer.write_all(b"\r\n").await.is_err() {
                                break 'io;
                            }
                        }
                        Ok(Frame::Complete { len }) => {
                            let message = buf.split_to(len.min(buf.len())).freeze();
                            if events.send(StreamEvent::Message(peer, message)).is_err() {
                                break 'io;
                            }
                        }
                        Ok(Frame::Incomplete { .. }) => break,
                        Err(_) => break 'io,
                    }
                }
            }
            out = queue.recv() => {
                match out {
                    Some(bytes) => {
                        if writer.write_all(&bytes).await.is_err() {
                            break 'io;
                        }
                    }
                    None => break 'io,
                }
            }
        }
    }
    let _ = events.send(StreamEvent::Closed(peer, number));
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
