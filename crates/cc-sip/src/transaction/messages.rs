//! The messages the transaction layer writes itself: responses built from a request
//! (RFC 3261 §8.2.6), the ACK for a non-2xx final response (§17.1.1.3) and CANCEL (§9.1).

use std::borrow::Cow;

use crate::error::Error;
use crate::headers::HeaderName;
use crate::message::Message;
use crate::parser::text::CommaSplit;

/// A header value on one line: folded lines (CRLF followed by white space) are joined.
fn unfold(value: &str) -> Cow<'_, str> {
    if value.contains(['\r', '\n']) {
        Cow::Owned(value.replace(['\r', '\n'], ""))
    } else {
        Cow::Borrowed(value)
    }
}

/// The first entry of the first Via header.
fn top_via_text(msg: &Message) -> Result<&str, Error> {
    msg.header(HeaderName::Via)
        .and_then(|v| CommaSplit::new(v).next())
        .ok_or(Error::MissingHeader { name: "Via" })
}

/// A response to `request` with `code` and `reason`: Via, From, To, Call-ID and CSeq are
/// copied; `to_tag` is added to To when To has no tag; `extra` headers follow.
pub(crate) fn response_to(
    request: &Message,
    code: u16,
    reason: &str,
    to_tag: Option<&str>,
    extra: &[(&str, &str)],
) -> Result<Message, Error> {
    let mut b = Message::response(code, reason);
    for via in request.header_values(HeaderName::Via) {
        b = b.header("Via", &unfold(via));
    }
    let from = request.single(HeaderName::From, "From")?;
    let to = request.single(HeaderName::To, "To")?;
    let to_has_tag = request.to_header().is_ok_and(|t| t.tag().is_some());
    let to = match to_tag {
        Some(tag) if !to_has_tag => format!("{};tag={tag}", unfold(to)),
        _ => unfold(to).into_owned(),
    };
    b = b
        .header("From", &unfold(from))
        .header("To", &to)
        .header("Call-ID", &unfold(request.single(HeaderName::CallId, "Call-ID")?))
        .header("CSeq", &unfold(request.single(HeaderName::CSeq, "CSeq")?));
    for (name, value) in extra {
        b = b.header(name, value);
    }
    b.build()
}

/// A request on the same transaction identity as `original` (Request-URI, top Via,
/// From, Call-ID, CSeq number and Route set), with `method` and the To header `to`.
fn same_transaction(original: &Message, method: &str, to: &str) -> Result<Message, Error> {
    let uri = original.request_uri_str().ok_or(Error::InvalidPart {
        part: "request",
        value: String::new(),
        reason: "ACK and CANCEL are built from the original request".to_owned(),
    })?;
    let cseq = original.cseq()?;
    let mut b = Message::request(method, uri)
        .header("Via", &unfold(top_via_text(original)?))
        .header("Max-Forwards", "70")
        .header("From", &unfold(original.single(HeaderName::From, "From")?))
        .header("To", &unfold(to))
        .header(
            "Call-ID",
            &unfold(original.single(HeaderName::CallId, "Call-ID")?),
        )
        .header("CSeq", &format!("{} {method}", cseq.seq));
    for route in original.header_values(HeaderName::Route) {
        b = b.header("Route", &unfold(route));
    }
    b.build()
}

/// The ACK for a non-2xx final `response` to `invite` (RFC 3261 §17.1.1.3): the To
/// header (with its tag) comes from the response, the rest from the INVITE.
pub(crate) fn ack_for(invite: &Message, response: &Message) -> Result<Message, Error> {
    same_transaction(invite, "ACK", response.single(HeaderName::To, "To")?)
}

/// The CANCEL of `invite` (RFC 3261 §9.1).
pub(crate) fn cancel_for(invite: &Message) -> Result<Message, Error> {
    same_transaction(invite, "CANCEL", invite.single(HeaderName::To, "To")?)
}

