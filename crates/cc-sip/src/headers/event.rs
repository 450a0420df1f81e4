//! Event notification headers (RFC 6665, used by REFER in RFC 3515): `Event` (compact
//! `o`) and `Subscription-State`.
//!
//! ```text
//! Event              = ( "Event" / "o" ) HCOLON event-type *( SEMI event-param )
//! event-type         = event-package *( "." event-template )   ; tokens without dots
//! Subscription-State = "Subscription-State" HCOLON substate-value *( SEMI subexp-params )
//! substate-value     = "active" / "pending" / "terminated" / extension-substate
//! subexp-params      = ("reason" EQUAL event-reason-value) / ("expires" EQUAL delta-seconds)
//!                      / ("retry-after" EQUAL delta-seconds) / generic-param
//! ```

use crate::error::{Error, bad_header};
use crate::message::Message;
use crate::parser::params::Params;
use crate::parser::text::{is_lws, is_token, parse_decimal, trim_lws_start};

use super::HeaderName;

/// Splits a leading token off `value` and checks the parameters after it.
fn token_and_params<'a>(
    header: &'static str,
    value: &'a str,
    what: &str,
) -> Result<(&'a str, Params<'a>), Error> {
    let s = trim_lws_start(value);
    let end = s.bytes().position(|b| b == b';' || is_lws(b)).unwrap_or(s.len());
    let (token, rest) = s.split_at(end);
    if !is_token(token) {
        return Err(bad_header(header, value, format!("it must start with {what}")));
    }
    let params = Params::parse(rest).map_err(|r| bad_header(header, value, r))?;
    Ok((token, params))
}

/// An `Event` value: the event package (e.g. `refer`) and its `id` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    /// The event type as written (`refer`, `presence`, `dialog.winfo`...).
    pub package: &'a str,
    /// The `id` parameter (RFC 3515: the CSeq number of the REFER).
    pub id: Option<&'a str>,
    /// Every parameter.
    pub params: Params<'a>,
}

impl<'a> Event<'a> {
    /// Parses an Event value such as `refer;id=93809824`.
    pub fn parse(value: &'a str) -> Result<Self, Error> {
        let (package, params) = token_and_params("Event", value, "an event type such as refer")?;
        Ok(Self {
            package,
            id: params.get("id").flatten(),
            params,
        })
    }

    /// `true` for the `refer` package (case-insensitive).
    pub fn is_refer(&self) -> bool {
        self.package.eq_ignore_ascii_case("refer")
    }
}

/// The state a `Subscription-State` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubState<'a> {
    /// `active`.
    Active,
    /// `pending`.
    Pending,
    /// `terminated`.
    Terminated,
    /// Another token (an extension state).
    Other(&'a str),
}

/// A `Subscription-State` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubscriptionState<'a> {
    /// The state.
    pub state: SubState<'a>,
    /// The `reason` parameter (`noresource`, `timeout`...).
    pub reason: Option<&'a str>,
    /// The `expires` parameter in seconds.
    pub expires: Option<u32>,
    /// Every parameter.
    pub params: Params<'a>,
}

impl<'a> SubscriptionState<'a> {
    /// Parses a Subscription-State value such as `terminated;reason=noresource`.
    pub fn parse(value: &'a str) -> Result<Self, Error> {
        let (state, params) = token_and_params("Subscription-State", value, "active, pending or terminated")?;
        let state = match state {
            s if s.eq_ignore_ascii_case("active") => SubState::Active,
            s if s.eq_ignore_ascii_case("pending") => SubState::Pending,
            s if s.eq_ignore_ascii_case("terminated") => SubState::Terminated,
            s => SubState::Other(s),
        };
        let seconds = |name: &str| -> Result<Option<u32>, Error> {
            match params.get(name) {
                None => Ok(None),
                Some(v) => v
                    .and_then(|v| parse_decimal(v, u64::from(u32::MAX), 10))
                    .map(|n| Some(n as u32))
                    .ok_or_else(|| {
                        bad_header(
                            "Subscription-State",
                            value,
                            format!("the {name} parameter must be seconds"),
                        )
                    }),
            }
        };
        let expires = seconds("expires")?;
        seconds("retry-after")?;
        let reason = match params.get("reason") {
            None => None,
            Some(Some(r)) if is_token(r) => Some(r),
            Some(_) => {
                return Err(bad_header(
                    "Subscription-State",
                    value,
                    "the reason parameter must be a token such as noresource",
                ));
            }
        };
        Ok(Self {
            state,
            reason,
            expires,
            params,
        })
    }
}

impl Message {
    /// The Event header (compact form `o`), if present.
    pub fn event(&self) -> Result<Option<Event<'_>>, Error> {
        self.header(HeaderName::Event).map(Event::parse).transpose()
    }

    /// The Subscription-State header, if present.
    pub fn subscription_state(&self) -> Result<Option<SubscriptionState<'_>>, Error> {
        self.header(HeaderName::SubscriptionState)
            .map(SubscriptionState::parse)
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events() {
        let e = Event::parse("refer;id=93809824").unwrap();
        assert!(e.is_refer());
        assert_eq!(e.id, Some("93809824"));
        assert_eq!(Event::parse("dialog.winfo").unwrap().package, "dialog.winfo");
        for bad in ["", ";id=1", "refer;", "re fer", "refer;id=\"x"] {
            assert!(Event::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn subscription_states() {
        let s = SubscriptionState::parse("terminated;reason=noresource").unwrap();
        assert_eq!(
            (s.state, s.reason, s.expires),
            (SubState::Terminated, Some("noresource"), None)
        );
        let s = SubscriptionState::parse("active;expires=60").unwrap();
        assert_eq!((s.state, s.expires), (SubState::Active, Some(60)));
        assert_eq!(
            SubscriptionState::parse("x-new").unwrap().state,
            SubState::Other("x-new")
        );
        for bad in [
            "",
            "active;expires=soon",
            "active;expires",
            "terminated;reason=\"no resource\"",
            "active;",
        ] {
            assert!(SubscriptionState::parse(bad).is_err(), "{bad:?}");
        }
    }
}
