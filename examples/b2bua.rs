//! A back-to-back user agent: every call from any caller is relayed to one target as a
//! second dialog, SDP passed through unchanged. Ringing, answer, failure codes, BYE,
//! CANCEL, re-INVITE (hold) and INFO DTMF are carried across by `ccsdk::sip::b2bua`.
//!
//! ```text
//! cargo run --release --example b2bua -- --listen 127.0.0.1:5060 --target 127.0.0.1:5070
//! ```
//!
//! It prints one line when it starts and its counters when it gets SIGINT or SIGTERM.
//! Nothing is printed per call, so it can carry high call rates.

use std::net::SocketAddr;
use std::process::ExitCode;

use ccsdk::sip::b2bua::B2bua;
use ccsdk::sip::transport::{self, Endpoint, EndpointConfig};
use ccsdk::sip::ua::Transport;
use clap::{Parser, ValueEnum};

/// Relays every SIP call it receives to one target, as two dialogs.
#[derive(Debug, Parser)]
#[command(name = "b2bua", version, about, long_about = None)]
struct Args {
    /// Address to listen on (UDP, and TCP with --tcp).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:5060")]
    listen: SocketAddr,

    /// Where every call is relayed.
    #[arg(long, value_name = "ADDR")]
    target: SocketAddr,

    /// Also accept calls over TCP on the listening port.
    #[arg(long)]
    tcp: bool,

    /// Transport of the relayed (outbound) calls.
    #[arg(long, value_enum, default_value_t = TransportArg::Udp)]
    target_transport: TransportArg,

    /// Most live SIP transactions. Each call keeps about four for 32 s after it ends
    /// (RFC 3261 timers J, K, L and M absorb late retransmissions), so this bounds the
    /// sustained call rate: 2,000,000 allows about 15,000 calls/s.
    #[arg(long, value_name = "N", default_value_t = 2_000_000)]
    max_transactions: usize,

    /// Worker threads of the runtime (1: a single-threaded runtime).
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TransportArg {
    /// UDP.
    Udp,
    /// TCP (one connection to the target, reused).
    Tcp,
}

/// Waits for SIGINT or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn run(args: Args) -> Result<(), ccsdk::sip::Error> {
    let mut config = EndpointConfig::new(args.listen);
    config.transaction.max_transactions = args.max_transactions;
    if args.tcp {
        config = config.with_tcp();
    }
    let (handle, mut events) = Endpoint::bind(config).await?;
    let transport = match args.target_transport {
        TransportArg::Udp => Transport::Udp,
        TransportArg::Tcp => Transport::Tcp,
    };
    println!(
        "b2bua: listening on {} ({}), relaying every call to {} over {:?}",
        handle.local_addr(),
        if args.tcp { "UDP and TCP" } else { "UDP" },
        args.target,
        transport
    );
    let mut b2b = B2bua::new();
    let outcome = tokio::select! {
        result = transport::relay(&handle, &mut events, &mut b2b, args.target, transport) => result,
        () = shutdown_signal() => Ok(()),
    };
    let b = b2b.stats();
    println!(
        "b2bua: stopped; calls bridged {}, answered {}, failed {}, cancelled {}, completed {}, in progress {}",
        b.bridged,
        b.answered,
        b.failed,
        b.cancelled,
        b.completed,
        b2b.len()
    );
    if let Ok(ua) = handle.stats().await {
        let t = ua.transactions;
        println!(
            "b2bua: sip: incoming {}, outgoing {}, 2xx retransmitted {}, messages received {}, malformed {}, \
             transactions {}, retransmissions {}, timeouts {}",
            ua.incoming_calls,
            ua.outgoing_calls,
            ua.retransmitted_2xx,
            t.received,
            t.malformed,
            t.created,
            t.retransmissions,
            t.timeouts
        );
    }
    handle.shutdown().await;
    outcome
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = if args.threads <= 1 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads)
            .enable_all()
            .build()
    };
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("b2bua: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("b2bua: {e}");
            ExitCode::FAILURE
        }
    }
}
