//! Personal data in logs.
//!
//! Caller numbers and names are personal data. [`Pii`] wraps such a value so that its
//! `Debug` and `Display` forms (what ends up in logs and panic messages) are masked,
//! while serialization (records, APIs) and `Deref` give the real value to code that
//! needs it.

use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

/// A value whose `Debug`/`Display` output is masked: all but its last four characters
/// become `*` (`+8613800138000` → `**********8000`), so operators can still tell calls
/// apart without logs holding full numbers.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Pii<T>(pub T);

impl<T> Pii<T> {
    /// Wraps a value.
    pub const fn new(value: T) -> Self {
        Self(value)
    }

    /// Unwraps the value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Pii<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> From<T> for Pii<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

/// Writes `text` with all but its last four characters replaced by `*`.
fn write_masked(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    let count = text.chars().count();
    let keep = if count > 8 { 4 } else { 0 };
    for (i, c) in text.chars().enumerate() {
        if i + keep < count {
            f.write_str("*")?;
        } else {
            write!(f, "{c}")?;
        }
    }
    Ok(())
}

impl<T: fmt::Display> fmt::Display for Pii<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_masked(f, &self.0.to_string())
    }
}

impl<T: fmt::Display> fmt::Debug for Pii<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pii(")?;
        write_masked(f, &self.0.to_string())?;
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_all_but_the_last_four_characters() {
        let number = Pii::new("+8613800138000");
        assert_eq!(number.to_string(), "**********8000");
        assert_eq!(format!("{number:?}"), "Pii(**********8000)");
        assert_eq!(Pii::new("1234").to_string(), "****");
        assert_eq!(*number, "+8613800138000");
        assert_eq!(serde_json::to_string(&number).unwrap(), "\"+8613800138000\"");
    }
}
