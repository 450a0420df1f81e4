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
}
