//! The contact: one customer interaction as every layer sees it, with the routing
//! vocabulary (language, priority, customer tier, skill requirements, free attributes)
//! that the IVR fills in and the ACD consumes.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::address::Party;
use crate::channel::{Channel, Direction};
use crate::error::Error;
use crate::id::{AgentId, ContactId, SkillId, TenantId};
use crate::pii::Pii;

/// A language tag in the shape of BCP 47 (`zh`, `yue`, `en-US`, `zh-Hans-CN`), normalized
/// to the usual case: language lower, script title, region upper.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Language(Box<str>);

impl Language {
    /// Longest accepted tag (RFC 5646 §4.4.1 asks for at least 35 characters of room).
    pub const MAX_LEN: usize = 35;

    /// Validates and normalizes a tag: a 2–8 letter primary subtag, then up to seven
    /// subtags of 1–8 letters or digits, separated by `-` (or `_`, normalized to `-`).
    pub fn new(tag: &str) -> Result<Self, Error> {
        let fail = |reason: &str| Error::invalid_value("language tag", tag, reason);
        if tag.len() > Self::MAX_LEN {
            return Err(fail(
                "it is longer than 35 characters, the longest tag BCP 47 asks software to keep",
            ));
        }
        let mut out = String::with_capacity(tag.len());
        for (i, sub) in tag.split(['-', '_']).enumerate() {
            if i >= 8 {
                return Err(fail("it has more than 8 subtags"));
            }
            if sub.is_empty() || sub.len() > 8 || !sub.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(fail(
                    "each subtag must be 1 to 8 ASCII letters or digits, e.g. zh, yue, en-US, zh-Hans-CN",
                ));
            }
            if i == 0 {
                if sub.len() < 2 || !sub.bytes().all(|b| b.is_ascii_alphabetic()) {
                    return Err(fail(
                        "the primary language subtag must be 2 to 8 letters, e.g. zh or yue",
                    ));
                }
                out.push_str(&sub.to_ascii_lowercase());
                continue;
            }
            out.push('-');
            let alpha = sub.bytes().all(|b| b.is_ascii_alphabetic());
            match sub.len() {
                2 if alpha => out.push_str(&sub.to_ascii_uppercase()),
                4 if alpha => {
                    out.push_str(&sub[..1].to_ascii_uppercase());
                    out.push_str(&sub[1..].to_ascii_lowercase());
                }
                _ => out.push_str(&sub.to_ascii_lowercase()),
            }
        }
        Ok(Self(out.into_boxed_str()))
    }

    /// The normalized tag.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The primary language subtag (`zh` of `zh-Hans-CN`).
    pub fn primary(&self) -> &str {
        self.0.split('-').next().unwrap_or(&self.0)
    }

    /// The routing skill for this language, `lang:<tag>`: languages are skills, so an
    /// agent who speaks Cantonese has the skill `lang:yue`.
    pub fn skill(&self) -> SkillId {
        // A tag is at most 35 letters, digits and '-', so "lang:" + tag is a valid id.
        SkillId::new(format!("lang:{}", self.0))
            .unwrap_or_else(|_| unreachable!("a validated language tag always makes a valid skill id"))
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Language({})", self.0)
    }
}

impl FromStr for Language {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::new(s)
    }
}

impl Serialize for Language {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Language {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::new(&text).map_err(serde::de::Error::custom)
    }
}

/// Routing priority: higher is served first. `0` is normal; VIP flows typically use 5–10.
/// Priority aging adds to it while a contact waits, saturating at 255.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Priority(pub u8);

impl Priority {
    /// The default priority.
    pub const NORMAL: Priority = Priority(0);

    /// This priority raised by `steps`, saturating at the maximum.
    pub const fn raised(self, steps: u8) -> Priority {
        Priority(self.0.saturating_add(steps))
    }
}

/// The customer's tier, as the CRM or a VIP list says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerTier {
    /// An ordinary customer.
    #[default]
    Standard,
    /// A preferred customer (e.g. gold members).
    Preferred,
    /// A very important customer.
    Vip,
}

