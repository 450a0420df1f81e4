//! SDP (RFC 8866, formerly 4566) and the offer/answer model (RFC 3264).
//!
//! - `data`: the owned types of a description and their `Display` (CRLF lines in
//!   RFC 8866 order): [`SessionDescription`], [`MediaDescription`], [`Attribute`]
//!   (typed `rtpmap`, `fmtp`, `ptime`, `maxptime`, directions, `rtcp`, `rtcp-mux`, `mid`;
//!   anything else verbatim), [`Direction`];
//! - `parser`: [`parse`] / [`parse_with`] under [`SdpLimits`], CRLF or LF line ends,
//!   errors naming the line number, its text and what was expected ([`SdpError`]);
//! - `negotiate`: [`SdpSession`] answers offers from [`LocalMedia`], makes offers and
//!   hold/resume re-offers with versioned origins; [`negotiated_from_answer`] reads the
//!   remote answer to our offer. Both yield a [`NegotiatedMedia`].
//!
//! [`SdpOffer`] and [`SdpAnswer`] wrap a description so that the two roles cannot be
//! swapped by mistake.
//!
//! ```
//! use cc_sip::sdp::{Direction, LocalMedia, SdpOffer, SdpSession};
//!
//! let offer = SdpOffer::parse(
//!     b"v=0\r\no=- 1 1 IN IP4 203.0.113.10\r\ns=-\r\nc=IN IP4 203.0.113.10\r\nt=0 0\r\n\
//!       m=audio 40000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n",
//! )?;
//! let local = LocalMedia::new("198.51.100.20".parse().unwrap(), 30000);
//! let mut session = SdpSession::new(7, local.address);
//! let (answer, media) = session.answer(&offer, &local)?;
//! assert_eq!(media.codec.name, "PCMU");
//! assert_eq!(media.telephone_event, Some(101));
//! assert_eq!(media.direction, Direction::RecvOnly);
//! assert_eq!(media.remote_rtp, "203.0.113.10:40000".parse().ok());
//! assert!(answer.to_string().contains("m=audio 30000 RTP/AVP 0 101\r\n"));
//! # Ok::<(), cc_sip::sdp::SdpError>(())
//! ```

mod data;
mod error;
mod negotiate;
mod parser;

use std::fmt;

pub use data::{
    Attribute, Bandwidth, Connection, Direction, MediaDescription, Origin, Rtcp, RtpMap, SessionDescription,
    Timing,
};
pub use error::SdpError;
pub use negotiate::{
    Codec, DEFAULT_PTIME, LocalMedia, NegotiatedCodec, NegotiatedMedia, SdpSession, negotiated_from_answer,
};
pub use parser::{SdpLimits, parse, parse_with};

impl SessionDescription {
    /// Parses a description with the default [`SdpLimits`] (same as [`parse`]).
    pub fn parse(input: &[u8]) -> Result<Self, SdpError> {
        parse(input)
    }
}

macro_rules! role {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(pub SessionDescription);

        impl $name {
            /// Parses one with the default [`SdpLimits`].
            pub fn parse(input: &[u8]) -> Result<Self, SdpError> {
                parse(input).map(Self)
            }

            /// The description.
            pub fn as_sdp(&self) -> &SessionDescription {
                &self.0
            }

            /// The description, unwrapped.
            pub fn into_inner(self) -> SessionDescription {
                self.0
            }
        }

        impl From<SessionDescription> for $name {
            fn from(sdp: SessionDescription) -> Self {
                Self(sdp)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

role!(
    /// A session description sent or received as an offer.
    SdpOffer
);
role!(
    /// A session description sent or received as an answer.
    SdpAnswer
);
