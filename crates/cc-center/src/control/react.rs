//! How call control reacts: to the IVR's actions, the router's commands and the lines.

use std::time::{Duration, Instant};

use cc_acd::Command;
use cc_core::{
    AbandonStage, AgentId, Channel, Contact, ContactId, Destination, Direction, Disposition, Language, Offer,
    OfferOutcome, Priority, RecordingId, SkillLevel,
};
use cc_ivr::{Action, Event, QueueEvent, TransferTo};

use super::call::Phase;
use super::{CallControl, Order};
use crate::config::RecordPolicy;

impl CallControl {
    pub(super) fn on_action(&mut self, now: Instant, id: &ContactId, action: Action) {
        let wall = self.wall(now);
        let Some(call) = self.calls.get_mut(id) else {
            return;
        };
        match action {
            Action::Play { items, language, .. } => {
                self.orders.push_back(Order::Play {
                    contact: id.clone(),
                    items,
                    language,
                });
            }
            Action::StopPlay => self.orders.push_back(Order::StopPlay { contact: id.clone() }),
            Action::SetLanguage { language } => {
                call.language = language;
                call.language_chosen = true;
            }
            Action::SetAttribute { name, value } => {
                call.record.ivr_values.insert(name, value);
            }
            Action::Hook {
                id: hook_id,
                hook,
                args,
                ..
            } => {
                let result = match self.hooks.get(&hook) {
                    None => Err(format!("no hook {hook}")),
                    Some(h) => {
                        let key = args.first().map(ToString::to_string).unwrap_or_default();
                        h.table
                            .get(&key)
                            .or(h.default.as_ref())
                            .cloned()
                            .ok_or_else(|| format!("{hook} has no answer for {key}"))
                    }
                };
                if let Some(s) = call.session.as_mut() {
                    s.handle_event(now, Event::HookResult { id: hook_id, result });
                }
            }
            Action::Enqueue {
                queue,
                priority,
                skills,
                attributes,
                language,
                music,
                announce_position_ms,
                announce_wait_ms,
            } => {
                call.announce = (announce_position_ms.is_some(), announce_wait_ms.is_some());
                call.music.clone_from(&music);
                call.queued_with = Some((priority, attributes.clone()));
                let refused = |reason: String| Event::Queue(QueueEvent::GaveBack { reason });
                let event = match self.enqueue(now, id, &queue, priority, &skills, attributes, &language) {
                    Ok(()) => {
                        if let Some(key) = music {
                            self.orders.push_back(Order::Music {
                                contact: id.clone(),
                                key,
                                language,
                            });
                        }
                        None
                    }
                    Err(reason) => {
                        tracing::info!(contact = %id, %queue, %reason, "queue refused the contact");
                        Some(refused(reason))
                    }
                };
                if let Some(event) = event
                    && let Some(s) = self.calls.get_mut(id).and_then(|c| c.session.as_mut())
                {
                    s.handle_event(now, event);
                }
            }
            // Decided when the session's actions are drained: a callback that follows keeps
            // the place.
            Action::LeaveQueue => call.leaving = true,
            Action::Callback { .. } => {
                let ok = call.leaving && self.router.request_callback(id, now).is_ok();
                if let Some(call) = self.calls.get_mut(id) {
                    call.leaving &= !ok;
                    if ok {
                        call.callback_number = call.legs[0].party.clone();
                    }
                    if let Some(s) = call.session.as_mut() {
                        s.handle_event(now, Event::CallbackResult(ok));
                    }
                }
            }
            Action::Transfer { to } => {
                let uri = match &to {
                    TransferTo::External(name) => self.externals.get(name).cloned(),
                    // Numbers go out over the trunk; the driver writes the Request-URI.
                    TransferTo::Number(n) if self.has_trunk => Some(n.clone()),
                    TransferTo::Number(_) | TransferTo::Agent(_) => None,
                };
                match uri {
                    Some(uri) => {
                        call.open_leg("external", uri.clone(), wall);
                        self.orders.push_back(Order::Transfer {
                            contact: id.clone(),
                            uri,
                        });
                    }
                    None => {
                        if let Some(s) = call.session.as_mut() {
                            s.handle_event(now, Event::TransferResult(false));
                        }
                    }
                }
            }
            Action::Voicemail {
                mailbox,
                max_ms,
                beep,
                ..
            } => {
                let tenant = self
                    .mailboxes
                    .get(&mailbox)
                    .cloned()
                    .unwrap_or_else(|| call.record.tenant.clone());
                match format!("vm-{id}").parse::<RecordingId>() {
                    Ok(recording) => self.orders.push_back(Order::Voicemail {
                        contact: id.clone(),
                        tenant,
                        mailbox,
                        recording,
                        max: Duration::from_millis(max_ms),
                        beep,
                    }),
                    Err(_) => {
                        if let Some(s) = call.session.as_mut() {
                            s.handle_event(now, Event::VoicemailResult(false));
                        }
                    }
                }
            }
            Action::Record { pause } => self.orders.push_back(Order::PauseRecording {
                contact: id.clone(),
                pause,
            }),
            Action::Hangup | Action::Failed { .. } => {
                if let Action::Failed { reason } = &action {
                    tracing::warn!(contact = %id, reason, "flow failed");
                }
                match call.phase {
                    // After a connected transfer the flow is done but the call goes on; a
                    // caller waiting for a callback has left the line already.
                    Phase::Transferred | Phase::CallbackWaiting | Phase::DialingCustomer => {
                        call.session = None;
                    }
                    _ => {
                        if call.callback_number.is_some() {
                            // The flow confirmed the callback and says goodbye.
                            call.session = None;
                            call.phase = Phase::CallbackWaiting;
                            call.legs[0].ended_at = Some(wall);
                            call.legs[0].end_cause = Some("callback requested".into());
                            self.orders.push_back(Order::Hangup { contact: id.clone() });
                            return;
                        }
                        let connected = call.phase == Phase::Connected;
                        self.orders.push_back(Order::Hangup { contact: id.clone() });
                        if connected {
                            let _ = self.router.complete(id, now);
                            self.orders.push_back(Order::HangupAgent { contact: id.clone() });
                        } else if self.router.contact_status(id).is_ok() {
                            let _ = self.router.abandon(id, now);
                        }
                        self.finish(id, wall, None, "flow ended");
                    }
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn enqueue(
        &mut self,
        now: Instant,
        id: &ContactId,
        queue: &str,
        priority: u8,
        skills: &[(String, u8)],
        attributes: Vec<(String, cc_core::Value)>,
        language: &str,
    ) -> Result<(), String> {
        let queue: cc_core::QueueId = queue.parse().map_err(|e: cc_core::Error| e.to_string())?;
        let tenant = self
            .queue_tenants
            .get(&queue)
            .cloned()
            .ok_or_else(|| format!("no queue {queue}"))?;
        let wall = self.wall(now);
        let call = self.calls.get_mut(id).ok_or("no call")?;
        if call.unified {
            call.record.tenant = tenant.clone();
            for leg in &mut call.legs {
                leg.tenant = tenant.clone();
            }
        } else if call.record.tenant != tenant {
            return Err(format!("queue {queue} belongs to another tenant"));
        }
        let mut contact = Contact::new(id.clone(), tenant, Channel::Voice, Direction::Inbound)
            .with_priority(Priority(priority));
        if call.language_chosen
            && let Ok(l) = Language::new(language)
        {
            contact = contact.with_language(l);
        }
        for (skill, level) in skills {
            let skill = skill.parse().map_err(|e: cc_core::Error| e.to_string())?;
            let level = SkillLevel::new(*level).map_err(|e| e.to_string())?;
            contact = contact.with_skill(skill, level);
        }
        for (name, value) in attributes {
            contact = contact.with_attribute(name, value);
        }
        self.router
            .enqueue(contact, &queue, now)
            .map_err(|e| e.to_string())?;
        let call = self.calls.get_mut(id).ok_or("no call")?;
        call.phase = Phase::Queued;
        call.record.ivr_ended_at.get_or_insert(wall);
        call.record.enqueued_at.get_or_insert(wall);
        call.record.queue = Some(queue);
        Ok(())
    }

    pub(super) fn on_router_command(&mut self, now: Instant, command: Command) {
        let wall = self.wall(now);
        match command {
            Command::Offer {
                contact,
                agent,
                lease_until,
                ..
            }
            | Command::DialCallback {
                contact,
                agent,
                lease_until,
                ..
            } => {
                let Some(call) = self.calls.get_mut(&contact) else {
                    // The router holds a contact call control forgot: give it back.
                    let _ = self.router.abandon(&contact, now);
                    return;
                };
                let Some(target) = self.seats.get(&agent).cloned() else {
                    let _ = self.router.reject(&contact, &agent, now);
                    return;
                };
                call.agent = Some(agent.clone());
                call.record.offers.push(Offer {
                    agent: agent.clone(),
                    at: wall,
                    ended: None,
                });
                call.open_leg("agent", agent.to_string(), wall);
                self.orders.push_back(Order::Ring {
                    contact,
                    agent,
                    target,
                    lease_until,
                });
            }
            Command::CancelOffer {
                contact,
                agent,
                outcome,
            } => {
                if let Some(call) = self.calls.get_mut(&contact) {
                    end_offer(call, &agent, wall, outcome);
                    if call.agent.as_ref() == Some(&agent) {
                        call.agent = None;
                    }
                }
                self.orders.push_back(Order::CancelRing { contact, agent });
            }
            Command::Overflow { contact, to, .. } => {
                let Some(call) = self.calls.get_mut(&contact) else {
                    return;
                };
                if let Destination::External { address } = &to {
                    call.phase = Phase::Transferred;
                    call.session = None;
                    let uri = address.0.to_string();
                    call.open_leg("external", uri.clone(), wall);
                    call.record
                        .close(wall, Disposition::Overflowed { to: to.clone() });
                    self.orders.push_back(Order::Transfer { contact, uri });
                } else {
                    call.phase = Phase::Ivr;
                    if let Some(s) = call.session.as_mut() {
                        s.handle_event(
                            now,
                            Event::Queue(QueueEvent::GaveBack {
                                reason: "overflow".into(),
                            }),
                        );
                    }
                    self.dirty.push(contact);
                }
            }
            Command::Reject { contact, reason, .. } => {
                if let Some(call) = self.calls.get_mut(&contact) {
                    call.phase = Phase::Ivr;
                    if let Some(s) = call.session.as_mut() {
                        s.handle_event(
                            now,
                            Event::Queue(QueueEvent::GaveBack {
                                reason: reason.to_owned(),
                            }),
                        );
                    }
                    self.dirty.push(contact);
                }
            }
            Command::Announce {
                contact,
                position,
                estimated_wait,
                ..
            } => {
                if let Some(call) = self.calls.get(&contact)
                    && call.phase == Phase::Queued
                    && (call.announce.0 || call.announce.1)
                {
                    self.orders.push_back(Order::Announce {
                        language: call.language.clone(),
                        position: call.announce.0.then_some(position),
                        wait: call.announce.1.then_some(estimated_wait),
                        music: call.music.clone(),
                        contact,
                    });
                }
            }
            other => tracing::debug!(?other, "router command not used by call control"),
        }
    }

    pub(super) fn on_caller_gone(&mut self, now: Instant, id: &ContactId, cause: &str) {
        let wall = self.wall(now);
        let Some(call) = self.calls.get_mut(id) else {
            return;
        };
        if let Some(s) = call.session.as_mut() {
            s.handle_event(now, Event::Hangup);
        }
        call.session = None;
        call.legs[0].ended_at.get_or_insert(wall);
        call.legs[0].end_cause.get_or_insert_with(|| cause.to_owned());
        let phase = call.phase;
        let waited = call
            .record
            .enqueued_at
            .and_then(|t| wall.duration_since(t).try_into().ok())
            .map_or(0, |d: Duration| d.as_millis() as u64);
        match phase {
            Phase::Queued => {
                if call.callback_number.is_some() {
                    call.phase = Phase::CallbackWaiting;
                    return;
                }
                let _ = self.router.abandon(id, now);
                let stage = AbandonStage::Queue;
                self.finish(
                    id,
                    wall,
                    Some(Disposition::Abandoned {
                        waited_ms: waited,
                        stage,
                    }),
                    cause,
                );
            }
            Phase::Connected => {
                let _ = self.router.complete(id, now);
                self.orders.push_back(Order::HangupAgent { contact: id.clone() });
                self.finish(id, wall, Some(Disposition::Answered), cause);
            }
            Phase::Ivr => {
                let d = if call.record.answered_at.is_some() {
                    Disposition::Answered
                } else if call.record.enqueued_at.is_some() {
                    Disposition::Abandoned {
                        waited_ms: waited,
                        stage: AbandonStage::Queue,
                    }
                } else {
                    Disposition::Abandoned {
                        waited_ms: 0,
                        stage: AbandonStage::Ivr,
                    }
                };
                self.finish(id, wall, Some(d), cause);
            }
            Phase::Transferred => self.finish(id, wall, None, cause),
            Phase::CallbackWaiting => {}
            Phase::DialingCustomer => {
                let _ = self.router.complete(id, now);
                self.orders.push_back(Order::HangupAgent { contact: id.clone() });
                self.finish(id, wall, None, cause);
            }
        }
    }

    pub(super) fn on_agent_answered(&mut self, now: Instant, id: &ContactId, agent: &AgentId) {
        let wall = self.wall(now);
        if self.router.accept(id, agent, now).is_err() {
            // The caller left, or the offer was withdrawn, while the phone rang.
            self.orders.push_back(Order::HangupAgent { contact: id.clone() });
            return;
        }
        let Some(call) = self.calls.get_mut(id) else {
            let _ = self.router.complete(id, now);
            self.orders.push_back(Order::HangupAgent { contact: id.clone() });
            return;
        };
        end_offer(call, agent, wall, OfferOutcome::Accepted);
        if let Some(leg) = call
            .legs
            .iter_mut()
            .rev()
            .find(|l| l.role == "agent" && l.party.as_deref() == Some(agent.as_str()))
        {
            leg.answered_at = Some(wall);
        }
        call.agent = Some(agent.clone());
        call.record.agent = Some(agent.clone());
        call.record.answered_at.get_or_insert(wall);
        if call.phase == Phase::CallbackWaiting {
            call.phase = Phase::DialingCustomer;
            let number = call.callback_number.clone().unwrap_or_default();
            call.open_leg("callback", number.clone(), wall);
            self.orders.push_back(Order::DialCustomer {
                contact: id.clone(),
                number,
                agent: agent.clone(),
            });
            return;
        }
        call.phase = Phase::Connected;
        if !call.requeued
            && let Some(s) = call.session.as_mut()
        {
            s.handle_event(now, Event::Queue(QueueEvent::Answered));
        }
        self.orders.push_back(Order::Bridge {
            contact: id.clone(),
            agent: agent.clone(),
        });
        self.start_recording(id);
        self.dirty.push(id.clone());
    }

    pub(super) fn start_recording(&mut self, id: &ContactId) {
        let Some(call) = self.calls.get(id) else {
            return;
        };
        let r = &self.recording;
        let wanted = match r.policy {
            RecordPolicy::All => true,
            RecordPolicy::None => false,
            RecordPolicy::Queues => call.record.queue.as_ref().is_some_and(|q| r.queues.contains(q)),
            RecordPolicy::Percent => stable_hash(id.as_str()) % 100 < u64::from(r.percent),
        };
        if !wanted {
            return;
        }
        let n = call.record.recordings.len() + 1;
        if let Ok(recording) = format!("rec-{id}-{n}").parse::<RecordingId>() {
            if let Some(call) = self.calls.get_mut(id) {
                call.record.recordings.push(recording.clone());
            }
            let Some(call) = self.calls.get(id) else {
                return;
            };
            self.orders.push_back(Order::Record {
                contact: id.clone(),
                tenant: call.record.tenant.clone(),
                recording,
                layout: r.layout,
            });
        }
    }

    pub(super) fn on_agent_failed(
        &mut self,
        now: Instant,
        id: &ContactId,
        agent: &AgentId,
        outcome: OfferOutcome,
    ) {
        let wall = self.wall(now);
        if let Some(call) = self.calls.get_mut(id) {
            end_offer(call, agent, wall, outcome);
            call.end_leg("agent", wall, format!("{outcome:?}").to_lowercase());
            if call.agent.as_ref() == Some(agent) {
                call.agent = None;
            }
        }
        // The router re-offers the contact, which keeps its place.
        let _ = self.router.reject(id, agent, now);
    }

    pub(super) fn on_agent_hangup(&mut self, now: Instant, id: &ContactId) {
        let wall = self.wall(now);
        let Some(call) = self.calls.get_mut(id) else {
            return;
        };
        if call.phase != Phase::Connected && call.phase != Phase::DialingCustomer {
            return;
        }
        call.end_leg("agent", wall, "agent hung up".into());
        let _ = self.router.complete(id, now);
        if call.session.is_some() {
            call.phase = Phase::Ivr;
            if let Some(s) = call.session.as_mut() {
                s.handle_event(now, Event::Queue(QueueEvent::AgentDone));
            }
            self.dirty.push(id.clone());
        } else {
            self.orders.push_back(Order::Hangup { contact: id.clone() });
            self.finish(id, wall, Some(Disposition::Answered), "agent hung up");
        }
    }

    pub(super) fn on_transfer_result(&mut self, now: Instant, id: &ContactId, connected: bool) {
        let wall = self.wall(now);
        let Some(call) = self.calls.get_mut(id) else {
            return;
        };
        // The legs alone: the session is borrowed beside them below.
        let outside = call
            .legs
            .iter_mut()
            .rev()
            .find(|l| l.role == "external" && l.ended_at.is_none());
        let trunk_host = self.trunk_host.as_deref().unwrap_or("trunk.invalid");
        if connected {
            let to = outside.map(|leg| {
                leg.answered_at = Some(wall);
                leg.party.clone().unwrap_or_default()
            });
            if call.record.disposition.is_none()
                && !call.agent_transferred
                && let Some(to) = to
            {
                // A number dialled out is written as a tel: address when it is E.164, else
                // (a short or national number) as the SIP URI it was dialled at.
                let address = cc_core::Address::parse(&to)
                    .or_else(|_| cc_core::Address::parse(&format!("sip:{to}@{trunk_host}")))
                    .ok();
                if let Some(address) = address {
                    call.record.close(
                        wall,
                        Disposition::Overflowed {
                            to: Destination::External {
                                address: cc_core::Pii::new(address),
                            },
                        },
                    );
                }
            }
            call.phase = Phase::Transferred;
            if let Some(s) = call.session.as_mut() {
                s.handle_event(now, Event::TransferResult(true));
            }
            call.session = None;
        } else if let Some(s) = call.session.as_mut() {
            if let Some(leg) = outside {
                leg.ended_at = Some(wall);
                leg.end_cause = Some("transfer failed".into());
            }
            call.phase = Phase::Ivr;
            s.handle_event(now, Event::TransferResult(false));
            self.dirty.push(id.clone());
        } else {
            // A router overflow that could not connect: nothing left to offer the caller.
            self.orders.push_back(Order::Hangup { contact: id.clone() });
            self.finish(id, wall, None, "transfer failed");
        }
    }
}

fn end_offer(call: &mut super::call::Call, agent: &AgentId, wall: cc_core::Timestamp, outcome: OfferOutcome) {
    if let Some(offer) = call
        .record
        .offers
        .iter_mut()
        .rev()
        .find(|o| &o.agent == agent && o.ended.is_none())
    {
        offer.ended = Some((wall, outcome));
    }
}

/// FNV-1a: a hash that is the same in every run, for reproducible sampling.
fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
