//! Tests of the player queue.

use super::*;
use crate::Error;
use tones::{Country, ToneKind};

fn run(player: &mut Player, max_frames: usize) -> (usize, Vec<i16>) {
    let mut frame = [0_i16; FRAME];
    let mut out = Vec::new();
    let mut playing = 0;
    for _ in 0..max_frames {
        match player.next_frame(&mut frame) {
            PlayState::Playing => {
                playing += 1;
                out.extend_from_slice(&frame);
            }
            PlayState::Done => break,
        }
    }
    (playing, out)
}

fn empty_player() -> (tempfile::TempDir, Player) {
    let dir = tempfile::tempdir().expect("tempdir");
    let player = Player::new(Arc::new(PromptSet::new(dir.path())));
    (dir, player)
}

fn write_prompt(dir: &std::path::Path, language: &str, key: &str, samples: &[i16]) {
    std::fs::create_dir_all(dir.join(language)).expect("mkdir");
    crate::wav::write_telephone_wav(&dir.join(language).join(format!("{key}.wav")), samples).expect("write");
}

#[test]
fn durations_give_exact_frame_counts() {
    let (_dir, mut p) = empty_player();
    p.play_silence(Duration::from_secs(1));
    assert_eq!(run(&mut p, 1000).0, 50);
    p.play_tone(
        ToneSpec::of(Country::China, ToneKind::Busy),
        Some(Duration::from_millis(700)),
    );
    assert_eq!(run(&mut p, 1000).0, 35);
    // 30 ms: one full frame, then half a frame padded with silence.
    p.play_tone(
        ToneSpec::of(Country::Us, ToneKind::Dial),
        Some(Duration::from_millis(30)),
    );
    let (frames, out) = run(&mut p, 1000);
    assert_eq!(frames, 2);
    assert!(out[160..240].iter().any(|&s| s != 0));
    assert!(out[240..].iter().all(|&s| s == 0));
    let mut frame = [7_i16; FRAME];
    assert_eq!(p.next_frame(&mut frame), PlayState::Done);
    assert_eq!(frame, [0; FRAME]);
}

#[test]
fn items_follow_without_gap_within_a_frame() {
    let (_dir, mut p) = empty_player();
    p.play_audio(vec![1_i16; 100].into());
    p.play_audio(vec![2_i16; 100].into());
    let (frames, out) = run(&mut p, 10);
    assert_eq!(frames, 2);
    assert!(out[..100].iter().all(|&s| s == 1));
    assert!(out[100..200].iter().all(|&s| s == 2));
    assert!(out[200..].iter().all(|&s| s == 0));
}

#[test]
fn cadence_boundaries_through_the_player() {
    let (_dir, mut p) = empty_player();
    p.play_tone(ToneSpec::of(Country::China, ToneKind::Congestion), None);
    let (frames, out) = run(&mut p, 175);
    assert_eq!(frames, 175);
    // 0.7 s on = 5600 samples, 0.7 s off, on again at sample 11200.
    assert!(out[5560..5600].iter().any(|&s| s != 0));
    assert!(out[5600..11200].iter().all(|&s| s == 0));
    assert!(out[11200..11240].iter().any(|&s| s != 0));
    p.skip();
    assert!(p.is_idle());
}

#[test]
fn music_on_hold_loops_seamlessly_until_stopped() {
    let (dir, mut p) = empty_player();
    // 250 samples: not a multiple of the frame, so wraps fall inside frames.
    let moh: Vec<i16> = (0..250).map(|i| i as i16 + 1).collect();
    write_prompt(dir.path(), "en", "moh", &moh);
    p.play_music_on_hold("en", "moh").expect("moh");
    let (frames, out) = run(&mut p, 100);
    assert_eq!(frames, 100);
    for (i, &s) in out.iter().enumerate() {
        assert_eq!(s, (i % 250) as i16 + 1, "sample {i}");
    }
    p.stop();
    let mut frame = [0_i16; FRAME];
    assert_eq!(p.next_frame(&mut frame), PlayState::Done);
}

#[test]
fn barge_in_stop_empties_the_queue_mid_prompt() {
    let (_dir, mut p) = empty_player();
    p.play_audio(vec![5_i16; 8000].into());
    p.play_silence(Duration::from_secs(2));
    let mut frame = [0_i16; FRAME];
    assert_eq!(p.next_frame(&mut frame), PlayState::Playing);
    assert_eq!(p.queued(), 2);
    p.stop();
    assert_eq!(p.next_frame(&mut frame), PlayState::Done);
}

#[test]
fn say_number_plays_the_prompts_in_order() {
    let (dir, mut p) = empty_player();
    for (value, key) in [(1_i16, "1"), (2, "2"), (3, "3"), (10, "bai"), (20, "shi")] {
        write_prompt(dir.path(), "zh-CN", key, &[value; 80]);
    }
    p.say_number(Language::ZhCn, 123).expect("all prompts present");
    let (frames, out) = run(&mut p, 10);
    assert_eq!(frames, 3); // 5 prompts × 80 samples = 400 samples
    let heard: Vec<i16> = out.chunks(80).map(|c| c[0]).collect();
    assert_eq!(heard, [1, 10, 2, 20, 3, 0]);
}

#[test]
fn missing_prompt_in_a_say_call_queues_nothing() {
    let (dir, mut p) = empty_player();
    write_prompt(dir.path(), "zh-CN", "1", &[1; 80]);
    let err = p.say_number(Language::ZhCn, 12).expect_err("no shi/2 prompts");
    assert!(matches!(&err, Error::Prompt { key, language, .. } if key == "shi" && language == "zh-CN"));
    let text = err.to_string();
    assert!(text.contains("shi.wav") && text.contains("zh-CN"), "{text}");
    assert!(p.is_idle());
}
