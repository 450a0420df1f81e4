//! In-band DTMF detection on 8 kHz audio with the Goertzel algorithm.
//!
//! The audio is cut into blocks of 205 samples (25.6 ms), the classic size at which the
//! eight DTMF frequencies fall near whole frequency bins. For each block the detector
//! measures the power at the four row (697–941 Hz) and four column (1209–1633 Hz)
//! frequencies and at their second harmonics, each with three Goertzel filters (at the
//! nominal frequency and 1 % either side, keeping at least 87 % of the power of a tone
//! within the ±1.5 % that ITU-T Q.24 asks to accept), and accepts the block as a digit when
//!
//! - **level**: the strongest row and column tones are each above the minimum level;
//! - **twist**: their powers differ by no more than the allowed twist either way;
//! - **relative peak**: each stands clear of the second strongest in its group;
//! - **tone share**: together they hold most of the block's energy, which is what speech
//!   and music, with their energy spread over many frequencies, fail;
//! - **harmonics**: neither has a second harmonic within 13 dB of its own level, as
//!   voices and instruments do and a keypad's pure tones do not. This one is judged on the powers
//!   summed over all the blocks of the press so far, since a single block's harmonic
//!   filter sees noise fluctuate by several dB. (The row tone's harmonic is not
//!   judged for keys 2, 6 and 9, where it lies within 100 Hz of the column tone, whose
//!   leakage would drown it.)
//!
//! A digit is reported once, after it has been seen in `min_blocks` consecutive blocks.
//! While it is held, blocks need only keep the same row and column above the minimum level
//! with a relaxed tone share (noise does not split one press into two); the first block that
//! fails releases it, and only then can the same key be reported again.
//!
//! Limits: tones must last about 65 ms to be caught at any alignment (two blocks), and a
//! gap of about 50 ms separates two presses of the same key. Two pure notes within 2 % of a
//! key's pair with nothing else sounding (say F5 and F♯6, 0.2 % from key 3) are, to any
//! detector, that key; a third note, harmonics or speech around them is enough to reject.
//!
//! Works in any frame size and allocates nothing per frame (only the small queue of
//! detections grows if nobody drains it).

use std::collections::VecDeque;
use std::f32::consts::PI;

use cc_core::DtmfDigit;

use crate::error::{Error, Result};

/// The row frequencies (low group), Hz.
pub const ROWS: [f32; 4] = [697.0, 770.0, 852.0, 941.0];
/// The column frequencies (high group), Hz.
pub const COLUMNS: [f32; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
/// The keypad: `KEYS[row][column]`.
pub const KEYS: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];

/// Filters per tone: below, at and above the nominal frequency.
const FILTERS_PER_TONE: usize = 3;
/// Relative spacing of the side filters.
const SIDE_OFFSET: f32 = 0.01;
/// Number of Goertzel filters: three for each of the eight tones, then three for each
/// tone's second harmonic.
const FILTERS: usize = 16 * FILTERS_PER_TONE;

/// Samples per analysis block.
pub const BLOCK_LEN: usize = 205;
/// The sample rate the detector works at, Hz.
pub const SAMPLE_RATE: u32 = 8000;

/// Peak amplitude of a 0 dBm0 sine in 16-bit linear PCM (G.711's +3.17 dBm0 full scale).
const ZERO_DBM0_PEAK: f32 = 32_768.0 / 1.440_6;

