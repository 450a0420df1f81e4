//! Rational-ratio resampling to 8 kHz by a windowed-sinc polyphase filter.
//!
//! For input rate `fi` and output rate `fo`, reduced to `fo/fi = L/M`, output sample `k`
//! sits at input time `k·M/L`; its value is the input convolved with a Kaiser-windowed
//! sinc low-pass evaluated at that fractional position, taken from one of `L`
//! precomputed phases. The low-pass has its -6 dB point at 3700 Hz and a transition
//! band of about 500 Hz (3450 to 3950 Hz) with about 70 dB of stop-band attenuation, so
//! speech up to 3.4 kHz passes flat and what would alias above 4 kHz is removed.

use crate::error::{Error, Result};

/// Cut-off (-6 dB) of the anti-alias filter, in Hz.
const CUTOFF_HZ: f64 = 3700.0;
/// Transition width of the anti-alias filter, in Hz.
const TRANSITION_HZ: f64 = 500.0;
/// Stop-band attenuation the Kaiser window is designed for, in dB.
const ATTENUATION_DB: f64 = 70.0;

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Modified Bessel function of the first kind, order 0 (power series).
fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let half = x / 2.0;
    for k in 1..50 {
        term *= half / f64::from(k);
        sum += term * term;
        if term * term < sum * 1e-17 {
            break;
        }
    }
    sum
}

/// A resampler from one rate to another (down to 8 kHz in the player), built once per rate
/// pair; processing allocates nothing.
#[derive(Debug, Clone)]
pub struct Resampler {
    up: u64,
    down: u64,
    /// Half-width of the filter in input samples.
    half: usize,
    /// `up` phases of `2·half` taps each, row-major.
    taps: Vec<f32>,
}

impl Resampler {
    /// A resampler from `from` Hz to `to` Hz, both between 1000 and 384 000 with `to` at
    /// most `from` (this filter is designed for going down to telephone rate).
    pub fn new(from: u32, to: u32) -> Result<Self> {
        if !(1000..=384_000).contains(&from) || !(1000..=from).contains(&to) {
            return Err(Error::InvalidSetting {
                name: "resampling rates",
                value: format!("{from} Hz to {to} Hz"),
                expected: "rates from 1000 to 384000 Hz, converting down (or equal)",
            });
        }
        let g = gcd(u64::from(from), u64::from(to));
        let up = u64::from(to) / g;
        let down = u64::from(from) / g;
        let fi = f64::from(from);
        // The cut-off scales with the output rate so other targets keep the same shape.
        let scale = f64::from(to) / 8000.0;
        let cutoff = (CUTOFF_HZ * scale / fi).min(0.5);
        let transition = TRANSITION_HZ * scale / fi;
        let length = (ATTENUATION_DB - 8.0) / (2.285 * 2.0 * std::f64::consts::PI * transition);
        let half = ((length / 2.0).ceil() as usize).max(1);
        let beta = 0.1102 * (ATTENUATION_DB - 8.7);
        let i0_beta = bessel_i0(beta);
        let width = 2 * half;
        let mut taps = Vec::with_capacity(up as usize * width);
        for p in 0..up {
            let frac = p as f64 / up as f64;
            let start = taps.len();
            for j in 0..width {
                // Distance in input samples from the output instant to input tap j.
                let tau = frac + half as f64 - 1.0 - j as f64;
                let x = 2.0 * cutoff * tau;
                let sinc = if x.abs() < 1e-12 {
                    1.0
                } else {
                    (std::f64::consts::PI * x).sin() / (std::f64::consts::PI * x)
                };
                let r = tau / half as f64;
                let window = if r.abs() >= 1.0 {
                    0.0
                } else {
                    bessel_i0(beta * (1.0 - r * r).sqrt()) / i0_beta
                };
                taps.push(2.0 * cutoff * sinc * window);
            }
            // Normalise each phase to unity gain at DC.
            let sum: f64 = taps[start..].iter().sum();
            for t in &mut taps[start..] {
                *t /= sum;
            }
        }
        Ok(Self {
            up,
            down,
            half,
            taps: taps.into_iter().map(|t| t as f32).collect(),
        })
    }

    /// How many output samples `input_len` input samples make.
    pub fn output_len(&self, input_len: usize) -> usize {
        ((input_len as u64 * self.up).div_ceil(self.down)) as usize
    }

