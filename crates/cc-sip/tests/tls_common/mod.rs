//! Certificates for the TLS tests, made with rcgen on each run: a test CA, a server
//! certificate for `localhost` and 127.0.0.1, a client certificate, and a rogue CA
//! with its own server and client certificates. Shared by the TLS test crates.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use cc_sip::transport::{
    CertificateDer, ClientConfig, Endpoint, EndpointConfig, EndpointHandle, PrivateKeyDer, RootCertStore,
    ServerConfig, TlsConfig, TlsIdentity, client_config, root_store, server_config,
};
use cc_sip::ua::UaEvent;
use rcgen::{BasicConstraints, Certificate, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use tokio::sync::mpsc::Receiver;
use tokio::time::timeout;

/// How long any one step of a test may take.
pub(crate) const WAIT: Duration = Duration::from_secs(5);

/// A CA and a certificate it signed for each role.
pub(crate) struct Pki {
    /// The CA certificate (DER), to trust.
    pub(crate) ca: CertificateDer<'static>,
    /// The CA certificate as PEM, for openssl's `-CAfile`.
    pub(crate) ca_pem: String,
    /// The server's certificate (`localhost`, 127.0.0.1) as PEM.
    pub(crate) server_cert_pem: String,
    /// The server's key as PEM.
    pub(crate) server_key_pem: String,
    server: (CertificateDer<'static>, Vec<u8>),
    client: (CertificateDer<'static>, Vec<u8>),
}

fn leaf(issuer: &CertifiedIssuer<'_, KeyPair>, names: &[&str], cn: &str) -> (Certificate, KeyPair) {
    let key = KeyPair::generate().expect("a key pair");
    let mut params =
        CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>()).expect("names");
    params.distinguished_name.push(DnType::CommonName, cn);
    let cert = params.signed_by(&key, issuer).expect("a signed certificate");
    (cert, key)
}

impl Pki {
    /// A fresh CA named `name` with its server and client certificates.
    pub(crate) fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let ca =
            CertifiedIssuer::self_signed(params, KeyPair::generate().expect("a key pair")).expect("a CA");
        let (server, server_key) = leaf(&ca, &["localhost", "127.0.0.1"], "sip server");
        let (client, client_key) = leaf(&ca, &["client.localhost"], "sip client");
        Self {
            ca: ca.der().clone(),
            ca_pem: ca.pem(),
            server_cert_pem: server.pem(),
            server_key_pem: server_key.serialize_pem(),
            server: (server.der().clone(), server_key.serialize_der()),
            client: (client.der().clone(), client_key.serialize_der()),
        }
    }

    /// The server identity, from DER.
    pub(crate) fn server_identity(&self) -> TlsIdentity {
        identity(&self.server)
    }

    /// The client identity, from DER.
    pub(crate) fn client_identity(&self) -> TlsIdentity {
        identity(&self.client)
    }

    /// A root store with this CA only.
    pub(crate) fn roots(&self) -> RootCertStore {
        root_store([self.ca.clone()]).expect("a root store")
    }

    /// A server configuration presenting the server certificate.
    pub(crate) fn server_config(&self) -> Arc<ServerConfig> {
        server_config(self.server_identity(), None).expect("a server configuration")
    }

    /// A client configuration trusting this CA only.
    pub(crate) fn client_config(&self) -> Arc<ClientConfig> {
        client_config(self.roots(), None).expect("a client configuration")
    }
}

fn identity((cert, key): &(CertificateDer<'static>, Vec<u8>)) -> TlsIdentity {
    TlsIdentity::from_der(
        vec![cert.clone()],
        PrivateKeyDer::try_from(key.clone()).expect("a PKCS#8 key"),
    )
}

/// An endpoint on 127.0.0.1 (UDP on a free port) with `tls`.
pub(crate) async fn endpoint(tls: TlsConfig) -> (EndpointHandle, Receiver<UaEvent>) {
    Endpoint::bind(EndpointConfig::new("127.0.0.1:0".parse().unwrap()).with_tls(tls))
        .await
        .expect("bind")
}

/// 127.0.0.1 on a free port.
pub(crate) fn any_port() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// The next event, within [`WAIT`].
pub(crate) async fn next(events: &mut Receiver<UaEvent>) -> UaEvent {
    timeout(WAIT, events.recv())
        .await
        .expect("an event within 5 s")
        .expect("the endpoint runs")
}
