//! Extended RTP sequence numbers.

/// Packets further than this behind the highest sequence number seen are taken as coming
/// from before a wrap only if the distance is below half the number space; this is that half.
const HALF: i64 = 1 << 15;

/// Turns 16-bit RTP sequence numbers into 64-bit extended ones (RFC 3550 §6.4.1: the cycle
/// count in the upper bits, the sequence number in the lower 16).
///
/// The first number seen starts cycle 1, so that a packet reordered from before the first
/// one, across a wrap, still gets a number below it instead of one a cycle ahead. A number
/// is placed in the cycle that puts it nearest to the highest seen so far (less than 32768
/// away); only numbers ahead of the highest move it forward.
///
/// ```
/// use cc_media::rtp::SeqExtender;
///
/// let mut ext = SeqExtender::new();
/// let a = ext.extend(65534);
/// let b = ext.extend(65535);
/// let c = ext.extend(0); // wrapped
/// let d = ext.extend(65533); // late, from before the wrap
/// assert_eq!((b - a, c - b, c - d), (1, 1, 3));
/// assert_eq!(ext.highest(), Some(c));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeqExtender {
    highest: Option<u64>,
}

impl SeqExtender {
    /// An extender that has seen nothing yet.
    pub const fn new() -> Self {
        Self { highest: None }
    }

    /// The extended number of `seq`; moves the highest seen forward when `seq` is ahead.
    pub fn extend(&mut self, seq: u16) -> u64 {
        let ext = self.peek(seq);
        if self.highest.is_none_or(|h| ext > h) {
            self.highest = Some(ext);
        }
        ext
    }

    /// The extended number `seq` would get, without recording it.
    pub fn peek(&self, seq: u16) -> u64 {
        match self.highest {
            None => (1 << 16) | u64::from(seq),
            Some(highest) => {
                let delta = i64::from(seq.wrapping_sub(highest as u16) as i16);
                debug_assert!((-HALF..HALF).contains(&delta));
                // The highest starts at 65536 and only grows, and delta >= -32768, so this
                // stays positive.
                highest.saturating_add_signed(delta)
            }
        }
    }

    /// The highest extended number seen, if any.
    pub const fn highest(&self) -> Option<u64> {
        self.highest
    }

    /// Forgets everything, as for a new SSRC.
    pub fn reset(&mut self) {
        self.highest = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_across_several_wraps() {
        let mut ext = SeqExtender::new();
        let first = ext.extend(60_000);
        let mut seq = 60_000_u16;
        for i in 1..=200_000_u64 {
            seq = seq.wrapping_add(1);
            assert_eq!(ext.extend(seq), first + i);
        }
    }

    #[test]
    fn reordered_before_first_packet_stays_below() {
        let mut ext = SeqExtender::new();
        let first = ext.extend(2);
        let earlier = ext.extend(65_534);
        assert_eq!(first - earlier, 4);
        assert_eq!(ext.highest(), Some(first));
    }

    #[test]
    fn peek_does_not_move() {
        let mut ext = SeqExtender::new();
        ext.extend(10);
        let p = ext.peek(20);
        assert_eq!(ext.highest(), Some(65_536 + 10));
        assert_eq!(ext.extend(20), p);
        ext.reset();
        assert_eq!(ext.highest(), None);
    }
}
