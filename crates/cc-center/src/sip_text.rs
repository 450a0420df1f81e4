//! Reading SIP header and URI text the center needs: the user part (a number, a DID, an
//! agent's SIP user) and the bare URI of a header value. One place for both, used by call
//! control and the runtime.

/// The user part of a URI in a header value: `"Bob" <sip:1001@host>;tag=x` → `1001`.
pub(crate) fn user_of(value: &str) -> &str {
    let uri = match (value.find('<'), value.find('>')) {
        (Some(a), Some(b)) if a < b => &value[a + 1..b],
        _ => value.split(';').next().unwrap_or(value),
    };
    let rest = uri
        .trim()
        .strip_prefix("sip:")
        .or_else(|| uri.trim().strip_prefix("sips:"))
        .or_else(|| uri.trim().strip_prefix("tel:"))
        .unwrap_or(uri);
    rest.split(['@', ';', '?']).next().unwrap_or(rest)
}

/// The URI in a header value, without display name and parameters outside `<>`.
pub(crate) fn uri_of(value: &str) -> &str {
    match (value.find('<'), value.find('>')) {
        (Some(a), Some(b)) if a < b => &value[a + 1..b],
        _ => value.split(';').next().unwrap_or(value).trim(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_and_uris_come_out_of_header_values() {
        assert_eq!(user_of("\"Bob\" <sip:1001@127.0.0.1:5060>;tag=x"), "1001");
        assert_eq!(user_of("sip:4001000001@127.0.0.1:25060"), "4001000001");
        assert_eq!(user_of("<tel:+8613800138000>"), "+8613800138000");
        assert_eq!(
            uri_of("\"Bob\" <sip:1001@127.0.0.1:5060>;tag=x"),
            "sip:1001@127.0.0.1:5060"
        );
        assert_eq!(uri_of("sip:a@b;tag=1"), "sip:a@b");
    }
}
