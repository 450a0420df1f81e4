//! Opus (RFC 6716, RTP payload RFC 7587) over the system libopus, through `audiopus`.
//!
//! One [`Opus`] holds one encoder and one decoder, mono, 20 ms frames, at 8, 16 or 48 kHz
//! of PCM. Complexity, bitrate, in-band FEC and DTX are set once from an [`OpusConfig`],
//! which is validated before libopus sees it. Encoding and decoding write into the
//! caller's buffers; nothing is allocated per frame. A lost packet is concealed with
//! [`Opus::decode_missing`]: libopus' packet-loss concealment, or the in-band FEC copy
//! carried by the next packet when that packet is at hand.
//!
//! The RTP clock of Opus is always 48 kHz (RFC 7587 §4.1), whatever the PCM rate, so
//! [`Codec::clock_rate`] is 48,000 and [`Codec::frame_samples`] counts samples at
//! [`Opus::sample_rate`].

use audiopus::coder::{Decoder, Encoder};
use audiopus::{Application, Bitrate, Channels, SampleRate};

use crate::codec::{Codec, FRAME_MS};
use crate::error::{Error, Result};

/// The RTP clock rate of Opus, whatever the PCM rate (RFC 7587 §4.1).
pub const RTP_CLOCK_RATE: u32 = 48_000;

/// The largest Opus packet of one frame (RFC 6716 §3.2.1); a payload buffer this long
/// always suffices.
pub const MAX_PACKET: usize = 1275;

/// `OPUS_SET_DTX_REQUEST` of `opus_defines.h`.
const SET_DTX_REQUEST: i32 = 4016;

/// Settings of an [`Opus`] codec, checked by [`OpusConfig::validate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpusConfig {
    /// PCM sample rate in Hz: 8000, 16000 or 48000.
    pub sample_rate: u32,
    /// Target bitrate in bits per second, 6000 to 510000.
    pub bitrate: u32,
    /// Encoder complexity, 0 (cheapest) to 10 (best).
    pub complexity: u8,
    /// Whether the encoder adds in-band FEC (a low-rate copy of the previous frame).
    pub fec: bool,
    /// The packet loss, in percent (0 to 100), the encoder plans FEC for; FEC is only
    /// sent when this is above zero.
    pub expected_loss_percent: u8,
    /// Whether the encoder sends discontinuous transmission: packets of 1 or 2 bytes
    /// during silence, which the caller may leave unsent.
    pub dtx: bool,
    /// The dynamic RTP payload type, 96 to 127.
    pub payload_type: u8,
}

impl Default for OpusConfig {
    /// 48 kHz, 32 kbit/s, complexity 5, FEC on for 10 % loss, DTX off, payload type 111.
    fn default() -> Self {
        Self {
            sample_rate: 48_000,
            bitrate: 32_000,
            complexity: 5,
            fec: true,
            expected_loss_percent: 10,
            dtx: false,
            payload_type: 111,
        }
    }
}

impl OpusConfig {
    /// Checks every setting; the error names the first bad one and its value.
    pub fn validate(&self) -> Result<()> {
        fn bad(name: &'static str, value: &dyn std::fmt::Display, expected: &'static str) -> Error {
            Error::InvalidSetting {
                name,
                value: value.to_string(),
                expected,
            }
        }
        if !matches!(self.sample_rate, 8_000 | 16_000 | 48_000) {
            return Err(bad(
                "opus sample rate",
                &self.sample_rate,
                "8000, 16000 or 48000 Hz",
            ));
        }
        if !(6_000..=510_000).contains(&self.bitrate) {
            return Err(bad("opus bitrate", &self.bitrate, "6000 to 510000 bit/s"));
        }
        if self.complexity > 10 {
            return Err(bad("opus complexity", &self.complexity, "0 to 10"));
        }
        if self.expected_loss_percent > 100 {
            return Err(bad(
                "opus expected loss",
                &self.expected_loss_percent,
                "0 to 100 percent",
            ));
        }
        if !(96..=127).contains(&self.payload_type) {
            return Err(bad(
                "opus payload type",
                &self.payload_type,
                "a dynamic RTP payload type, 96 to 127",
            ));
        }
        Ok(())
    }

