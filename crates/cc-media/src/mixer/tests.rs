#![allow(clippy::many_single_char_names)]

use proptest::prelude::*;

use super::{Mixer, NPartyMixer, ParticipantId, Role};
use crate::error::Error;

fn mixer() -> NPartyMixer {
    NPartyMixer::new(8000).unwrap()
}

/// Fills each participant's input with one constant value, mixes, and returns the first
/// output sample of each (every sample is the same).
fn mix_constants(m: &mut NPartyMixer, inputs: &[(ParticipantId, i16)]) -> Vec<i16> {
    for &(id, v) in inputs {
        m.input_mut(id).unwrap().fill(v);
    }
    m.mix();
    inputs
        .iter()
        .map(|&(id, _)| {
            let out = m.output(id).unwrap();
            assert!(out.iter().all(|&s| s == out[0]), "constant in, constant out");
            out[0]
        })
        .collect()
}

#[test]
fn frame_is_20_ms_at_the_rate() {
    assert_eq!(mixer().frame_len(), 160);
    assert_eq!(NPartyMixer::new(16_000).unwrap().frame_len(), 320);
    assert_eq!(NPartyMixer::new(48_000).unwrap().frame_len(), 960);
    for bad in [0, 7999, 8001, 96_000] {
        assert!(matches!(NPartyMixer::new(bad), Err(Error::InvalidSetting { .. })));
    }
}

#[test]
fn three_way_mix_minus_exact_per_sample() {
    let mut m = mixer();
    let a = m.join(Role::Normal).unwrap();
    let b = m.join(Role::Normal).unwrap();
    let c = m.join(Role::Normal).unwrap();
    for (i, s) in m.input_mut(a).unwrap().iter_mut().enumerate() {
        *s = i as i16;
    }
    for (i, s) in m.input_mut(b).unwrap().iter_mut().enumerate() {
        *s = -2 * i as i16;
    }
    m.input_mut(c).unwrap().fill(1000);
    m.mix();
    for i in 0..160 {
        let (x, y, z) = (i as i16, -2 * i as i16, 1000);
        assert_eq!(m.output(a).unwrap()[i], y + z);
        assert_eq!(m.output(b).unwrap()[i], x + z);
        assert_eq!(m.output(c).unwrap()[i], x + y);
    }
}

#[test]
fn sums_saturate_instead_of_wrapping() {
    let mut m = mixer();
    let ids: Vec<_> = (0..4).map(|_| m.join(Role::Normal).unwrap()).collect();
    let high: Vec<_> = ids.iter().map(|&id| (id, 30_000)).collect();
    assert_eq!(mix_constants(&mut m, &high), vec![i16::MAX; 4]);
    let low: Vec<_> = ids.iter().map(|&id| (id, i16::MIN)).collect();
    assert_eq!(mix_constants(&mut m, &low), vec![i16::MIN; 4]);
    // A large total that the own contribution brings back in range is exact, not clipped
    // twice: the others sum to 20000 - 15000 + 5000.
    let mixed = [
        (ids[0], 20_000),
        (ids[1], -15_000),
        (ids[2], 5_000),
        (ids[3], 30_000),
    ];
    assert_eq!(
        mix_constants(&mut m, &mixed),
        vec![20_000, 32_767, 32_767, 10_000]
    );
}

#[test]
fn listen_only_hears_all_and_is_heard_by_nobody() {
    let mut m = mixer();
    let caller = m.join(Role::Normal).unwrap();
    let agent = m.join(Role::Normal).unwrap();
    let sup = m.join(Role::ListenOnly).unwrap();
    let out = mix_constants(&mut m, &[(caller, 100), (agent, 20), (sup, 3)]);
    assert_eq!(out, vec![20, 100, 120]);
}

#[test]
fn whisper_is_heard_by_its_target_only() {
    let mut m = mixer();
    let caller = m.join(Role::Normal).unwrap();
    let agent = m.join(Role::Normal).unwrap();
    let sup = m.join(Role::Whisper { target: agent }).unwrap();
    let listener = m.join(Role::ListenOnly).unwrap();
    let out = mix_constants(&mut m, &[(caller, 100), (agent, 20), (sup, 3), (listener, 7000)]);
    assert_eq!(out, vec![20, 103, 120, 120]);
}

