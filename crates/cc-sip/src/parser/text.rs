//! Lexical pieces of RFC 3261 §25.1: token characters, linear white space, quoted
//! strings and comma lists.
//!
//! Header values are kept as written, folded lines included, so inside a value CR and LF
//! only occur as part of `CRLF 1*WSP` (the parser checked that) and count as white space.

use std::borrow::Cow;

/// `true` for the bytes of RFC 3261 `token`: alphanumerics and `-.!%*_+`'~`.
pub(crate) fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
        )
}

/// `true` when `s` is a non-empty RFC 3261 `token`.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token_byte)
}

/// `true` for white space inside a header value (SP, HTAB, and the CR LF of a fold).
pub(crate) fn is_lws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// `s` without leading and trailing linear white space.
pub(crate) fn trim_lws(s: &str) -> &str {
    s.trim_matches([' ', '\t', '\r', '\n'])
}

/// `s` without leading linear white space.
pub(crate) fn trim_lws_start(s: &str) -> &str {
    s.trim_start_matches([' ', '\t', '\r', '\n'])
}

/// Length of the quoted string at the start of `s` (which starts with `"`), quotes
/// included, or `None` when it is not terminated.
pub(crate) fn quoted_len(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    if bytes.first() != Some(&b'"') {
        return None;
    }
    let mut i = 1;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' => {
                // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)
                match bytes.get(i + 1) {
                    Some(&n) if n <= 0x7f && n != b'\r' && n != b'\n' => i += 2,
                    _ => return None,
                }
            }
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// The content of a quoted string (given with its quotes) with quoted-pairs resolved.
pub(crate) fn unquote(quoted: &str) -> Cow<'_, str> {
    let inner = quoted
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(quoted);
    if !inner.contains('\\') {
        return Cow::Borrowed(inner);
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A value that may be a quoted string: the unquoted content, or the value as is.
pub(crate) fn maybe_unquote(value: &str) -> Cow<'_, str> {
    if value.starts_with('"') {
        unquote(value)
    } else {
        Cow::Borrowed(value)
    }
}

/// Iterator over the elements of a comma-separated header value. Commas inside quoted
/// strings and inside `<...>` do not split. Elements are trimmed of white space; empty
/// elements are yielded as empty strings so that callers can reject them.
#[derive(Debug, Clone)]
pub(crate) struct CommaSplit<'a> {
    rest: Option<&'a str>,
}

impl<'a> CommaSplit<'a> {
    pub(crate) fn new(value: &'a str) -> Self {
        Self { rest: Some(value) }
    }
}

impl<'a> Iterator for CommaSplit<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        let bytes = rest.as_bytes();
        let mut i = 0;
        let mut in_angle = false;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'"' if !in_angle => {
                    // An unterminated quote runs to the end; the element parser reports it.
                    i += quoted_len(rest.get(i..).unwrap_or_default()).unwrap_or(bytes.len() - i);
                    continue;
                }
                b'<' => in_angle = true,
                b'>' => in_angle = false,
                b',' if !in_angle => {
                    self.rest = rest.get(i + 1..);
                    return Some(trim_lws(rest.get(..i).unwrap_or_default()));
                }
                _ => {}
            }
            i += 1;
        }
        self.rest = None;
        Some(trim_lws(rest))
    }
}

/// Splits `s` after its first run of token bytes: `(token, rest)`.
pub(crate) fn split_token(s: &str) -> (&str, &str) {
    let end = s.bytes().position(|b| !is_token_byte(b)).unwrap_or(s.len());
    s.split_at(end)
}

/// Parses a decimal number of at most `max_digits` digits that fits `max`.
pub(crate) fn parse_decimal(s: &str, max: u64, max_digits: usize) -> Option<u64> {
    if s.is_empty() || s.len() > max_digits || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v = s.parse::<u64>().ok()?;
    (v <= max).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_strings_honour_escapes() {
        assert_eq!(quoted_len(r#""a\"b" rest"#), Some(6));
        assert_eq!(quoted_len(r#""unterminated"#), None);
        assert_eq!(quoted_len(r#""ends in escape\"#), None);
        assert_eq!(unquote(r#""J Rosenberg \\\"""#), r#"J Rosenberg \""#);
    }

    #[test]
    fn commas_split_only_at_top_level() {
        let parts: Vec<_> = CommaSplit::new(r#""Doe, J" <sip:a@b;x=1,2>;q=1 , <sip:c@d>,"#).collect();
        assert_eq!(parts, vec![r#""Doe, J" <sip:a@b;x=1,2>;q=1"#, "<sip:c@d>", ""]);
    }

    #[test]
    fn decimals_are_bounded() {
        assert_eq!(parse_decimal("0068", 255, 10), Some(68));
        assert_eq!(parse_decimal("300", 255, 10), None);
        assert_eq!(parse_decimal("-1", 255, 10), None);
        assert_eq!(parse_decimal("99999999999999999999999", u64::MAX, 10), None);
    }
}
