//! The items a [`Player`](super::Player) plays, each filling part of a frame.

use super::prompt::PromptAudio;
use super::tones::ToneGenerator;

/// One queued item: decoded audio (once or looping), a tone, or silence.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// Decoded 8 kHz audio from `pos`; looping sources wrap to the start and never end.
    Audio {
        audio: PromptAudio,
        pos: usize,
        looping: bool,
    },
    /// A tone for `remaining` samples, or until skipped when `None`.
    Tone {
        generator: Box<ToneGenerator>,
        remaining: Option<u64>,
    },
    /// Silence for `remaining` samples.
    Silence { remaining: u64 },
}

impl Source {
    /// Whether the item has nothing more to play.
    pub(crate) fn finished(&self) -> bool {
        match self {
            Source::Audio { audio, pos, looping } => audio.is_empty() || (!looping && *pos >= audio.len()),
            Source::Tone { remaining, .. } => *remaining == Some(0),
            Source::Silence { remaining } => *remaining == 0,
        }
    }

    /// Fills the start of `out`; returns how many samples were written. Writes at least one
    /// sample into a non-empty `out` unless [`finished`](Self::finished).
    pub(crate) fn fill(&mut self, out: &mut [i16]) -> usize {
        if self.finished() {
            return 0;
        }
        match self {
            Source::Audio { audio, pos, looping } => {
                let mut written = 0;
                while written < out.len() {
                    let rest = audio.get(*pos..).unwrap_or(&[]);
                    let n = rest.len().min(out.len() - written);
                    if let (Some(dst), Some(src)) = (out.get_mut(written..written + n), rest.get(..n)) {
                        dst.copy_from_slice(src);
                    }
                    written += n;
                    *pos += n;
                    if *pos >= audio.len() {
                        if *looping {
                            *pos = 0;
                        } else {
                            break;
                        }
                    }
                }
                written
            }
            Source::Tone { generator, remaining } => {
                let n = match remaining {
                    Some(r) => out.len().min(usize::try_from(*r).unwrap_or(usize::MAX)),
                    None => out.len(),
                };
                if let Some(dst) = out.get_mut(..n) {
                    generator.fill(dst);
                }
                if let Some(r) = remaining {
                    *r -= n as u64;
                }
                n
            }
            Source::Silence { remaining } => {
                let n = out.len().min(usize::try_from(*remaining).unwrap_or(usize::MAX));
                if let Some(dst) = out.get_mut(..n) {
                    dst.fill(0);
                }
                *remaining -= n as u64;
                n
            }
        }
    }
}
