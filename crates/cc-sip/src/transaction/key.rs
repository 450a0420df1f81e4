//! Matching messages to transactions (RFC 3261 §17.1.3 and §17.2.3).
//!
//! - A response matches a client transaction by the branch of its top Via and the
//!   method of its CSeq (a CANCEL has its own transaction on the INVITE's branch).
//! - A request whose top-Via branch starts with the magic cookie `z9hG4bK` matches a
//!   server transaction by branch, sent-by and method, where an ACK matches the INVITE.
//! - Without the cookie (RFC 2543 peers) a request matches by Request-URI, From tag,
//!   Call-ID, CSeq number, method and the whole top Via. The To tag is left out of the
//!   key, so an ACK (whose To carries the tag of our response) finds its INVITE; a CANCEL
//!   finds the INVITE through [`TransactionKey::invite_for_cancel`].

use crate::error::Error;
use crate::message::Message;

/// The RFC 3261 magic cookie that starts every RFC 3261 branch.
pub const MAGIC_COOKIE: &str = "z9hG4bK";

/// Which side of a transaction a key names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// A transaction we started (we sent the request).
    Client,
    /// A transaction a peer started (we received the request).
    Server,
}

/// The identity of a transaction, as found in its messages.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TransactionKey {
    /// RFC 3261 matching: branch (with the magic cookie), and for server transactions
    /// the sent-by of the top Via (host lower-cased, port as written).
    Branch {
        /// Client or server.
        side: Side,
        /// The top Via's branch.
        branch: String,
        /// `host[:port]` of the top Via; empty for client transactions.
        sent_by: String,
        /// The method (ACK counted as INVITE).
        method: String,
    },
    /// RFC 2543 matching for server transactions whose branch lacks the magic cookie.
    Legacy {
        /// The Request-URI as written.
        request_uri: String,
        /// The From tag, if any.
        from_tag: String,
        /// The Call-ID.
        call_id: String,
        /// The CSeq number.
        cseq: u32,
        /// The whole top Via value.
        top_via: String,
        /// The method (ACK counted as INVITE).
        method: String,
    },
}

/// The method under which a request is matched: ACK goes to the INVITE transaction.
fn match_method(method: &str) -> &str {
    if method == "ACK" { "INVITE" } else { method }
}

impl TransactionKey {
    /// The key of the client transaction that sent `request` (its top-Via branch must
    /// carry the magic cookie, since we generate it).
    pub fn client_for_request(request: &Message) -> Result<Self, Error> {
        let method = request.method().ok_or(Error::InvalidPart {
            part: "request",
            value: String::new(),
            reason: "a client transaction starts with a request, not a response".to_owned(),
        })?;
        let via = request.top_via()?;
        let branch = via.branch().unwrap_or_default();
        if !branch.starts_with(MAGIC_COOKIE) || branch.len() <= MAGIC_COOKIE.len() {
            return Err(Error::InvalidPart {
                part: "Via branch",
                value: crate::error::excerpt(branch),
                reason: "a request we send needs a unique branch starting with z9hG4bK".to_owned(),
            });
        }
        Ok(Self::Branch {
            side: Side::Client,
            branch: branch.to_owned(),
            sent_by: String::new(),
            method: match_method(method).to_owned(),
        })
    }

    /// The key of the client transaction a received response belongs to.
    pub fn client_for_response(response: &Message) -> Result<Self, Error> {
        let via = response.top_via()?;
        let cseq = response.cseq()?;
        Ok(Self::Branch {
            side: Side::Client,
            branch: via.branch().unwrap_or_default().to_owned(),
            sent_by: String::new(),
            method: match_method(cseq.method).to_owned(),
        })
    }

    /// The key of the server transaction a received request belongs to.
    pub fn server_for_request(request: &Message) -> Result<Self, Error> {
        let method = request.method().unwrap_or_default();
        Self::server_with_method(request, match_method(method))
    }

    /// The key of the INVITE server transaction a received CANCEL targets (RFC 3261 §9.2).
    pub fn invite_for_cancel(cancel: &Message) -> Result<Self, Error> {
        Self::server_with_method(cancel, "INVITE")
    }

