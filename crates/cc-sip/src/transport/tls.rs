//! SIP over TLS (feature `tls`): certificates, rustls configurations with the `ring`
//! provider, the endpoint's TLS settings, and the tasks that run a TLS handshake before
//! a connection carries SIP.
//!
//! - A server identity (certificate chain and private key) comes from PEM files
//!   ([`TlsIdentity::from_pem_files`]), PEM bytes or in-memory DER
//!   ([`TlsIdentity::from_der`]); [`server_config`] makes a rustls server configuration
//!   of it, optionally requiring client certificates signed by given roots.
//! - The client side trusts the root store the embedder supplies ([`client_config`]);
//!   no system store is read. The name checked against the server's certificate is the
//!   host of the Request-URI (a name, or an IP address), or the host of the top Via for
//!   a response that needs a new connection, unless [`TlsConfig::with_server_name`]
//!   pins one for the next hop.
//! - [`TlsConfig`] says where to listen, how to connect, and the limits: handshake
//!   time, connections per source address, connections in all.
//! - A handshake that fails or takes too long closes the connection; it is counted in
//!   [`TlsStats`] with its reason, and the transactions waiting for an outgoing
//!   connection fail with a transport error (a call ends with
//!   [`EndCause::TransportError`](crate::ua::EndCause::TransportError)).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
pub use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::WebPkiClientVerifier;
pub use rustls::{ClientConfig, RootCertStore, ServerConfig};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::{TlsAcceptor, TlsConnector};

use super::stream::{ConnKey, StreamEvent, run_connection};
use crate::error::Error;
use crate::{Limits, Message};

fn tls_error(what: &str, reason: impl std::fmt::Display) -> Error {
    Error::Transport {
        reason: format!("TLS: {what}: {reason}"),
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A certificate chain (leaf first) and its private key.
pub struct TlsIdentity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("certificates", &self.chain.len())
            .field("key", &"(hidden)")
            .finish()
    }
}

impl Clone for TlsIdentity {
    fn clone(&self) -> Self {
        Self {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
        }
    }
}

impl TlsIdentity {
    /// An identity from DER: the chain (leaf first) and the key (PKCS#8, PKCS#1 or SEC1).
    pub fn from_der(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> Self {
        Self { chain, key }
    }

    /// An identity from PEM text: every `CERTIFICATE` block of `certificates` (leaf
    /// first) and the first private key block of `key`.
    pub fn from_pem(certificates: &[u8], key: &[u8]) -> Result<Self, Error> {
        let chain = CertificateDer::pem_slice_iter(certificates)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| tls_error("cannot read the PEM certificates", e))?;
        if chain.is_empty() {
            return Err(tls_error(
                "no certificate",
                "expected at least one -----BEGIN CERTIFICATE----- block",
            ));
        }
        let key = PrivateKeyDer::from_pem_slice(key).map_err(|e| {
            tls_error(
                "cannot read the PEM private key",
                format!("{e} (expected a PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block)"),
            )
        })?;
        Ok(Self { chain, key })
    }

    /// An identity from a PEM file of certificates and a PEM file of the key (they may
    /// be the same file).
    pub fn from_pem_files(certificates: impl AsRef<Path>, key: impl AsRef<Path>) -> Result<Self, Error> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|e| Error::Unreadable {
                path: path.display().to_string(),
                reason: e.to_string(),
            })
        };
        Self::from_pem(&read(certificates.as_ref())?, &read(key.as_ref())?)
    }
}

/// A root store of the certificates `roots` (DER), for [`client_config`] or for client
/// authentication in [`server_config`].
pub fn root_store(roots: impl IntoIterator<Item = CertificateDer<'static>>) -> Result<RootCertStore, Error> {
    let mut store = RootCertStore::empty();
    for root in roots {
        store
            .add(root)
            .map_err(|e| tls_error("cannot use a root certificate", e))?;
    }
    Ok(store)
}