#[test]
fn two_whispers_to_one_target_add_and_saturate() {
    let mut m = mixer();
    let caller = m.join(Role::Normal).unwrap();
    let agent = m.join(Role::Normal).unwrap();
    let s1 = m.join(Role::Whisper { target: agent }).unwrap();
    let s2 = m.join(Role::Whisper { target: agent }).unwrap();
    let out = mix_constants(&mut m, &[(caller, 30_000), (agent, 0), (s1, 2_000), (s2, -1_000)]);
    assert_eq!(out, vec![0, 31_000, 30_000, 30_000]);
    let out = mix_constants(&mut m, &[(caller, 30_000), (agent, 0), (s1, 2_000), (s2, 1_000)]);
    assert_eq!(out[1], i16::MAX);
}

#[test]
fn barge_is_heard_by_all() {
    let mut m = mixer();
    let caller = m.join(Role::Normal).unwrap();
    let agent = m.join(Role::Normal).unwrap();
    let sup = m.join(Role::Barge).unwrap();
    let out = mix_constants(&mut m, &[(caller, 100), (agent, 20), (sup, 3)]);
    assert_eq!(out, vec![23, 103, 120]);
}

#[test]
fn supervisor_moves_from_listen_to_whisper_to_barge() {
    let mut m = mixer();
    let caller = m.join(Role::Normal).unwrap();
    let agent = m.join(Role::Normal).unwrap();
    let sup = m.join(Role::ListenOnly).unwrap();
    let inputs = [(caller, 100), (agent, 20), (sup, 3)];
    assert_eq!(mix_constants(&mut m, &inputs), vec![20, 100, 120]);
    m.set_role(sup, Role::Whisper { target: agent }).unwrap();
    assert_eq!(mix_constants(&mut m, &inputs), vec![20, 103, 120]);
    m.set_role(sup, Role::Barge).unwrap();
    assert_eq!(mix_constants(&mut m, &inputs), vec![23, 103, 120]);
    assert_eq!(m.role(sup).unwrap(), Role::Barge);
}

#[test]
fn join_and_leave_between_frames() {
    let mut m = mixer();
    let a = m.join(Role::Normal).unwrap();
    let b = m.join(Role::Normal).unwrap();
    assert_eq!(mix_constants(&mut m, &[(a, 1), (b, 2)]), vec![2, 1]);
    let c = m.join(Role::Normal).unwrap();
    assert_eq!(
        m.input_mut(c).unwrap(),
        &[0; 160][..],
        "a new participant starts silent"
    );
    assert_eq!(mix_constants(&mut m, &[(a, 1), (b, 2), (c, 4)]), vec![6, 5, 3]);
    m.leave(b).unwrap();
    assert_eq!(m.len(), 2);
    assert_eq!(mix_constants(&mut m, &[(a, 1), (c, 4)]), vec![4, 1]);
    assert!(matches!(m.output(b), Err(Error::UnknownParticipant { .. })));
    assert!(matches!(m.leave(b), Err(Error::UnknownParticipant { .. })));
    // The slot is reused; the old id still does not reach it.
    let d = m.join(Role::Normal).unwrap();
    assert_ne!(d, b);
    assert!(m.input_mut(b).is_err());
    assert_eq!(mix_constants(&mut m, &[(a, 1), (c, 4), (d, 16)]), vec![20, 17, 5]);
}

#[test]
fn whisper_to_a_participant_that_left_is_heard_by_nobody() {
    let mut m = mixer();
    let caller = m.join(Role::Normal).unwrap();
    let agent = m.join(Role::Normal).unwrap();
    let sup = m.join(Role::Whisper { target: agent }).unwrap();
    m.leave(agent).unwrap();
    let newcomer = m.join(Role::Normal).unwrap();
    let out = mix_constants(&mut m, &[(caller, 100), (sup, 3), (newcomer, 20)]);
    assert_eq!(out, vec![20, 120, 100]);
    assert!(m.join(Role::Whisper { target: agent }).is_err());
    assert!(m.set_role(sup, Role::Whisper { target: agent }).is_err());
}

