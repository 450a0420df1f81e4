//! The player: what a caller hears from the center, sans-IO.
//!
//! Produces 20 ms frames of 16-bit linear PCM at 8 kHz into caller buffers.
//!
//! - [`tones`]: call-progress tones per country by exact phase accumulator;
//! - [`prompt`]: prompt sets per language, decoded, resampled and cached;
//! - [`resample`]: windowed-sinc polyphase resampling of prompts to 8 kHz.
//! - [`say`]: numbers, digits, dates and money as prompt keys (zh-CN, en);

pub mod prompt;
pub mod resample;
pub mod say;
pub mod tones;

/// The player's sample rate, in Hz.
pub const RATE: u32 = 8000;
/// Samples in one 20 ms frame at 8 kHz.
pub const FRAME: usize = 160;
