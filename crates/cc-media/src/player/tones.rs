//! Call-progress tones: sines from an exact integer phase accumulator and cadence tables
//! per country.
//!
//! Frequencies are whole hertz, so at 8 kHz a phase accumulator counting `f` per sample
//! modulo 8000 is exact: the tone never drifts, however long it plays, and repeats
//! bit-for-bit every second. Each component plays at -13 dBm0 (amplitude 4970 of 32767,
//! taking 0 dBm0 as a sine of amplitude 22 200 in 16-bit linear PCM).
//!
//! Frequencies and cadences are those listed for each country in ITU-T E.180 Supplement 2
//! ("Various tones used in national networks"); the European set is the CEPT
//! recommendation (ETSI TR 101 041) that most EU networks follow.

use std::f64::consts::PI;
use std::sync::OnceLock;

use super::RATE;

/// Peak amplitude of one tone component: -13 dBm0.
pub const COMPONENT_AMPLITUDE: f64 = 4970.0;

/// A country whose call-progress tones the player knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Country {
    /// China (450 Hz tones).
    China,
    /// United States and Canada (precise tone plan).
    Us,
    /// United Kingdom.
    Uk,
    /// Europe, CEPT recommendation (425 Hz tones).
    Europe,
}

/// Which call-progress tone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ToneKind {
    /// Dial tone (continuous).
    Dial,
    /// Ringback: the far end is ringing.
    Ringback,
    /// Busy: the far end is busy.
    Busy,
    /// Congestion (US: reorder): the network cannot complete the call.
    Congestion,
    /// Call waiting.
    CallWaiting,
}

/// A tone: up to two frequencies summed, switched on and off by a cadence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToneSpec {
    /// Frequencies in Hz, summed (one or two; each below 4000).
    pub freqs: &'static [u32],
    /// Alternating on and off durations in milliseconds, starting with on, repeated;
    /// empty for a continuous tone.
    pub cadence_ms: &'static [u32],
}

impl ToneSpec {
    /// The tone `kind` of `country`.
    ///
    /// Sources (ITU-T E.180 Supplement 2 unless noted):
    /// - China: dial 450 Hz continuous; ringback 450 Hz 1 s on 4 s off; busy 450 Hz
    ///   0.35 s on 0.35 s off; congestion 450 Hz 0.7 s on 0.7 s off; call waiting 450 Hz
    ///   0.4 s on 4 s off.
    /// - US (ANSI T1.401 precise tones, also in E.180 Supp. 2): dial 350+440 Hz continuous;
    ///   ringback 440+480 Hz 2 s on 4 s off; busy 480+620 Hz 0.5 s on 0.5 s off; reorder
    ///   480+620 Hz 0.25 s on 0.25 s off; call waiting 440 Hz 0.3 s on 9.7 s off.
    /// - UK: dial 350+440 Hz continuous; ringback 400+450 Hz 0.4 on 0.2 off 0.4 on 2.0 off;
    ///   busy 400 Hz 0.375 on 0.375 off; congestion 400 Hz 0.4 on 0.35 off 0.225 on 0.525
    ///   off; call waiting 400 Hz 0.1 on 3.0 off.
    /// - Europe (CEPT, ETSI TR 101 041): dial 425 Hz continuous; ringback 425 Hz 1 s on
    ///   4 s off; busy 425 Hz 0.5 on 0.5 off; congestion 425 Hz 0.25 on 0.25 off; call
    ///   waiting 425 Hz 0.15 on 0.15 off 0.15 on 4.0 off.
    pub const fn of(country: Country, kind: ToneKind) -> ToneSpec {
        use Country as C;
        use ToneKind as K;
        let (freqs, cadence_ms): (&'static [u32], &'static [u32]) = match (country, kind) {
            (C::China, K::Dial) => (&[450], &[]),
            (C::China, K::Ringback) => (&[450], &[1000, 4000]),
            (C::China, K::Busy) => (&[450], &[350, 350]),
            (C::China, K::Congestion) => (&[450], &[700, 700]),
            (C::China, K::CallWaiting) => (&[450], &[400, 4000]),
            (C::Us, K::Ringback) => (&[440, 480], &[2000, 4000]),
            (C::Us, K::Busy) => (&[480, 620], &[500, 500]),
            (C::Us, K::Congestion) => (&[480, 620], &[250, 250]),
            (C::Us, K::CallWaiting) => (&[440], &[300, 9700]),
            (C::Us | C::Uk, K::Dial) => (&[350, 440], &[]),
            (C::Uk, K::Ringback) => (&[400, 450], &[400, 200, 400, 2000]),
            (C::Uk, K::Busy) => (&[400], &[375, 375]),
            (C::Uk, K::Congestion) => (&[400], &[400, 350, 225, 525]),
            (C::Uk, K::CallWaiting) => (&[400], &[100, 3000]),
            (C::Europe, K::Dial) => (&[425], &[]),
            (C::Europe, K::Ringback) => (&[425], &[1000, 4000]),
            (C::Europe, K::Busy) => (&[425], &[500, 500]),
            (C::Europe, K::Congestion) => (&[425], &[250, 250]),
            (C::Europe, K::CallWaiting) => (&[425], &[150, 150, 150, 4000]),
        };
        ToneSpec { freqs, cadence_ms }
    }
}