    fn audiopus_rate(&self) -> Result<SampleRate> {
        match self.sample_rate {
            8_000 => Ok(SampleRate::Hz8000),
            16_000 => Ok(SampleRate::Hz16000),
            48_000 => Ok(SampleRate::Hz48000),
            other => Err(Error::InvalidSetting {
                name: "opus sample rate",
                value: other.to_string(),
                expected: "8000, 16000 or 48000 Hz",
            }),
        }
    }
}

fn opus_err(operation: &'static str) -> impl FnOnce(audiopus::Error) -> Error {
    move |source| Error::Opus { operation, source }
}

/// An Opus codec: one mono encoder and decoder pair with 20 ms frames.
///
/// ```
/// use cc_media::codec::{Codec, Opus, OpusConfig};
///
/// let mut opus = Opus::new(OpusConfig { sample_rate: 16_000, ..OpusConfig::default() })?;
/// let pcm = [0_i16; 320]; // 20 ms at 16 kHz
/// let mut payload = [0_u8; cc_media::codec::opus::MAX_PACKET];
/// let n = opus.encode(&pcm, &mut payload)?;
/// let mut back = [0_i16; 320];
/// assert_eq!(opus.decode(&payload[..n], &mut back)?, 320);
/// // The next packet was lost: conceal it.
/// assert_eq!(opus.decode_missing(None, &mut back)?, 320);
/// # Ok::<(), cc_media::Error>(())
/// ```
pub struct Opus {
    config: OpusConfig,
    rate: SampleRate,
    frame: usize,
    encoder: Encoder,
    decoder: Decoder,
    /// Where a packet is encoded when the caller's buffer is shorter than [`MAX_PACKET`],
    /// so that a too-small buffer is left untouched.
    scratch: [u8; MAX_PACKET],
}

impl std::fmt::Debug for Opus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opus")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Opus {
    /// Builds an encoder and a decoder for `config`, after [`OpusConfig::validate`].
    pub fn new(config: OpusConfig) -> Result<Self> {
        config.validate()?;
        let rate = config.audiopus_rate()?;
        let mut encoder =
            Encoder::new(rate, Channels::Mono, Application::Voip).map_err(opus_err("configure"))?;
        encoder
            .set_complexity(config.complexity)
            .map_err(opus_err("configure"))?;
        // Bounded to 510000 above, so the conversion cannot fail.
        let bits = i32::try_from(config.bitrate).unwrap_or(510_000);
        encoder
            .set_bitrate(Bitrate::BitsPerSecond(bits))
            .map_err(opus_err("configure"))?;
        encoder
            .set_inband_fec(config.fec)
            .map_err(opus_err("configure"))?;
        encoder
            .set_packet_loss_perc(config.expected_loss_percent)
            .map_err(opus_err("configure"))?;
        encoder
            .set_encoder_ctl_request(SET_DTX_REQUEST, i32::from(config.dtx))
            .map_err(opus_err("configure"))?;
        let decoder = Decoder::new(rate, Channels::Mono).map_err(opus_err("configure"))?;
        Ok(Self {
            config,
            rate,
            frame: (config.sample_rate * FRAME_MS / 1000) as usize,
            encoder,
            decoder,
            scratch: [0; MAX_PACKET],
        })
    }

    /// The settings this codec was built with.
    pub fn config(&self) -> &OpusConfig {
        &self.config
    }

    /// The PCM sample rate in Hz (8000, 16000 or 48000); not the RTP clock rate.
    pub fn sample_rate(&self) -> u32 {
        self.config.sample_rate
    }

    /// The encoder's look-ahead in samples at [`Opus::sample_rate`]: how far decoded audio
    /// lags the input (the whole codec delay).
    pub fn lookahead(&self) -> Result<u32> {
        self.encoder.lookahead().map_err(opus_err("configure"))
    }

    /// Fills `out` with one 20 ms frame standing for a lost packet and returns how many
    /// samples were written.
    ///
    /// With `next`, the packet after the lost one, the frame is rebuilt from the FEC copy
    /// that `next` carries (libopus falls back to concealment when it carries none); `next`
    /// must then still be decoded with [`Codec::decode`]. Without it, libopus' packet-loss
    /// concealment extrapolates from the audio before the gap.
    ///
    /// Fails with [`Error::BufferTooSmall`] when `out` is shorter than one frame, and with
    /// [`Error::Opus`] when `next` is malformed.
    pub fn decode_missing(&mut self, next: Option<&[u8]>, out: &mut [i16]) -> Result<usize> {
        let frame = self.frame;
        let Some(out) = out.get_mut(..frame) else {
            return Err(Error::BufferTooSmall {
                needed: frame,
                got: out.len(),
                unit: "samples",
            });
        };
        let decoded = match next {
            Some(packet) if !packet.is_empty() => self.decoder.decode(Some(packet), out, true),
            _ => self.decoder.decode(None::<&[u8]>, out, false),
        };
        decoded.map_err(opus_err("conceal"))
    }
}

