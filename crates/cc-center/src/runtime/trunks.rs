//! Trunks on the wire: registration with the carriers that want it (refreshed by the user
//! agent), OPTIONS keep-alive probes with an up/down status, and what a call placed over a
//! trunk carries (its transport, digest credentials for the carrier's challenge, the caller
//! id). Status changes are logged and published as `trunk` events.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Instant;

use cc_sip::ua::{Credentials, ProbeId, RegisterRequest, RegistrationId, Transport, UaEvent, probe_alive};

use super::Runtime;
use super::events::EventKind;
use crate::config::{TrunkConfig, TrunkTransport};

/// What the runtime keeps of its trunks.
#[derive(Default)]
pub(super) struct Trunks {
    registrations: HashMap<RegistrationId, String>,
    probes: HashMap<ProbeId, String>,
    /// Trunk → up (`true`) or down, once probed.
    up: HashMap<String, bool>,
    /// Trunk → when its next probe is due.
    next_probe: HashMap<String, Instant>,
}

fn transport(t: &TrunkConfig) -> Transport {
    match t.transport {
        TrunkTransport::Udp => Transport::Udp,
        TrunkTransport::Tcp => Transport::Tcp,
    }
}

/// The digest credentials of a trunk, when it has them.
pub(super) fn credentials(t: &TrunkConfig) -> Option<Credentials> {
    Some(Credentials::new(t.username.as_deref()?, t.password.as_deref()?))
}

impl Runtime {
    /// The trunk whose carrier is at `destination`.
    pub(super) fn trunk_at(&self, destination: SocketAddr) -> Option<&TrunkConfig> {
        self.config.trunks.iter().find(|t| t.host == destination)
    }

    /// Registers with every carrier that wants it and schedules the first probes.
    pub(super) async fn start_trunks(&mut self, now: Instant) {
        let trunks: Vec<TrunkConfig> = self.config.trunks.clone();
        for t in &trunks {
            if t.keepalive.is_some() {
                self.trunks.next_probe.insert(t.id.clone(), now);
            }
            if !t.register {
                continue;
            }
            let (Some(user), Some(creds)) = (&t.username, credentials(t)) else {
                continue;
            };
            let expires = t
                .register_expires
                .map_or(3600, |s| s.0.as_secs().clamp(60, 86_400) as u32);
            let aor = format!("sip:{user}@{}", t.host.ip());
            let mut request = RegisterRequest::new(t.host, &aor, expires).with_credentials(creds);
            request.transport = transport(t);
            request.registrar_uri = Some(format!("sip:{}", t.host));
            match self.sip.register(request).await {
                Ok(id) => {
                    self.trunks.registrations.insert(id, t.id.clone());
                }
                Err(e) => tracing::error!(trunk = %t.id, error = %e, "cannot register with the carrier"),
            }
        }
    }

    /// When the next keep-alive probe is due.
    pub(super) fn trunk_timeout(&self) -> Option<Instant> {
        self.trunks.next_probe.values().min().copied()
    }

    /// Sends the probes that are due.
    pub(super) async fn probe_trunks(&mut self, now: Instant) {
        let due: Vec<String> = self
            .trunks
            .next_probe
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in due {
            let Some(t) = self.config.trunks.iter().find(|t| t.id == id).cloned() else {
                self.trunks.next_probe.remove(&id);
                continue;
            };
            let Some(every) = t.keepalive else {
                self.trunks.next_probe.remove(&id);
                continue;
            };
            self.trunks.next_probe.insert(id.clone(), now + every.0);
            match self
                .sip
                .probe(t.host, &format!("sip:{}", t.host), transport(&t))
                .await
            {
                Ok(probe) => {
                    self.trunks.probes.insert(probe, id);
                }
                Err(e) => tracing::warn!(trunk = %id, error = %e, "cannot probe the carrier"),
            }
        }
    }

    /// Registration and probe outcomes of trunks; `false` for any other event.
    pub(super) fn on_trunk_event(&mut self, event: &UaEvent) -> bool {
        let (trunk, status, code) = match event {
            UaEvent::OutboundRegistered {
                registration,
                expires,
            } => {
                let Some(t) = self.trunks.registrations.get(registration) else {
                    return false;
                };
                tracing::info!(trunk = %t, expires, "registered with the carrier");
                (t.clone(), "registered", None)
            }
            UaEvent::OutboundRegistrationFailed { registration, code } => {
                let Some(t) = self.trunks.registrations.get(registration) else {
                    return false;
                };
                tracing::warn!(trunk = %t, code, "the carrier refused or did not answer the registration");
                (t.clone(), "registration_failed", Some(*code))
            }
            UaEvent::ProbeAnswered { probe, code, rtt } => {
                let Some(t) = self.trunks.probes.remove(probe) else {
                    return false;
                };
                let up = probe_alive(*code, *rtt);
                if self.trunks.up.insert(t.clone(), up) == Some(up) {
                    return true;
                }
                if up {
                    tracing::info!(trunk = %t, code, rtt_ms = rtt.map(|d| d.as_millis() as u64), "trunk up");
                } else {
                    tracing::warn!(trunk = %t, code, "trunk down: the carrier does not answer OPTIONS");
                }
                (t, if up { "up" } else { "down" }, Some(*code))
            }
            _ => return false,
        };
        self.publisher.publish(
            None,
            EventKind::Trunk {
                trunk,
                status: status.to_owned(),
                code,
            },
        );
        true
    }
}