    /// Resamples a whole block, taking the signal as silent before and after it, into
    /// `out`; returns how many samples were written (at most `out.len()`).
    pub fn process_into(&self, input: &[i16], out: &mut [i16]) -> usize {
        let width = 2 * self.half;
        let count = self.output_len(input.len()).min(out.len());
        for (k, slot) in out.iter_mut().take(count).enumerate() {
            let pos = k as u64 * self.down;
            let base = (pos / self.up) as i64;
            let phase = (pos % self.up) as usize;
            let row = self.taps.get(phase * width..(phase + 1) * width).unwrap_or(&[]);
            let first = base - self.half as i64 + 1;
            let mut acc = 0.0_f32;
            if first >= 0 && (first as usize + width) <= input.len() {
                let window = &input[first as usize..first as usize + width];
                for (&x, &h) in window.iter().zip(row) {
                    acc += f32::from(x) * h;
                }
            } else {
                for (j, &h) in row.iter().enumerate() {
                    let n = first + j as i64;
                    if let Some(&x) = usize::try_from(n).ok().and_then(|n| input.get(n)) {
                        acc += f32::from(x) * h;
                    }
                }
            }
            *slot = acc.round().clamp(-32768.0, 32767.0) as i16;
        }
        count
    }

    /// Resamples a whole block into a new vector.
    pub fn process(&self, input: &[i16]) -> Vec<i16> {
        let mut out = vec![0; self.output_len(input.len())];
        let n = self.process_into(input, &mut out);
        out.truncate(n);
        out
    }
}

/// The dot product of two equally long slices, in eight lanes (so that it vectorises).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0_f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(&x, &y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for ((l, &x), &y) in lanes.iter_mut().zip(x).zip(y) {
            *l += x * y;
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// Taps per polyphase branch of a [`StreamResampler`].
const STREAM_TAPS_PER_PHASE: usize = 24;

/// A streaming resampler between two rates of which one is a whole multiple of the
/// other (8, 16 and 48 kHz in the engine and the mixer), up or down, for audio that comes
/// in frames: the input's tail is kept between calls, so frames join without a seam.
///
/// The low-pass is a Kaiser-windowed sinc (β = 8, about 80 dB of stop band) of
/// `24 × ratio` taps at the higher rate, cutting at 45 % of the lower rate (3.6 kHz between
/// 8 and 16 or 48 kHz); the delay it adds is half its length (1.4 ms from or to 8 kHz).
/// Everything is allocated by [`StreamResampler::new`]; [`StreamResampler::process`]
/// allocates nothing.
#[derive(Debug, Clone)]
pub struct StreamResampler {
    from: u32,
    to: u32,
    /// Interpolation factor (1 when going down).
    up: usize,
    /// Decimation factor (1 when going up).
    down: usize,
    /// The low-pass at the higher rate, reversed and split: going up, `up` branches of
    /// [`STREAM_TAPS_PER_PHASE`] taps each (branch-major); going down, all the taps.
    taps: Vec<f32>,
    /// The last `n` input samples, stored twice (`n` apart) so that a window is always
    /// contiguous.
    history: Vec<f32>,
    n: usize,
    /// Where the next input sample goes (0 to `n`).
    at: usize,
    /// Going down: input samples since the last output.
    count: usize,
}

impl StreamResampler {
    /// A resampler from `from` Hz to `to` Hz, each between 1000 and 384 000, one a whole
    /// multiple of the other (equal rates copy).
    pub fn new(from: u32, to: u32) -> Result<Self> {
        let rates_ok = (1000..=384_000).contains(&from) && (1000..=384_000).contains(&to);
        if !rates_ok || !from.max(to).is_multiple_of(from.min(to)) {
            return Err(Error::InvalidSetting {
                name: "streaming resampling rates",
                value: format!("{from} Hz to {to} Hz"),
                expected: "rates from 1000 to 384000 Hz, one a whole multiple of the other (8000, 16000, 48000)",
            });
        }
        let ratio = (from.max(to) / from.min(to)) as usize;
        let (up, down) = if to >= from { (ratio, 1) } else { (1, ratio) };
        let len = if ratio == 1 {
            1
        } else {
            STREAM_TAPS_PER_PHASE * ratio
        };
        // Cut-off at 45 % of the lower rate, as a fraction of the higher rate.
        let cutoff = 0.45 / ratio as f64;
        let beta = 8.0;
        let i0_beta = bessel_i0(beta);
        let centre = (len as f64 - 1.0) / 2.0;
        let mut h: Vec<f64> = (0..len)
            .map(|j| {
                if len == 1 {
                    return 1.0;
                }
                let t = j as f64 - centre;
                let x = 2.0 * cutoff * t;
                let sinc = if x.abs() < 1e-12 {
                    1.0
                } else {
                    (std::f64::consts::PI * x).sin() / (std::f64::consts::PI * x)
                };
                let r = t / (centre + 1.0);
                2.0 * cutoff * sinc * bessel_i0(beta * (1.0 - r * r).max(0.0).sqrt()) / i0_beta
            })
            .collect();
        // Unity gain at DC; going up, each branch carries 1/up of the energy.
        let sum: f64 = h.iter().sum();
        for v in &mut h {
            *v *= up as f64 / sum;
        }
        // Stored in the order of the window they meet (oldest sample first), so that each
        // output is a plain dot product.
        let (taps, n) = if up > 1 {
            // Branch p applies h[p + k·up] to x[i - k], k = 0, 1, ...
            let mut taps = Vec::with_capacity(len);
            for p in 0..up {
                for k in (0..STREAM_TAPS_PER_PHASE).rev() {
                    taps.push(h.get(p + k * up).copied().unwrap_or(0.0) as f32);
                }
            }
            (taps, STREAM_TAPS_PER_PHASE)
        } else {
            (h.iter().rev().map(|&v| v as f32).collect(), len)
        };
        Ok(Self {
            from,
            to,
            up,
            down,
            taps,
            history: vec![0.0; 2 * n],
            n,
            at: 0,
            count: 0,
        })
    }

