//! Media channels and call direction.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The medium of a contact. Agents have a capacity per channel (e.g. one voice call, or
/// three chats), so routing keys on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Channel {
    /// A live phone call (inbound or outbound).
    Voice,
    /// A queued callback: the center calls the customer back when an agent is free.
    Callback,
    /// Web or app chat.
    Chat,
    /// Email.
    Email,
    /// SMS / text messages.
    Sms,
    /// Fax.
    Fax,
    /// Video call.
    Video,
    /// A social-media or messaging-app conversation (WeChat, WhatsApp...).
    Social,
}

impl Channel {
    /// Every channel, in declaration order (stable: usable as an array index).
    pub const ALL: [Channel; 8] = [
        Channel::Voice,
        Channel::Callback,
        Channel::Chat,
        Channel::Email,
        Channel::Sms,
        Channel::Fax,
        Channel::Video,
        Channel::Social,
    ];

    /// The lower-case name used in configuration and JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            Channel::Voice => "voice",
            Channel::Callback => "callback",
            Channel::Chat => "chat",
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Fax => "fax",
            Channel::Video => "video",
            Channel::Social => "social",
        }
    }

    /// A dense index (position in [`Channel::ALL`]).
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Whether the channel holds a live, real-time session (an agent cannot do two at once
    /// unless configured).
    pub const fn is_real_time(self) -> bool {
        matches!(self, Channel::Voice | Channel::Callback | Channel::Video)
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Channel {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Channel::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                Error::invalid_value(
                    "channel",
                    s,
                    "expected one of voice, callback, chat, email, sms, fax, video, social",
                )
            })
    }
}

/// Which way a contact goes, seen from the center.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// A customer reached the center.
    Inbound,
    /// The center reached out (campaigns, callbacks, agent dialling out).
    Outbound,
    /// Between parties of the center (agent to agent, consult calls).
    Internal,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
            Direction::Internal => "internal",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_round_trip_through_text_and_index() {
        for (i, c) in Channel::ALL.into_iter().enumerate() {
            assert_eq!(c.index(), i);
            assert_eq!(c.to_string().parse::<Channel>().unwrap(), c);
            assert_eq!(serde_json::to_string(&c).unwrap(), format!("\"{c}\""));
        }
        let err = "pigeon".parse::<Channel>().unwrap_err().to_string();
        assert!(err.contains("\"pigeon\"") && err.contains("voice"), "{err}");
    }
}
