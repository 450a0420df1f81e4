//! G.711 against an independent reference derived from the ITU-T G.711 tables (Tables 1a
//! and 2a: decision levels and reconstruction values), and decoding against sox.
//!
//! The reference below is deliberately naive: it lists every decision level of the ITU
//! tables and counts how many a magnitude reaches. The input conversion follows G.191's
//! `g711.c`: a negative 16-bit sample takes its one's complement, then µ-law keeps 14 bits
//! (shift by 2) and A-law 13 bits (shift by 3).

use std::process::Command;

use cc_media::codec::g711::{alaw_decode, alaw_encode, ulaw_decode, ulaw_encode};

/// Decision levels of µ-law (G.711 Table 2a, magnitudes in the 0..=8159 scale of 14-bit
/// samples): 8 segments of 16 intervals; segment s starts at (32 << s) - 33 and its
/// intervals are 2 << s wide. The lowest interval of segment 0 is [0, 1).
fn ulaw_levels() -> Vec<i32> {
    let mut levels = Vec::new();
    for segment in 0..8 {
        let start = (32 << segment) - 33;
        let width = 2 << segment;
        for step in 0..16 {
            levels.push(start + step * width);
        }
    }
    levels.push(8159); // end of the last interval
    levels
}

/// Decision levels of A-law (G.711 Table 1a, magnitudes in the 0..=4096 scale of 13-bit
/// samples): segment 0 is [0, 32) in steps of 2; segment s >= 1 is [16 << s, 32 << s) in
/// steps of 1 << s.
fn alaw_levels() -> Vec<i32> {
    let mut levels = Vec::new();
    for step in 0..16 {
        levels.push(step * 2);
    }
    for segment in 1..8 {
        for step in 0..16 {
            levels.push((16 << segment) + step * (1 << segment));
        }
    }
    levels.push(4096);
    levels
}

/// Index (0..=127) of the interval holding `magnitude`: the number of lower decision levels
/// it reaches, minus one, clamped to the top interval.
fn interval(levels: &[i32], magnitude: i32) -> u8 {
    let reached = levels[..128].iter().filter(|&&level| magnitude >= level).count();
    (reached.max(1) - 1) as u8
}

fn ref_ulaw_encode(x: i16) -> u8 {
    let x = i32::from(x);
    let magnitude = if x < 0 { !x } else { x } >> 2;
    let k = interval(&ulaw_levels(), magnitude);
    // Sign bit 1 for positive; the seven magnitude bits are transmitted inverted.
    let plain = if x >= 0 { 0x80 | k } else { k };
    plain ^ 0x7F
}

fn ref_alaw_encode(x: i16) -> u8 {
    let x = i32::from(x);
    let magnitude = if x < 0 { !x } else { x } >> 3;
    let k = interval(&alaw_levels(), magnitude);
    // Sign bit 1 for positive; even bits inverted.
    let plain = if x >= 0 { 0x80 | k } else { k };
    plain ^ 0x55
}

/// Reconstruction value: the middle of the interval, scaled back to 16 bits. The lowest
/// µ-law interval reconstructs to 0.
fn ref_decode(levels: &[i32], k: usize, scale: i32, positive: bool) -> i16 {
    let middle = if levels == ulaw_levels() && k == 0 {
        0
    } else {
        i32::midpoint(levels[k], levels[k + 1])
    };
    let value = middle * scale;
    (if positive { value } else { -value }) as i16
}

fn ref_ulaw_decode(code: u8) -> i16 {
    let plain = code ^ 0x7F;
    ref_decode(&ulaw_levels(), usize::from(plain & 0x7F), 4, plain & 0x80 != 0)
}

fn ref_alaw_decode(code: u8) -> i16 {
    let plain = code ^ 0x55;
    ref_decode(&alaw_levels(), usize::from(plain & 0x7F), 8, plain & 0x80 != 0)
}

