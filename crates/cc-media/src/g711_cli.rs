//! The logic of the `g711` command-line tool (the root package's `examples/g711.rs`).
//!
//! ```text
//! g711 encode --law mu|a IN.wav OUT.raw    8 kHz mono 16-bit WAV -> raw G.711 bytes
//! g711 decode --law mu|a IN.raw OUT.wav    raw G.711 bytes -> 8 kHz mono 16-bit WAV
//! ```
//!
//! Parsing and running are separate so that both are tested without spawning a process.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::codec::{Codec, G711, Law};
use crate::error::{Error, Result};
use crate::wav::{read_telephone_wav, write_telephone_wav};

/// The usage text.
pub const USAGE: &str = "usage: g711 encode --law mu|a IN.wav OUT.raw   (IN: 8 kHz mono 16-bit WAV)\n       \
                         g711 decode --law mu|a IN.raw OUT.wav   (OUT: 8 kHz mono 16-bit WAV)";

/// Which way to code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// WAV to raw G.711.
    Encode,
    /// Raw G.711 to WAV.
    Decode,
}

/// One invocation of the tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// Encode or decode.
    pub direction: Direction,
    /// The companding law.
    pub law: Law,
    /// The file read.
    pub input: PathBuf,
    /// The file written.
    pub output: PathBuf,
}

/// What parsing the arguments asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Print [`USAGE`] and succeed.
    Help,
    /// Code a file.
    Run(Invocation),
}

fn usage(message: impl Into<String>) -> Error {
    Error::Usage {
        message: message.into(),
        usage: USAGE,
    }
}

/// Parses the arguments after the program name.
///
/// `--law` may come anywhere after the direction, as `--law X` or `--law=X`.
pub fn parse_args<I>(args: I) -> Result<Command>
where
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    let mut args = args.into_iter().map(Into::into);
    let Some(first) = args.next() else {
        return Err(usage("missing the direction: expected `encode` or `decode`"));
    };
    let direction = match first.to_str() {
        Some("encode") => Direction::Encode,
        Some("decode") => Direction::Decode,
        Some("-h" | "--help" | "help") => return Ok(Command::Help),
        _ => {
            return Err(usage(format!(
                "unknown direction {:?}: expected `encode` or `decode`",
                first.to_string_lossy()
            )));
        }
    };
    let mut law = None;
    let mut paths = Vec::new();
    while let Some(arg) = args.next() {
        let text = arg.to_str();
        let value = match text {
            Some("-h" | "--help") => return Ok(Command::Help),
            Some("--law") => Some(
                args.next()
                    .ok_or_else(|| usage("`--law` needs a value: mu or a"))?,
            ),
            Some(t) if t.starts_with("--law=") => Some(OsString::from(&t["--law=".len()..])),
            Some(t) if t.starts_with('-') && t.len() > 1 => {
                return Err(usage(format!("unknown option {t:?}: expected --law mu|a")));
            }
            _ => {
                paths.push(PathBuf::from(arg));
                None
            }
        };
        if let Some(value) = value {
            let Some(name) = value.to_str() else {
                return Err(usage(format!(
                    "--law {:?} is not text: expected mu or a",
                    value.to_string_lossy()
                )));
            };
            if law.replace(name.parse::<Law>()?).is_some() {
                return Err(usage("`--law` given twice: give it once"));
            }
        }
    }
    let law = law.ok_or_else(|| usage("missing `--law mu|a`"))?;
    let [input, output]: [PathBuf; 2] = paths.try_into().map_err(|paths: Vec<PathBuf>| {
        usage(format!(
            "expected 2 files (IN OUT), got {}: {paths:?}",
            paths.len()
        ))
    })?;
    Ok(Command::Run(Invocation {
        direction,
        law,
        input,
        output,
    }))
}

/// Encodes an 8 kHz mono 16-bit WAV file into raw G.711 bytes; returns the sample count.
pub fn encode_file(law: Law, input: &Path, output: &Path) -> Result<usize> {
    let pcm = read_telephone_wav(input)?;
    let mut codec = G711::new(law);
    let mut payload = vec![0_u8; pcm.len()];
    // Frame by frame, as a media worker would.
    let frame = codec.frame_samples();
    for (pcm, out) in pcm.chunks(frame).zip(payload.chunks_mut(frame)) {
        codec.encode(pcm, out)?;
    }
    std::fs::write(output, &payload).map_err(|source| Error::Io {
        path: output.to_owned(),
        source,
    })?;
    Ok(pcm.len())
}