#[test]
fn thirty_party_conference() {
    let mut m = mixer();
    let ids: Vec<_> = (0..30).map(|_| m.join(Role::Normal).unwrap()).collect();
    let inputs: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(i, &id)| (id, i as i16 * 10))
        .collect();
    let total: i16 = (0..30).map(|i| i * 10).sum();
    let expected: Vec<_> = (0..30).map(|i| total - i * 10).collect();
    assert_eq!(mix_constants(&mut m, &inputs), expected);
}

#[test]
fn empty_and_lonely_mixers() {
    let mut m = mixer();
    assert!(m.is_empty());
    m.mix();
    let a = m.join(Role::Normal).unwrap();
    assert_eq!(mix_constants(&mut m, &[(a, 1234)]), vec![0]);
}

fn role_strategy() -> impl Strategy<Value = u8> {
    0_u8..4
}

proptest! {
    /// Every output equals the exact, saturated sum of what its participant should hear,
    /// so it never wraps; and a silent participant changes nobody's output.
    #[test]
    fn output_is_the_saturated_exact_sum(
        parties in prop::collection::vec(
            (role_strategy(), prop::collection::vec(any::<i16>(), 160)), 1..12),
        silent in any::<prop::sample::Index>(),
    ) {
        let mut m = mixer();
        let mut ids = Vec::new();
        for (kind, _) in &parties {
            let role = match kind {
                0 => Role::Normal,
                1 => Role::ListenOnly,
                2 => Role::Barge,
                _ => match ids.first() {
                    Some(&target) => Role::Whisper { target },
                    None => Role::Normal,
                },
            };
            ids.push(m.join(role).unwrap());
        }
        for (id, (_, samples)) in ids.iter().zip(&parties) {
            m.input_mut(*id).unwrap().copy_from_slice(samples);
        }
        m.mix();
        let roles: Vec<_> = ids.iter().map(|&id| m.role(id).unwrap()).collect();
        for (p, &listener) in ids.iter().enumerate() {
            for i in 0..160 {
                let mut sum = 0_i64;
                for q in 0..ids.len() {
                    let heard = p != q && match roles[q] {
                        Role::Normal | Role::Barge => true,
                        Role::ListenOnly => false,
                        Role::Whisper { target } => target == listener,
                    };
                    if heard {
                        sum += i64::from(parties[q].1[i]);
                    }
                }
                let expected = sum.clamp(-32768, 32767) as i16;
                prop_assert_eq!(m.output(listener).unwrap()[i], expected);
            }
        }

        // Silence one participant: the outputs equal a mix without it.
        let quiet = silent.index(ids.len());
        let before: Vec<Vec<i16>> = ids.iter().map(|&id| m.output(id).unwrap().to_vec()).collect();
        m.input_mut(ids[quiet]).unwrap().fill(0);
        m.mix();
        let mut without = mixer();
        let mut map = Vec::new();
        for (q, &role) in roles.iter().enumerate() {
            if q == quiet {
                map.push(None);
                continue;
            }
            let role = match role {
                Role::Whisper { target } if target == ids[quiet] => Role::ListenOnly,
                Role::Whisper { target } => {
                    let t = ids.iter().position(|&id| id == target).unwrap();
                    match map[t] {
                        Some(new) => Role::Whisper { target: new },
                        None => Role::ListenOnly,
                    }
                }
                other => other,
            };
            let id = without.join(role).unwrap();
            without.input_mut(id).unwrap().copy_from_slice(&parties[q].1);
            map.push(Some(id));
        }
        without.mix();
        for (q, &id) in ids.iter().enumerate() {
            if let Some(new) = map[q] {
                prop_assert_eq!(m.output(id).unwrap(), without.output(new).unwrap());
            }
        }
        // The silent participant still hears the others as before.
        prop_assert_eq!(m.output(ids[quiet]).unwrap(), &before[quiet][..]);
    }
}

