//! The player: what a caller hears from the center, sans-IO.
//!
//! Produces 20 ms frames of 16-bit linear PCM at 8 kHz into caller buffers.
//!
//! - [`Player`]: the queue read out frame by frame, stoppable at once for barge-in;
//! - [`tones`]: call-progress tones per country by exact phase accumulator;
//! - [`prompt`]: prompt sets per language, decoded, resampled and cached;
//! - [`resample`]: windowed-sinc polyphase resampling of prompts to 8 kHz.
//! - [`say`]: numbers, digits, dates and money as prompt keys (zh-CN, en);

pub mod prompt;
pub mod resample;
pub mod say;
mod source;
pub mod tones;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use crate::error::Result;
use prompt::{PromptAudio, PromptSet};
use say::{Date, Language};
use source::Source;
use tones::{ToneGenerator, ToneSpec};

/// The player's sample rate, in Hz.
pub const RATE: u32 = 8000;
/// Samples in one 20 ms frame at 8 kHz.
pub const FRAME: usize = 160;

/// What [`Player::next_frame`] produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlayState {
    /// The frame holds queued audio (padded with silence if the queue ran out within it).
    Playing,
    /// The queue was empty: the frame is silence and nothing more will play until
    /// something is queued.
    Done,
}

/// Samples in `duration` at 8 kHz, rounded down.
fn samples_of(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros() * u128::from(RATE) / 1_000_000).unwrap_or(u64::MAX)
}

/// A sans-IO player: a queue of prompts, tones, silences, spoken numbers and music on hold,
/// read out as 20 ms frames at 8 kHz by [`next_frame`](Self::next_frame).
///
/// Prompts are loaded (and checked) when queued, so a missing prompt is an error at the
/// call that queues it, and nothing of a failed say-call is queued. [`stop`](Self::stop)
/// empties the queue at once, for barge-in: the next frame is already silence.
///
/// ```no_run
/// use std::sync::Arc;
/// use cc_media::player::{FRAME, PlayState, Player, prompt::PromptSet, say::Language};
///
/// let mut player = Player::new(Arc::new(PromptSet::new("prompts")));
/// player.play_prompt("zh-CN", "welcome")?;
/// player.say_number(Language::ZhCn, 123)?;
/// let mut frame = [0_i16; FRAME];
/// while player.next_frame(&mut frame) == PlayState::Playing {
///     // encode and send `frame`
/// }
/// # Ok::<(), cc_media::Error>(())
/// ```
#[derive(Debug)]
pub struct Player {
    prompts: Arc<PromptSet>,
    queue: VecDeque<Source>,
}

impl Player {
    /// An idle player reading prompts from `prompts`.
    pub fn new(prompts: Arc<PromptSet>) -> Self {
        Self {
            prompts,
            queue: VecDeque::new(),
        }
    }

    /// The prompt set this player reads from.
    pub fn prompts(&self) -> &Arc<PromptSet> {
        &self.prompts
    }

    /// Queues prompt `key` of `language` (a folder of the prompt set).
    pub fn play_prompt(&mut self, language: &str, key: &str) -> Result<()> {
        let audio = self.prompts.load(language, key)?;
        self.play_audio(audio);
        Ok(())
    }

    /// Queues already decoded 8 kHz mono audio.
    pub fn play_audio(&mut self, audio: PromptAudio) {
        self.queue.push_back(Source::Audio {
            audio,
            pos: 0,
            looping: false,
        });
    }

    /// Queues prompt `key` of `language` as music on hold: it loops without a gap until
    /// [`skip`](Self::skip) or [`stop`](Self::stop).
    pub fn play_music_on_hold(&mut self, language: &str, key: &str) -> Result<()> {
        let audio = self.prompts.load(language, key)?;
        self.play_looping(audio);
        Ok(())
    }

    /// Queues decoded audio to loop until skipped or stopped.
    pub fn play_looping(&mut self, audio: PromptAudio) {
        self.queue.push_back(Source::Audio {
            audio,
            pos: 0,
            looping: true,
        });
    }

    /// Queues a tone for `duration` (rounded down to whole samples), or until skipped or
    /// stopped when `None`.
    pub fn play_tone(&mut self, spec: ToneSpec, duration: Option<Duration>) {
        self.queue.push_back(Source::Tone {
            generator: Box::new(ToneGenerator::new(spec)),
            remaining: duration.map(samples_of),
        });
    }

    /// Queues `duration` of silence (rounded down to whole samples).
    pub fn play_silence(&mut self, duration: Duration) {
        self.queue.push_back(Source::Silence {
            remaining: samples_of(duration),
        });
    }

    /// Loads every prompt of `keys` first, then queues them all, or nothing on error.
    fn play_keys(&mut self, language: Language, keys: &[&str]) -> Result<()> {
        let audio = keys
            .iter()
            .map(|key| self.prompts.load(language.folder(), key))
            .collect::<Result<Vec<_>>>()?;
        for a in audio {
            self.play_audio(a);
        }
        Ok(())
    }

    /// Queues `n` read as a number (see [`say::number`]).
    pub fn say_number(&mut self, language: Language, n: u64) -> Result<()> {
        self.play_keys(language, &say::number(language, n))
    }

    /// Queues `digits` read one by one (see [`say::digits`]).
    pub fn say_digits(&mut self, language: Language, digits: &str) -> Result<()> {
        let keys = say::digits(language, digits)?;
        self.play_keys(language, &keys)
    }

    /// Queues `date` read out (see [`say::date`]).
    pub fn say_date(&mut self, language: Language, date: Date) -> Result<()> {
        let keys = say::date(language, date)?;
        self.play_keys(language, &keys)
    }

    /// Queues an amount in cents read as money (see [`say::money`]).
    pub fn say_money(&mut self, language: Language, cents: u64) -> Result<()> {
        self.play_keys(language, &say::money(language, cents))
    }

    /// Fills `frame` with the next 20 ms; items follow one another within a frame without
    /// a gap. Allocates nothing.
    pub fn next_frame(&mut self, frame: &mut [i16; FRAME]) -> PlayState {
        let mut filled = 0;
        while filled < FRAME {
            let Some(item) = self.queue.front_mut() else {
                break;
            };
            filled += item.fill(frame.get_mut(filled..).unwrap_or(&mut []));
            if item.finished() {
                self.queue.pop_front();
            }
        }
        if let Some(rest) = frame.get_mut(filled..) {
            rest.fill(0);
        }
        if filled == 0 {
            PlayState::Done
        } else {
            PlayState::Playing
        }
    }

    /// Ends the item playing now (a tone until stopped, music on hold, a prompt being
    /// barged in on) and goes on with the next.
    pub fn skip(&mut self) {
        self.queue.pop_front();
    }

    /// Empties the queue at once (barge-in); the next frame is [`PlayState::Done`].
    pub fn stop(&mut self) {
        self.queue.clear();
    }

    /// Whether nothing is queued.
    pub fn is_idle(&self) -> bool {
        self.queue.is_empty()
    }

    /// How many items are queued, the one playing included.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }
}

#[cfg(test)]
mod tests;
