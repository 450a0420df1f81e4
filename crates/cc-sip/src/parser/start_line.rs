//! Request-Line and Status-Line (RFC 3261 §7.1, §7.2): exactly one SP between elements.

use crate::error::{Error, excerpt};
use crate::message::{Span, StartLine};

use super::text::is_token;

fn bad(line: &str, reason: impl Into<String>) -> Error {
    Error::InvalidStartLine {
        line: excerpt(line),
        reason: reason.into(),
    }
}

/// Checks a SIP-Version: `SIP/2.0` is accepted; any other well-formed version is
/// [`Error::UnsupportedVersion`].
fn check_version(line: &str, version: &str) -> Result<(), Error> {
    let well_formed = version.len() > 4
        && version.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("SIP/"))
        && version.get(4..).is_some_and(|v| {
            v.split_once('.').is_some_and(|(a, b)| {
                !a.is_empty() && !b.is_empty() && a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit())
            })
        });
    if !well_formed {
        return Err(bad(
            line,
            format!("{version:?} is not a SIP-Version such as SIP/2.0"),
        ));
    }
    if version.get(4..) != Some("2.0") {
        return Err(Error::UnsupportedVersion {
            version: excerpt(version),
        });
    }
    Ok(())
}

/// Parses the start line `line`, which begins at byte `offset` of the buffer.
pub(crate) fn parse(line: &str, offset: usize) -> Result<StartLine, Error> {
    if line.starts_with("SIP/") || line.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("SIP/")) {
        return parse_status(line, offset);
    }
    let mut parts = line.splitn(3, ' ');
    let method = parts.next().unwrap_or_default();
    let uri = parts.next().unwrap_or_default();
    let version = parts.next().unwrap_or_default();
    if !is_token(method) {
        return Err(bad(
            line,
            "a request line is Method SP Request-URI SP SIP-Version; the method must be a token",
        ));
    }
    if uri.is_empty() {
        return Err(bad(
            line,
            "the Request-URI is missing or preceded by more than one space",
        ));
    }
    if uri
        .bytes()
        .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return Err(bad(
            line,
            "the Request-URI contains white space or control characters",
        ));
    }
    if version.is_empty() {
        return Err(bad(line, "the SIP-Version is missing"));
    }
    if version.contains(' ') || version.contains('\t') {
        return Err(bad(
            line,
            "white space after the SIP-Version or inside the Request-URI; elements are separated by exactly one SP",
        ));
    }
    check_version(line, version)?;
    let uri_start = offset + method.len() + 1;
    Ok(StartLine::Request {
        method: Span::new(offset, offset + method.len()),
        uri: Span::new(uri_start, uri_start + uri.len()),
    })
}

fn parse_status(line: &str, offset: usize) -> Result<StartLine, Error> {
    let mut parts = line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    let code_text = parts.next().unwrap_or_default();
    check_version(line, version)?;
    let code = match code_text.as_bytes() {
        [a @ b'1'..=b'6', b, c] if b.is_ascii_digit() && c.is_ascii_digit() => {
            u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0')
        }
        _ => {
            return Err(bad(
                line,
                format!("status code {code_text:?} is not three digits from 100 to 699"),
            ));
        }
    };
    let Some(reason) = parts.next() else {
        return Err(bad(
            line,
            "the status code must be followed by SP and a reason phrase (which may be empty)",
        ));
    };
    if reason.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
        return Err(bad(line, "the reason phrase contains control characters"));
    }
    let reason_start = offset + version.len() + 1 + code_text.len() + 1;
    Ok(StartLine::Response {
        code,
        reason: Span::new(reason_start, reason_start + reason.len()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_responses() {
        assert!(matches!(
            parse("INVITE sip:a@b SIP/2.0", 0),
            Ok(StartLine::Request { .. })
        ));
        assert!(matches!(
            parse("SIP/2.0 100 ", 0),
            Ok(StartLine::Response { code: 100, .. })
        ));
        assert!(matches!(
            parse("SIP/2.0 200 OK", 0),
            Ok(StartLine::Response { code: 200, .. })
        ));
    }

    #[test]
    fn malformed_lines() {
        for bad in [
            "INVITE  sip:a@b SIP/2.0",
            "INVITE sip:a@b SIP/2.0 ",
            "INVITE sip:a@b; lr SIP/2.0",
            "INVITE sip:a@b",
            "SIP/2.0 4294967301 better not break the receiver",
            "SIP/2.0 200",
            "SIP/2.0 099 Low",
            "IN(VITE sip:a@b SIP/2.0",
        ] {
            assert!(parse(bad, 0).is_err(), "{bad} accepted");
        }
        assert!(matches!(
            parse("OPTIONS sip:a@b SIP/7.0", 0),
            Err(Error::UnsupportedVersion { .. })
        ));
    }
}
