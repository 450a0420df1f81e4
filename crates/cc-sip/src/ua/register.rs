//! Outbound registration (RFC 3261 §10.2): the agent registers a contact with a
//! carrier's or a PBX's registrar, answers its digest challenges, refreshes the binding
//! before it expires and removes it on request.

use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::credentials::{self, Challenge};
use super::{ALLOW, Credentials, Transport, UaEvent, UserAgent};
use crate::error::Error;
use crate::message::Message;
use crate::transaction::TransactionId;

/// The handle of an outbound registration of a [`UserAgent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegistrationId(pub(super) u64);

impl RegistrationId {
    /// The number behind the id (unique within one [`UserAgent`]).
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for RegistrationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "registration#{}", self.0)
    }
}

/// A registration to keep with [`UserAgent::register`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterRequest {
    /// Where REGISTER is sent (the registrar or the carrier's edge proxy).
    pub registrar: SocketAddr,
    /// The Request-URI; `None` takes `sip:` and the host (and port) of `aor`.
    pub registrar_uri: Option<String>,
    /// The address-of-record (From and To), e.g. `sip:+861012345@carrier.example`.
    pub aor: String,
    /// The contact URI to bind; `None` binds the agent's own contact.
    pub contact: Option<String>,
    /// The expiry asked for, in seconds (the registrar may grant less).
    pub expires: u32,
    /// What to answer a 401 or 407 with.
    pub credentials: Option<Credentials>,
    /// UDP or TCP.
    pub transport: Transport,
    /// How long to wait before trying again after a failure (a final error, a timeout,
    /// refused credentials); 60 s by default.
    pub retry_after: Duration,
}

impl RegisterRequest {
    /// A registration of the agent's contact for `aor` at `registrar` over UDP, asking for
    /// `expires` seconds, without credentials.
    pub fn new(registrar: SocketAddr, aor: &str, expires: u32) -> Self {
        Self {
            registrar,
            registrar_uri: None,
            aor: aor.to_owned(),
            contact: None,
            expires,
            credentials: None,
            transport: Transport::Udp,
            retry_after: Duration::from_secs(60),
        }
    }

    /// The registration with `credentials` for digest challenges.
    #[must_use]
    pub fn with_credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }
}

/// Where an outbound registration stands ([`UserAgent::registration_state`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationState {
    /// A REGISTER is on its way (first registration, refresh or retry).
    Registering,
    /// The binding is in place for `expires` seconds from the last 200; it is refreshed
    /// at `refresh_at`.
    Registered {
        /// The expiry the registrar granted, in seconds.
        expires: u32,
        /// When the refresh goes.
        refresh_at: Instant,
    },
    /// The last attempt failed; the next one goes at `retry_at`.
    Failed {
        /// The status code (408 for a timeout, 503 for a transport error).
        code: u16,
        /// When the next attempt goes.
        retry_at: Instant,
    },
    /// The REGISTER with `Expires: 0` is on its way.
    Unregistering,
}

#[derive(Debug)]
pub(super) struct Registration {
    request: RegisterRequest,
    uri: String,
    contact: String,
    call_id: String,
    from_tag: String,
    /// The last REGISTER sent (the next one copies it with the next CSeq).
    last: Option<Message>,
    tx: Option<TransactionId>,
    expires: u32,
    challenge: Option<Challenge>,
    /// Whether the request in flight answers a challenge (rather than reusing a nonce).
    answering: bool,
    auth_tries: u8,
    state: RegistrationState,
    /// When the timer of the registration next fires (refresh or retry).
    next: Option<Instant>,
    unregister: bool,
}

fn unknown_registration(id: RegistrationId) -> Error {
    Error::UnknownRegistration {
        registration: id.to_string(),
    }
}

/// The URI inside angle brackets, or the value itself.
pub(super) fn bare_uri(value: &str) -> &str {
    let v = value.trim();
    match (v.find('<'), v.find('>')) {
        (Some(a), Some(b)) if a < b => &v[a + 1..b],
        _ => v,
    }
}

/// The expiry granted for `contact` in a 2xx to REGISTER: the `expires` of that Contact,
/// else the Expires header, else `asked`.
fn granted(response: &Message, contact: &str, asked: u32) -> u32 {
    let ours = response
        .contacts()
        .filter_map(Result::ok)
        .filter_map(|c| c.address().map(|a| (a.uri.as_str().to_owned(), a.expires())))
        .find(|(uri, _)| uri.eq_ignore_ascii_case(contact))
        .and_then(|(_, e)| e);
    ours.or_else(|| response.expires().ok().flatten())
        .unwrap_or(asked)
}

/// When a binding granted for `expires` seconds at `now` is refreshed: at half its
/// life (at least 1 s from now).
pub(super) fn refresh_time(now: Instant, expires: u32) -> Instant {
    now + Duration::from_secs(u64::from(expires / 2).max(1))
}