    fn server_with_method(request: &Message, method: &str) -> Result<Self, Error> {
        let via = request.top_via()?;
        match via.branch() {
            Some(branch) if branch.starts_with(MAGIC_COOKIE) => {
                let mut sent_by = via.host.to_ascii_lowercase();
                if let Some(port) = via.port {
                    sent_by.push(':');
                    sent_by.push_str(&port.to_string());
                }
                Ok(Self::Branch {
                    side: Side::Server,
                    branch: branch.to_owned(),
                    sent_by,
                    method: method.to_owned(),
                })
            }
            _ => {
                let top_via = request
                    .header(crate::HeaderName::Via)
                    .and_then(|v| crate::parser::text::CommaSplit::new(v).next())
                    .unwrap_or_default();
                Ok(Self::Legacy {
                    request_uri: request.request_uri_str().unwrap_or_default().to_owned(),
                    from_tag: request.from_header()?.tag().unwrap_or_default().to_owned(),
                    call_id: request.call_id()?.to_owned(),
                    cseq: request.cseq()?.seq,
                    top_via: top_via.to_owned(),
                    method: method.to_owned(),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(text: &str) -> Message {
        Message::parse(text.replace('\n', "\r\n")).unwrap()
    }

    const INVITE: &str = "INVITE sip:bob@b.example SIP/2.0\n\
        Via: SIP/2.0/UDP A.example:5060;branch=z9hG4bKabc\n\
        From: <sip:a@a.example>;tag=f1\nTo: <sip:bob@b.example>\nCall-ID: c1\n\
        CSeq: 1 INVITE\nContent-Length: 0\n\n";

    #[test]
    fn ack_and_invite_share_a_server_key_cancel_does_not() {
        let invite = TransactionKey::server_for_request(&msg(INVITE)).unwrap();
        let ack = msg(&INVITE
            .replace("INVITE sip", "ACK sip")
            .replace("1 INVITE", "1 ACK"));
        let cancel = msg(&INVITE
            .replace("INVITE sip", "CANCEL sip")
            .replace("1 INVITE", "1 CANCEL"));
        assert_eq!(TransactionKey::server_for_request(&ack).unwrap(), invite);
        assert_ne!(TransactionKey::server_for_request(&cancel).unwrap(), invite);
        assert_eq!(TransactionKey::invite_for_cancel(&cancel).unwrap(), invite);
        // sent-by host compares case-insensitively, and a different port is another transaction
        let lower = msg(&INVITE.replace("A.example", "a.example"));
        assert_eq!(TransactionKey::server_for_request(&lower).unwrap(), invite);
        let port = msg(&INVITE.replace("5060", "5062"));
        assert_ne!(TransactionKey::server_for_request(&port).unwrap(), invite);
    }

    #[test]
    fn rfc2543_requests_match_without_the_to_tag() {
        let old = INVITE.replace("branch=z9hG4bKabc", "branch=old1");
        let invite = TransactionKey::server_for_request(&msg(&old)).unwrap();
        assert!(matches!(invite, TransactionKey::Legacy { .. }));
        let ack = old
            .replace("INVITE sip", "ACK sip")
            .replace("1 INVITE", "1 ACK")
            .replace("To: <sip:bob@b.example>", "To: <sip:bob@b.example>;tag=t9");
        assert_eq!(TransactionKey::server_for_request(&msg(&ack)).unwrap(), invite);
        let other_cseq = old.replace("1 INVITE", "2 INVITE");
        assert_ne!(
            TransactionKey::server_for_request(&msg(&other_cseq)).unwrap(),
            invite
        );
    }

    #[test]
    fn responses_match_by_branch_and_cseq_method() {
        let request = msg(INVITE);
        let client = TransactionKey::client_for_request(&request).unwrap();
        let resp = msg(
            "SIP/2.0 180 Ringing\nVia: SIP/2.0/UDP A.example:5060;branch=z9hG4bKabc\n\
            From: <sip:a@a.example>;tag=f1\nTo: <sip:bob@b.example>;tag=x\nCall-ID: c1\n\
            CSeq: 1 INVITE\nContent-Length: 0\n\n",
        );
        assert_eq!(TransactionKey::client_for_response(&resp).unwrap(), client);
        let cancel_resp = Message::parse(resp.to_string().replace("1 INVITE", "1 CANCEL")).unwrap();
        assert_ne!(TransactionKey::client_for_response(&cancel_resp).unwrap(), client);
        let no_cookie = msg(&INVITE.replace("z9hG4bKabc", "abc"));
        assert!(TransactionKey::client_for_request(&no_cookie).is_err());
    }
}
