//! Header parameters: `*( SEMI generic-param )` with `generic-param = token [ EQUAL
//! gen-value ]` and `gen-value = token / host / quoted-string` (RFC 3261 §25.1).

use std::borrow::Cow;

use super::text::{is_lws, is_token, maybe_unquote, quoted_len, split_token, trim_lws_start};

/// The parameters that follow a header value, e.g. `;tag=as6b;lr;q=0.5`, kept as written
/// and read on demand. Names compare case-insensitively.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Params<'a> {
    raw: &'a str,
}

impl std::fmt::Debug for Params<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// `true` for bytes allowed in an unquoted parameter value (token, host, IPv6 reference).
fn is_value_byte(b: u8) -> bool {
    super::text::is_token_byte(b) || matches!(b, b':' | b'[' | b']' | b'/' | b'@' | b'?')
}

/// One parameter read and the rest after it.
type Step<'a> = ((&'a str, Option<&'a str>), &'a str);

/// Reads one `;name[=value]` from the start of `s` (leading white space allowed).
/// `Ok(None)` at the end of the parameters.
fn next_param(s: &str) -> Result<Option<Step<'_>>, String> {
    let s = trim_lws_start(s);
    if s.is_empty() {
        return Ok(None);
    }
    let Some(s) = s.strip_prefix(';') else {
        return Err(format!(
            "expected ';' before a parameter, found {:?}",
            first_char(s)
        ));
    };
    let s = trim_lws_start(s);
    let (name, rest) = split_token(s);
    if !is_token(name) {
        return Err("a parameter name is empty or not a token (letters, digits, -.!%*_+`'~)".to_owned());
    }
    let after = trim_lws_start(rest);
    let Some(v) = after.strip_prefix('=') else {
        return Ok(Some(((name, None), rest)));
    };
    let v = trim_lws_start(v);
    let len = if v.starts_with('"') {
        quoted_len(v).ok_or_else(|| format!("the quoted value of parameter {name:?} is not terminated"))?
    } else {
        v.bytes().position(|b| !is_value_byte(b)).unwrap_or(v.len())
    };
    if len == 0 {
        return Err(format!("parameter {name:?} has '=' but no value"));
    }
    let (value, rest) = v.split_at(len);
    Ok(Some(((name, Some(value)), rest)))
}

fn first_char(s: &str) -> char {
    s.chars().next().unwrap_or(' ')
}

impl<'a> Params<'a> {
    /// Checks that all of `raw` is a parameter list and wraps it.
    pub(crate) fn parse(raw: &'a str) -> Result<Self, String> {
        let mut rest = raw;
        while let Some((_, r)) = next_param(rest)? {
            rest = r;
        }
        Ok(Self { raw })
    }

    /// The parameters as written, starting with `;` (or empty).
    pub fn as_str(&self) -> &'a str {
        self.raw
    }

    /// `true` when there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.raw.bytes().all(is_lws)
    }

    /// Iterates over `(name, value)` pairs; values of quoted strings keep their quotes.
    pub fn iter(&self) -> ParamIter<'a> {
        ParamIter { rest: self.raw }
    }

    /// The raw value of parameter `name`: `Some(None)` for a flag such as `;lr`,
    /// `Some(Some(v))` for `;name=v`, `None` when absent.
    pub fn get(&self, name: &str) -> Option<Option<&'a str>> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The value of `name` with quotes removed and escapes resolved.
    pub fn value(&self, name: &str) -> Option<Cow<'a, str>> {
        self.get(name).flatten().map(maybe_unquote)
    }

    /// `true` when parameter `name` is present, with or without a value.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

impl<'a> IntoIterator for &Params<'a> {
    type Item = (&'a str, Option<&'a str>);
    type IntoIter = ParamIter<'a>;

    fn into_iter(self) -> ParamIter<'a> {
        self.iter()
    }
}

/// Iterator over [`Params`].
#[derive(Debug, Clone)]
pub struct ParamIter<'a> {
    rest: &'a str,
}

impl<'a> Iterator for ParamIter<'a> {
    type Item = (&'a str, Option<&'a str>);

    fn next(&mut self) -> Option<Self::Item> {
        match next_param(self.rest) {
            Ok(Some((pair, rest))) => {
                self.rest = rest;
                Some(pair)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_params_with_spaces_parse() {
        let p = Params::parse(" ;   tag    = 1918181833n").unwrap();
        assert_eq!(p.get("TAG"), Some(Some("1918181833n")));
        let p = Params::parse("\r\n  ;\r\n  tag = 98asjd8").unwrap();
        assert_eq!(p.get("tag"), Some(Some("98asjd8")));
    }

    #[test]
    fn flags_quoted_values_and_ipv6_hosts() {
        let p = Params::parse(";rport;received=[2001:db8::9:1];x=\"a;b\"").unwrap();
        assert_eq!(p.get("rport"), Some(None));
        assert_eq!(p.get("received"), Some(Some("[2001:db8::9:1]")));
        assert_eq!(p.value("x").as_deref(), Some("a;b"));
        assert_eq!(p.iter().count(), 3);
    }

    #[test]
    fn empty_names_are_rejected() {
        assert!(Params::parse(";;").is_err());
        assert!(Params::parse(";a=").is_err());
        assert!(Params::parse(" junk").is_err());
    }
}