#[test]
fn ulaw_encode_matches_reference_on_every_input() {
    let levels = ulaw_levels();
    assert_eq!(levels.len(), 129);
    let mut mismatches = Vec::new();
    for x in i16::MIN..=i16::MAX {
        let (ours, reference) = (ulaw_encode(x), ref_ulaw_encode(x));
        if ours != reference {
            mismatches.push((x, ours, reference));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches, first {:?}",
        mismatches.len(),
        &mismatches[..5.min(mismatches.len())]
    );
}

#[test]
fn alaw_encode_matches_reference_on_every_input() {
    let mut mismatches = Vec::new();
    for x in i16::MIN..=i16::MAX {
        let (ours, reference) = (alaw_encode(x), ref_alaw_encode(x));
        if ours != reference {
            mismatches.push((x, ours, reference));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches, first {:?}",
        mismatches.len(),
        &mismatches[..5.min(mismatches.len())]
    );
}

#[test]
fn one_complement_not_negation_for_negative_samples() {
    // -x and !x differ by one, which moves a sample across a decision level now and then:
    // -124 has !x = 123 (>> 2 = 30, the top of µ-law segment 0, code 0x70), while negating
    // would give 124 (>> 2 = 31, the bottom of segment 1, code 0x6F).
    assert_eq!(ulaw_encode(-124), 0x70);
    assert_eq!(ulaw_encode(-125), 0x6F);
    assert_eq!(alaw_encode(-1), 0x55);
    // The reference tells the two conventions apart on many inputs, so the exhaustive
    // tests above would catch a coder that negates.
    let negating = |x: i16| {
        let m = (-i32::from(x)) >> 2;
        interval(&ulaw_levels(), m) ^ 0x7F
    };
    let differ = (i16::MIN + 1..0)
        .filter(|&x| negating(x) != ulaw_encode(x))
        .count();
    assert!(differ > 100, "only {differ} negative inputs differ");
}

#[test]
fn decode_matches_reference_on_every_code() {
    for code in 0..=255_u8 {
        assert_eq!(ulaw_decode(code), ref_ulaw_decode(code), "µ-law code {code:#04x}");
        assert_eq!(alaw_decode(code), ref_alaw_decode(code), "A-law code {code:#04x}");
    }
}

#[test]
fn decode_then_encode_is_identity_except_negative_zero() {
    for code in 0..=255_u8 {
        let back = ulaw_encode(ulaw_decode(code));
        // µ-law has two zeros (0xFF, 0x7F); both decode to 0, which encodes to 0xFF.
        if code == 0x7F {
            assert_eq!(back, 0xFF);
        } else {
            assert_eq!(back, code, "µ-law code {code:#04x}");
        }
        assert_eq!(alaw_encode(alaw_decode(code)), code, "A-law code {code:#04x}");
    }
}

fn sox_available() -> bool {
    Command::new("sox")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Decodes all 256 codes with sox (`-t ul`/`-t al` to 16-bit signed little-endian raw).
fn sox_decode_all(kind: &str) -> Vec<i16> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join(format!("codes.{kind}"));
    let output = dir.path().join("decoded.raw");
    let codes: Vec<u8> = (0..=255).collect();
    std::fs::write(&input, &codes).unwrap();
    let status = Command::new("sox")
        .args(["-t", kind, "-r", "8000", "-c", "1"])
        .arg(&input)
        .args(["-t", "raw", "-e", "signed-integer", "-b", "16", "-L"])
        .arg(&output)
        .status()
        .unwrap();
    assert!(status.success(), "sox failed on {kind}");
    let bytes = std::fs::read(&output).unwrap();
    bytes
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

#[test]
fn decode_equals_sox_on_all_256_codes() {
    if !sox_available() {
        eprintln!(
            "SKIPPED decode_equals_sox_on_all_256_codes: sox is not installed (scripts/test.sh installs it)"
        );
        return;
    }
    let ulaw = sox_decode_all("ul");
    let alaw = sox_decode_all("al");
    assert_eq!((ulaw.len(), alaw.len()), (256, 256));
    for code in 0..=255_u8 {
        let i = usize::from(code);
        assert_eq!(ulaw_decode(code), ulaw[i], "µ-law code {code:#04x}: ours vs sox");
        assert_eq!(alaw_decode(code), alaw[i], "A-law code {code:#04x}: ours vs sox");
    }
}
