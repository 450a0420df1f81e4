//! RTP (RFC 3550 §5): a zero-copy packet view, packet building and sequence-number
//! extension.
//!
//! - [`packet`]: [`RtpPacket`], a view of a received packet that has been checked once
//!   (version, CSRC list, header extension, padding), and [`RtpHeader::write`], which builds
//!   a packet into a caller's buffer;
//! - [`seq`]: [`SeqExtender`], which turns 16-bit sequence numbers into a 64-bit count that
//!   survives the wrap at 65535 and reordering around it;
//! - [`error`]: [`RtpError`], why a packet was refused.
//!
//! Parsing and building go through the `rtp-rs` crate, wrapped so that every refusal is a
//! typed [`RtpError`] naming the offending field and so that no `rtp-rs` call that can panic
//! is reachable: its `RtpPacketBuilder::set_csrc` panics on more than 15 CSRCs, so
//! [`RtpHeader::write`] checks the count first, and `rtp-rs`'s `Seq` ordering is not
//! transitive, so sequence arithmetic lives in [`SeqExtender`].

pub mod error;
pub mod packet;
pub mod seq;

pub use error::{RtpError, RtpErrorCounts};
pub use packet::{RtpHeader, RtpPacket};
pub use seq::SeqExtender;
