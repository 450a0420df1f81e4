//! The built-in mixer: mix-minus by one 32-bit total per frame.
//!
//! Each frame sums the inputs of all public participants (normal and barge) once into an
//! `i32` total; a participant then hears the total minus its own input, plus any whispers
//! aimed at it, saturated to `i16`. That is O(N) per frame rather than O(N²), and exact:
//! the 32-bit sums cannot wrap below 65,536 participants. Buffers are allocated when a
//! participant joins and reused every frame.

use super::{MIX_FRAME_MS, Mixer, ParticipantId, Role};
use crate::error::{Error, Result};
use crate::player::resample::StreamResampler;

/// A participant at a rate other than the mixer's: its own frames, and the resamplers
/// between them and the mix (state kept across frames).
#[derive(Debug)]
struct Foreign {
    rate: u32,
    input: Vec<i16>,
    output: Vec<i16>,
    to_mix: StreamResampler,
    from_mix: StreamResampler,
}

/// One participant's slot; a slot is reused, with a new generation, after its holder left.
#[derive(Debug)]
struct Slot {
    generation: u32,
    active: bool,
    role: Role,
    /// Whether a whisper is aimed at this participant in the current frame.
    whispered: bool,
    /// The input at the mixer's rate.
    input: Vec<i16>,
    /// For a participant at another rate.
    foreign: Option<Box<Foreign>>,
}

/// The built-in N-party mixer (see the [module docs](super) for roles).
///
/// ```
/// use cc_media::mixer::{Mixer, NPartyMixer, Role};
///
/// let mut mixer = NPartyMixer::new(8000)?;
/// let caller = mixer.join(Role::Normal)?;
/// let agent = mixer.join(Role::Normal)?;
/// let coach = mixer.join(Role::Whisper { target: agent })?;
/// mixer.input_mut(caller)?.fill(100);
/// mixer.input_mut(agent)?.fill(20);
/// mixer.input_mut(coach)?.fill(3);
/// mixer.mix();
/// assert_eq!(mixer.output(caller)?[0], 20); // the agent, not the coach
/// assert_eq!(mixer.output(agent)?[0], 103); // the caller and the coach
/// assert_eq!(mixer.output(coach)?[0], 120); // both parties
/// # Ok::<(), cc_media::Error>(())
/// ```
#[derive(Debug)]
pub struct NPartyMixer {
    sample_rate: u32,
    frame_len: usize,
    slots: Vec<Slot>,
    /// What each slot hears; kept apart from the slots so one can be written while the
    /// others are read.
    outputs: Vec<Vec<i16>>,
    free: Vec<u32>,
    active: usize,
    total: Vec<i32>,
    scratch: Vec<i32>,
}

fn saturate(v: i32) -> i16 {
    v.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}

impl NPartyMixer {
    /// A mixer of 20 ms frames at `sample_rate` Hz (8000 to 48000, a multiple of 50 so a
    /// frame is a whole number of samples).
    pub fn new(sample_rate: u32) -> Result<Self> {
        if !(8000..=48_000).contains(&sample_rate) || !sample_rate.is_multiple_of(50) {
            return Err(Error::InvalidSetting {
                name: "mixer sample rate",
                value: sample_rate.to_string(),
                expected: "8000 to 48000 Hz, a multiple of 50 (8000, 16000, 48000)",
            });
        }
        let frame_len = (sample_rate * MIX_FRAME_MS / 1000) as usize;
        Ok(Self {
            sample_rate,
            frame_len,
            slots: Vec::new(),
            outputs: Vec::new(),
            free: Vec::new(),
            active: 0,
            total: vec![0; frame_len],
            scratch: vec![0; frame_len],
        })
    }

    /// The participant's sample rate (the mixer's unless it joined at another).
    pub fn participant_rate(&self, id: ParticipantId) -> Result<u32> {
        let slot = &self.slots[self.index(id)?];
        Ok(slot.foreign.as_ref().map_or(self.sample_rate, |f| f.rate))
    }

    /// The participant's role.
    pub fn role(&self, id: ParticipantId) -> Result<Role> {
        Ok(self.slots[self.index(id)?].role)
    }

    fn index(&self, id: ParticipantId) -> Result<usize> {
        let index = id.slot as usize;
        match self.slots.get(index) {
            Some(slot) if slot.active && slot.generation == id.generation => Ok(index),
            _ => Err(Error::UnknownParticipant { id: id.to_string() }),
        }
    }

    fn check_role(&self, role: Role) -> Result<()> {
        if let Role::Whisper { target } = role {
            self.index(target)?;
        }
        Ok(())
    }
}

impl Mixer for NPartyMixer {
    fn frame_len(&self) -> usize {
        self.frame_len
    }

    fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    fn join(&mut self, role: Role) -> Result<ParticipantId> {
        self.join_at(role, self.sample_rate)
    }