/// A rustls server configuration (TLS 1.2 and 1.3, `ring`) presenting `identity`.
/// With `client_roots`, every client must present a certificate signed by one of them
/// (mutual TLS, as carriers' trunks often ask); without, clients are not asked.
pub fn server_config(
    identity: TlsIdentity,
    client_roots: Option<RootCertStore>,
) -> Result<Arc<ServerConfig>, Error> {
    let builder = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error("no protocol version", e))?;
    let builder = match client_roots {
        Some(roots) => {
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
                .build()
                .map_err(|e| tls_error("cannot verify clients with these roots", e))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let config = builder
        .with_single_cert(identity.chain, identity.key)
        .map_err(|e| tls_error("the certificate and key do not make a server identity", e))?;
    Ok(Arc::new(config))
}

/// A rustls client configuration (TLS 1.2 and 1.3, `ring`) that trusts `roots` only,
/// presenting `identity` when a server asks for a client certificate.
pub fn client_config(
    roots: RootCertStore,
    identity: Option<TlsIdentity>,
) -> Result<Arc<ClientConfig>, Error> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error("no protocol version", e))?
        .with_root_certificates(roots);
    let config = match identity {
        Some(identity) => builder
            .with_client_auth_cert(identity.chain, identity.key)
            .map_err(|e| tls_error("the certificate and key do not make a client identity", e))?,
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// The TLS side of an [`EndpointConfig`](super::EndpointConfig): a listener, outgoing
/// connections, or both, and their limits.
#[derive(Clone)]
pub struct TlsConfig {
    /// Where to listen for TLS (port 0 picks a free port; 5061 is SIP's); set by
    /// [`TlsConfig::listen`].
    listen: Option<(SocketAddr, Arc<ServerConfig>)>,
    /// How to connect out; set by [`TlsConfig::connect`].
    client: Option<Arc<ClientConfig>>,
    /// Names to verify per next hop, over the Request-URI host.
    server_names: HashMap<SocketAddr, ServerName<'static>>,
    /// The address written in Via and Contact of TLS legs when it differs from the
    /// bound one; `None` writes the bound address (or the endpoint's advertised host
    /// with the TLS port).
    pub advertised: Option<SocketAddr>,
    /// How long a handshake may take, in and out (10 s by default).
    pub handshake_timeout: Duration,
    /// How many accepted TLS connections one source IP address may hold (32 by
    /// default); more are closed before the handshake.
    pub max_connections_per_source: usize,
    /// How many accepted TLS connections may be open in all (4096 by default).
    pub max_connections: usize,
}

/// Shows addresses and limits, never key material.
impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig")
            .field("listen", &self.listen.as_ref().map(|(addr, _)| addr))
            .field("connect", &self.client.is_some())
            .field("server_names", &self.server_names)
            .field("advertised", &self.advertised)
            .field("handshake_timeout", &self.handshake_timeout)
            .field("max_connections_per_source", &self.max_connections_per_source)
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

impl Default for TlsConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl TlsConfig {
    /// Neither listening nor connecting yet; default limits.
    pub fn new() -> Self {
        Self {
            listen: None,
            client: None,
            server_names: HashMap::new(),
            advertised: None,
            handshake_timeout: Duration::from_secs(10),
            max_connections_per_source: 32,
            max_connections: 4096,
        }
    }

    /// Listens for TLS on `addr` with `server` (see [`server_config`]).
    #[must_use]
    pub fn listen(mut self, addr: SocketAddr, server: Arc<ServerConfig>) -> Self {
        self.listen = Some((addr, server));
        self
    }

    /// Opens outgoing TLS connections with `client` (see [`client_config`]).
    #[must_use]
    pub fn connect(mut self, client: Arc<ClientConfig>) -> Self {
        self.client = Some(client);
        self
    }

    /// Verifies the certificate of the next hop `addr` against `name` (a DNS name or an
    /// IP address) instead of the Request-URI host, e.g. for an outbound proxy.
    pub fn with_server_name(mut self, addr: SocketAddr, name: &str) -> Result<Self, Error> {
        let name = ServerName::try_from(name.to_owned())
            .map_err(|e| tls_error(&format!("invalid server name {name:?}"), e))?;
        self.server_names.insert(addr, name);
        Ok(self)
    }
}

/// A bound TLS side: the task's state, the listener and its addresses.
pub(super) struct Bound {
    pub(super) side: TlsSide,
    pub(super) listener: Option<TcpListener>,
    /// The bound listening address.
    pub(super) local: Option<SocketAddr>,
    /// The address for Via and Contact of TLS legs.
    pub(super) advertised: Option<SocketAddr>,
}

/// Binds the TLS listener of `config`, if any. `endpoint_advertised` is the endpoint's
/// own advertised address: its IP with the TLS port is advertised unless `config` says.
pub(super) async fn bind(
    mut config: TlsConfig,
    endpoint_advertised: Option<SocketAddr>,
) -> Result<Bound, Error> {
    let (listener, local, server) = match config.listen.take() {
        Some((addr, server)) => {
            let listener = TcpListener::bind(addr)
                .await
                .map_err(|e| tls_error(&format!("cannot listen on {addr}"), e))?;
            let local = listener
                .local_addr()
                .map_err(|e| tls_error(&format!("cannot read the address of {addr}"), e))?;
            (Some(listener), Some(local), Some(server))
        }
        None => (None, None, None),
    };
    let advertised = config.advertised.or_else(|| {
        let local = local?;
        Some(endpoint_advertised.map_or(local, |a| SocketAddr::new(a.ip(), local.port())))
    });
    Ok(Bound {
        side: TlsSide::new(config, server),
        listener,
        local,
        advertised,
    })
}

/// TLS counters of an endpoint ([`EndpointHandle::tls_stats`](super::EndpointHandle::tls_stats)).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsStats {
    /// Handshakes completed as server.
    pub accepted: u64,
    /// Handshakes completed as client.
    pub connected: u64,
    /// Handshakes that failed or timed out, either way.
    pub failed: u64,
    /// Accepted connections closed at once by the per-source or total limit.
    pub refused: u64,
    /// The last failure: peer, direction and rustls' reason.
    pub last_failure: Option<Error>,
}