    /// The input rate, in Hz.
    pub fn from_rate(&self) -> u32 {
        self.from
    }

    /// The output rate, in Hz.
    pub fn to_rate(&self) -> u32 {
        self.to
    }

    /// Output samples that `input_len` more input samples make (exact for inputs that are
    /// whole multiples of the decimation factor, such as 20 ms frames).
    pub fn output_len(&self, input_len: usize) -> usize {
        (input_len * self.up + self.count) / self.down
    }

    /// Forgets the input kept from earlier calls (a new stream).
    pub fn reset(&mut self) {
        self.history.fill(0.0);
        self.at = 0;
        self.count = 0;
    }

    /// Resamples `input`, which continues what came before, into `out`; returns how many
    /// samples were written. Output that does not fit in `out` is dropped (size `out` by
    /// [`output_len`](Self::output_len)).
    pub fn process(&mut self, input: &[i16], out: &mut [i16]) -> usize {
        let mut written = 0;
        for &x in input {
            // The newest sample goes at `at` and `at + n`; the window of the last `n`
            // samples, newest first, is history[at + 1 ..= at + n] read backwards.
            let v = f32::from(x);
            self.at = (self.at + 1) % self.n;
            if let Some(slot) = self.history.get_mut(self.at) {
                *slot = v;
            }
            if let Some(slot) = self.history.get_mut(self.at + self.n) {
                *slot = v;
            }
            let window = self
                .history
                .get(self.at + 1..=self.at + self.n)
                .unwrap_or_default();
            if self.up > 1 {
                for branch in self.taps.chunks_exact(self.n) {
                    let acc = dot(window, branch);
                    if let Some(o) = out.get_mut(written) {
                        *o = acc.round().clamp(-32768.0, 32767.0) as i16;
                        written += 1;
                    }
                }
            } else {
                self.count += 1;
                if self.count == self.down {
                    self.count = 0;
                    let acc = dot(window, &self.taps);
                    if let Some(o) = out.get_mut(written) {
                        *o = acc.round().clamp(-32768.0, 32767.0) as i16;
                        written += 1;
                    }
                }
            }
        }
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, freq: f64, amplitude: f64, seconds: f64) -> Vec<i16> {
        let n = (f64::from(rate) * seconds) as usize;
        (0..n)
            .map(|i| {
                (amplitude * (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate)).sin()) as i16
            })
            .collect()
    }

    /// RMS of the middle half, away from the block edges.
    fn rms_middle(x: &[i16]) -> f64 {
        let mid = &x[x.len() / 4..3 * x.len() / 4];
        (mid.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / mid.len() as f64).sqrt()
    }

    fn gain_db(from: u32, freq: f64) -> f64 {
        let r = Resampler::new(from, 8000).expect("valid rates");
        let input = tone(from, freq, 10000.0, 1.0);
        let out = r.process(&input);
        20.0 * (rms_middle(&out) / rms_middle(&input)).log10()
    }

    #[test]
    fn lengths_follow_the_ratio() {
        for (from, n, expected) in [(16000, 16000, 8000), (22050, 22050, 8000), (48000, 960, 160)] {
            let r = Resampler::new(from, 8000).expect("valid");
            assert_eq!(r.output_len(n), expected);
        }
    }

    #[test]
    fn passband_is_flat() {
        for from in [16000, 22050, 44100, 48000] {
            for freq in [300.0, 1000.0, 2000.0, 3000.0, 3300.0] {
                let g = gain_db(from, freq);
                assert!(g.abs() < 0.1, "{from} Hz input, {freq} Hz tone: {g:.3} dB");
            }
        }
    }

    #[test]
    fn above_nyquist_is_removed() {
        for from in [16000, 22050, 48000] {
            let g39 = gain_db(from, 3950.0);
            assert!(g39 < -60.0, "{from}: 3950 Hz at {g39:.1} dB");
            for freq in [4200.0, 5000.0, 7000.0] {
                let g = gain_db(from, freq);
                assert!(g < -70.0, "{from}: {freq} Hz at {g:.1} dB");
            }
        }
    }

    /// Streams `seconds` of a tone through `r` in 20 ms frames; returns the output.
    fn stream(r: &mut StreamResampler, freq: f64, seconds: f64) -> Vec<i16> {
        let input = tone(r.from_rate(), freq, 10000.0, seconds);
        let frame = r.from_rate() as usize / 50;
        let mut out = Vec::new();
        let mut buf = vec![0_i16; r.output_len(frame) + 8];
        for chunk in input.chunks(frame) {
            let n = r.process(chunk, &mut buf);
            out.extend_from_slice(&buf[..n]);
        }
        out
    }

    #[test]
    fn streaming_keeps_tones_in_band_removes_images_and_lengths_follow_the_ratio() {
        for (from, to) in [
            (8000, 16_000),
            (16_000, 8000),
            (8000, 48_000),
            (48_000, 8000),
            (16_000, 48_000),
            (48_000, 16_000),
            (8000, 8000),
        ] {
            let mut r = StreamResampler::new(from, to).expect("valid");
            let out = stream(&mut r, 1000.0, 1.0);
            assert_eq!(out.len(), to as usize, "{from} -> {to}");
            // The middle, away from the filter's start: a clean 1 kHz at the same level,
            // and continuous across frame joins (no sample jumps more than a sine allows).
            let mid = &out[out.len() / 4..3 * out.len() / 4];
            let expected = tone(to, 1000.0, 10000.0, 0.5);
            let g = 20.0 * (rms_middle(mid) / rms_middle(&expected)).log10();
            assert!(g.abs() < 0.1, "{from} -> {to}: 1 kHz at {g:.3} dB");
            let max_step = 10000.0 * 2.0 * std::f64::consts::PI * 1000.0 / f64::from(to) * 1.02 + 2.0;
            for w in mid.windows(2) {
                assert!(f64::from(w[1] - w[0]).abs() <= max_step, "{from} -> {to}: a seam");
            }
        }
        // Going down, what would alias is removed; going up, the images above the old
        // Nyquist rate are.
        for from in [16_000, 48_000] {
            let mut r = StreamResampler::new(from, 8000).expect("valid");
            let out = stream(&mut r, 5000.0, 1.0);
            let g = 20.0 * (rms_middle(&out) / (10000.0 / 2f64.sqrt())).log10();
            assert!(g < -60.0, "{from} -> 8000: 5 kHz at {g:.1} dB");
        }
        let mut r = StreamResampler::new(8000, 48_000).expect("valid");
        let out = stream(&mut r, 1000.0, 1.0);
        let mid = &out[12_000..36_000];
        // The image of 1 kHz at 8 kHz − 1 kHz = 7 kHz: measured by Goertzel.
        let goertzel = |x: &[i16], f: f64| {
            let w = 2.0 * std::f64::consts::PI * f / 48_000.0;
            let (mut s1, mut s2) = (0.0, 0.0);
            for &v in x {
                let s0 = f64::from(v) + 2.0 * w.cos() * s1 - s2;
                s2 = s1;
                s1 = s0;
            }
            (s1 * s1 + s2 * s2 - 2.0 * w.cos() * s1 * s2).sqrt()
        };
        let ratio = 20.0 * (goertzel(mid, 7000.0) / goertzel(mid, 1000.0)).log10();
        assert!(ratio < -60.0, "7 kHz image at {ratio:.1} dB");
        assert!(StreamResampler::new(8000, 11_025).is_err());
        assert!(StreamResampler::new(0, 8000).is_err());
    }

    #[test]
    fn bad_rates_are_refused() {
        assert!(Resampler::new(8000, 16000).is_err());
        assert!(Resampler::new(0, 8000).is_err());
    }
}
