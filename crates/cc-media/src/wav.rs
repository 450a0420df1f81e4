//! WAV files of telephone audio: 8 kHz, mono, 16-bit signed PCM, read and written with
//! `hound`.
//!
//! Any other format (another rate, stereo, 8-bit, float) is refused with
//! [`Error::WavFormat`] naming what the file holds; this module never resamples.

use std::path::Path;

use crate::error::{Error, Result};

/// The sample rate of telephone audio, in Hz.
pub const TELEPHONE_RATE: u32 = 8000;

/// The format this module reads and writes: 8 kHz, 1 channel, 16-bit signed integers.
pub fn telephone_spec() -> hound::WavSpec {
    hound::WavSpec {
        channels: 1,
        sample_rate: TELEPHONE_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    }
}

fn describe(spec: hound::WavSpec) -> String {
    let format = match spec.sample_format {
        hound::SampleFormat::Int => "int",
        hound::SampleFormat::Float => "float",
    };
    let channels = if spec.channels == 1 { "channel" } else { "channels" };
    format!(
        "{} Hz, {} {channels}, {}-bit {format}",
        spec.sample_rate, spec.channels, spec.bits_per_sample
    )
}

fn wav_error(path: &Path, source: hound::Error) -> Error {
    match source {
        hound::Error::IoError(source) => Error::Io {
            path: path.to_owned(),
            source,
        },
        source => Error::Wav {
            path: path.to_owned(),
            source,
        },
    }
}

/// Reads all samples of an 8 kHz mono 16-bit WAV file.
///
/// ```no_run
/// let samples = cc_media::wav::read_telephone_wav("prompt.wav".as_ref())?;
/// # Ok::<(), cc_media::Error>(())
/// ```
pub fn read_telephone_wav(path: &Path) -> Result<Vec<i16>> {
    let reader = hound::WavReader::open(path).map_err(|e| wav_error(path, e))?;
    let spec = reader.spec();
    if spec != telephone_spec() {
        return Err(Error::WavFormat {
            path: path.to_owned(),
            found: describe(spec),
            expected: describe(telephone_spec()),
        });
    }
    reader
        .into_samples::<i16>()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| wav_error(path, e))
}

/// Writes `samples` as an 8 kHz mono 16-bit WAV file, replacing any file at `path`.
pub fn write_telephone_wav(path: &Path, samples: &[i16]) -> Result<()> {
    let mut writer = hound::WavWriter::create(path, telephone_spec()).map_err(|e| wav_error(path, e))?;
    let mut pcm = writer.get_i16_writer(samples.len() as u32);
    for &sample in samples {
        pcm.write_sample(sample);
    }
    pcm.flush().map_err(|e| wav_error(path, e))?;
    writer.finalize().map_err(|e| wav_error(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.wav");
        let samples: Vec<i16> = (0..1000).map(|i| (i * 37 - 18_000) as i16).collect();
        write_telephone_wav(&path, &samples).unwrap();
        assert_eq!(read_telephone_wav(&path).unwrap(), samples);

        let stereo = dir.path().join("stereo.wav");
        let spec = hound::WavSpec {
            channels: 2,
            ..telephone_spec()
        };
        let mut w = hound::WavWriter::create(&stereo, spec).unwrap();
        w.write_sample(1_i16).unwrap();
        w.write_sample(2_i16).unwrap();
        w.finalize().unwrap();
        let err = read_telephone_wav(&stereo).unwrap_err().to_string();
        assert!(
            err.contains("2 channels") && err.contains("expected 8000 Hz, 1 channel"),
            "{err}"
        );

        let wide = dir.path().join("wide.wav");
        let spec = hound::WavSpec {
            sample_rate: 16_000,
            ..telephone_spec()
        };
        hound::WavWriter::create(&wide, spec).unwrap().finalize().unwrap();
        let err = read_telephone_wav(&wide).unwrap_err().to_string();
        assert!(err.contains("16000 Hz"), "{err}");

        let missing = read_telephone_wav(&dir.path().join("none.wav"))
            .unwrap_err()
            .to_string();
        assert!(missing.contains("none.wav"), "{missing}");

        let junk = dir.path().join("junk.wav");
        std::fs::write(&junk, b"not a wav file at all").unwrap();
        assert!(read_telephone_wav(&junk).is_err());
    }
}