/// Thresholds of the detector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetectorConfig {
    /// Lowest accepted level of each tone, dBm0 (default -32).
    pub min_level_dbm0: f32,
    /// How much louder the column (high) tone may be than the row tone, dB (default 8).
    pub max_high_twist_db: f32,
    /// How much louder the row (low) tone may be than the column tone, dB (default 8).
    pub max_low_twist_db: f32,
    /// How far each tone must stand above the second strongest of its group, dB
    /// (default 10).
    pub min_relative_peak_db: f32,
    /// Least share of the block's energy the two tones must hold, 0 to 1 (default 0.75).
    pub min_tone_share: f32,
    /// Highest level of a tone's second harmonic relative to the tone, dB (default -13).
    pub max_harmonic_db: f32,
    /// Consecutive blocks a digit must be seen in before it is reported (default 2,
    /// about 51 ms).
    pub min_blocks: u32,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        Self {
            min_level_dbm0: -32.0,
            max_high_twist_db: 8.0,
            max_low_twist_db: 8.0,
            min_relative_peak_db: 10.0,
            min_tone_share: 0.75,
            max_harmonic_db: -13.0,
            min_blocks: 2,
        }
    }
}

impl DetectorConfig {
    fn check(&self) -> Result<()> {
        let bad = |name: &'static str, value: f32, expected: &'static str| {
            Err(Error::InvalidSetting {
                name,
                value: value.to_string(),
                expected,
            })
        };
        if !(-60.0..=3.0).contains(&self.min_level_dbm0) {
            return bad("minimum level", self.min_level_dbm0, "-60 to +3 dBm0");
        }
        for (name, value) in [
            ("high twist", self.max_high_twist_db),
            ("low twist", self.max_low_twist_db),
        ] {
            if !(0.0..=20.0).contains(&value) {
                return bad(name, value, "0 to 20 dB");
            }
        }
        if !(0.0..=40.0).contains(&self.min_relative_peak_db) {
            return bad("relative peak", self.min_relative_peak_db, "0 to 40 dB");
        }
        if !(self.min_tone_share > 0.0 && self.min_tone_share <= 1.0) {
            return bad("tone share", self.min_tone_share, "more than 0, at most 1");
        }
        if !(-60.0..=0.0).contains(&self.max_harmonic_db) {
            return bad("harmonic level", self.max_harmonic_db, "-60 to 0 dB");
        }
        if !(1..=40).contains(&self.min_blocks) {
            return Err(Error::InvalidSetting {
                name: "minimum blocks",
                value: self.min_blocks.to_string(),
                expected: "1 to 40 blocks of 25.6 ms",
            });
        }
        Ok(())
    }
}

/// A detected digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToneDetection {
    /// The key.
    pub digit: DtmfDigit,
    /// Index of the first sample of the first block the digit was seen in, counted from the
    /// first sample the detector was given.
    pub start_sample: u64,
}

/// What one block looked like.
#[derive(Debug, Clone, Copy)]
struct BlockAnalysis {
    row: usize,
    column: usize,
    row_power: f32,
    column_power: f32,
    second_row: f32,
    second_column: f32,
    /// Power at the second harmonic of the strongest row and column tones.
    row_harmonic: f32,
    column_harmonic: f32,
    /// Mean power of the block's samples.
    mean_power: f32,
}

impl BlockAnalysis {
    fn tone_share(&self) -> f32 {
        if self.mean_power > 0.0 {
            (self.row_power + self.column_power) / self.mean_power
        } else {
            0.0
        }
    }
}

/// A key seen in consecutive blocks, not yet reported.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    key: (usize, usize),
    blocks: u32,
    /// Index of the first sample of its first block.
    start: u64,
    /// Powers summed over its blocks.
    row_power: f32,
    column_power: f32,
    row_harmonic: f32,
    column_harmonic: f32,
}

/// Thresholds in linear power, derived once from a [`DetectorConfig`].
#[derive(Debug, Clone, Copy)]
struct Limits {
    min_power: f32,
    high_twist: f32,
    low_twist: f32,
    relative_peak: f32,
    tone_share: f32,
    harmonic: f32,
    min_blocks: u32,
}

