//! An outside TLS peer: `openssl s_client` verifies our endpoint's certificate chain
//! (CA file, IP address 127.0.0.1), sends a raw OPTIONS over TLS and must print our
//! 200 back; trusting another CA, it stops at verification. openssl is required: `scripts/test.sh` installs it, and its absence fails
//! the test with that message instead of skipping it. Every wait is bounded.
#![cfg(feature = "tls")]

mod tls_common;

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use cc_sip::transport::TlsConfig;
use tls_common::{Pki, any_port, endpoint};

/// How long s_client may take to connect, send and print the answer.
const LIMIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openssl_s_client_sends_options_over_tls_and_reads_200() {
    require_openssl();
    let pki = Pki::new("test CA");
    let (sip, _events) = endpoint(TlsConfig::new().listen(any_port(), pki.server_config())).await;
    let port = sip.tls_addr().expect("a TLS listener").port();
    let ca_file = std::env::temp_dir().join(format!("cc-sip-openssl-ca-{}.pem", std::process::id()));
    std::fs::write(&ca_file, &pki.ca_pem).expect("write the CA file");

    let ca = ca_file.clone();
    let answer = tokio::task::spawn_blocking(move || s_client_options(port, &ca))
        .await
        .expect("the s_client thread");
    let _ = std::fs::remove_file(&ca_file);
    let answer = answer.unwrap_or_else(|e| panic!("{e}"));
    assert!(answer.starts_with("SIP/2.0 200 OK\r\n"), "{answer}");
    assert!(answer.contains("Via: SIP/2.0/TLS 127.0.0.1:"), "{answer}");
    assert!(answer.contains("CSeq: 7 OPTIONS"), "{answer}");
    assert!(answer.contains("Allow: "), "{answer}");
    assert_eq!(sip.tls_stats().accepted, 1);
    sip.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openssl_s_client_that_trusts_another_ca_gets_nothing() {
    require_openssl();
    let (pki, rogue) = (Pki::new("test CA"), Pki::new("rogue CA"));
    let (sip, _events) = endpoint(TlsConfig::new().listen(any_port(), pki.server_config())).await;
    let port = sip.tls_addr().expect("a TLS listener").port();
    let ca_file = std::env::temp_dir().join(format!("cc-sip-openssl-rogue-{}.pem", std::process::id()));
    std::fs::write(&ca_file, &rogue.ca_pem).expect("write the CA file");
    let ca = ca_file.clone();
    let answer = tokio::task::spawn_blocking(move || s_client_options(port, &ca))
        .await
        .expect("the s_client thread");
    let _ = std::fs::remove_file(&ca_file);
    let error = answer.expect_err("no SIP answer through a failed verification");
    assert!(error.contains("verify"), "{error}");
    assert_eq!(sip.tls_stats().accepted, 0);
    sip.shutdown().await;
}

/// Fails the test, saying why, when the `openssl` command cannot run.
fn require_openssl() {
    let version = Command::new("openssl").arg("version").output();
    assert!(
        version.as_ref().is_ok_and(|o| o.status.success()),
        "this test needs the `openssl` command (Debian package `openssl`, installed by \
         scripts/test.sh): {version:?}"
    );
}

/// Runs `openssl s_client` against 127.0.0.1:`port`, writes an OPTIONS, and returns
/// what it printed up to the end of the first response's header; the process is killed
/// afterwards, whatever happened.
fn s_client_options(port: u16, ca_file: &std::path::Path) -> Result<String, String> {
    let mut child = Command::new("openssl")
        .args([
            "s_client",
            "-quiet",
            "-verify_return_error",
            "-verify_ip",
            "127.0.0.1",
        ])
        .arg("-CAfile")
        .arg(ca_file)
        .arg("-connect")
        .arg(format!("127.0.0.1:{port}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start openssl s_client: {e}"))?;
    let options = format!(
        "OPTIONS sip:cc@127.0.0.1:{port};transport=tls SIP/2.0\r\n\
         Via: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bKopenssl7\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:openssl@127.0.0.1>;tag=o7\r\n\
         To: <sip:cc@127.0.0.1>\r\n\
         Call-ID: openssl-7@127.0.0.1\r\n\
         CSeq: 7 OPTIONS\r\n\
         Content-Length: 0\r\n\r\n"
    );
    // Stdin stays open (s_client would end the connection on its end) until the kill.
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let written = stdin.write_all(options.as_bytes()).and_then(|()| stdin.flush());
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut chunk = [0_u8; 1024];
        while let Ok(n) = stdout.read(&mut chunk) {
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&chunk[..n]);
            if seen.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
        let _ = tx.send(String::from_utf8_lossy(&seen).into_owned());
    });
    let answer = rx.recv_timeout(LIMIT);
    let _ = child.kill();
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    let _ = child.wait();
    drop(stdin);
    written.map_err(|e| format!("cannot write to s_client: {e}; stderr: {stderr}"))?;
    match answer {
        Ok(text) if !text.is_empty() => Ok(text),
        Ok(_) => Err(format!("s_client printed nothing; stderr: {stderr}")),
        Err(_) => Err(format!("no answer within {LIMIT:?}; stderr: {stderr}")),
    }
}
