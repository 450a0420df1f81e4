//! A fast, non-keyed hash for maps whose keys come from configuration or are dense numbers
//! (skills, queues and agents by id; pools by dense key). Lookups there happen on every
//! routing input, where SipHash's cost shows. Maps filled from outside input (contacts by
//! id) keep the standard keyed hasher against collision flooding.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Multiply-rotate hashing of 8-byte words (the scheme of rustc's "Fx" hasher).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

const K: u64 = 0x517c_c1b7_2722_0a95;

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }
    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }
    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }
    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }
    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A map with [`FastHasher`].
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// Longest id held inline by [`InlineKey`].
const INLINE: usize = 23;

/// An id of up to 23 bytes held inline (length, then the bytes, zero-padded), so that a
/// map keyed by it hashes three words and compares keys without following a pointer to
/// the id's text (a cache miss per lookup on a large configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct InlineKey([u8; INLINE + 1]);

impl InlineKey {
    /// The key of `id`, or `None` when it is longer than 23 bytes.
    #[inline]
    pub(crate) fn new(id: &str) -> Option<Self> {
        let bytes = id.as_bytes();
        let mut key = [0u8; INLINE + 1];
        key[0] = u8::try_from(bytes.len())
            .ok()
            .filter(|&n| usize::from(n) <= INLINE)?;
        key.get_mut(1..=bytes.len())?.copy_from_slice(bytes);
        Some(Self(key))
    }
}

/// A map from id texts to values: ids of up to 23 bytes as [`InlineKey`]s, longer ones
/// boxed.
#[derive(Debug, Clone)]
pub(crate) struct IdMap<V> {
    short: FastMap<InlineKey, V>,
    long: FastMap<Box<str>, V>,
}

impl<V> Default for IdMap<V> {
    fn default() -> Self {
        Self {
            short: FastMap::default(),
            long: FastMap::default(),
        }
    }
}

impl<V> IdMap<V> {
    /// Sets the value of `id`.
    pub(crate) fn insert(&mut self, id: &str, value: V) {
        match InlineKey::new(id) {
            Some(key) => {
                self.short.insert(key, value);
            }
            None => {
                self.long.insert(id.into(), value);
            }
        }
    }

    /// The value of `id`.
    #[inline]
    pub(crate) fn get(&self, id: &str) -> Option<&V> {
        match InlineKey::new(id) {
            Some(key) => self.short.get(&key),
            None => self.long.get(id),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::hash::{BuildHasher, Hash};

    use super::*;

    fn hash<T: Hash + ?Sized>(v: &T) -> u64 {
        BuildHasherDefault::<FastHasher>::default().hash_one(v)
    }

    #[test]
    fn ids_and_their_strings_hash_alike_and_differ_from_each_other() {
        let id: cc_core::QueueId = "t1-q17".parse().unwrap();
        assert_eq!(hash(&id), hash("t1-q17"));
        assert_ne!(hash("t1-q17"), hash("t1-q18"));
        assert_ne!(
            hash("abcdefgh1"),
            hash("abcdefgh2"),
            "the tail past 8 bytes counts"
        );
        assert_ne!(hash(&(1u32, 2u32, 0u8)), hash(&(2u32, 1u32, 0u8)));
        let mut map: FastMap<String, u32> = FastMap::default();
        for i in 0..1000 {
            map.insert(format!("s{i}"), i);
        }
        assert!((0..1000).all(|i| map.get(format!("s{i}").as_str()) == Some(&i)));
    }

    #[test]
    fn id_maps_find_short_and_long_ids_and_tell_prefixes_apart() {
        let mut map = IdMap::default();
        let long = "a-queue-id-longer-than-twenty-three-bytes";
        let edge = "exactly-23-bytes-long-x";
        assert_eq!(edge.len(), 23);
        for (i, id) in ["", "q", "q1", "q10", edge, long, "lang:yue"].iter().enumerate() {
            map.insert(id, i);
        }
        assert_eq!(map.get("q1"), Some(&2));
        assert_eq!(map.get("q10"), Some(&3));
        assert_eq!(map.get(""), Some(&0));
        assert_eq!(map.get(edge), Some(&4));
        assert_eq!(map.get(long), Some(&5));
        assert_eq!(map.get("lang:yue"), Some(&6));
        assert_eq!(map.get("q1\0"), None, "a trailing NUL is not padding");
        assert_eq!(map.get("q2"), None);
        assert_eq!(map.get(&long[..30]), None);
        map.insert("q1", 9);
        assert_eq!(map.get("q1"), Some(&9));
        assert!(InlineKey::new(edge).is_some() && InlineKey::new(long).is_none());
    }
}