impl Limits {
    fn new(config: &DetectorConfig) -> Self {
        let ratio = |db: f32| 10_f32.powf(db / 10.0);
        let amplitude = ZERO_DBM0_PEAK * 10_f32.powf(config.min_level_dbm0 / 20.0);
        Self {
            min_power: amplitude * amplitude / 2.0,
            high_twist: ratio(config.max_high_twist_db),
            low_twist: ratio(config.max_low_twist_db),
            relative_peak: ratio(config.min_relative_peak_db),
            tone_share: config.min_tone_share,
            harmonic: ratio(config.max_harmonic_db),
            min_blocks: config.min_blocks,
        }
    }

    /// The digit a block shows under the full checks.
    fn strict(&self, a: &BlockAnalysis) -> Option<(usize, usize)> {
        let ok = a.row_power >= self.min_power
            && a.column_power >= self.min_power
            && a.column_power <= a.row_power * self.high_twist
            && a.row_power <= a.column_power * self.low_twist
            && a.row_power >= a.second_row * self.relative_peak
            && a.column_power >= a.second_column * self.relative_peak
            && a.tone_share() >= self.tone_share;
        ok.then_some((a.row, a.column))
    }

    /// Whether the summed harmonics of a candidate's blocks are low enough.
    fn harmonics_ok(&self, c: &Candidate) -> bool {
        (row_harmonic_clashes(c.key.0, c.key.1) || c.row_harmonic <= c.row_power * self.harmonic)
            && c.column_harmonic <= c.column_power * self.harmonic
    }

    /// Whether a block still shows a held digit.
    fn holds(&self, a: &BlockAnalysis, key: (usize, usize)) -> bool {
        (a.row, a.column) == key
            && a.row_power >= self.min_power
            && a.column_power >= self.min_power
            && a.tone_share() >= self.tone_share / 2.0
    }
}

/// A streaming DTMF detector for one 8 kHz audio stream. Feed it frames with
/// [`process`](Self::process) and drain [`poll_digit`](Self::poll_digit).
///
/// ```
/// use cc_media::dtmf::DtmfDetector;
///
/// let mut detector = DtmfDetector::new();
/// // 100 ms of the key '5' (770 Hz + 1336 Hz), then 100 ms of silence, in 20 ms frames.
/// let tone: Vec<i16> = (0..800)
///     .map(|n| {
///         let t = n as f32 / 8000.0;
///         let tau = std::f32::consts::TAU;
///         (5000.0 * ((tau * 770.0 * t).sin() + (tau * 1336.0 * t).sin())) as i16
///     })
///     .chain(std::iter::repeat_n(0, 800))
///     .collect();
/// for frame in tone.chunks(160) {
///     detector.process(frame);
/// }
/// assert_eq!(detector.poll_digit().map(|d| d.digit.as_char()), Some('5'));
/// assert_eq!(detector.poll_digit(), None);
/// ```
#[derive(Debug, Clone)]
pub struct DtmfDetector {
    limits: Limits,
    /// `2 cos(2π f / 8000)` per filter: three per tone, rows first, then the columns.
    coefficients: [f32; FILTERS],
    /// Goertzel state `s[n-1]` and `s[n-2]` per filter.
    s1: [f32; FILTERS],
    s2: [f32; FILTERS],
    energy: f32,
    filled: usize,
    /// Sample index of the current block's first sample.
    block_start: u64,
    /// The key seen in the last blocks and not yet reported.
    candidate: Option<Candidate>,
    /// The digit reported and not yet released.
    held: Option<(usize, usize)>,
    detections: VecDeque<ToneDetection>,
}

impl Default for DtmfDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl DtmfDetector {
    /// A detector with the default thresholds.
    pub fn new() -> Self {
        Self::build(&DetectorConfig::default())
    }

    /// A detector with `config`'s thresholds; fails with
    /// [`Error::InvalidSetting`] naming a threshold out of range.
    pub fn with_config(config: &DetectorConfig) -> Result<Self> {
        config.check()?;
        Ok(Self::build(config))
    }

