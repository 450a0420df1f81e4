//! DTMF: RFC 4733 telephone-events out of band, and in-band detection in audio.
//!
//! - [`event`]: the 4-byte telephone-event payload, parsed and built;
//! - [`receiver`]: turns a stream of telephone-event packets into digits, once each;
//! - [`sender`]: the packet series that sends one digit;
//! - [`detect`]: a Goertzel detector for digits keyed in the audio itself.
//!
//! All of it is sans-IO: packets go in as values (RTP timestamp, marker bit, payload) and
//! come out as values; the media engine owns sockets, sequence numbers and clocks.

pub mod detect;
pub mod event;
pub mod receiver;
pub mod sender;

pub use detect::{DetectorConfig, DtmfDetector, ToneDetection};
pub use event::TelephoneEvent;
pub use receiver::{DigitEvent, EventReceiver, ReceiverStats};
pub use sender::{DtmfSender, OutgoingEvent};
