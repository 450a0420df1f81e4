//! Comma lists of tokens: Allow (methods), Supported, Require, Proxy-Require and
//! Unsupported (option tags).

use crate::error::{Error, bad_header};
use crate::message::Message;
use crate::parser::text::{CommaSplit, is_token};

use super::HeaderName;

impl Message {
    /// The tokens of every header line called `name`, in order; an element that is not
    /// a token is an error naming the header.
    pub fn tokens(&self, name: HeaderName) -> impl Iterator<Item = Result<&str, Error>> + '_ {
        self.header_values(name).flat_map(move |value| {
            // An empty header (e.g. `Supported:`) is an empty list.
            let empty = value.is_empty();
            CommaSplit::new(value).filter(move |_| !empty).map(move |t| {
                if is_token(t) {
                    Ok(t)
                } else {
                    Err(bad_header(name.as_str(), value, format!("{t:?} is not a token")))
                }
            })
        })
    }

    /// The methods listed in Allow.
    pub fn allow(&self) -> impl Iterator<Item = Result<&str, Error>> + '_ {
        self.tokens(HeaderName::Allow)
    }

    /// The option tags in Supported.
    pub fn supported(&self) -> impl Iterator<Item = Result<&str, Error>> + '_ {
        self.tokens(HeaderName::Supported)
    }

    /// The option tags in Require.
    pub fn require(&self) -> impl Iterator<Item = Result<&str, Error>> + '_ {
        self.tokens(HeaderName::Require)
    }

    /// `true` when option tag `tag` (e.g. `100rel`) is listed in Supported or Require.
    pub fn supports(&self, tag: &str) -> bool {
        self.supported()
            .chain(self.require())
            .any(|t| t.is_ok_and(|t| t.eq_ignore_ascii_case(tag)))
    }
}
