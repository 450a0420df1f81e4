//! The demo center: a built-in configuration (two tenants, two flows, three queues with
//! skills, eight agents) and the prompts it needs, written to a folder on first use.
//!
//! Prompts are spoken by `espeak-ng` (resampled to 8 kHz by `sox`) when both are
//! installed, and otherwise made of tone patterns, one distinct pattern per prompt, so
//! the demo runs on a machine with neither.

mod run;

pub use run::{DemoOptions, DemoReport, run};

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The demo's configuration file.
pub const CONFIG: &str = include_str!("center.toml");

/// The demo's flows: `(file name, source)`.
pub const FLOWS: [(&str, &str); 2] = [
    ("acme_hotline.flow", include_str!("acme_hotline.flow")),
    ("globex_care.flow", include_str!("globex_care.flow")),
];

/// Every prompt the flows use: `(key, Chinese text, English text)`.
pub const PROMPTS: &[(&str, &str, &str)] = &[
    ("welcome", "欢迎致电", "Welcome"),
    (
        "main_menu",
        "销售请按一，技术支持请按二",
        "For sales press one, for support press two",
    ),
    ("hold_music", "请稍候", "Please hold"),
    ("goodbye", "再见", "Goodbye"),
    ("blocked", "无法接通", "This call cannot be completed"),
    (
        "closed",
        "现在是下班时间，请留言",
        "We are closed, please leave a message",
    ),
    (
        "all_busy",
        "坐席忙，请稍后再拨",
        "All agents are busy, please call again later",
    ),
    ("invalid_choice", "输入有误", "Invalid choice"),
    ("no_input", "没有收到输入", "No input received"),
    ("callback_registered", "我们将给您回电", "We will call you back"),
    (
        "queue_position",
        "您的排队位置是",
        "Your position in the queue is",
    ),
    ("queue_wait", "预计等待分钟数", "Expected wait in minutes"),
];

/// The words numbers are read with (see `cc_media::player::say`): `(key, text)` per
/// language.
const NUMBER_WORDS: [&[(&str, &str)]; 2] = [
    &[
        ("0", "零"),
        ("1", "一"),
        ("2", "二"),
        ("3", "三"),
        ("4", "四"),
        ("5", "五"),
        ("6", "六"),
        ("7", "七"),
        ("8", "八"),
        ("9", "九"),
        ("liang", "两"),
        ("shi", "十"),
        ("bai", "百"),
        ("qian", "千"),
        ("wan", "万"),
        ("yi", "亿"),
    ],
    &[
        ("zero", "zero"),
        ("one", "one"),
        ("two", "two"),
        ("three", "three"),
        ("four", "four"),
        ("five", "five"),
        ("six", "six"),
        ("seven", "seven"),
        ("eight", "eight"),
        ("nine", "nine"),
        ("ten", "ten"),
        ("eleven", "eleven"),
        ("twelve", "twelve"),
        ("thirteen", "thirteen"),
        ("fourteen", "fourteen"),
        ("fifteen", "fifteen"),
        ("sixteen", "sixteen"),
        ("seventeen", "seventeen"),
        ("eighteen", "eighteen"),
        ("nineteen", "nineteen"),
        ("twenty", "twenty"),
        ("thirty", "thirty"),
        ("forty", "forty"),
        ("fifty", "fifty"),
        ("sixty", "sixty"),
        ("seventy", "seventy"),
        ("eighty", "eighty"),
        ("ninety", "ninety"),
        ("hundred", "hundred"),
        ("thousand", "thousand"),
    ],
];

/// The languages of [`PROMPTS`], as folder names.
pub const LANGUAGES: [&str; 2] = ["zh-CN", "en"];

/// How the prompts were made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptSource {
    /// Already there from an earlier run.
    Existing,
    /// Spoken by espeak-ng.
    Speech,
    /// Tone patterns.
    Tones,
}

/// Writes the configuration, flows and (missing) prompts under `dir`; returns the
/// configuration file's path and how prompts were made.
pub fn write(dir: &Path) -> io::Result<(PathBuf, PromptSource)> {
    std::fs::create_dir_all(dir)?;
    let config = dir.join("center.toml");
    std::fs::write(&config, CONFIG)?;
    for (name, source) in FLOWS {
        std::fs::write(dir.join(name), source)?;
    }
    let speech = has_tool("espeak-ng") && has_tool("sox");
    let mut made = PromptSource::Existing;
    for (li, lang) in LANGUAGES.iter().enumerate() {
        let folder = dir.join("prompts").join(lang);
        std::fs::create_dir_all(&folder)?;
        let words = PROMPTS
            .iter()
            .map(|(key, zh, en)| (*key, if li == 0 { *zh } else { *en }))
            .chain(NUMBER_WORDS[li].iter().copied());
        for (pi, (key, text)) in words.enumerate() {
            let path = folder.join(format!("{key}.wav"));
            if path.exists() {
                continue;
            }
            let voice = if li == 0 { "cmn" } else { "en" };
            if speech && speak(voice, text, &path).is_ok() {
                made = PromptSource::Speech;
            } else {
                let samples = tone_pattern(pi, key == "hold_music");
                cc_media::wav::write_telephone_wav(&path, &samples).map_err(io::Error::other)?;
                if made == PromptSource::Existing {
                    made = PromptSource::Tones;
                }
            }
        }
    }
    Ok((config, made))
}

fn has_tool(name: &str) -> bool {
    Command::new(name)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// espeak-ng speaks at 22.05 kHz; sox makes it 8 kHz mono 16-bit.
fn speak(voice: &str, text: &str, out: &Path) -> io::Result<()> {
    let raw = out.with_extension("tmp.wav");
    let ok = Command::new("espeak-ng")
        .args(["-v", voice, "-s", "165", "-w"])
        .arg(&raw)
        .arg(text)
        .stderr(Stdio::null())
        .status()?
        .success()
        && Command::new("sox")
            .arg(&raw)
            .args(["-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer"])
            .arg(out)
            .stderr(Stdio::null())
            .status()?
            .success();
    let _ = std::fs::remove_file(&raw);
    if ok {
        Ok(())
    } else {
        let _ = std::fs::remove_file(out);
        Err(io::Error::other("espeak-ng or sox failed"))
    }
}

/// A short pattern of notes, different for each prompt index; music on hold is longer.
fn tone_pattern(index: usize, music: bool) -> Vec<i16> {
    const SCALE: [f64; 8] = [523.3, 587.3, 659.3, 698.5, 784.0, 880.0, 987.8, 1046.5];
    let notes = if music { 16 } else { 3 };
    let mut out = Vec::new();
    for n in 0..notes {
        let f = SCALE[(index * 3 + n * 5) % SCALE.len()];
        for i in 0..1_600 {
            // 200 ms notes with a short fade at both ends.
            let env = (f64::from(i.min(1_600 - i)) / 160.0).min(1.0);
            let s = (2.0 * std::f64::consts::PI * f * f64::from(i) / 8_000.0).sin();
            out.push((s * env * 8_000.0) as i16);
        }
        out.extend(std::iter::repeat_n(0, 400));
    }
    out
}