impl Codec for Opus {
    fn name(&self) -> &'static str {
        "opus"
    }

    fn payload_type(&self) -> u8 {
        self.config.payload_type
    }

    /// Always 48,000 (RFC 7587 §4.1); see [`Opus::sample_rate`] for the PCM rate.
    fn clock_rate(&self) -> u32 {
        RTP_CLOCK_RATE
    }

    /// Samples in 20 ms at [`Opus::sample_rate`].
    fn frame_samples(&self) -> usize {
        self.frame
    }

    /// Encodes exactly one 20 ms frame.
    ///
    /// Fails with [`Error::FrameLength`] when `pcm` is not one frame long, and with
    /// [`Error::BufferTooSmall`] when the packet does not fit `out` (a buffer of
    /// [`MAX_PACKET`] bytes always fits). With DTX on, a packet of 2 bytes or fewer is a
    /// silence marker the caller may leave unsent.
    fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize> {
        if pcm.len() != self.frame {
            return Err(Error::FrameLength {
                got: pcm.len(),
                expected: self.frame,
                what: "opus encoder",
            });
        }
        if out.len() >= MAX_PACKET {
            return self.encoder.encode(pcm, out).map_err(opus_err("encode"));
        }
        let n = self
            .encoder
            .encode(pcm, &mut self.scratch)
            .map_err(opus_err("encode"))?;
        let packet = self.scratch.get(..n).unwrap_or_default();
        match out.get_mut(..n) {
            Some(dst) => {
                dst.copy_from_slice(packet);
                Ok(n)
            }
            None => Err(Error::BufferTooSmall {
                needed: n,
                got: out.len(),
                unit: "bytes",
            }),
        }
    }

    /// Decodes one packet.
    ///
    /// Fails with [`Error::Opus`] when the packet is empty or malformed, and with
    /// [`Error::BufferTooSmall`] when `out` cannot hold the packet's samples.
    /// One 20 ms frame from the FEC copy in `next`, or from libopus' concealment
    /// (see [`Opus::decode_missing`]).
    fn conceal(&mut self, next: Option<&[u8]>, out: &mut [i16]) -> Result<usize> {
        self.decode_missing(next, out)
    }

    fn decode(&mut self, payload: &[u8], out: &mut [i16]) -> Result<usize> {
        let needed = audiopus::packet::nb_samples(payload, self.rate).map_err(opus_err("decode"))?;
        if needed > out.len() {
            return Err(Error::BufferTooSmall {
                needed,
                got: out.len(),
                unit: "samples",
            });
        }
        self.decoder
            .decode(Some(payload), out, false)
            .map_err(opus_err("decode"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATES: [u32; 3] = [8_000, 16_000, 48_000];

    fn codec(sample_rate: u32) -> Opus {
        match Opus::new(OpusConfig {
            sample_rate,
            ..OpusConfig::default()
        }) {
            Ok(c) => c,
            Err(e) => panic!("opus at {sample_rate} Hz: {e}"),
        }
    }

    fn tone(rate: u32, seconds: f64) -> Vec<i16> {
        let n = (f64::from(rate) * seconds) as usize;
        (0..n)
            .map(|i| {
                let t = i as f64 / f64::from(rate);
                (8000.0 * (2.0 * std::f64::consts::PI * 1000.0 * t).sin()) as i16
            })
            .collect()
    }

    /// White-ish noise from a 32-bit LCG, about -16 dBFS.
    fn noise(rate: u32, seconds: f64) -> Vec<i16> {
        let n = (f64::from(rate) * seconds) as usize;
        let mut x: u32 = 0x1234_5678;
        (0..n)
            .map(|_| {
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                ((x >> 16) as i16) / 6
            })
            .collect()
    }

    /// Encodes and decodes `pcm` frame by frame; returns the decoded signal and the
    /// packet sizes.
    fn round_trip(opus: &mut Opus, pcm: &[i16]) -> (Vec<i16>, Vec<usize>) {
        let frame = opus.frame_samples();
        let mut payload = [0_u8; MAX_PACKET];
        let mut out = vec![0_i16; frame];
        let mut decoded = Vec::with_capacity(pcm.len());
        let mut sizes = Vec::new();
        for chunk in pcm.chunks_exact(frame) {
            let n = opus.encode(chunk, &mut payload).expect("encode");
            sizes.push(n);
            let m = opus.decode(&payload[..n], &mut out).expect("decode");
            assert_eq!(m, frame);
            decoded.extend_from_slice(&out);
        }
        (decoded, sizes)
    }

    /// The lag (0 to `max_lag` samples) at which `decoded` best matches `pcm`, by
    /// cross-correlation.
    fn best_lag(pcm: &[i16], decoded: &[i16], max_lag: usize) -> usize {
        let corr = |lag: usize| -> f64 {
            pcm.iter()
                .zip(&decoded[lag..])
                .map(|(&a, &b)| f64::from(a) * f64::from(b))
                .sum()
        };
        (0..=max_lag)
            .max_by(|&a, &b| corr(a).total_cmp(&corr(b)))
            .unwrap_or(0)
    }

    /// SNR in dB of `decoded` against `pcm` after removing the codec delay, skipping the
    /// first 100 ms (encoder start-up).
    fn snr_db(rate: u32, pcm: &[i16], decoded: &[i16]) -> (f64, usize) {
        let skip = rate as usize / 10;
        let lag = best_lag(&pcm[skip..], &decoded[skip..], rate as usize / 100);
        let a = &pcm[skip..pcm.len() - lag];
        let b = &decoded[skip + lag..];
        let (mut sig, mut err) = (0.0, 0.0);
        for (&x, &y) in a.iter().zip(b) {
            sig += f64::from(x).powi(2);
            err += (f64::from(x) - f64::from(y)).powi(2);
        }
        (10.0 * (sig / err.max(1.0)).log10(), lag)
    }

    #[test]
    fn opus_tone_round_trip_beats_the_snr_floor() {
        for rate in RATES {
            let mut opus = codec(rate);
            let pcm = tone(rate, 1.0);
            let (decoded, _) = round_trip(&mut opus, &pcm);
            let (snr, lag) = snr_db(rate, &pcm, &decoded);
            eprintln!("tone {rate} Hz: SNR {snr:.1} dB at lag {lag}");
            // A 1 kHz tone repeats every rate/1000 samples, so the lag found is the codec
            // delay (checked on noise below) modulo that period.
            let floor = tone_floor_db(rate);
            assert!(
                snr > floor,
                "tone at {rate} Hz: SNR {snr:.1} dB, floor {floor} dB"
            );
        }
    }

    #[test]
    fn opus_noise_round_trip_beats_the_snr_floor() {
        for rate in RATES {
            let mut opus = Opus::new(OpusConfig {
                sample_rate: rate,
                bitrate: 64_000,
                ..OpusConfig::default()
            })
            .expect("config");
            let pcm = noise(rate, 1.0);
            let (decoded, _) = round_trip(&mut opus, &pcm);
            let (snr, lag) = snr_db(rate, &pcm, &decoded);
            eprintln!("noise {rate} Hz: SNR {snr:.1} dB at lag {lag}");
            // Noise has one clear correlation peak: the whole codec delay.
            assert_eq!(lag, opus.lookahead().expect("lookahead") as usize);
            let floor = noise_floor_db(rate);
            assert!(
                snr > floor,
                "noise at {rate} Hz: SNR {snr:.1} dB, floor {floor} dB"
            );
            // Full-band noise is coded for its spectrum, not its waveform: the energy must
            // come through within 3 dB even where the SNR is near 0 dB.
            let skip = rate as usize / 10;
            let gain_db = 20.0 * (rms(&decoded[skip..]) / rms(&pcm[skip..])).log10();
            assert!(
                gain_db.abs() < 3.0,
                "noise at {rate} Hz: level off by {gain_db:.1} dB"
            );
        }
    }

    /// SNR floors, 3 dB under what libopus 1.3.1 gives at 32 kbit/s, complexity 5
    /// (measured: 20.6, 20.2 and 27.4 dB at 8, 16 and 48 kHz).
    fn tone_floor_db(rate: u32) -> f64 {
        if rate == 48_000 { 24.0 } else { 17.0 }
    }

    /// SNR floors for noise at 64 kbit/s (measured: 11.0, 7.4 and 0.4 dB at 8, 16 and
    /// 48 kHz; Opus codes full-band noise by its spectral envelope, not its waveform).
    fn noise_floor_db(rate: u32) -> f64 {
        match rate {
            8_000 => 8.0,
            16_000 => 4.5,
            _ => -2.0,
        }
    }

    #[test]
    fn opus_packet_size_follows_bitrate() {
        for rate in RATES {
            let mut mean = Vec::new();
            for bitrate in [12_000, 24_000, 64_000] {
                let mut opus = Opus::new(OpusConfig {
                    sample_rate: rate,
                    bitrate,
                    fec: false,
                    ..OpusConfig::default()
                })
                .expect("config");
                let (_, sizes) = round_trip(&mut opus, &noise(rate, 1.0));
                let avg = sizes.iter().sum::<usize>() as f64 / sizes.len() as f64;
                // Expected bytes per 20 ms packet: bitrate / 8 / 50.
                let expected = f64::from(bitrate) / 400.0;
                eprintln!("{rate} Hz at {bitrate} bit/s: {avg:.1} bytes, expected {expected:.1}");
                assert!(
                    avg > expected * 0.5 && avg < expected * 1.5,
                    "{rate} Hz at {bitrate} bit/s: mean packet {avg:.1} bytes, expected about {expected:.1}"
                );
                mean.push(avg);
            }
            assert!(mean.windows(2).all(|w| w[0] < w[1]), "{rate} Hz: {mean:?}");
        }
    }

    fn rms(x: &[i16]) -> f64 {
        (x.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
    }

    #[test]
    fn opus_plc_and_fec_fill_a_frame_after_a_tone() {
        for rate in RATES {
            let mut opus = codec(rate);
            let frame = opus.frame_samples();
            let pcm = tone(rate, 0.5);
            let mut payload = [0_u8; MAX_PACKET];
            let mut out = vec![0_i16; frame];
            for chunk in pcm.chunks_exact(frame) {
                let n = opus.encode(chunk, &mut payload).expect("encode");
                opus.decode(&payload[..n], &mut out).expect("decode");
            }
            // PLC: no packet at all.
            let mut concealed = vec![0_i16; frame + 7];
            assert_eq!(opus.decode_missing(None, &mut concealed).expect("plc"), frame);
            let plc = rms(&concealed[..frame]);
            eprintln!("PLC {rate} Hz: rms {plc:.0} (tone rms {:.0})", rms(&pcm));
            assert!(
                plc > rms(&pcm) * 0.1,
                "PLC at {rate} Hz is near silent: rms {plc:.0}"
            );

            // FEC: the lost frame rebuilt from the next packet.
            let more = tone(rate, 0.06);
            let mut packets = Vec::new();
            for chunk in more.chunks_exact(frame) {
                let n = opus.encode(chunk, &mut payload).expect("encode");
                packets.push(payload[..n].to_vec());
            }
            opus.decode(&packets[0], &mut out).expect("decode");
            // packets[1] is lost; packets[2] carries its FEC copy.
            assert_eq!(
                opus.decode_missing(Some(&packets[2]), &mut out).expect("fec"),
                frame
            );
            let fec = rms(&out);
            eprintln!("FEC {rate} Hz: rms {fec:.0}");
            assert!(
                fec > rms(&pcm) * 0.1,
                "FEC at {rate} Hz is near silent: rms {fec:.0}"
            );
            assert_eq!(opus.decode(&packets[2], &mut out).expect("decode"), frame);
        }
    }

    #[test]
    fn opus_bad_config_names_the_value() {
        let cases = [
            (
                OpusConfig {
                    sample_rate: 44_100,
                    ..OpusConfig::default()
                },
                "44100",
            ),
            (
                OpusConfig {
                    bitrate: 1_000,
                    ..OpusConfig::default()
                },
                "1000",
            ),
            (
                OpusConfig {
                    complexity: 11,
                    ..OpusConfig::default()
                },
                "11",
            ),
            (
                OpusConfig {
                    expected_loss_percent: 101,
                    ..OpusConfig::default()
                },
                "101",
            ),
            (
                OpusConfig {
                    payload_type: 0,
                    ..OpusConfig::default()
                },
                "payload type 0",
            ),
        ];
        for (config, needle) in cases {
            let err = Opus::new(config).expect_err("bad config accepted");
            assert!(matches!(err, Error::InvalidSetting { .. }), "{err:?}");
            assert!(err.to_string().contains(needle), "{err} lacks {needle}");
        }
    }

    #[test]
    fn opus_bad_input_gives_errors() {
        let mut opus = codec(16_000);
        let mut out = [0_i16; 320];
        // Empty packet.
        assert!(matches!(opus.decode(&[], &mut out), Err(Error::Opus { .. })));
        // A code-3 packet whose frame count byte says 0 frames: malformed.
        assert!(matches!(
            opus.decode(&[0x03, 0x00], &mut out),
            Err(Error::Opus { .. })
        ));
        // Garbage packets of every first byte must not panic.
        for toc in 0..=255_u8 {
            let _ = opus.decode(&[toc, 0xFF, 0x00, 0x13, 0x77], &mut out);
            let _ = opus.decode(&[toc], &mut out);
        }
        // Output too small for the packet.
        let mut payload = [0_u8; MAX_PACKET];
        let n = opus.encode(&[0; 320], &mut payload).expect("encode");
        let mut short = [0_i16; 100];
        assert!(matches!(
            opus.decode(&payload[..n], &mut short),
            Err(Error::BufferTooSmall {
                needed: 320,
                got: 100,
                ..
            })
        ));
        assert!(matches!(
            opus.decode_missing(None, &mut short),
            Err(Error::BufferTooSmall {
                needed: 320,
                got: 100,
                ..
            })
        ));
        // Wrong frame length.
        assert!(matches!(
            opus.encode(&[0; 319], &mut payload),
            Err(Error::FrameLength {
                got: 319,
                expected: 320,
                ..
            })
        ));
        // Payload buffer too small: an error, and the buffer is left as it was.
        let mut tiny = [0xAA_u8; 2];
        let pcm = noise(16_000, 0.02);
        assert!(matches!(
            opus.encode(&pcm, &mut tiny),
            Err(Error::BufferTooSmall { got: 2, .. })
        ));
        assert_eq!(tiny, [0xAA; 2]);
        // A short but sufficient buffer gets the packet.
        let mut mid = [0_u8; 400];
        assert!(opus.encode(&pcm, &mut mid).expect("encode") > 2);
    }

    #[test]
    fn opus_dtx_shrinks_silence_to_markers() {
        for (dtx, expect_markers) in [(true, true), (false, false)] {
            let mut opus = Opus::new(OpusConfig {
                sample_rate: 16_000,
                dtx,
                ..OpusConfig::default()
            })
            .expect("config");
            let (decoded, sizes) = round_trip(&mut opus, &vec![0_i16; 16_000]);
            let markers = sizes.iter().filter(|&&n| n <= 2).count();
            eprintln!("dtx {dtx}: {markers} of {} packets are markers", sizes.len());
            assert_eq!(markers > sizes.len() / 2, expect_markers, "{sizes:?}");
            assert!(decoded.iter().all(|&v| v.abs() < 100));
        }
    }

    #[test]
    fn opus_reports_rtp_clock_and_frame() {
        let opus = codec(8_000);
        assert_eq!(
            (opus.name(), opus.clock_rate(), opus.frame_samples()),
            ("opus", 48_000, 160)
        );
        assert_eq!(opus.payload_type(), 111);
        assert_eq!(opus.sample_rate(), 8_000);
    }
}
