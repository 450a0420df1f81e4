//! The one error type of cc-core.
//!
//! Every message names the offending value (in `{:?}` form, so control characters show)
//! and says what would have been accepted instead.

use crate::trunk::TrunkError;

/// What went wrong in cc-core: bad input when parsing or validating vocabulary values,
/// or a failure reported through a [`Trunk`](crate::Trunk).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An identifier broke its rules (empty, too long, or a character not allowed).
    #[error("invalid {kind} {value:?}: {reason}")]
    InvalidId {
        /// Which kind of id, e.g. `agent id`.
        kind: &'static str,
        /// The rejected input (truncated to 80 characters).
        value: String,
        /// Why it was rejected and what is allowed.
        reason: String,
    },
    /// A phone number is not E.164 (or could not be normalized to it).
    #[error("invalid phone number {value:?}: {reason}")]
    InvalidPhoneNumber {
        /// The rejected input (truncated to 80 characters).
        value: String,
        /// Why it was rejected and what is allowed.
        reason: String,
    },
    /// A SIP or SIPS URI is malformed.
    #[error("invalid SIP URI {value:?}: {reason}")]
    InvalidSipUri {
        /// The rejected input (truncated to 80 characters).
        value: String,
        /// Why it was rejected and what is allowed.
        reason: String,
    },
    /// A value of another vocabulary type (language tag, DTMF digit, channel name, ...) is
    /// malformed.
    #[error("invalid {kind} {value:?}: {reason}")]
    InvalidValue {
        /// Which kind of value, e.g. `language tag`.
        kind: &'static str,
        /// The rejected input (truncated to 80 characters).
        value: String,
        /// Why it was rejected and what is allowed.
        reason: String,
    },
    /// A trunk operation failed.
    #[error(transparent)]
    Trunk(#[from] TrunkError),
}

/// Shorthand for results whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Longest excerpt of a rejected input kept in an error, in characters: enough to
/// recognise it, not enough to turn an error into a memory amplifier.
const MAX_EXCERPT_CHARS: usize = 80;

/// Copies at most [`MAX_EXCERPT_CHARS`] characters of `input` for an error message.
pub(crate) fn excerpt(input: &str) -> String {
    match input.char_indices().nth(MAX_EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &input[..cut]),
        None => input.to_owned(),
    }
}

impl Error {
    pub(crate) fn invalid_value(kind: &'static str, value: &str, reason: impl Into<String>) -> Self {
        Error::InvalidValue {
            kind,
            value: excerpt(value),
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_keeps_short_inputs_and_cuts_long_ones_on_char_boundaries() {
        assert_eq!(excerpt("abc"), "abc");
        let long = "欢".repeat(200);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), MAX_EXCERPT_CHARS + 1);
        assert!(cut.ends_with('…'));
    }
}
