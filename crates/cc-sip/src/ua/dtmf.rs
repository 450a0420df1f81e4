//! DTMF in SIP INFO: `application/dtmf-relay` (`Signal=5`, `Duration=160`) and
//! `application/dtmf` (the digit alone).

use crate::headers::HeaderName;
use crate::message::Message;

/// `true` for the DTMF events INFO carries: `0`-`9`, `*`, `#`, `A`-`D` and `F` (flash).
pub(crate) fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, '*' | '#' | 'A'..='D' | 'F')
}

/// The digit of an INFO request, if its body is DTMF.
pub(crate) fn digit_of(info: &Message) -> Option<char> {
    let content_type = info.header(HeaderName::ContentType)?.trim().to_ascii_lowercase();
    let body = std::str::from_utf8(info.body()).ok()?;
    let text = if content_type.starts_with("application/dtmf-relay") {
        body.lines().find_map(|line| {
            let (name, value) = line.split_once('=')?;
            name.trim().eq_ignore_ascii_case("signal").then(|| value.trim())
        })?
    } else if content_type.starts_with("application/dtmf") {
        body.trim()
    } else {
        return None;
    };
    // RFC 2833 event numbers 10 and 11 stand for * and #; 16 is flash.
    let digit = match text {
        "10" => '*',
        "11" => '#',
        "12" => 'A',
        "13" => 'B',
        "14" => 'C',
        "15" => 'D',
        "16" => 'F',
        _ => {
            let mut chars = text.chars();
            let c = chars.next()?.to_ascii_uppercase();
            if chars.next().is_some() {
                return None;
            }
            c
        }
    };
    is_digit(digit).then_some(digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(content_type: &str, body: &str) -> Message {
        Message::request("INFO", "sip:a@h")
            .header("Content-Type", content_type)
            .body(body.to_owned())
            .build()
            .unwrap()
    }

    #[test]
    fn relay_and_plain_bodies_give_digits() {
        assert_eq!(
            digit_of(&info("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n")),
            Some('5')
        );
        assert_eq!(
            digit_of(&info("application/dtmf-relay", "signal= #\r\n")),
            Some('#')
        );
        assert_eq!(digit_of(&info("application/dtmf", "11")), Some('#'));
        assert_eq!(digit_of(&info("application/dtmf", "a")), Some('A'));
        assert_eq!(digit_of(&info("application/dtmf", "55")), None);
        assert_eq!(digit_of(&info("application/dtmf", "x")), None);
        assert_eq!(digit_of(&info("text/plain", "5")), None);
        assert_eq!(digit_of(&info("application/dtmf-relay", "Duration=160")), None);
    }
}
