//! Identifier newtypes.
//!
//! External ids are the strings users configure (`agent 1001`, queue `sales-cn`, tenant
//! `acme`). They are validated once, on creation, and cheap to clone afterwards (an
//! `Arc<str>` inside). Hot paths translate them to dense indices with
//! [`Interner`](crate::Interner).
//!
//! Rules, which every constructor, `FromStr` and serde deserialization enforce:
//! - most ids: 1 to 64 bytes of ASCII letters, digits and `- _ . : @ +`
//!   (so `lang:yue`, `sales.vip`, `1001@acme` and `+8610` are all fine);
//! - [`CallId`]: 1 to 256 bytes of the characters RFC 3261 allows in a SIP Call-ID
//!   (`word ["@" word]`), because call ids come from carriers.

use std::borrow::Borrow;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, excerpt};

/// Which characters and lengths an id kind accepts.
#[derive(Debug, Clone, Copy)]
struct IdRule {
    kind: &'static str,
    max_len: usize,
    allowed: fn(u8) -> bool,
    allowed_text: &'static str,
}

fn name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'@' | b'+')
}

/// RFC 3261 `word` characters plus `@`, which separates the two words of a Call-ID.
fn call_id_char(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'!'
                | b'%'
                | b'*'
                | b'_'
                | b'+'
                | b'`'
                | b'\''
                | b'~'
                | b'('
                | b')'
                | b'<'
                | b'>'
                | b':'
                | b'\\'
                | b'"'
                | b'/'
                | b'['
                | b']'
                | b'?'
                | b'{'
                | b'}'
                | b'@'
        )
}

const NAME_CHARS: &str = "ASCII letters, digits and - _ . : @ +";
const CALL_ID_CHARS: &str = "ASCII letters, digits and the RFC 3261 word characters - . ! % * _ + ` ' ~ ( ) < > : \\ \" / [ ] ? { } @";

impl IdRule {
    fn check(&self, value: &str) -> Result<(), Error> {
        let fail = |reason: String| Error::InvalidId {
            kind: self.kind,
            value: excerpt(value),
            reason,
        };
        if value.is_empty() {
            return Err(fail(format!(
                "it is empty; use 1 to {} characters of {}",
                self.max_len, self.allowed_text
            )));
        }
        if value.len() > self.max_len {
            return Err(fail(format!(
                "it is {} bytes long; at most {} are allowed",
                value.len(),
                self.max_len
            )));
        }
        if let Some((at, ch)) = value
            .char_indices()
            .find(|&(_, c)| !c.is_ascii() || !(self.allowed)(c as u8))
        {
            return Err(fail(format!(
                "character {ch:?} at byte {at} is not allowed; use {}",
                self.allowed_text
            )));
        }
        Ok(())
    }
}

macro_rules! define_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $max:expr, $allowed:path, $allowed_text:path) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Arc<str>);

        impl $name {
            const RULE: IdRule = IdRule {
                kind: $kind,
                max_len: $max,
                allowed: $allowed,
                allowed_text: $allowed_text,
            };

            /// Validates `value` and makes an id of it.
            pub fn new(value: impl AsRef<str>) -> Result<Self, Error> {
                let value = value.as_ref();
                Self::RULE.check(value)?;
                Ok(Self(Arc::from(value)))
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), &*self.0)
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                Self::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = Error;
            fn try_from(s: &str) -> Result<Self, Error> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = Error;
            fn try_from(s: String) -> Result<Self, Error> {
                Self::new(s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Self::new(&*text).map_err(serde::de::Error::custom)
            }
        }
    };
}

define_id!(
    /// A tenant: one client company served by the center (租户).
    TenantId, "tenant id", 64, name_char, NAME_CHARS
);
define_id!(
    /// An agent (seat), e.g. the employee number `1001`.
    AgentId, "agent id", 64, name_char, NAME_CHARS
);
define_id!(
    /// A queue, e.g. `sales`, `support-vip`.
    QueueId, "queue id", 64, name_char, NAME_CHARS
);
define_id!(
    /// One contact (a call, chat, email, callback...) from arrival to end.
    ContactId, "contact id", 64, name_char, NAME_CHARS
);
define_id!(
    /// A skill, e.g. `billing` or a language skill such as `lang:yue`.
    SkillId, "skill id", 64, name_char, NAME_CHARS
);
define_id!(
    /// An IVR flow.
    FlowId, "flow id", 64, name_char, NAME_CHARS
);
define_id!(
    /// A trunk: a carrier, gateway or other way to reach the outside.
    TrunkId, "trunk id", 64, name_char, NAME_CHARS
);
define_id!(
    /// A recording of (part of) a contact.
    RecordingId, "recording id", 64, name_char, NAME_CHARS
);
define_id!(
    /// One call leg, as its signalling knows it (for SIP, the Call-ID).
    CallId, "call id", 256, call_id_char, CALL_ID_CHARS
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_typical_ids() {
        for ok in ["1001", "sales-cn", "lang:yue", "1001@acme", "+8610", "a.b_c"] {
            AgentId::new(ok).unwrap();
        }
        CallId::new("a84b4c76e66710@pc33.atlanta.com").unwrap();
        CallId::new("3c26700b1e49-<abc>/[x]{y}?\"z\"").unwrap();
    }

    #[test]
    fn errors_name_the_value_and_the_rule() {
        let err = AgentId::new("ag ent").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("agent id"), "{text}");
        assert!(text.contains("\"ag ent\""), "{text}");
        assert!(text.contains("' ' at byte 2"), "{text}");
        assert!(text.contains("letters, digits"), "{text}");

        let empty = QueueId::new("").unwrap_err().to_string();
        assert!(empty.contains("empty"), "{empty}");

        let long = TenantId::new("a".repeat(65)).unwrap_err().to_string();
        assert!(long.contains("65 bytes long; at most 64"), "{long}");

        let unicode = SkillId::new("粤语").unwrap_err().to_string();
        assert!(unicode.contains("'粤' at byte 0"), "{unicode}");
    }

    #[test]
    fn serde_validates_on_the_way_in() {
        let id: AgentId = serde_json::from_str("\"1001\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"1001\"");
        let err = serde_json::from_str::<AgentId>("\"bad id\"").unwrap_err();
        assert!(err.to_string().contains("not allowed"), "{err}");
    }

    #[test]
    fn borrow_lets_maps_be_queried_by_str() {
        let mut map = std::collections::HashMap::new();
        map.insert(QueueId::new("sales").unwrap(), 1);
        assert_eq!(map.get("sales"), Some(&1));
    }

    proptest! {
        #[test]
        fn any_input_is_accepted_or_rejected_without_panicking(s in any::<String>()) {
            if let Ok(id) = AgentId::new(&s) {
                prop_assert_eq!(id.as_str(), s.as_str());
                prop_assert!(!s.is_empty() && s.len() <= 64);
            }
            let _ = CallId::new(&s);
        }

        #[test]
        fn valid_ids_round_trip_through_text(s in "[A-Za-z0-9_.:@+-]{1,64}") {
            let id: TenantId = s.parse().unwrap();
            prop_assert_eq!(id.to_string(), s);
        }
    }
}
