//! A B2BUA ([`B2bua`] over an [`Endpoint`] and [`transport::relay`]) on a tokio runtime
//! in a thread, for the SIPp tests that go through one.

use std::net::SocketAddr;
use std::sync::mpsc as std_mpsc;
use std::thread;
use std::time::Duration;

use cc_sip::b2bua::{B2bua, B2buaStats};
use cc_sip::transport::{self, Endpoint, EndpointConfig};
use cc_sip::ua::{Transport, UaStats};
use tokio::sync::oneshot;

/// A B2BUA running on its own thread until stopped.
pub(crate) struct Relay {
    /// Where the B2BUA listens.
    pub(crate) addr: SocketAddr,
    stop: oneshot::Sender<()>,
    thread: thread::JoinHandle<(B2buaStats, UaStats)>,
}

impl Relay {
    /// Binds on 127.0.0.1 (UDP, and TCP when `tcp`) and relays every call to `target`.
    pub(crate) fn start(tcp: bool, target: SocketAddr, transport: Transport) -> Self {
        let (addr_tx, addr_rx) = std_mpsc::channel();
        let (stop, stop_rx) = oneshot::channel::<()>();
        let thread = thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let mut config = EndpointConfig::new("127.0.0.1:0".parse().expect("address"));
                if tcp {
                    config = config.with_tcp();
                }
                let (handle, mut events) = Endpoint::bind(config).await.expect("bind");
                addr_tx.send(handle.local_addr()).expect("address sent");
                let mut b2b = B2bua::new();
                tokio::select! {
                    result = transport::relay(&handle, &mut events, &mut b2b, target, transport) => {
                        result.expect("relay");
                    }
                    _ = stop_rx => {}
                }
                let stats = handle.stats().await.expect("stats");
                handle.shutdown().await;
                (b2b.stats(), stats)
            })
        });
        let addr = addr_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the B2BUA binds");
        Self { addr, stop, thread }
    }

    /// Stops the B2BUA; returns its counters and the agent's.
    pub(crate) fn stop(self) -> (B2buaStats, UaStats) {
        let _ = self.stop.send(());
        self.thread.join().expect("B2BUA thread")
    }
}