/// One period (one second at 8 kHz) of a unit sine, shared by all generators.
fn sine_table() -> &'static [f32] {
    static TABLE: OnceLock<Box<[f32]>> = OnceLock::new();
    TABLE.get_or_init(|| {
        (0..RATE)
            .map(|i| (2.0 * PI * f64::from(i) / f64::from(RATE)).sin() as f32)
            .collect()
    })
}

/// Generates a [`ToneSpec`] sample by sample, 8 kHz, starting at the start of its cadence.
#[derive(Debug, Clone)]
pub struct ToneGenerator {
    /// Per component: phase step (Hz) and phase (0..8000), at most two components.
    steps: [u32; 2],
    phases: [u32; 2],
    components: usize,
    /// Cadence segment lengths in samples.
    cadence: Vec<u64>,
    segment: usize,
    in_segment: u64,
}

impl ToneGenerator {
    /// A generator of `spec`; frequencies at or above 4000 Hz are folded into range,
    /// components beyond the second are ignored.
    pub fn new(spec: ToneSpec) -> Self {
        let mut steps = [0; 2];
        let mut components = 0;
        for (slot, &f) in steps.iter_mut().zip(spec.freqs.iter()) {
            *slot = f % RATE;
            components += 1;
        }
        let cadence = spec
            .cadence_ms
            .iter()
            .map(|&ms| u64::from(ms) * u64::from(RATE) / 1000)
            .collect();
        Self {
            steps,
            phases: [0; 2],
            components,
            cadence,
            segment: 0,
            in_segment: 0,
        }
    }

    /// Whether the cadence is in an on segment now.
    fn on(&self) -> bool {
        self.cadence.is_empty() || self.segment.is_multiple_of(2)
    }

    /// Fills `out` with the next samples.
    pub fn fill(&mut self, out: &mut [i16]) {
        let table = sine_table();
        for sample in out.iter_mut() {
            let mut value = 0.0_f32;
            if self.on() {
                for i in 0..self.components.min(2) {
                    value += table.get(self.phases[i] as usize).copied().unwrap_or(0.0);
                }
            }
            *sample = (value * COMPONENT_AMPLITUDE as f32).round() as i16;
            for i in 0..2 {
                self.phases[i] = (self.phases[i] + self.steps[i]) % RATE;
            }
            if let Some(&len) = self.cadence.get(self.segment) {
                self.in_segment += 1;
                if self.in_segment >= len {
                    self.in_segment = 0;
                    self.segment = (self.segment + 1) % self.cadence.len();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn china_ringback_on_off_boundaries_are_exact_samples() {
        let mut g = ToneGenerator::new(ToneSpec::of(Country::China, ToneKind::Ringback));
        let mut buf = vec![0_i16; 8000 * 10];
        g.fill(&mut buf);
        // On for exactly 8000 samples (1 s), off for 32000 (4 s), then on again.
        assert!(buf[..8000].iter().any(|&s| s != 0));
        assert!(buf[8000..40000].iter().all(|&s| s == 0));
        assert!(buf[40000..48000].iter().any(|&s| s != 0));
        // The last 40 samples of the on segment are still tone (not faded to zero).
        assert!(buf[7960..8000].iter().any(|&s| s != 0));
        assert!(buf[48000..80000].iter().all(|&s| s == 0));
        // Phase continues across the gap from the accumulator: exactly periodic at 1 s,
        // so the second burst equals the first.
        assert_eq!(buf[..8000], buf[40000..48000]);
    }

    #[test]
    fn us_busy_cadence_and_peak_level() {
        let mut g = ToneGenerator::new(ToneSpec::of(Country::Us, ToneKind::Busy));
        let mut buf = vec![0_i16; 16000];
        g.fill(&mut buf);
        assert!(buf[4000..8000].iter().all(|&s| s == 0));
        assert!(buf[8000..12000].iter().any(|&s| s != 0));
        let peak = buf.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
        assert!(peak > 9000 && peak <= 9940, "peak {peak}");
    }

    #[test]
    fn no_drift_after_an_hour() {
        let mut g = ToneGenerator::new(ToneSpec::of(Country::Europe, ToneKind::Dial));
        let mut first = [0_i16; 160];
        g.fill(&mut first);
        let mut buf = [0_i16; 160];
        // 3600 s = 180 000 frames, minus the first one; then we are back at phase 0.
        for _ in 1..180_000 {
            g.fill(&mut buf);
        }
        g.fill(&mut buf);
        assert_eq!(first, buf);
    }

    #[test]
    fn frequency_is_correct_by_zero_crossings() {
        let mut g = ToneGenerator::new(ToneSpec::of(Country::China, ToneKind::Dial));
        let mut buf = vec![0_i16; 8000];
        g.fill(&mut buf);
        let crossings = buf.windows(2).filter(|w| (w[0] < 0) != (w[1] < 0)).count();
        assert!((899..=901).contains(&crossings), "{crossings}");
    }
}
