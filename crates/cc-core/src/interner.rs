//! Dense indices for hot paths.
//!
//! Routing and media code index arrays by small integers rather than hashing strings on
//! every decision. An [`Interner`] hands out one [`Dense`] index per distinct value, in
//! insertion order, and translates back.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::marker::PhantomData;

use crate::error::Error;

/// A dense index standing for one value of type `T` in one [`Interner`].
///
/// Indices are only meaningful for the interner that issued them; [`Interner::resolve`]
/// returns `None` for an index it never issued.
pub struct Dense<T> {
    raw: u32,
    _of: PhantomData<fn() -> T>,
}

impl<T> Dense<T> {
    /// Makes an index from its raw number (for arrays indexed alongside an interner).
    pub const fn from_raw(raw: u32) -> Self {
        Self {
            raw,
            _of: PhantomData,
        }
    }

    /// The raw number, usable as an array index.
    pub const fn raw(self) -> u32 {
        self.raw
    }

    /// The raw number as `usize`.
    pub const fn index(self) -> usize {
        self.raw as usize
    }
}

// Manual impls: deriving would demand `T: Copy` etc. although only a u32 is stored.
impl<T> Clone for Dense<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Dense<T> {}
impl<T> PartialEq for Dense<T> {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}
impl<T> Eq for Dense<T> {}
impl<T> PartialOrd for Dense<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Dense<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.raw.cmp(&other.raw)
    }
}
impl<T> Hash for Dense<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.raw.hash(state);
    }
}
impl<T> fmt::Debug for Dense<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.raw)
    }
}

/// Maps values (usually ids) to [`Dense`] indices and back.
#[derive(Debug, Clone)]
pub struct Interner<T> {
    index: HashMap<T, u32>,
    values: Vec<T>,
}

impl<T> Default for Interner<T> {
    fn default() -> Self {
        Self {
            index: HashMap::new(),
            values: Vec::new(),
        }
    }
}

impl<T: Clone + Eq + Hash> Interner<T> {
    /// An empty interner.
    pub fn new() -> Self {
        Self::default()
    }

    /// The index of `value`, issuing the next one if it is new.
    ///
    /// Fails only when 2³² values are already interned.
    pub fn intern(&mut self, value: T) -> Result<Dense<T>, Error> {
        if let Some(&raw) = self.index.get(&value) {
            return Ok(Dense::from_raw(raw));
        }
        let raw = u32::try_from(self.values.len()).map_err(|_| {
            Error::invalid_value("interned value", "", "the interner already holds 2^32 values")
        })?;
        self.index.insert(value.clone(), raw);
        self.values.push(value);
        Ok(Dense::from_raw(raw))
    }

    /// The index of `value`, if it was interned. Accepts borrowed forms (`&str` for ids).
    pub fn get<Q>(&self, value: &Q) -> Option<Dense<T>>
    where
        T: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.index.get(value).map(|&raw| Dense::from_raw(raw))
    }

    /// The value an index stands for; `None` for an index this interner never issued.
    pub fn resolve(&self, index: Dense<T>) -> Option<&T> {
        self.values.get(index.index())
    }

    /// How many distinct values are interned.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether nothing is interned yet.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Every (index, value) pair in index order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (Dense<T>, &T)> {
        self.values
            .iter()
            .enumerate()
            .map(|(i, v)| (Dense::from_raw(i as u32), v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AgentId;
    use proptest::prelude::*;

    #[test]
    fn interning_is_idempotent_and_dense() {
        let mut agents = Interner::new();
        let a = agents.intern(AgentId::new("1001").unwrap()).unwrap();
        let b = agents.intern(AgentId::new("1002").unwrap()).unwrap();
        let a2 = agents.intern(AgentId::new("1001").unwrap()).unwrap();
        assert_eq!(a, a2);
        assert_eq!((a.raw(), b.raw()), (0, 1));
        assert_eq!(agents.get("1002"), Some(b));
        assert_eq!(agents.resolve(b).map(AgentId::as_str), Some("1002"));
        assert_eq!(agents.resolve(Dense::from_raw(7)), None);
        assert_eq!(agents.len(), 2);
    }

    proptest! {
        #[test]
        fn resolve_inverts_intern(values in proptest::collection::vec("[a-z]{1,4}", 0..50)) {
            let mut interner = Interner::new();
            for v in &values {
                let idx = interner.intern(v.clone()).unwrap();
                prop_assert_eq!(interner.resolve(idx), Some(v));
            }
            let distinct: std::collections::HashSet<_> = values.iter().collect();
            prop_assert_eq!(interner.len(), distinct.len());
        }
    }
}