impl UserAgent {
    /// Starts an outbound registration: sends REGISTER now, answers challenges with the
    /// request's credentials, refreshes the binding at half the granted expiry, and
    /// tries again `retry_after` after a failure. Results come as
    /// [`UaEvent::OutboundRegistered`] and [`UaEvent::OutboundRegistrationFailed`].
    pub fn register(&mut self, now: Instant, request: RegisterRequest) -> Result<RegistrationId, Error> {
        let aor = bare_uri(&request.aor);
        let parsed = crate::Uri::parse(aor)?;
        let sip = parsed.as_sip().ok_or_else(|| Error::InvalidPart {
            part: "address-of-record",
            value: aor.to_owned(),
            reason: "an outbound registration needs a sip: or sips: address-of-record".to_owned(),
        })?;
        let uri = request.registrar_uri.clone().unwrap_or_else(|| match sip.port {
            Some(port) => format!("sip:{}:{port}", sip.host),
            None => format!("sip:{}", sip.host),
        });
        crate::Uri::parse(&uri)?;
        let contact = request.contact.as_deref().map_or_else(
            || bare_uri(self.contact(request.transport)).to_owned(),
            |c| bare_uri(c).to_owned(),
        );
        let host = self.config.local_addr.ip();
        let call_id = format!("{}{}@{host}", self.tx.new_tag(), self.tx.new_tag());
        let from_tag = self.tx.new_tag();
        self.next_registration += 1;
        let id = RegistrationId(self.next_registration);
        let expires = request.expires;
        self.registrations.insert(
            id,
            Registration {
                request,
                uri,
                contact,
                call_id,
                from_tag,
                last: None,
                tx: None,
                expires,
                challenge: None,
                answering: false,
                auth_tries: 0,
                state: RegistrationState::Registering,
                next: None,
                unregister: false,
            },
        );
        if let Err(e) = self.send_register(now, id) {
            self.registrations.remove(&id);
            return Err(e);
        }
        self.process(now);
        Ok(id)
    }

    /// Removes the binding: REGISTER with `Expires: 0` for the contact, then the
    /// registration is forgotten; [`UaEvent::OutboundUnregistered`] follows (also when
    /// the registrar refused or did not answer). A second call while that REGISTER is
    /// on its way does nothing.
    pub fn unregister(&mut self, now: Instant, id: RegistrationId) -> Result<(), Error> {
        let reg = self
            .registrations
            .get_mut(&id)
            .ok_or_else(|| unknown_registration(id))?;
        if reg.unregister {
            return Ok(());
        }
        reg.unregister = true;
        reg.state = RegistrationState::Unregistering;
        reg.next = None;
        reg.answering = false;
        reg.auth_tries = 0;
        if let Some(tx) = reg.tx.take() {
            self.reg_by_tx.remove(&tx);
        }
        self.send_register(now, id)?;
        self.process(now);
        Ok(())
    }

    /// Where registration `id` stands; `None` once it is unknown (never made, or
    /// unregistered).
    pub fn registration_state(&self, id: RegistrationId) -> Option<RegistrationState> {
        self.registrations.get(&id).map(|r| r.state)
    }

    /// Builds and sends the next REGISTER of `id`, with credentials when a challenge is
    /// known (a reused nonce counts up).
    fn send_register(&mut self, now: Instant, id: RegistrationId) -> Result<(), Error> {
        let Some(transport) = self.registrations.get(&id).map(|r| r.request.transport) else {
            return Err(unknown_registration(id));
        };
        let via = self.via(transport);
        let cnonce = self.tx.new_tag();
        let user_agent = self.config.user_agent.clone();
        let reg = self
            .registrations
            .get_mut(&id)
            .ok_or_else(|| unknown_registration(id))?;
        let expires = if reg.unregister { 0 } else { reg.expires };
        let seq = reg
            .last
            .as_ref()
            .and_then(|m| m.cseq().ok())
            .map_or(1, |c| c.seq + 1);
        let aor = bare_uri(&reg.request.aor);
        let mut b = Message::request("REGISTER", &reg.uri)
            .header("Via", &via)
            .header("Max-Forwards", "70")
            .header("From", &format!("<{aor}>;tag={}", reg.from_tag))
            .header("To", &format!("<{aor}>"))
            .header("Call-ID", &reg.call_id)
            .header("CSeq", &format!("{seq} REGISTER"))
            .header("Contact", &format!("<{}>", reg.contact))
            .header("Expires", &expires.to_string())
            .header("Allow", ALLOW);
        if let Some(ua) = &user_agent {
            b = b.header("User-Agent", ua);
        }
        if let (Some(challenge), Some(creds)) = (reg.challenge.as_mut(), reg.request.credentials.as_ref())
            && let Some((name, value)) = challenge.answer(creds, "REGISTER", &reg.uri, &cnonce)
        {
            b = b.header(name, &value);
        }
        let request = b.build()?;
        let tx = self
            .tx
            .send_request(now, reg.request.registrar, transport.reliable(), request.clone())?;
        reg.last = Some(request);
        reg.tx = Some(tx);
        if !reg.unregister {
            reg.state = match reg.state {
                // A refresh keeps the binding's state until its answer comes.
                s @ RegistrationState::Registered { .. } => s,
                _ => RegistrationState::Registering,
            };
        }
        self.reg_by_tx.insert(tx, id);
        Ok(())
    }