    /// Adds a participant whose audio runs at `sample_rate` (8000, 16000 or 48000 Hz, or
    /// any rate that is a whole multiple or divisor of the mixer's): its frames are 20 ms
    /// at that rate, resampled into the mix and back out. Its input starts silent.
    fn join_at(&mut self, role: Role, sample_rate: u32) -> Result<ParticipantId> {
        self.check_role(role)?;
        let foreign = if sample_rate == self.sample_rate {
            None
        } else {
            let len = (sample_rate * MIX_FRAME_MS / 1000) as usize;
            if !sample_rate.is_multiple_of(50) {
                return Err(Error::InvalidSetting {
                    name: "participant sample rate",
                    value: sample_rate.to_string(),
                    expected: "a multiple of 50 Hz (8000, 16000, 48000)",
                });
            }
            Some(Box::new(Foreign {
                rate: sample_rate,
                input: vec![0; len],
                output: vec![0; len],
                to_mix: StreamResampler::new(sample_rate, self.sample_rate)?,
                from_mix: StreamResampler::new(self.sample_rate, sample_rate)?,
            }))
        };
        let id = if let Some(slot_index) = self.free.pop() {
            let index = slot_index as usize;
            let Some(slot) = self.slots.get_mut(index) else {
                return Err(Error::UnknownParticipant {
                    id: format!("#{slot_index}"),
                });
            };
            slot.generation = slot.generation.wrapping_add(1);
            slot.active = true;
            slot.role = role;
            slot.input.fill(0);
            slot.foreign = foreign;
            if let Some(out) = self.outputs.get_mut(index) {
                out.fill(0);
            }
            ParticipantId {
                slot: slot_index,
                generation: slot.generation,
            }
        } else {
            let slot_index = u32::try_from(self.slots.len()).map_err(|_| Error::InvalidSetting {
                name: "mixer participants",
                value: self.slots.len().to_string(),
                expected: "fewer than 2^32",
            })?;
            self.slots.push(Slot {
                generation: 0,
                active: true,
                role,
                whispered: false,
                input: vec![0; self.frame_len],
                foreign,
            });
            self.outputs.push(vec![0; self.frame_len]);
            ParticipantId {
                slot: slot_index,
                generation: 0,
            }
        };
        self.active += 1;
        Ok(id)
    }

    fn leave(&mut self, id: ParticipantId) -> Result<()> {
        let index = self.index(id)?;
        if let Some(slot) = self.slots.get_mut(index) {
            slot.active = false;
            slot.whispered = false;
        }
        self.free.push(id.slot);
        self.active -= 1;
        Ok(())
    }

    fn set_role(&mut self, id: ParticipantId, role: Role) -> Result<()> {
        let index = self.index(id)?;
        self.check_role(role)?;
        if let Some(slot) = self.slots.get_mut(index) {
            slot.role = role;
        }
        Ok(())
    }

    fn input_mut(&mut self, id: ParticipantId) -> Result<&mut [i16]> {
        let index = self.index(id)?;
        match self.slots.get_mut(index) {
            Some(Slot { foreign: Some(f), .. }) => Ok(&mut f.input),
            Some(slot) => Ok(&mut slot.input),
            None => Err(Error::UnknownParticipant { id: id.to_string() }),
        }
    }

    fn mix(&mut self) {
        self.total.fill(0);
        for slot in &mut self.slots {
            slot.whispered = false;
            if slot.active
                && let Some(f) = slot.foreign.as_mut()
            {
                f.to_mix.process(&f.input, &mut slot.input);
            }
        }
        let mut any_whisper = false;
        for index in 0..self.slots.len() {
            let Some(slot) = self.slots.get(index) else {
                continue;
            };
            if !slot.active {
                continue;
            }
            match slot.role {
                Role::Normal | Role::Barge => {
                    for (t, &x) in self.total.iter_mut().zip(&slot.input) {
                        *t += i32::from(x);
                    }
                }
                Role::Whisper { target } => {
                    let target_index = target.slot as usize;
                    if let Some(t) = self.slots.get_mut(target_index)
                        && t.active
                        && t.generation == target.generation
                    {
                        t.whispered = true;
                        any_whisper = true;
                    }
                }
                Role::ListenOnly => {}
            }
        }
        for (index, (slot, out)) in self.slots.iter().zip(&mut self.outputs).enumerate() {
            if !slot.active {
                continue;
            }
            let public = slot.role.is_public();
            if !(any_whisper && slot.whispered) {
                if public {
                    for ((o, &t), &x) in out.iter_mut().zip(&self.total).zip(&slot.input) {
                        *o = saturate(t - i32::from(x));
                    }
                } else {
                    for (o, &t) in out.iter_mut().zip(&self.total) {
                        *o = saturate(t);
                    }
                }
                continue;
            }
            self.scratch.copy_from_slice(&self.total);
            if public {
                for (s, &x) in self.scratch.iter_mut().zip(&slot.input) {
                    *s -= i32::from(x);
                }
            }
            for whisper in &self.slots {
                if whisper.active
                    && let Role::Whisper { target } = whisper.role
                    && target.slot as usize == index
                    && target.generation == slot.generation
                {
                    for (s, &x) in self.scratch.iter_mut().zip(&whisper.input) {
                        *s += i32::from(x);
                    }
                }
            }
            for (o, &s) in out.iter_mut().zip(&self.scratch) {
                *o = saturate(s);
            }
        }
        for (slot, out) in self.slots.iter_mut().zip(&self.outputs) {
            if slot.active
                && let Some(f) = slot.foreign.as_mut()
            {
                f.from_mix.process(out, &mut f.output);
            }
        }
    }

    fn output(&self, id: ParticipantId) -> Result<&[i16]> {
        let index = self.index(id)?;
        if let Some(f) = self.slots.get(index).and_then(|s| s.foreign.as_ref()) {
            return Ok(&f.output);
        }
        match self.outputs.get(index) {
            Some(out) => Ok(out),
            None => Err(Error::UnknownParticipant { id: id.to_string() }),
        }
    }

    fn len(&self) -> usize {
        self.active
    }
}