/// Decodes raw G.711 bytes into an 8 kHz mono 16-bit WAV file; returns the sample count.
pub fn decode_file(law: Law, input: &Path, output: &Path) -> Result<usize> {
    let payload = std::fs::read(input).map_err(|source| Error::Io {
        path: input.to_owned(),
        source,
    })?;
    let mut codec = G711::new(law);
    let mut pcm = vec![0_i16; payload.len()];
    let frame = codec.frame_samples();
    for (codes, out) in payload.chunks(frame).zip(pcm.chunks_mut(frame)) {
        codec.decode(codes, out)?;
    }
    write_telephone_wav(output, &pcm)?;
    Ok(pcm.len())
}

/// Runs one invocation; returns the number of samples coded.
pub fn run(invocation: &Invocation) -> Result<usize> {
    let Invocation {
        direction,
        law,
        input,
        output,
    } = invocation;
    match direction {
        Direction::Encode => encode_file(*law, input, output),
        Direction::Decode => decode_file(*law, input, output),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command> {
        parse_args(args.iter().copied())
    }

    #[test]
    fn parses_both_directions_and_option_orders() {
        let Command::Run(inv) = parse(&["encode", "--law", "mu", "in.wav", "out.raw"]).unwrap() else {
            panic!("expected a run");
        };
        assert_eq!(
            inv,
            Invocation {
                direction: Direction::Encode,
                law: Law::Mu,
                input: "in.wav".into(),
                output: "out.raw".into()
            }
        );
        let Command::Run(inv) = parse(&["decode", "in.raw", "--law=a", "out.wav"]).unwrap() else {
            panic!("expected a run");
        };
        assert_eq!((inv.direction, inv.law), (Direction::Decode, Law::A));
        assert_eq!(parse(&["--help"]).unwrap(), Command::Help);
        assert_eq!(parse(&["encode", "-h"]).unwrap(), Command::Help);
    }

    #[test]
    fn bad_arguments_say_what_is_wrong() {
        let cases: &[(&[&str], &str)] = &[
            (&[], "missing the direction"),
            (&["transcode", "--law", "mu", "a", "b"], "unknown direction"),
            (&["encode", "a.wav", "b.raw"], "missing `--law"),
            (&["encode", "--law"], "needs a value"),
            (&["encode", "--law", "x", "a", "b"], "unknown G.711 law \"x\""),
            (&["encode", "--law", "a", "--law", "mu", "a", "b"], "given twice"),
            (&["encode", "--law", "a", "a.wav"], "expected 2 files"),
            (&["encode", "--law", "a", "a", "b", "c"], "got 3"),
            (
                &["encode", "--rate", "8000", "a", "b"],
                "unknown option \"--rate\"",
            ),
        ];
        for (args, expected) in cases {
            let err = parse(args).unwrap_err().to_string();
            assert!(err.contains(expected), "{args:?}: {err}");
        }
        assert!(
            parse(&["encode", "a", "b"])
                .unwrap_err()
                .to_string()
                .contains("usage: g711 encode")
        );
    }

    #[test]
    fn encode_then_decode_files() {
        let dir = tempfile::tempdir().unwrap();
        let wav = dir.path().join("in.wav");
        let raw = dir.path().join("out.raw");
        let back = dir.path().join("back.wav");
        let pcm: Vec<i16> = (0..333).map(|i| (i * 97 % 20_000 - 10_000) as i16).collect();
        write_telephone_wav(&wav, &pcm).unwrap();
        for law in [Law::Mu, Law::A] {
            assert_eq!(encode_file(law, &wav, &raw).unwrap(), 333);
            let codes = std::fs::read(&raw).unwrap();
            assert_eq!(
                codes,
                pcm.iter().map(|&x| law.encode_sample(x)).collect::<Vec<_>>()
            );
            assert_eq!(decode_file(law, &raw, &back).unwrap(), 333);
            let decoded = read_telephone_wav(&back).unwrap();
            assert_eq!(
                decoded,
                codes.iter().map(|&c| law.decode_sample(c)).collect::<Vec<_>>()
            );
        }
        let err = decode_file(Law::A, &dir.path().join("missing.raw"), &back).unwrap_err();
        assert!(err.to_string().contains("missing.raw"), "{err}");
    }
}
