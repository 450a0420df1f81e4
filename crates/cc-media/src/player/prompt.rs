//! Prompt sets: recorded prompts per language, read with `hound`, converted to 8 kHz mono
//! 16-bit and cached.
//!
//! A prompt set is a directory with one folder per language and one WAV file per prompt:
//! `prompts/zh-CN/welcome.wav` is prompt `welcome` in language `zh-CN`. Files at 8 kHz,
//! mono, 16-bit are used as they are; other rates are resampled with
//! [`Resampler`], more channels are averaged to mono, and 8-, 24- and 32-bit integer or
//! 32-bit float samples are scaled to 16 bits. A missing, unreadable or empty prompt is an
//! [`Error::Prompt`] naming the language, the prompt and the file, never silence.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::RATE;
use super::resample::Resampler;
use crate::error::{Error, Result};

/// Decoded prompt audio: 8 kHz mono 16-bit samples, shared.
pub type PromptAudio = Arc<[i16]>;

/// Recorded prompts under a root directory, one folder per language, decoded once and
/// cached.
#[derive(Debug)]
pub struct PromptSet {
    root: PathBuf,
    cache: Mutex<HashMap<(String, String), PromptAudio>>,
}

/// Whether a language or prompt name is a plain file name (no separators, not `.`/`..`).
fn plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

impl PromptSet {
    /// A prompt set rooted at `root`; nothing is read until a prompt is asked for.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file prompt `key` of `language` is read from.
    pub fn path_of(&self, language: &str, key: &str) -> PathBuf {
        self.root.join(language).join(format!("{key}.wav"))
    }

    /// The audio of prompt `key` in `language`, 8 kHz mono 16-bit, from the cache or read
    /// now.
    pub fn load(&self, language: &str, key: &str) -> Result<PromptAudio> {
        let path = self.path_of(language, key);
        let fail = |reason: String| Error::Prompt {
            language: language.to_owned(),
            key: key.to_owned(),
            path: path.clone(),
            reason,
        };
        if !plain_name(language) || !plain_name(key) {
            return Err(fail(
                "language and prompt names must be plain names without path separators".into(),
            ));
        }
        let cache_key = (language.to_owned(), key.to_owned());
        if let Some(audio) = self.cache.lock().ok().and_then(|c| c.get(&cache_key).cloned()) {
            return Ok(audio);
        }
        let audio: PromptAudio = decode(&path).map_err(fail)?.into();
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(cache_key, audio.clone());
        }
        Ok(audio)
    }
}

/// Reads a WAV file of any common format into 8 kHz mono 16-bit samples.
fn decode(path: &Path) -> Result<Vec<i16>, String> {
    let reader = hound::WavReader::open(path).map_err(|e| match e {
        hound::Error::IoError(io) if io.kind() == std::io::ErrorKind::NotFound => {
            "no such prompt file".to_owned()
        }
        e => format!("cannot read WAV: {e}"),
    })?;
    let spec = reader.spec();
    let channels = usize::from(spec.channels.max(1));
    let interleaved: Vec<i32> = match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Int, bits @ 1..=32) => {
            let shift = i32::from(bits) - 16;
            reader
                .into_samples::<i32>()
                .map(|s| s.map(|v| if shift >= 0 { v >> shift } else { v << -shift }))
                .collect::<Result<_, _>>()
                .map_err(|e| format!("cannot read WAV samples: {e}"))?
        }
        (hound::SampleFormat::Float, 32) => reader
            .into_samples::<f32>()
            .map(|s| s.map(|v| (v * 32768.0).round().clamp(-32768.0, 32767.0) as i32))
            .collect::<Result<_, _>>()
            .map_err(|e| format!("cannot read WAV samples: {e}"))?,
        (format, bits) => {
            return Err(format!("unsupported WAV sample format: {bits}-bit {format:?}"));
        }
    };
    let mono: Vec<i16> = interleaved
        .chunks(channels)
        .map(|frame| {
            let sum: i64 = frame.iter().map(|&v| i64::from(v)).sum();
            (sum / frame.len().max(1) as i64).clamp(-32768, 32767) as i16
        })
        .collect();
    if mono.is_empty() {
        return Err("WAV file holds no audio".to_owned());
    }
    if spec.sample_rate == RATE {
        return Ok(mono);
    }
    let resampler = Resampler::new(spec.sample_rate, RATE)
        .map_err(|_| format!("cannot convert {} Hz to 8000 Hz", spec.sample_rate))?;
    Ok(resampler.process(&mono))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, spec: hound::WavSpec, samples: &[i16]) {
        std::fs::create_dir_all(path.parent().expect("has parent")).expect("mkdir");
        let mut w = hound::WavWriter::create(path, spec).expect("create");
        for &s in samples {
            w.write_sample(s).expect("write");
        }
        w.finalize().expect("finalize");
    }

    fn spec(rate: u32, channels: u16) -> hound::WavSpec {
        hound::WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        }
    }

    #[test]
    fn telephone_wav_is_used_as_is_and_cached() {
        let dir = tempfile::tempdir().expect("tempdir");
        let samples: Vec<i16> = (0..800).map(|i| (i * 7 % 2000) as i16).collect();
        write(&dir.path().join("zh-CN/welcome.wav"), spec(8000, 1), &samples);
        let set = PromptSet::new(dir.path());
        let a = set.load("zh-CN", "welcome").expect("loads");
        assert_eq!(&a[..], &samples[..]);
        let b = set.load("zh-CN", "welcome").expect("cached");
        assert!(Arc::ptr_eq(&a, &b));
    }

    #[test]
    fn stereo_is_averaged_and_16k_resampled() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Left 1000, right 3000, 1 s at 16 kHz: mono 2000, 8000 samples.
        let samples: Vec<i16> = (0..32000).map(|i| if i % 2 == 0 { 1000 } else { 3000 }).collect();
        write(&dir.path().join("en/hold.wav"), spec(16000, 2), &samples);
        let set = PromptSet::new(dir.path());
        let a = set.load("en", "hold").expect("loads");
        assert_eq!(a.len(), 8000);
        assert!(a[100..7900].iter().all(|&s| (1998..=2002).contains(&s)));
    }

    #[test]
    fn missing_prompt_names_language_key_and_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let set = PromptSet::new(dir.path());
        let err = set.load("zh-CN", "goodbye").expect_err("missing");
        let text = err.to_string();
        assert!(text.contains("\"goodbye\""), "{text}");
        assert!(text.contains("\"zh-CN\""), "{text}");
        assert!(text.contains("goodbye.wav"), "{text}");
        assert!(text.contains("no such prompt file"), "{text}");
        assert!(matches!(err, Error::Prompt { .. }));
    }

    #[test]
    fn unreadable_and_empty_prompts_are_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("en")).expect("mkdir");
        std::fs::write(dir.path().join("en/junk.wav"), b"not a wav file").expect("write");
        write(&dir.path().join("en/empty.wav"), spec(8000, 1), &[]);
        let set = PromptSet::new(dir.path());
        let junk = set.load("en", "junk").expect_err("junk").to_string();
        assert!(junk.contains("cannot read WAV"), "{junk}");
        let empty = set.load("en", "empty").expect_err("empty").to_string();
        assert!(empty.contains("no audio"), "{empty}");
        assert!(set.load("..", "x").is_err());
        assert!(set.load("en", "../en/junk").is_err());
    }
}