    fn build(config: &DetectorConfig) -> Self {
        let mut coefficients = [0.0; FILTERS];
        let fundamentals = ROWS.iter().chain(&COLUMNS).copied();
        let harmonics = fundamentals.clone().map(|f| 2.0 * f);
        for (tone, f) in fundamentals.chain(harmonics).enumerate() {
            for (side, scale) in [1.0 - SIDE_OFFSET, 1.0, 1.0 + SIDE_OFFSET]
                .into_iter()
                .enumerate()
            {
                let c = 2.0 * (2.0 * PI * f * scale / SAMPLE_RATE as f32).cos();
                coefficients[tone * FILTERS_PER_TONE + side] = c;
            }
        }
        Self {
            limits: Limits::new(config),
            coefficients,
            s1: [0.0; FILTERS],
            s2: [0.0; FILTERS],
            energy: 0.0,
            filled: 0,
            block_start: 0,
            candidate: None,
            held: None,
            detections: VecDeque::with_capacity(16),
        }
    }

    /// Analyses `samples` (8 kHz, any count; 160 per 20 ms frame is usual).
    pub fn process(&mut self, samples: &[i16]) {
        let mut rest = samples;
        while !rest.is_empty() {
            let take = rest.len().min(BLOCK_LEN - self.filled);
            let (now, later) = rest.split_at(take);
            self.accumulate(now);
            self.filled += take;
            rest = later;
            if self.filled == BLOCK_LEN {
                self.finish_block();
            }
        }
    }

    fn accumulate(&mut self, samples: &[i16]) {
        let (mut s1, mut s2, c) = (self.s1, self.s2, self.coefficients);
        let mut energy = self.energy;
        for &x in samples {
            let x = f32::from(x);
            energy += x * x;
            for k in 0..FILTERS {
                let s0 = x + c[k] * s1[k] - s2[k];
                s2[k] = s1[k];
                s1[k] = s0;
            }
        }
        (self.s1, self.s2, self.energy) = (s1, s2, energy);
    }

    fn finish_block(&mut self) {
        let n = BLOCK_LEN as f32;
        // Power of a sine of amplitude A at the filter's frequency comes out as A² / 2,
        // comparable with the block's mean power.
        // A tone's power is the largest of its three filters'.
        // Harmonics follow in `power[8..]`.
        let mut power = [0.0_f32; 16];
        for (k, (s1, s2)) in self.s1.iter().zip(&self.s2).enumerate() {
            let p = (s1 * s1 + s2 * s2 - self.coefficients[k] * s1 * s2) * 2.0 / (n * n);
            let tone = &mut power[k / FILTERS_PER_TONE];
            *tone = tone.max(p);
        }
        let (row, row_power, second_row) = strongest(&power[..4]);
        let (column, column_power, second_column) = strongest(&power[4..8]);
        let analysis = BlockAnalysis {
            row,
            column,
            row_power,
            column_power,
            second_row,
            second_column,
            row_harmonic: power[8 + row],
            column_harmonic: power[12 + column],
            mean_power: self.energy / n,
        };
        self.decide(&analysis);
        self.s1 = [0.0; FILTERS];
        self.s2 = [0.0; FILTERS];
        self.energy = 0.0;
        self.filled = 0;
        self.block_start += BLOCK_LEN as u64;
    }

    fn decide(&mut self, analysis: &BlockAnalysis) {
        if let Some(key) = self.held {
            if self.limits.holds(analysis, key) {
                return;
            }
            self.held = None;
        }
        let Some(key) = self.limits.strict(analysis) else {
            self.candidate = None;
            return;
        };
        let mut candidate = match self.candidate {
            Some(c) if c.key == key => c,
            _ => Candidate {
                key,
                blocks: 0,
                start: self.block_start,
                row_power: 0.0,
                column_power: 0.0,
                row_harmonic: 0.0,
                column_harmonic: 0.0,
            },
        };
        candidate.blocks += 1;
        candidate.row_power += analysis.row_power;
        candidate.column_power += analysis.column_power;
        candidate.row_harmonic += analysis.row_harmonic;
        candidate.column_harmonic += analysis.column_harmonic;
        self.candidate = Some(candidate);
        if candidate.blocks >= self.limits.min_blocks && self.limits.harmonics_ok(&candidate) {
            self.held = Some(key);
            self.candidate = None;
            let digit = DtmfDigit::from_char(KEYS[key.0][key.1]);
            // Every entry of KEYS is a valid key, so this always holds.
            if let Ok(digit) = digit {
                self.detections.push_back(ToneDetection {
                    digit,
                    start_sample: candidate.start,
                });
            }
        }
    }

