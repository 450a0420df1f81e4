//! Diagnostics: what is wrong with a flow, where, and how it looks to a person.
//!
//! The parser and checker return data ([`Diagnostic`] with byte [`Span`]s); rendering to
//! the `file:line:col: error: message` form with a caret excerpt is a pure function over
//! the source text, used by `ccd ivr check` and by tests.

use std::fmt::{self, Write as _};

use serde::Serialize;

/// A byte range in the flow source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, serde::Deserialize)]
pub struct Span {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// A span from byte offsets (saturating at `u32::MAX`; flows are far smaller).
    pub fn new(start: usize, end: usize) -> Self {
        let clamp = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        Self {
            start: clamp(start),
            end: clamp(end.max(start)),
        }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The flow may run, but something looks wrong (an unused variable).
    Warning,
    /// The flow must not run.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// One finding, with its primary location and optional secondary notes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Where.
    pub span: Span,
    /// What is wrong, and what would be right.
    pub message: String,
    /// Related places ("first defined here").
    pub notes: Vec<(Span, String)>,
}

impl Diagnostic {
    /// An error at `span`.
    pub fn error(span: Span, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            span,
            message: message.into(),
            notes: Vec::new(),
        }
    }

    /// A warning at `span`.
    pub fn warning(span: Span, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            span,
            message: message.into(),
            notes: Vec::new(),
        }
    }

    /// Adds a note pointing at another place.
    pub fn with_note(mut self, span: Span, note: impl Into<String>) -> Self {
        self.notes.push((span, note.into()));
        self
    }

    /// Renders as `file:line:col: error: message` followed by the source line and a caret
    /// line under the span, then each note the same way.
    pub fn render(&self, file: &str, source: &str) -> String {
        let mut out = String::new();
        let (line, col) = line_col(source, self.span.start);
        let _ = writeln!(out, "{file}:{line}:{col}: {}: {}", self.severity, self.message);
        excerpt(&mut out, source, self.span);
        for (span, note) in &self.notes {
            let (line, col) = line_col(source, span.start);
            let _ = writeln!(out, "{file}:{line}:{col}: note: {note}");
            excerpt(&mut out, source, *span);
        }
        out
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(source: &str, offset: u32) -> (usize, usize) {
    let offset = clamp_to_boundary(source, offset as usize);
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = source[line_start..offset].chars().count() + 1;
    (line, col)
}

fn clamp_to_boundary(source: &str, offset: usize) -> usize {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Writes the line holding `span.start` and a caret line under the span (clipped to that
/// line). Wide characters (CJK) take two columns so carets line up in a terminal.
fn excerpt(out: &mut String, source: &str, span: Span) {
    let start = clamp_to_boundary(source, span.start as usize);
    let end = clamp_to_boundary(source, span.end as usize).max(start);
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[start..].find('\n').map_or(source.len(), |i| start + i);
    let line_text = source[line_start..line_end].trim_end_matches('\r');
    let (line_no, _) = line_col(source, span.start);
    let gutter = line_no.to_string().len();
    let _ = writeln!(out, "{:gutter$} |", "");
    let _ = writeln!(out, "{line_no} | {line_text}");
    let pad: usize = source[line_start..start].chars().map(display_width).sum();
    let marked_end = end.min(line_start + line_text.len()).max(start);
    let width: usize = source[start..marked_end]
        .chars()
        .map(display_width)
        .sum::<usize>()
        .max(1);
    let _ = writeln!(out, "{:gutter$} | {}{}", "", " ".repeat(pad), "^".repeat(width));
}

fn display_width(c: char) -> usize {
    match c {
        '\t' => 4,
        '\u{1100}'..='\u{115F}'
        | '\u{2E80}'..='\u{A4CF}'
        | '\u{AC00}'..='\u{D7A3}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{FE30}'..='\u{FE4F}'
        | '\u{FF00}'..='\u{FF60}'
        | '\u{FFE0}'..='\u{FFE6}' => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_file_line_col_and_a_caret_excerpt() {
        let source = "flow demo\nmain {\n  goto nowhere\n}\n";
        let at = source.find("nowhere").unwrap();
        let d = Diagnostic::error(Span::new(at, at + 7), "undefined label `nowhere`");
        assert_eq!(
            d.render("demo.flow", source),
            "demo.flow:3:8: error: undefined label `nowhere`\n  |\n3 |   goto nowhere\n  |        ^^^^^^^\n"
        );
    }

    #[test]
    fn chinese_text_keeps_carets_aligned() {
        let source = "  play \"欢迎\" x\n";
        let at = source.find('x').unwrap();
        let text = Diagnostic::warning(Span::new(at, at + 1), "odd").render("f", source);
        assert!(text.starts_with("f:1:13: warning: odd"), "{text}");
        // Two columns for each of 欢迎: the caret sits under the x.
        assert!(text.ends_with(&format!("  |{}^\n", " ".repeat(15))), "{text:?}");
    }

    #[test]
    fn spans_past_the_end_do_not_panic() {
        let d = Diagnostic::error(Span::new(100, 200), "eof");
        assert!(d.render("f", "abc").starts_with("f:1:4:"));
    }
}