/// The counters the handshake tasks update.
#[derive(Debug, Default)]
pub(super) struct Counters {
    accepted: AtomicU64,
    connected: AtomicU64,
    failed: AtomicU64,
    refused: AtomicU64,
    last_failure: Mutex<Option<Error>>,
}

impl Counters {
    pub(super) fn snapshot(&self) -> TlsStats {
        TlsStats {
            accepted: self.accepted.load(Ordering::Relaxed),
            connected: self.connected.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
            last_failure: self.last_failure.lock().map_or(None, |f| f.clone()),
        }
    }

    pub(super) fn refused(&self) {
        self.refused.fetch_add(1, Ordering::Relaxed);
    }

    fn failed(&self, error: Error) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut last) = self.last_failure.lock() {
            *last = Some(error);
        }
    }
}

/// What a connection task needs besides its stream.
pub(super) struct ConnTask {
    pub(super) key: ConnKey,
    pub(super) number: u64,
    pub(super) queue: mpsc::UnboundedReceiver<Bytes>,
    pub(super) events: mpsc::UnboundedSender<StreamEvent>,
    pub(super) limits: Limits,
}

/// The endpoint task's TLS state: acceptor, connector, limits and per-source counts.
pub(super) struct TlsSide {
    acceptor: Option<TlsAcceptor>,
    connector: Option<TlsConnector>,
    server_names: HashMap<SocketAddr, ServerName<'static>>,
    handshake_timeout: Duration,
    max_per_source: usize,
    max_connections: usize,
    /// Accepted connections open per source address.
    per_source: HashMap<IpAddr, usize>,
    /// The source of each accepted connection still counted, by connection number.
    counted: HashMap<u64, IpAddr>,
    pub(super) counters: Arc<Counters>,
}

