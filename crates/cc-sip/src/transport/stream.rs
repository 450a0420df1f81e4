//! Stream connections (TCP, and TLS with the `tls` feature): the key a connection is
//! kept under, what connection tasks tell the endpoint task, the task that frames
//! messages on one connection, and the look at an outgoing message's top Via that says
//! whether it must go over TLS.

use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::Limits;
use crate::parser::framing::{Frame, frame_stream};

/// A stream connection as the endpoint keeps it: the peer and whether it runs TLS. A
/// TLS and a plain TCP connection to one address are two connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct ConnKey {
    pub(super) peer: SocketAddr,
    pub(super) tls: bool,
}

/// What connection tasks tell the endpoint task.
pub(super) enum StreamEvent {
    /// One framed message arrived.
    Message(ConnKey, Bytes),
    /// Connection number `u64` under the key has closed (or never opened).
    Closed(ConnKey, u64),
}

/// Runs one connection: reads and frames messages for the endpoint, writes (and
/// flushes) what its queue holds, answers CRLFCRLF pings with CRLF (RFC 5626 §4.4.1).
/// Ends when the peer closes, on an I/O or framing error, or when the endpoint drops
/// the queue; then reports [`StreamEvent::Closed`].
pub(super) async fn run_connection<R, W>(
    mut reader: R,
    mut writer: W,
    key: ConnKey,
    number: u64,
    mut queue: mpsc::UnboundedReceiver<Bytes>,
    events: mpsc::UnboundedSender<StreamEvent>,
    limits: Limits,
) where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
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
                            if ping && write(&mut writer, b"\r\n").await.is_err() {
                                break 'io;
                            }
                        }
                        Ok(Frame::Complete { len }) => {
                            let message = buf.split_to(len.min(buf.len())).freeze();
                            if events.send(StreamEvent::Message(key, message)).is_err() {
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
                        if write(&mut writer, &bytes).await.is_err() {
                            break 'io;
                        }
                    }
                    None => break 'io,
                }
            }
        }
    }
    // Best effort: a TLS close_notify, a TCP FIN.
    let _ = writer.shutdown().await;
    let _ = events.send(StreamEvent::Closed(key, number));
}

/// Writes `bytes` and flushes (TLS buffers records until flushed; TCP's flush is free).
async fn write<W: AsyncWrite + Unpin>(writer: &mut W, bytes: &[u8]) -> std::io::Result<()> {
    writer.write_all(bytes).await?;
    writer.flush().await
}

/// Whether the top Via of the serialized message `payload` names the transport `TLS`
/// (our requests over TLS, and responses to requests that came over TLS). Scans the
/// header lines up to the first Via without allocating; `false` when there is none.
pub(super) fn top_via_is_tls(payload: &[u8]) -> bool {
    top_via_transport(payload).is_some_and(|t| t.eq_ignore_ascii_case(b"TLS"))
}

/// The transport token of the first Via header line of `payload`, as written.
fn top_via_transport(payload: &[u8]) -> Option<&[u8]> {
    let head_end = memchr::memmem::find(payload, b"\r\n\r\n").unwrap_or(payload.len());
    let head = payload.get(..head_end)?;
    // Skip the start line; each further line is `name: value`.
    let mut lines = head.split(|&b| b == b'\n').skip(1);
    let value = lines.find_map(|line| {
        let colon = memchr::memchr(b':', line)?;
        let name = line.get(..colon)?.trim_ascii();
        (name.eq_ignore_ascii_case(b"via") || name.eq_ignore_ascii_case(b"v"))
            .then(|| line.get(colon + 1..))?
    })?;
    // SIP / 2.0 / TLS host...: the third slash-separated part, up to white space.
    let mut parts = value.splitn(3, |&b| b == b'/');
    let transport = parts.nth(2)?.trim_ascii_start();
    let end = transport
        .iter()
        .position(|b| b.is_ascii_whitespace() || *b == b';')
        .unwrap_or(transport.len());
    transport.get(..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_top_via_transport_is_read_in_every_form() {
        let cases: [(&[u8], Option<&[u8]>); 6] = [
            (
                b"INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/TLS 192.0.2.1:5061;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP x\r\n\r\n",
                Some(b"TLS"),
            ),
            (
                b"SIP/2.0 200 OK\r\nFrom: <sip:a@h>\r\nv: SIP / 2.0 / tls h;branch=z\r\n\r\n",
                Some(b"tls"),
            ),
            (b"SIP/2.0 200 OK\r\nvia:SIP/2.0/TCP h\r\n\r\n", Some(b"TCP")),
            (b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n", None),
            (b"garbage", None),
            // A Via in the body is not a header.
            (b"SIP/2.0 200 OK\r\nl: 20\r\n\r\nVia: SIP/2.0/TLS h\r\n", None),
        ];
        for (payload, want) in cases {
            assert_eq!(
                top_via_transport(payload),
                want,
                "{}",
                String::from_utf8_lossy(payload)
            );
        }
        assert!(top_via_is_tls(
            b"BYE sip:b@h SIP/2.0\r\nVia: SIP/2.0/TLS h\r\n\r\n"
        ));
        assert!(!top_via_is_tls(
            b"BYE sip:b@h SIP/2.0\r\nVia: SIP/2.0/TCP h\r\n\r\n"
        ));
    }
}