impl FromStr for CustomerTier {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.to_ascii_lowercase().as_str() {
            "standard" => Ok(CustomerTier::Standard),
            "preferred" => Ok(CustomerTier::Preferred),
            "vip" => Ok(CustomerTier::Vip),
            _ => Err(Error::invalid_value(
                "customer tier",
                s,
                "expected standard, preferred or vip",
            )),
        }
    }
}

/// A skill level from 1 (novice) to 10 (expert).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct SkillLevel(u8);

impl SkillLevel {
    /// The lowest level, 1.
    pub const MIN: SkillLevel = SkillLevel(1);
    /// The highest level, 10.
    pub const MAX: SkillLevel = SkillLevel(10);

    /// Validates a level in 1..=10.
    pub fn new(level: u8) -> Result<Self, Error> {
        if (1..=10).contains(&level) {
            Ok(Self(level))
        } else {
            Err(Error::invalid_value(
                "skill level",
                &level.to_string(),
                "levels run from 1 (novice) to 10 (expert)",
            ))
        }
    }

    /// The level as a number.
    pub const fn get(self) -> u8 {
        self.0
    }
}

impl<'de> Deserialize<'de> for SkillLevel {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let level = u8::deserialize(deserializer)?;
        Self::new(level).map_err(serde::de::Error::custom)
    }
}

/// A contact's need for a skill at or above a level.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SkillRequirement {
    /// The skill needed.
    pub skill: SkillId,
    /// The lowest acceptable level.
    pub min_level: SkillLevel,
}

/// A value collected by the IVR or looked up in a CRM.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// A yes/no value.
    Bool(bool),
    /// A whole number.
    Number(i64),
    /// Text (also numbers that are identifiers, such as account numbers).
    Text(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{n}"),
            Value::Text(t) => f.write_str(t),
        }
    }
}

/// Free attributes of a contact, ordered by name so records print deterministically.
pub type Attributes = BTreeMap<String, Value>;

/// One customer interaction (a call, chat, email, callback...) from arrival to end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    /// The contact's id.
    pub id: ContactId,
    /// The tenant the contact belongs to.
    pub tenant: TenantId,
    /// Its channel.
    pub channel: Channel,
    /// Its direction.
    pub direction: Direction,
    /// Who called (or wrote); `None` when withheld.
    #[serde(default)]
    pub caller: Option<Pii<Party>>,
    /// The number or address that was called (the access number, DID).
    #[serde(default)]
    pub called: Option<Pii<Party>>,
    /// The language chosen or known for the customer.
    #[serde(default)]
    pub language: Option<Language>,
    /// Routing priority.
    #[serde(default)]
    pub priority: Priority,
    /// Customer tier.
    #[serde(default)]
    pub tier: CustomerTier,
    /// Skills an agent needs to serve this contact.
    #[serde(default)]
    pub skills: Vec<SkillRequirement>,
    /// An agent to prefer (the last agent who served the customer, or the account owner).
    #[serde(default)]
    pub preferred_agent: Option<AgentId>,
    /// Free attributes from the IVR or the CRM.
    #[serde(default)]
    pub attributes: Attributes,
}

impl Contact {
    /// A contact with normal priority, standard tier and nothing else known yet.
    pub fn new(id: ContactId, tenant: TenantId, channel: Channel, direction: Direction) -> Self {
        Self {
            id,
            tenant,
            channel,
            direction,
            caller: None,
            called: None,
            language: None,
            priority: Priority::NORMAL,
            tier: CustomerTier::Standard,
            skills: Vec::new(),
            preferred_agent: None,
            attributes: Attributes::new(),
        }
    }

    /// Sets the caller.
    pub fn with_caller(mut self, caller: Party) -> Self {
        self.caller = Some(Pii::new(caller));
        self
    }

    /// Sets the called party.
    pub fn with_called(mut self, called: Party) -> Self {
        self.called = Some(Pii::new(called));
        self
    }