impl TlsSide {
    /// The state for `config`, with `server` taken out of it (if any).
    fn new(config: TlsConfig, server: Option<Arc<ServerConfig>>) -> Self {
        Self {
            acceptor: server.map(TlsAcceptor::from),
            connector: config.client.map(TlsConnector::from),
            server_names: config.server_names,
            handshake_timeout: config.handshake_timeout,
            max_per_source: config.max_connections_per_source,
            max_connections: config.max_connections,
            per_source: HashMap::new(),
            counted: HashMap::new(),
            counters: Arc::new(Counters::default()),
        }
    }

    /// Whether an accepted connection from `peer` fits the limits; if so it is counted
    /// as connection `number` until [`TlsSide::closed`].
    pub(super) fn admit(&mut self, peer: SocketAddr, number: u64) -> bool {
        let open = self.per_source.get(&peer.ip()).copied().unwrap_or(0);
        if open >= self.max_per_source || self.counted.len() >= self.max_connections {
            self.counters.refused();
            return false;
        }
        self.per_source.insert(peer.ip(), open + 1);
        self.counted.insert(number, peer.ip());
        true
    }

    /// Connection `number` has closed.
    pub(super) fn closed(&mut self, number: u64) {
        if let Some(ip) = self.counted.remove(&number)
            && let Some(open) = self.per_source.get_mut(&ip)
        {
            *open -= 1;
            if *open == 0 {
                self.per_source.remove(&ip);
            }
        }
    }

    /// Whether outgoing connections are configured.
    pub(super) fn can_connect(&self) -> bool {
        self.connector.is_some()
    }

    /// Runs the server handshake on `stream`, then the connection (on a task).
    pub(super) fn spawn_accept(&self, stream: TcpStream, task: ConnTask) {
        let Some(acceptor) = self.acceptor.clone() else {
            let _ = task.events.send(StreamEvent::Closed(task.key, task.number));
            return;
        };
        let (counters, limit) = (Arc::clone(&self.counters), self.handshake_timeout);
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            let peer = task.key.peer;
            match tokio::time::timeout(limit, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => {
                    counters.accepted.fetch_add(1, Ordering::Relaxed);
                    serve(tls, task).await;
                }
                Ok(Err(e)) => {
                    counters.failed(tls_error(&format!("handshake with client {peer} failed"), e));
                    let _ = task.events.send(StreamEvent::Closed(task.key, task.number));
                }
                Err(_) => {
                    counters.failed(tls_error(
                        &format!("handshake with client {peer} failed"),
                        format!("not done in {limit:?}"),
                    ));
                    let _ = task.events.send(StreamEvent::Closed(task.key, task.number));
                }
            }
        });
    }

    /// Connects to the task's peer and runs the client handshake, then the connection
    /// (on a task). The name verified is pinned for the peer, else taken from `payload`
    /// (the first message to send), else the peer's IP address.
    pub(super) fn spawn_connect(&self, payload: &Bytes, task: ConnTask) {
        let peer = task.key.peer;
        let Some(connector) = self.connector.clone() else {
            let _ = task.events.send(StreamEvent::Closed(task.key, task.number));
            return;
        };
        let name = self
            .server_names
            .get(&peer)
            .cloned()
            .or_else(|| name_in(payload))
            .unwrap_or_else(|| ServerName::from(peer.ip()));
        let (counters, limit) = (Arc::clone(&self.counters), self.handshake_timeout);
        tokio::spawn(async move {
            let connect = async {
                let tcp = TcpStream::connect(peer).await?;
                let _ = tcp.set_nodelay(true);
                connector.connect(name, tcp).await
            };
            match tokio::time::timeout(limit, connect).await {
                Ok(Ok(tls)) => {
                    counters.connected.fetch_add(1, Ordering::Relaxed);
                    serve(tls, task).await;
                }
                Ok(Err(e)) => {
                    counters.failed(tls_error(&format!("connection to {peer} failed"), e));
                    let _ = task.events.send(StreamEvent::Closed(task.key, task.number));
                }
                Err(_) => {
                    counters.failed(tls_error(
                        &format!("connection to {peer} failed"),
                        format!("not up in {limit:?}"),
                    ));
                    let _ = task.events.send(StreamEvent::Closed(task.key, task.number));
                }
            }
        });
    }
}