    /// The earliest refresh or retry of the registrations.
    pub(super) fn registration_timeout(&self) -> Option<Instant> {
        self.registrations.values().filter_map(|r| r.next).min()
    }

    /// Refreshes and retries that are due.
    pub(super) fn registration_timers(&mut self, now: Instant) {
        let due: Vec<RegistrationId> = self
            .registrations
            .iter()
            .filter(|(_, r)| r.next.is_some_and(|t| t <= now) && r.tx.is_none())
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            if let Some(reg) = self.registrations.get_mut(&id) {
                reg.next = None;
                reg.answering = false;
                reg.auth_tries = 0;
            }
            if self.send_register(now, id).is_err() {
                self.registration_failed(now, id, 503);
            }
        }
    }

    /// A response to one of our REGISTERs; `false` when `tx` is not one.
    pub(super) fn on_register_response(
        &mut self,
        now: Instant,
        tx: TransactionId,
        response: &Message,
    ) -> bool {
        let Some(&id) = self.reg_by_tx.get(&tx) else {
            return false;
        };
        let code = response.status_code().unwrap_or_default();
        if code < 200 {
            return true;
        }
        self.reg_by_tx.remove(&tx);
        let Some(reg) = self.registrations.get_mut(&id) else {
            return true;
        };
        if reg.tx != Some(tx) {
            return true;
        }
        reg.tx = None;
        match code {
            200..=299 => {
                reg.answering = false;
                reg.auth_tries = 0;
                if reg.unregister {
                    self.registrations.remove(&id);
                    self.events
                        .push_back(UaEvent::OutboundUnregistered { registration: id });
                    return true;
                }
                let expires = granted(response, &reg.contact, reg.expires);
                if expires == 0 {
                    // The registrar kept nothing: treat as a failure and retry later.
                    self.registration_failed(now, id, code);
                    return true;
                }
                let refresh_at = refresh_time(now, expires);
                reg.state = RegistrationState::Registered { expires, refresh_at };
                reg.next = Some(refresh_at);
                self.events.push_back(UaEvent::OutboundRegistered {
                    registration: id,
                    expires,
                });
            }
            401 | 407 => {
                let fresh = credentials::pick(response);
                let can = reg.request.credentials.is_some()
                    && fresh.as_ref().is_some_and(|f| {
                        // Once per challenge: the same kind again after we answered one,
                        // not for a stale nonce, means the credentials were refused.
                        let repeated = reg.answering
                            && reg.challenge.as_ref().is_some_and(|c| c.header == f.header)
                            && !f.stale;
                        !repeated && reg.auth_tries < 3
                    });
                if can {
                    reg.challenge = fresh;
                    reg.answering = true;
                    reg.auth_tries += 1;
                    self.stats.auth_retries += 1;
                    if self.send_register(now, id).is_err() {
                        self.registration_failed(now, id, code);
                    }
                } else {
                    reg.challenge = None;
                    self.registration_failed(now, id, code);
                }
            }
            423 => {
                // Interval Too Brief: ask again for the registrar's minimum.
                let min = response.min_expires().ok().flatten();
                match min {
                    Some(min) if min > reg.expires && !reg.unregister => {
                        reg.expires = min;
                        if self.send_register(now, id).is_err() {
                            self.registration_failed(now, id, code);
                        }
                    }
                    _ => self.registration_failed(now, id, code),
                }
            }
            _ => self.registration_failed(now, id, code),
        }
        true
    }

    /// A REGISTER of ours timed out or could not be sent; `false` when `tx` is not one.
    pub(super) fn on_register_failure(&mut self, now: Instant, tx: TransactionId, code: u16) -> bool {
        let Some(id) = self.reg_by_tx.remove(&tx) else {
            return false;
        };
        if self.registrations.get(&id).is_some_and(|r| r.tx == Some(tx)) {
            if let Some(reg) = self.registrations.get_mut(&id) {
                reg.tx = None;
            }
            self.registration_failed(now, id, code);
        }
        true
    }

    /// Reports a failure and schedules the retry (or, while unregistering, forgets the
    /// registration).
    fn registration_failed(&mut self, now: Instant, id: RegistrationId, code: u16) {
        let Some(reg) = self.registrations.get_mut(&id) else {
            return;
        };
        if reg.unregister {
            self.registrations.remove(&id);
            self.events
                .push_back(UaEvent::OutboundUnregistered { registration: id });
            return;
        }
        let retry_at = now + reg.request.retry_after;
        reg.state = RegistrationState::Failed { code, retry_at };
        reg.next = Some(retry_at);
        reg.answering = false;
        reg.auth_tries = 0;
        self.events.push_back(UaEvent::OutboundRegistrationFailed {
            registration: id,
            code,
        });
    }
}