    /// Sets the language.
    pub fn with_language(mut self, language: Language) -> Self {
        self.language = Some(language);
        self
    }

    /// Sets the priority.
    pub fn with_priority(mut self, priority: Priority) -> Self {
        self.priority = priority;
        self
    }

    /// Sets the customer tier.
    pub fn with_tier(mut self, tier: CustomerTier) -> Self {
        self.tier = tier;
        self
    }

    /// Adds a required skill.
    pub fn with_skill(mut self, skill: SkillId, min_level: SkillLevel) -> Self {
        self.skills.push(SkillRequirement { skill, min_level });
        self
    }

    /// Sets a free attribute.
    pub fn with_attribute(mut self, name: impl Into<String>, value: Value) -> Self {
        self.attributes.insert(name.into(), value);
        self
    }

    /// Every skill the contact needs, including the language skill (`lang:<tag>`, any
    /// level) when a language is set and not already listed.
    pub fn routing_skills(&self) -> Vec<SkillRequirement> {
        let mut skills = self.skills.clone();
        if let Some(lang) = &self.language {
            let skill = lang.skill();
            if !skills.iter().any(|s| s.skill == skill) {
                skills.push(SkillRequirement {
                    skill,
                    min_level: SkillLevel::MIN,
                });
            }
        }
        skills
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Address;
    use proptest::prelude::*;

    #[test]
    fn language_tags_normalize() {
        assert_eq!(Language::new("zh_hans_cn").unwrap().as_str(), "zh-Hans-CN");
        assert_eq!(Language::new("EN-us").unwrap().as_str(), "en-US");
        assert_eq!(Language::new("yue").unwrap().skill().as_str(), "lang:yue");
        assert_eq!(Language::new("zh-Hans-CN").unwrap().primary(), "zh");
        for bad in ["", "z", "1a", "zh--CN", "zh-toolongsubtag", "中文"] {
            let err = Language::new(bad).unwrap_err().to_string();
            assert!(err.contains("language tag"), "{bad}: {err}");
        }
    }

    #[test]
    fn skill_levels_are_bounded() {
        assert!(SkillLevel::new(0).is_err());
        assert!(
            SkillLevel::new(11)
                .unwrap_err()
                .to_string()
                .contains("1 (novice) to 10")
        );
        assert_eq!(SkillLevel::new(7).unwrap().get(), 7);
        assert!(serde_json::from_str::<SkillLevel>("12").is_err());
    }

    #[test]
    fn contact_serializes_and_masks_the_caller_in_debug() {
        let caller = Party::new(Address::parse("+8613800138000").unwrap());
        let contact = Contact::new(
            "c-1".parse().unwrap(),
            "acme".parse().unwrap(),
            Channel::Voice,
            Direction::Inbound,
        )
        .with_caller(caller)
        .with_language(Language::new("yue").unwrap())
        .with_tier(CustomerTier::Vip)
        .with_priority(Priority(5))
        .with_skill("billing".parse().unwrap(), SkillLevel::new(5).unwrap())
        .with_attribute("account", Value::Text("00123".into()))
        .with_attribute("verified", Value::Bool(true));

        let debug = format!("{contact:?}");
        assert!(!debug.contains("13800138000"), "{debug}");
        let json = serde_json::to_string(&contact).unwrap();
        assert!(json.contains("+8613800138000"), "{json}");
        let back: Contact = serde_json::from_str(&json).unwrap();
        assert_eq!(back, contact);
        let skills = contact.routing_skills();
        assert_eq!(skills.len(), 2);
        assert_eq!(skills[1].skill.as_str(), "lang:yue");
    }

    proptest! {
        #[test]
        fn language_parser_never_panics(s in any::<String>()) {
            if let Ok(lang) = Language::new(&s) {
                prop_assert_eq!(Language::new(lang.as_str()).unwrap(), lang.clone());
                let _ = lang.skill();
            }
        }
    }
}