/// Runs a connection over an established TLS stream.
async fn serve<S>(stream: S, task: ConnTask)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let (reader, writer) = tokio::io::split(stream);
    run_connection(
        reader,
        writer,
        task.key,
        task.number,
        task.queue,
        task.events,
        task.limits,
    )
    .await;
}

/// The name to verify for the first message of a connection: the Request-URI host of a
/// request, the top Via host of a response.
fn name_in(payload: &Bytes) -> Option<ServerName<'static>> {
    let msg = Message::parse(payload.clone()).ok()?;
    let host = if msg.is_request() {
        match msg.request_uri()?.ok()? {
            crate::Uri::Sip(uri) => uri.host,
            _ => return None,
        }
    } else {
        msg.top_via().ok()?.host
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(host).ok().map(|n| n.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_name_comes_from_the_request_uri_or_the_via() {
        let invite = Bytes::from_static(
            b"INVITE sips:bob@pbx.example.com SIP/2.0\r\nVia: SIP/2.0/TLS 192.0.2.1;branch=z9hG4bK1\r\n\r\n",
        );
        assert_eq!(name_in(&invite), ServerName::try_from("pbx.example.com").ok());
        let to_ip = Bytes::from_static(
            b"BYE sip:bob@[2001:db8::7]:5061;transport=tls SIP/2.0\r\nVia: SIP/2.0/TLS h;branch=z9hG4bK1\r\n\r\n",
        );
        assert_eq!(name_in(&to_ip), ServerName::try_from("2001:db8::7").ok());
        let response = Bytes::from_static(
            b"SIP/2.0 200 OK\r\nVia: SIP/2.0/TLS proxy.example.net:5061;branch=z9hG4bK1\r\n\r\n",
        );
        assert_eq!(name_in(&response), ServerName::try_from("proxy.example.net").ok());
        assert_eq!(name_in(&Bytes::from_static(b"junk")), None);
    }

    #[test]
    fn bad_pem_is_an_error_not_a_panic() {
        assert!(TlsIdentity::from_pem(b"", b"").is_err());
        assert!(TlsIdentity::from_pem(b"-----BEGIN CERTIFICATE-----\nxx\n", b"").is_err());
        assert!(TlsIdentity::from_pem_files("/nonexistent/cert.pem", "/nonexistent/key.pem").is_err());
    }

    #[test]
    fn debug_shows_no_key_material() {
        let config = TlsConfig::new().with_server_name("192.0.2.9:5061".parse().unwrap(), "pbx.example.com");
        let text = format!("{:?}", config.unwrap());
        assert!(
            text.contains("pbx.example.com") && text.contains("connect: false"),
            "{text}"
        );
        assert!(
            TlsConfig::new()
                .with_server_name("192.0.2.9:5061".parse().unwrap(), "bad name!")
                .is_err()
        );
    }

    #[test]
    fn limits_count_per_source_and_release_on_close() {
        let mut config = TlsConfig::new();
        config.max_connections_per_source = 2;
        config.max_connections = 3;
        let mut side = TlsSide::new(config, None);
        let a: SocketAddr = "192.0.2.1:1000".parse().unwrap();
        let b: SocketAddr = "192.0.2.2:1000".parse().unwrap();
        assert!(side.admit(a, 1));
        assert!(side.admit(a, 2));
        assert!(!side.admit(a, 3), "a third from one source is refused");
        assert!(side.admit(b, 4));
        assert!(!side.admit(b, 5), "the total is reached");
        side.closed(1);
        assert!(side.admit(a, 6));
        assert_eq!(side.counters.snapshot().refused, 2);
        side.closed(99);
    }
}
