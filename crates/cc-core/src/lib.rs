//! # cc-core: the shared vocabulary of the contact-center SDK
//!
//! Every layer of the SDK (SIP, media, ACD, IVR, the center) speaks in these types, so
//! that none of them invents its own:
//!
//! - **ids** ([`TenantId`], [`AgentId`], [`QueueId`], [`ContactId`], [`CallId`],
//!   [`SkillId`], [`FlowId`], [`TrunkId`], [`RecordingId`]), validated on creation, and an
//!   [`Interner`] that maps them to [`Dense`] indices for hot paths;
//! - **contacts** ([`Contact`]) with their [`Channel`], [`Direction`], [`Language`],
//!   [`Priority`], [`CustomerTier`], [`SkillRequirement`]s and free [`Attributes`];
//! - **addresses** ([`PhoneNumber`] in E.164, [`SipUri`], [`Address`], [`Party`]) and
//!   [`Pii`], which keeps caller numbers out of logs;
//! - the **contact record** ([`ContactRecord`], the CDR) every layer writes into, and the
//!   numbered [`Event`] stream the center publishes;
//! - **time**: the convention that no engine reads the clock (see [`time`]);
//! - the [`Trunk`] trait, the one seam to the outside world, with [`LoopbackTrunk`];
//! - one [`Error`] enum whose messages name the bad value and what would be right.
//!
//! ```
//! use cc_core::{Address, Channel, Contact, CustomerTier, Direction, Language, Party, Priority};
//!
//! let contact = Contact::new("c-1".parse()?, "acme".parse()?, Channel::Voice, Direction::Inbound)
//!     .with_caller(Party::new(Address::parse("+8613800138000")?))
//!     .with_language(Language::new("yue")?)
//!     .with_tier(CustomerTier::Vip)
//!     .with_priority(Priority(5));
//! assert_eq!(contact.routing_skills()[0].skill.as_str(), "lang:yue");
//! // Logs never show the full number.
//! assert!(!format!("{contact:?}").contains("13800138000"));
//! # Ok::<(), cc_core::Error>(())
//! ```
//!
//! Nothing in this crate panics on input: every parser returns [`Error`].

mod address;
mod channel;
mod contact;
mod dtmf;
mod error;
mod event;
mod id;
mod interner;
mod pii;
mod record;
pub mod time;
mod trunk;

pub use address::{Address, Host, Party, PhoneNumber, SipUri};
pub use channel::{Channel, Direction};
pub use contact::{
    Attributes, Contact, CustomerTier, Language, Priority, SkillLevel, SkillRequirement, Value,
};
pub use dtmf::{DtmfDigit, parse_digits};
pub use error::{Error, Result};
pub use event::{
    AgentChange, AgentEvent, AgentStatus, ContactChange, ContactEvent, Event, EventBody, EventSequencer,
};
pub use id::{AgentId, CallId, ContactId, FlowId, QueueId, RecordingId, SkillId, TenantId, TrunkId};
pub use interner::{Dense, Interner};
pub use pii::Pii;
pub use record::{
    AbandonStage, ContactRecord, Destination, Disposition, HoldSpan, MediaQuality, Offer, OfferOutcome,
    Transfer,
};
pub use time::{Clock, ManualClock, SignedDuration, SystemClock, TimeZone, Timestamp, Zoned};
pub use trunk::{HangupCause, LoopbackTrunk, OriginateRequest, Trunk, TrunkError, TrunkEvent};

/// This crate's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