    /// The next detected digit, oldest first.
    pub fn poll_digit(&mut self) -> Option<ToneDetection> {
        self.detections.pop_front()
    }

    /// The digit being keyed now (reported and not yet released), if any.
    pub fn held(&self) -> Option<DtmfDigit> {
        self.held.and_then(|(r, c)| DtmfDigit::from_char(KEYS[r][c]).ok())
    }

    /// Forgets any partial block and digit in progress (e.g. when the stream restarts).
    pub fn reset(&mut self) {
        let limits = self.limits;
        let detections = std::mem::take(&mut self.detections);
        let block_start = self.block_start + self.filled as u64;
        *self = Self {
            limits,
            block_start,
            detections,
            ..Self::new()
        };
    }
}

/// Whether the second harmonic of row `row` lies so near column `column` that the column
/// tone leaks into its filter (keys 2, 6 and 9).
fn row_harmonic_clashes(row: usize, column: usize) -> bool {
    match (ROWS.get(row), COLUMNS.get(column)) {
        (Some(r), Some(c)) => (2.0 * r - c).abs() < 100.0,
        _ => false,
    }
}

/// Index and power of the strongest of `powers`, and the power of the second strongest.
fn strongest(powers: &[f32]) -> (usize, f32, f32) {
    let mut best = (0, f32::MIN, f32::MIN);
    for (i, &p) in powers.iter().enumerate() {
        if p > best.1 {
            best = (i, p, best.1);
        } else if p > best.2 {
            best.2 = p;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_tone(row: f32, column: f32, samples: usize) -> Vec<i16> {
        (0..samples)
            .map(|n| {
                let t = n as f32 / SAMPLE_RATE as f32;
                (6000.0 * ((2.0 * PI * row * t).sin() + (2.0 * PI * column * t).sin())) as i16
            })
            .collect()
    }

    #[test]
    fn frame_size_does_not_matter_and_held_tracks_the_press() {
        let mut audio = key_tone(941.0, 1477.0, 1200);
        audio.extend([0; 600]);
        for frame in [1, 7, 160, 205, 333, 1800] {
            let mut detector = DtmfDetector::new();
            let mut held_seen = false;
            for chunk in audio.chunks(frame) {
                detector.process(chunk);
                held_seen |= detector.held().is_some_and(|d| d.as_char() == '#');
            }
            let first = detector.poll_digit().map(|d| (d.digit.as_char(), d.start_sample));
            assert_eq!(first, Some(('#', 0)), "frame {frame}");
            assert_eq!(detector.poll_digit(), None);
            // (With the whole audio in one call, the press is over before anyone can look.)
            assert!(held_seen || frame == 1800, "frame {frame}");
            assert!(detector.held().is_none(), "frame {frame}");
        }
    }

    #[test]
    fn reset_forgets_a_partial_press() {
        let mut detector = DtmfDetector::new();
        detector.process(&key_tone(697.0, 1209.0, 300));
        detector.reset();
        detector.process(&[0; 300]);
        assert_eq!(detector.poll_digit(), None);
        detector.process(&key_tone(697.0, 1209.0, 800));
        assert_eq!(detector.poll_digit().map(|d| d.digit.as_char()), Some('1'));
    }
}
