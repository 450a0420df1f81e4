//! Mixing the audio of a conference: the [`Mixer`] trait and the built-in [`NPartyMixer`].
//!
//! A mixer works frame by frame. Between frames participants join, leave and change
//! [`Role`]; each frame, the driver writes every participant's decoded input with
//! [`Mixer::input_mut`], calls [`Mixer::mix`] once, and reads what each participant hears
//! with [`Mixer::output`]. Each participant hears the sum of the others (mix-minus: never
//! its own voice back), saturated to 16 bits.
//!
//! | role | hears | heard by |
//! |---|---|---|
//! | [`Role::Normal`] | normals, barges, whispers aimed at it | everyone but itself |
//! | [`Role::ListenOnly`] | normals and barges | nobody |
//! | [`Role::Whisper`] | normals and barges | its target only |
//! | [`Role::Barge`] | normals, barges, whispers aimed at it | everyone but itself |
//!
//! Barge mixes exactly like normal; it is a role of its own so that a supervisor moving
//! from listen to whisper to barge changes one value, and so that the call record can say
//! who barged in. A whisper to a target that leaves is heard by nobody until its target is
//! changed.
//!
//! One mixer mixes at one sample rate; a participant may join at another
//! ([`Mixer::join_at`]: 8, 16 and 48 kHz in any mix), and the built-in mixer resamples
//! its frames into the mix and what it hears back out, keeping each resampler's state
//! from frame to frame.

mod nparty;

#[cfg(test)]
mod tests;

pub use nparty::NPartyMixer;

use std::fmt;

use crate::error::Result;

/// Milliseconds of audio in one mixer frame.
pub const MIX_FRAME_MS: u32 = 20;

/// A participant of one mixer: its slot and a generation, so that the id of a participant
/// that left never reaches the one who takes its slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ParticipantId {
    slot: u32,
    generation: u32,
}

impl fmt::Display for ParticipantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}.{}", self.slot, self.generation)
    }
}

/// How a participant takes part in the mix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Role {
    /// A party of the call: hears the others, heard by all of them.
    #[default]
    Normal,
    /// A supervisor listening in: hears every normal and barging party, heard by nobody.
    ListenOnly,
    /// A supervisor coaching one party (the agent): hears every normal and barging party,
    /// heard by `target` only.
    Whisper {
        /// The one participant who hears the whisper.
        target: ParticipantId,
    },
    /// A supervisor who barged in: hears all parties and is heard by all, like a normal party.
    Barge,
}

impl Role {
    /// Whether everyone else hears this participant.
    pub fn is_public(self) -> bool {
        matches!(self, Role::Normal | Role::Barge)
    }
}

/// A frame-based mixer of N participants with supervisor roles.
///
/// Implementations must not allocate in [`Mixer::mix`], [`Mixer::input_mut`] or
/// [`Mixer::output`]; joining may allocate.
pub trait Mixer {
    /// Samples per frame (per participant) this mixer works on.
    fn frame_len(&self) -> usize;

    /// The sample rate, in Hz.
    fn sample_rate(&self) -> u32;

    /// Adds a participant (between frames). Its input starts silent.
    fn join(&mut self, role: Role) -> Result<ParticipantId>;

    /// Adds a participant whose frames are 20 ms at `sample_rate` (between frames).
    /// The default takes only the mixer's own rate.
    fn join_at(&mut self, role: Role, sample_rate: u32) -> Result<ParticipantId> {
        if sample_rate == self.sample_rate() {
            self.join(role)
        } else {
            Err(crate::Error::InvalidSetting {
                name: "participant sample rate",
                value: sample_rate.to_string(),
                expected: "the mixer's own rate (this mixer does not resample)",
            })
        }
    }

    /// Removes a participant (between frames).
    fn leave(&mut self, id: ParticipantId) -> Result<()>;

    /// Changes a participant's role (between frames).
    fn set_role(&mut self, id: ParticipantId, role: Role) -> Result<()>;

    /// The participant's input buffer for the next [`Mixer::mix`], [`Mixer::frame_len`]
    /// samples long (20 ms at its own rate for a participant that joined at another). It keeps its content until written again.
    fn input_mut(&mut self, id: ParticipantId) -> Result<&mut [i16]>;

    /// Mixes one frame: every participant's output becomes what it hears.
    fn mix(&mut self);

    /// What the participant hears, as of the last [`Mixer::mix`].
    fn output(&self, id: ParticipantId) -> Result<&[i16]>;

    /// How many participants are in the mix.
    fn len(&self) -> usize;

    /// Whether nobody is in the mix.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
