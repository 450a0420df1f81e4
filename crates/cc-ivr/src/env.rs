//! What a flow may refer to outside itself: queues, prompts, lists, calendars, hooks,
//! external destinations and mailboxes. The checker verifies every such name.
//!
//! Each set is optional: `None` means "not known here, do not check" (for a syntax-only
//! check), `Some(set)` means exactly these exist.

use std::collections::BTreeSet;

use serde::Deserialize;

/// The names a flow may use.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// Queues that `enqueue` and `callback` may name.
    #[serde(default)]
    pub queues: Option<BTreeSet<String>>,
    /// Prompt keys that exist (in every language the flow may select).
    #[serde(default)]
    pub prompts: Option<BTreeSet<String>>,
    /// Named number lists (blacklist, whitelist, VIP list).
    #[serde(default)]
    pub lists: Option<BTreeSet<String>>,
    /// Named business-hours calendars.
    #[serde(default)]
    pub calendars: Option<BTreeSet<String>>,
    /// Host hooks (CRM look-ups, web services).
    #[serde(default)]
    pub hooks: Option<BTreeSet<String>>,
    /// Named external destinations (outsourcing partners, branch offices).
    #[serde(default)]
    pub external: Option<BTreeSet<String>>,
    /// Voicemail boxes.
    #[serde(default)]
    pub mailboxes: Option<BTreeSet<String>>,
}

/// The kinds of outside names, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Queue,
    Prompt,
    List,
    Calendar,
    Hook,
    External,
    Mailbox,
}

impl Kind {
    pub(crate) fn noun(self) -> &'static str {
        match self {
            Kind::Queue => "queue",
            Kind::Prompt => "prompt",
            Kind::List => "list",
            Kind::Calendar => "calendar",
            Kind::Hook => "hook",
            Kind::External => "external destination",
            Kind::Mailbox => "mailbox",
        }
    }
}

impl Environment {
    /// An environment that checks nothing outside the flow.
    pub fn unchecked() -> Self {
        Self::default()
    }

    pub(crate) fn set(&self, kind: Kind) -> Option<&BTreeSet<String>> {
        match kind {
            Kind::Queue => self.queues.as_ref(),
            Kind::Prompt => self.prompts.as_ref(),
            Kind::List => self.lists.as_ref(),
            Kind::Calendar => self.calendars.as_ref(),
            Kind::Hook => self.hooks.as_ref(),
            Kind::External => self.external.as_ref(),
            Kind::Mailbox => self.mailboxes.as_ref(),
        }
    }
}

/// The known name closest to `name` (by edit distance, at most a third of its length),
/// for "did you mean" hints.
pub(crate) fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|&(d, _)| d <= limit)
        .min()
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_suggests_near_names_only() {
        let names = ["presales", "aftersales", "support"];
        assert_eq!(closest("presale", names), Some("presales"));
        assert_eq!(closest("suport", names), Some("support"));
        assert_eq!(closest("billing", names), None);
    }
}