/// `len` samples of a sine at `freq` Hz and `rate` Hz, amplitude 6000, from sample `from`.
fn sine_at(freq: f64, rate: u32, from: usize, len: usize) -> Vec<i16> {
    (from..from + len)
        .map(|n| (6000.0 * (std::f64::consts::TAU * freq * n as f64 / f64::from(rate)).sin()) as i16)
        .collect()
}

/// Amplitude of `freq` in `x` (a sine of amplitude A gives about A), by Goertzel.
fn amplitude(x: &[i16], freq: f64, rate: u32) -> f64 {
    let w = std::f64::consts::TAU * freq / f64::from(rate);
    let (mut s1, mut s2) = (0.0, 0.0);
    for &v in x {
        let s0 = f64::from(v) + 2.0 * w.cos() * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    2.0 * (s1 * s1 + s2 * s2 - 2.0 * w.cos() * s1 * s2).max(0.0).sqrt() / x.len() as f64
}

#[test]
fn participants_at_8_16_and_48_khz_hear_each_other_resampled_and_never_themselves() {
    for mixer_rate in [8000, 16_000, 48_000] {
        let mut mixer = NPartyMixer::new(mixer_rate).unwrap();
        // Each speaks a tone of its own, below 3.6 kHz so that every rate carries it.
        let parties = [(8000, 500.0), (16_000, 1200.0), (48_000, 3000.0)];
        let ids: Vec<_> = parties
            .iter()
            .map(|&(rate, _)| mixer.join_at(Role::Normal, rate).unwrap())
            .collect();
        let supervisor = mixer.join_at(Role::ListenOnly, 16_000).unwrap();
        let coach = mixer.join_at(Role::Whisper { target: ids[0] }, 48_000).unwrap();
        assert_eq!(mixer.participant_rate(ids[2]).unwrap(), 48_000);
        let mut heard: Vec<Vec<i16>> = vec![Vec::new(); 5];
        let all = [ids[0], ids[1], ids[2], supervisor, coach];
        for frame in 0..50 {
            for (k, &(rate, freq)) in parties.iter().enumerate() {
                let len = rate as usize / 50;
                let input = mixer.input_mut(ids[k]).unwrap();
                assert_eq!(input.len(), len);
                input.copy_from_slice(&sine_at(freq, rate, frame * len, len));
            }
            mixer
                .input_mut(supervisor)
                .unwrap()
                .copy_from_slice(&sine_at(2000.0, 16_000, frame * 320, 320));
            mixer
                .input_mut(coach)
                .unwrap()
                .copy_from_slice(&sine_at(700.0, 48_000, frame * 960, 960));
            mixer.mix();
            for (k, &id) in all.iter().enumerate() {
                heard[k].extend_from_slice(mixer.output(id).unwrap());
            }
        }
        let rates = [8000, 16_000, 48_000, 16_000, 48_000];
        let tones = [500.0, 1200.0, 3000.0, 2000.0, 700.0];
        // Who hears whom: parties hear the other parties; the whispered-to party also
        // hears the coach; the supervisors hear the parties; nobody hears the supervisor
        // who listens.
        let expect = |listener: usize, speaker: usize| -> bool {
            listener != speaker && (speaker < 3 || (speaker == 4 && listener == 0))
        };
        for listener in 0..5 {
            let rate = rates[listener];
            // After the filters' start-up: the last 0.8 s.
            let x = &heard[listener][rate as usize / 5..];
            assert_eq!(heard[listener].len(), rate as usize, "one second at its own rate");
            for (speaker, &tone) in tones.iter().enumerate() {
                let a = amplitude(x, tone, rate);
                if expect(listener, speaker) {
                    assert!(
                        (a - 6000.0).abs() < 300.0,
                        "mixer {mixer_rate}: {listener} hears {speaker} at {a:.0}"
                    );
                } else {
                    assert!(
                        a < 60.0,
                        "mixer {mixer_rate}: {listener} should not hear {speaker} ({a:.0})"
                    );
                }
            }
        }
    }
    let mut mixer = NPartyMixer::new(16_000).unwrap();
    assert!(mixer.join_at(Role::Normal, 11_025).is_err());
    assert!(mixer.join_at(Role::Normal, 12_000).is_err());
}
