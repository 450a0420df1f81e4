//! A call over SIP TLS between two endpoints on 127.0.0.1: a test CA and a server
//! certificate are made with rcgen, "pbx" listens on TLS, "agent" trusts the CA and
//! calls `sips:pbx@localhost:PORT`; the call is answered and hung up, and both print
//! their TLS counters.
//!
//! `cargo run -p cc-sip --features tls --example tls_call`
//!
//! A deployment loads its certificate with `TlsIdentity::from_pem_files` and its trust
//! anchors into a `RootCertStore` instead.

use std::time::Duration;

use cc_sip::transport::{
    Endpoint, EndpointConfig, PrivateKeyDer, TlsConfig, TlsIdentity, client_config, root_store, server_config,
};
use cc_sip::ua::{OutgoingCall, UaEvent};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};

type Failure = Box<dyn std::error::Error>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Failure> {
    // A CA, and a certificate it signs for localhost.
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;
    let key = KeyPair::generate()?;
    let cert = CertificateParams::new(vec!["localhost".to_owned()])?.signed_by(&key, &ca)?;
    let identity = TlsIdentity::from_der(
        vec![cert.der().clone()],
        PrivateKeyDer::try_from(key.serialize_der())?,
    );

    let any = "127.0.0.1:0".parse()?;
    let pbx_tls = TlsConfig::new().listen(any, server_config(identity, None)?);
    let (pbx, mut pbx_events) = Endpoint::bind(EndpointConfig::new(any).with_tls(pbx_tls)).await?;
    let tls_addr = pbx.tls_addr().ok_or("no TLS listener")?;
    println!("pbx: SIP over TLS on {tls_addr}");

    let agent_tls = TlsConfig::new().connect(client_config(root_store([ca.der().clone()])?, None)?);
    let (agent, mut agent_events) = Endpoint::bind(EndpointConfig::new(any).with_tls(agent_tls)).await?;
    let uri = format!("sips:pbx@localhost:{}", tls_addr.port());
    let leg = agent
        .invite(OutgoingCall::new(
            &uri,
            "<sip:agent@127.0.0.1>",
            "<sip:pbx@localhost>",
            tls_addr,
        ))
        .await?;
    println!("agent: INVITE {uri}");

    let wait = Duration::from_secs(5);
    let Some(UaEvent::IncomingCall { leg: incoming, .. }) =
        tokio::time::timeout(wait, pbx_events.recv()).await?
    else {
        return Err("the pbx saw no call".into());
    };
    pbx.answer(incoming, None).await?;
    loop {
        match tokio::time::timeout(wait, agent_events.recv()).await? {
            Some(UaEvent::Answered { .. }) => break,
            Some(other) => println!("agent: {other:?}"),
            None => return Err("the agent stopped".into()),
        }
    }
    println!("agent: answered over TLS");
    agent.hangup(leg).await?;
    if let Some(event) = tokio::time::timeout(wait, pbx_events.recv()).await? {
        println!("pbx: {event:?}");
    }
    println!("agent TLS: {:?}", agent.tls_stats());
    println!("pbx TLS: {:?}", pbx.tls_stats());
    agent.shutdown().await;
    pbx.shutdown().await;
    Ok(())
}