/// A response to a request the parser rejected, built from its raw lines (RFC 3261
/// §8.2.6 needs only Via, From, To, Call-ID and CSeq): `None` when the datagram is a
/// response or an ACK, or lacks one of those headers. Folded lines are not joined; a
/// header is taken from its first line.
pub(crate) fn salvage_response(raw: &[u8], code: u16, reason: &str, to_tag: &str) -> Option<Message> {
    let text = String::from_utf8_lossy(raw.get(..raw.len().min(16 * 1024))?);
    let mut lines = text.split("\r\n").flat_map(|l| l.split('\n'));
    let start = lines.by_ref().find(|l| !l.trim().is_empty())?;
    let method = start.split_ascii_whitespace().next()?;
    if method.starts_with("SIP/") || method == "ACK" {
        return None;
    }
    let mut vias = Vec::new();
    let (mut from, mut to, mut call_id, mut cseq) = (None, None, None, None);
    for line in lines.take_while(|l| !l.is_empty()) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim_matches([' ', '\t']);
        if value.is_empty() || value.chars().any(char::is_control) {
            continue;
        }
        match HeaderName::from_name(name.trim_matches([' ', '\t'])) {
            HeaderName::Via => vias.push(value),
            HeaderName::From => from = from.or(Some(value)),
            HeaderName::To => to = to.or(Some(value)),
            HeaderName::CallId => call_id = call_id.or(Some(value)),
            HeaderName::CSeq => cseq = cseq.or(Some(value)),
            _ => {}
        }
    }
    let to = to?;
    let to = if to.contains(";tag=") {
        to.to_owned()
    } else {
        format!("{to};tag={to_tag}")
    };
    let mut b = Message::response(code, reason);
    for via in &vias {
        b = b.header("Via", via);
    }
    if vias.is_empty() {
        return None;
    }
    b.header("From", from?)
        .header("To", &to)
        .header("Call-ID", call_id?)
        .header("CSeq", cseq?)
        .build()
        .ok()
}

/// Makes a reason phrase from an error text: control characters become spaces and the
/// text is cut to 120 characters.
pub(crate) fn reason_phrase(text: &str) -> String {
    text.chars()
        .take(120)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(text: &str) -> Message {
        Message::parse(text.replace('\n', "\r\n")).unwrap()
    }

    const INVITE: &str = "INVITE sip:bob@b.example SIP/2.0\n\
        Via: SIP/2.0/UDP a.example;branch=z9hG4bK1, SIP/2.0/UDP p.example;branch=z9hG4bKp\n\
        Route: <sip:p1.example;lr>\nFrom: <sip:a@a.example>;tag=f1\nTo: <sip:bob@b.example>\n\
        Call-ID: c1\nCSeq: 7 INVITE\nContent-Length: 0\n\n";

    #[test]
    fn ack_takes_to_from_the_response_and_the_rest_from_the_invite() {
        let invite = msg(INVITE);
        let resp = response_to(&invite, 486, "Busy Here", Some("t1"), &[]).unwrap();
        assert_eq!(resp.to_header().unwrap().tag(), Some("t1"));
        assert_eq!(resp.vias().count(), 2);
        let ack = ack_for(&invite, &resp).unwrap();
        ack.validate().unwrap();
        assert_eq!(ack.method(), Some("ACK"));
        assert_eq!(ack.request_uri_str(), Some("sip:bob@b.example"));
        assert_eq!(ack.vias().count(), 1);
        assert_eq!(ack.top_via().unwrap().branch(), Some("z9hG4bK1"));
        assert_eq!(ack.to_header().unwrap().tag(), Some("t1"));
        assert_eq!(ack.cseq().unwrap().seq, 7);
        assert_eq!(ack.header(HeaderName::Route), Some("<sip:p1.example;lr>"));
        let cancel = cancel_for(&invite).unwrap();
        cancel.validate().unwrap();
        assert_eq!(cancel.cseq().unwrap().method, "CANCEL");
        assert_eq!(cancel.to_header().unwrap().tag(), None);
    }

    #[test]
    fn rejected_requests_are_answered_from_their_raw_lines() {
        let raw = "INVITE sip:b@h SIP/3.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK1\r\nf: <sip:a@h>;tag=1\r\n\
                   t: <sip:b@h>\r\ni: x@h\r\nCSeq: 1 INVITE\r\n\r\n";
        let resp = salvage_response(raw.as_bytes(), 505, "Version Not Supported", "t9").unwrap();
        assert_eq!(resp.status_code(), Some(505));
        assert_eq!(resp.to_header().unwrap().tag(), Some("t9"));
        assert_eq!(resp.top_via().unwrap().branch(), Some("z9hG4bK1"));
        assert!(salvage_response(raw.replace("CSeq: 1 INVITE\r\n", "").as_bytes(), 400, "x", "t").is_none());
        assert!(salvage_response(raw.replacen("INVITE", "ACK", 1).as_bytes(), 400, "x", "t").is_none());
        assert!(salvage_response(b"SIP/2.0 200 OK\r\n\r\n", 400, "x", "t").is_none());
        assert!(salvage_response(b"", 400, "x", "t").is_none());
    }

    #[test]
    fn folded_values_are_joined_and_reasons_cleaned() {
        let folded = INVITE.replace(
            "From: <sip:a@a.example>;tag=f1",
            "From: <sip:a@a.example>\n ;tag=f1",
        );
        let resp = response_to(&msg(&folded), 200, "OK", None, &[("Retry-After", "5")]).unwrap();
        assert_eq!(resp.from_header().unwrap().tag(), Some("f1"));
        assert_eq!(resp.header_values_named("Retry-After").next(), Some("5"));
        assert_eq!(reason_phrase("bad\r\nthing"), "bad  thing");
    }
}
