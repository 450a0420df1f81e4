//! RTCP (RFC 3550 §6): sender and receiver reports, source descriptions and goodbyes, read
//! in place from compound packets and written into caller buffers.
//!
//! One file per packet type, as in str0m: [`sr`], [`rr`] (with the [`ReportBlock`] both
//! reports carry), [`sdes`], [`bye`]; [`header`] holds the common header and [`compound`] the
//! parser that walks a compound packet. Other packet types (APP, feedback, XR) come out as
//! [`RtcpPacket::Other`] with their body, so a receiver can skip them.
//!
//! **Own code, not the `rtcp` crate.** webrtc-rs's `rtcp` parses into boxed trait objects
//! (`Vec<Box<dyn Packet>>`) over `bytes::Bytes`, so every report allocates, and it brings
//! `webrtc-util` along; we need four packet types read without copying on the media path,
//! which is a few hundred lines. The receive statistics that fill report blocks are in
//! [`crate::stats`].
//!
//! Parsing never panics: every length is checked against the buffer and refusals are
//! [`RtcpError`]s. Compound packets are checked as RFC 3550 §6.4.1 and A.2 ask (version 2,
//! lengths that add up to the datagram, padding only on the last packet) except that the
//! first packet need not be a report, so reduced-size RTCP (RFC 5506) is read too.

pub mod bye;
pub mod compound;
pub mod error;
pub mod header;
pub mod rr;
pub mod sdes;
pub mod sr;

pub use bye::Bye;
pub use compound::{Compound, RtcpPacket};
pub use error::RtcpError;
pub use header::RtcpHeader;
pub use rr::{ReceiverReport, ReportBlock, ReportBlockIter, ReportBlocks};
pub use sdes::{Sdes, SdesChunk, SdesItemIter, SdesItems};
pub use sr::{SenderInfo, SenderReport};
