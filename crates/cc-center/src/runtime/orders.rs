//! Carrying out call control's orders on the lines.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use cc_core::{ContactId, OfferOutcome, RecordingId, TenantId};
use cc_ivr::PlayPiece;
use cc_media::engine::{MediaSession, PlayItem, SessionConfig};
use cc_media::player::say::Language as SayLanguage;
use cc_media::player::tones::{Country, ToneKind, ToneSpec};
use cc_media::recorder::{Layout, RecordingFormat, RecordingMetadata, RecordingRequest, RecordingStore};
use cc_sip::ua::OutgoingCall;

use super::lines::{Peer, Recording, Role};
use super::{Input, Runtime, media, writer};
use crate::config::{RecordFormat, RecordLayout};
use crate::control::{AgentTarget, Order};
use crate::store::RecordingEntry;

/// `sip:user@host:port` → the address to send to (hosts must be IP addresses here).
pub(super) fn destination_of(uri: &str) -> Option<SocketAddr> {
    let rest = uri
        .trim()
        .strip_prefix("sip:")
        .or_else(|| uri.trim().strip_prefix("sips:"))?;
    let host_port = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let host_port = host_port.split([';', '?', '>']).next()?;
    if let Ok(addr) = host_port.parse::<SocketAddr>() {
        return Some(addr);
    }
    let ip: IpAddr = host_port
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()?;
    Some(SocketAddr::new(ip, 5060))
}

fn play_items(items: Vec<PlayPiece>, language: &str) -> Vec<PlayItem> {
    // Numbers, digits and money are spoken from the prompt sets the player knows.
    let lang = if language.starts_with("zh") {
        Some(SayLanguage::ZhCn)
    } else if language.starts_with("en") {
        Some(SayLanguage::En)
    } else {
        None
    };
    items
        .into_iter()
        .filter_map(|piece| match piece {
            PlayPiece::Prompt(key) => Some(PlayItem::Prompt {
                language: language.to_owned(),
                key,
            }),
            PlayPiece::Number(n) => lang.map(|language| PlayItem::Number {
                language,
                n: n.unsigned_abs(),
            }),
            PlayPiece::Digits(digits) => lang.map(|language| PlayItem::Digits { language, digits }),
            PlayPiece::Money(cents) => lang.map(|language| PlayItem::Money {
                language,
                cents: cents.unsigned_abs(),
            }),
            PlayPiece::File(_) | PlayPiece::Date(_) => {
                tracing::warn!(
                    ?piece,
                    "this kind of play item is not supported by the center yet"
                );
                None
            }
        })
        .collect()
}

impl Runtime {
    /// Carries out every order call control has queued (orders may queue more).
    pub(super) async fn execute_orders(&mut self) {
        while let Some(order) = self.control.poll_order() {
            self.execute(order).await;
        }
    }

    async fn execute(&mut self, order: Order) {
        let now = Instant::now();
        tracing::debug!(?order, "order");
        match order {
            Order::Answer { contact } => {
                if let Some(line) = self.lines.get_mut(&contact)
                    && let (Some(leg), Some(sdp)) = (line.caller, line.answer_sdp.take())
                    && let Err(e) = self.sip.answer(leg, Some(sdp)).await
                {
                    tracing::warn!(error = %e, %contact, "cannot answer the caller");
                }
            }
            Order::Play {
                contact,
                items,
                language,
            } => {
                let Some(line) = self.lines.get_mut(&contact) else {
                    return;
                };
                let Some(m) = line.caller_media.as_ref() else {
                    return;
                };
                // Whatever plays (music on hold, an interrupted prompt) gives way; stopping
                // an idle player is a no-op.
                let _ = m.stop_play();
                let items = play_items(items, &language);
                match m.play(items) {
                    Ok(()) => line.prompt_pending = true,
                    Err(e) => {
                        // A missing prompt is the configuration's fault; the flow goes on.
                        tracing::warn!(error = %e, %contact, "cannot play");
                        line.prompt_pending = false;
                        self.control.play_done(now, &contact);
                    }
                }
            }
            Order::Music {
                contact,
                key,
                language,
            } => {
                if let Some(line) = self.lines.get_mut(&contact)
                    && let Some(m) = line.caller_media.as_ref()
                {
                    let _ = m.stop_play();
                    line.prompt_pending = false;
                    if let Err(e) = m.play([PlayItem::MusicOnHold { language, key }]) {
                        tracing::warn!(error = %e, %contact, "cannot play music on hold");
                    }
                }
            }
            Order::Announce {
                contact,
                language,
                position,
                wait,
                music,
            } => {
                if let Some(line) = self.lines.get_mut(&contact)
                    && let Some(m) = line.caller_media.as_ref()
                    && !line.prompt_pending
                {
                    let mut pieces = Vec::new();
                    if let Some(p) = position {
                        pieces.extend([
                            PlayPiece::Prompt("queue_position".into()),
                            PlayPiece::Number(p as i64),
                        ]);
                    }
                    if let Some(w) = wait {
                        let minutes = w.as_secs().div_ceil(60).max(1);
                        pieces.extend([
                            PlayPiece::Prompt("queue_wait".into()),
                            PlayPiece::Number(minutes as i64),
                        ]);
                    }
                    let mut items = play_items(pieces, &language);
                    let resume = music.map(|key| PlayItem::MusicOnHold { language, key });
                    items.extend(resume.clone());
                    let _ = m.stop_play();
                    if let Err(e) = m.play(items) {
                        // A missing announcement prompt leaves the caller with the music.
                        tracing::debug!(error = %e, %contact, "cannot announce");
                        let _ = m.play(resume);
                    }
                }
            }
            Order::StopPlay { contact } => {
                if let Some(line) = self.lines.get_mut(&contact)
                    && let Some(m) = line.caller_media.as_ref()
                {
                    let _ = m.stop_play();
                    line.prompt_pending = false;
                }
            }
            Order::Ring {
                contact,
                agent,
                target,
                ..
            } => self.ring(now, contact, agent, target).await,
            Order::CancelRing { contact, agent } => {
                if let Some(line) = self.lines.get_mut(&contact)
                    && let Some((_, peer)) = line.agent.take_if(|(a, _)| a == &agent)
                {
                    self.legs.remove(&peer.leg);
                    let _ = self.sip.hangup(peer.leg).await;
                    drop(peer.media.close());
                }
            }
            Order::Bridge { contact, .. } => {
                let Some(line) = self.lines.get_mut(&contact) else {
                    return;
                };
                let Some((_, agent)) = &line.agent else {
                    return;
                };
                if let Some(m) = line.customer_media() {
                    let _ = m.stop_play();
                    if let Err(e) = self.media.bridge(m, &agent.media).await {
                        tracing::warn!(error = %e, %contact, "cannot bridge");
                    }
                }
                line.prompt_pending = false;
            }
            Order::Record {
                contact,
                tenant,
                recording,
                layout,
            } => {
                let Some(line) = self.lines.get_mut(&contact) else {
                    return;
                };
                let Some(m) = line.customer_media() else {
                    return;
                };
                let layout = match layout {
                    RecordLayout::Stereo => Layout::Stereo,
                    RecordLayout::Mixed => Layout::MonoMixed,
                };
                let Ok(call) = contact.as_str().parse() else {
                    return;
                };
                let mut request =
                    RecordingRequest::new(tenant.clone(), call, recording.clone(), layout, SystemTime::now());
                request.agent = line.agent.as_ref().map(|(a, _)| a.clone());
                request.format = match self.config.recording.format {
                    RecordFormat::Wav => RecordingFormat::Wav,
                    RecordFormat::Opus => RecordingFormat::OggOpus,
                };
                let store: Arc<dyn RecordingStore> = self.recordings.clone();
                match m.start_recording(store, request).await {
                    Ok(()) => {
                        line.recording = Some(Recording {
                            id: recording,
                            tenant,
                        });
                    }
                    Err(e) => tracing::error!(error = %e, %contact, "cannot start recording"),
                }
            }
            Order::PauseRecording { contact, pause } => {
                if let Some(m) = self.lines.get(&contact).and_then(|l| l.customer_media()) {
                    let _ = if pause {
                        m.pause_recording()
                    } else {
                        m.resume_recording()
                    };
                }
            }
            Order::Supervise {
                contact,
                supervisor,
                target,
                mode,
            } => self.ring_supervisor(now, contact, supervisor, target, mode).await,
            Order::SuperviseMode { contact, mode } => self.change_supervise_mode(&contact, mode).await,
            Order::EndSupervision { contact } => {
                self.end_supervision(now, &contact, "supervisor left", true).await;
            }
            Order::HangupAgent { contact } => {
                self.end_supervision(now, &contact, "agent left", true).await;
                self.stop_recording(&contact).await;
                let Some(line) = self.lines.get_mut(&contact) else {
                    return;
                };
                if let Some((_, peer)) = line.agent.take() {
                    let _ = self.media.unbridge(&peer.media).await;
                    if self.legs.remove(&peer.leg).is_some() {
                        let _ = self.sip.hangup(peer.leg).await;
                    }
                    line.close_keeping_quality(peer.media).await;
                }
            }
            Order::Transfer { contact, uri } => self.dial_outside(now, contact, &uri, Role::Outside).await,
            Order::DialCustomer { contact, number, .. } => {
                self.dial_outside(now, contact, &number, Role::Customer).await;
            }
            Order::Voicemail {
                contact,
                tenant,
                recording,
                max,
                beep,
                ..
            } => {
                self.start_voicemail(now, contact, tenant, recording, max, beep)
                    .await;
            }
            Order::Hangup { contact } => {
                self.stop_recording(&contact).await;
                let Some(line) = self.lines.get_mut(&contact) else {
                    return;
                };
                if let Some(leg) = line.caller.take() {
                    self.legs.remove(&leg);
                    let _ = self.sip.hangup(leg).await;
                }
                if let Some(m) = line.caller_media.take() {
                    line.close_keeping_quality(m).await;
                }
                if let Some((_, peer)) = line.outside.take() {
                    if self.legs.remove(&peer.leg).is_some() {
                        let _ = self.sip.hangup(peer.leg).await;
                    }
                    line.close_keeping_quality(peer.media).await;
                }
            }
            Order::Finished { mut record, legs } => {
                self.stop_recording(&record.contact).await;
                if let Some(mut line) = self.lines.remove(&record.contact) {
                    for leg in [line.caller.take()]
                        .into_iter()
                        .flatten()
                        .chain(line.agent.as_ref().map(|(_, p)| p.leg))
                        .chain(line.outside.as_ref().map(|(_, p)| p.leg))
                        .chain(line.supervision.as_ref().map(|s| s.peer.leg))
                    {
                        if self.legs.remove(&leg).is_some() {
                            let _ = self.sip.hangup(leg).await;
                        }
                    }
                    // Every leg's receive quality goes into the record (caller first).
                    if let Some(m) = line.caller_media.take() {
                        line.close_keeping_quality(m).await;
                    }
                    if let Some((_, p)) = line.agent.take() {
                        line.close_keeping_quality(p.media).await;
                    }
                    if let Some((_, p)) = line.outside.take() {
                        line.close_keeping_quality(p.media).await;
                    }
                    if let Some(s) = line.supervision.take() {
                        line.close_keeping_quality(s.peer.media).await;
                    }
                    record.media = std::mem::take(&mut line.quality);
                }
                // The threshold of the record's queue, as configured now (20 s by default).
                let sl = record
                    .queue
                    .as_ref()
                    .and_then(|q| self.config.queues.iter().find(|c| &c.id == q))
                    .and_then(|c| c.service_level)
                    .map_or(20_000, |s| s.0.as_millis() as u64);
                self.summary.all.add(&record, &legs, sl);
                self.summary
                    .tenants
                    .entry(record.tenant.to_string())
                    .or_default()
                    .add(&record, &legs, sl);
                self.publisher.publish(
                    Some(record.tenant.to_string()),
                    super::events::EventKind::ContactEnded {
                        contact: record.contact.to_string(),
                        queue: record.queue.as_ref().map(ToString::to_string),
                        agent: record.agent.as_ref().map(ToString::to_string),
                        disposition: record
                            .disposition
                            .as_ref()
                            .and_then(|d| serde_json::to_value(d).ok())
                            .and_then(|v| {
                                v.get("kind")
                                    .or(Some(&v))
                                    .and_then(|k| k.as_str().map(str::to_owned))
                            })
                            .unwrap_or_else(|| "unknown".to_owned()),
                        wait_ms: record.wait_ms(),
                    },
                );
                let _ = self.store_tx.send(writer::Job::Record(record, legs));
            }
        }
    }

    async fn ring(&mut self, now: Instant, contact: ContactId, agent: cc_core::AgentId, target: AgentTarget) {
        let Some((uri, destination)) = self.reach(&target).await else {
            tracing::info!(%agent, %contact, "agent's phone is not reachable (no registration)");
            self.control
                .agent_failed(now, &contact, &agent, OfferOutcome::Failed);
            return;
        };
        let Some(line) = self.lines.get(&contact) else {
            return;
        };
        let caller_user = line.caller_user.clone();
        let Some((leg, media, offer)) = self
            .place_call(
                &contact,
                &uri,
                destination,
                &caller_user,
                Role::Agent(agent.clone()),
            )
            .await
        else {
            self.control
                .agent_failed(now, &contact, &agent, OfferOutcome::Failed);
            return;
        };
        if let Some(line) = self.lines.get_mut(&contact) {
            line.agent = Some((
                agent,
                Peer {
                    leg,
                    media,
                    offer,
                    answered: false,
                },
            ));
        }
    }

    /// Opens a media session and sends an INVITE with its offer.
    pub(super) async fn place_call(
        &mut self,
        contact: &ContactId,
        uri: &str,
        destination: SocketAddr,
        caller_user: &str,
        role: Role,
    ) -> Option<(cc_sip::ua::LegId, MediaSession, cc_sip::sdp::SdpOffer)> {
        let media = match self.media.open_session(SessionConfig::default()) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, %contact, "no media for an outgoing leg");
                return None;
            }
        };
        let id = self.next_session_id();
        let offer = media::make_offer(media.local_rtp_addr(), id);
        let sip_addr = self.sip.local_addr();
        // Over a trunk: its caller id, transport and credentials for the carrier's challenge.
        let trunk = self.trunk_at(destination).cloned();
        let from_user = trunk
            .as_ref()
            .and_then(|t| t.caller_id.as_deref())
            .unwrap_or(caller_user);
        let mut call = OutgoingCall::new(
            uri,
            &format!("<sip:{from_user}@{sip_addr}>"),
            &format!("<{uri}>"),
            destination,
        );
        call.sdp = Some(bytes::Bytes::from(offer.to_string()));
        if let Some(t) = &trunk {
            if t.transport == crate::config::TrunkTransport::Tcp {
                call.transport = cc_sip::ua::Transport::Tcp;
            }
            call.credentials = super::trunks::credentials(t);
        }
        match self.sip.invite(call).await {
            Ok(leg) => {
                self.forward_events(contact, role.clone(), &media);
                self.legs.insert(leg, (contact.clone(), role));
                Some((leg, media, offer))
            }
            Err(e) => {
                tracing::warn!(error = %e, %contact, %uri, "cannot place the call");
                drop(media.close());
                None
            }
        }
    }

    async fn dial_outside(&mut self, now: Instant, contact: ContactId, target: &str, role: Role) {
        let uri = if target.starts_with("sip:") || target.starts_with("sips:") {
            Some(target.to_owned())
        } else {
            self.config
                .trunks
                .first()
                .map(|t| format!("sip:{target}@{}", t.host))
        };
        let placed = match uri
            .as_deref()
            .and_then(|u| destination_of(u).map(|d| (u.to_owned(), d)))
        {
            Some((uri, destination)) => {
                let caller_user = self
                    .lines
                    .get(&contact)
                    .map(|l| l.caller_user.clone())
                    .unwrap_or_default();
                self.place_call(&contact, &uri, destination, &caller_user, role.clone())
                    .await
            }
            None => None,
        };
        match placed {
            Some((leg, media, offer)) => {
                if let Some(line) = self.lines.get_mut(&contact) {
                    line.outside = Some((
                        role,
                        Peer {
                            leg,
                            media,
                            offer,
                            answered: false,
                        },
                    ));
                }
            }
            None if role == Role::Customer => self.control.customer_failed(now, &contact),
            None => self.control.transfer_result(now, &contact, false),
        }
    }

    async fn start_voicemail(
        &mut self,
        now: Instant,
        contact: ContactId,
        tenant: TenantId,
        recording: RecordingId,
        max: std::time::Duration,
        beep: bool,
    ) {
        let Some(line) = self.lines.get_mut(&contact) else {
            return;
        };
        let Some(m) = line.caller_media.as_ref() else {
            return;
        };
        if beep {
            let _ = m.play([PlayItem::Tone {
                spec: ToneSpec::of(Country::China, ToneKind::Dial),
                duration: Some(std::time::Duration::from_millis(400)),
            }]);
        }
        let Ok(call) = contact.as_str().parse() else {
            return;
        };
        let request = RecordingRequest::new(
            tenant.clone(),
            call,
            recording.clone(),
            Layout::MonoMixed,
            SystemTime::now(),
        );
        let store: Arc<dyn RecordingStore> = self.recordings.clone();
        match m.start_recording(store, request).await {
            Ok(()) => {
                line.voicemail = Some(Recording {
                    id: recording,
                    tenant,
                });
                let tx = self.input_tx.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(max).await;
                    let _ = tx.send(Input::VoicemailTimeUp { contact });
                });
            }
            Err(e) => {
                tracing::error!(error = %e, %contact, "cannot record voicemail");
                self.control.voicemail_result(now, &contact, None);
            }
        }
    }

    /// Ends a voicemail recording (time up, or the caller hung up) and reports it.
    pub(super) async fn finish_voicemail(&mut self, contact: &ContactId) {
        let Some(line) = self.lines.get_mut(contact) else {
            return;
        };
        let (Some(vm), Some(m)) = (line.voicemail.take(), line.caller_media.as_ref()) else {
            return;
        };
        let done = m.stop_recording().await;
        let id = self.index_recording(contact, &vm, done, "mono");
        self.control.voicemail_result(Instant::now(), contact, id);
    }

    /// Stops the contact's recording (if any), indexes it and tells call control.
    pub(super) async fn stop_recording(&mut self, contact: &ContactId) {
        let Some(line) = self.lines.get_mut(contact) else {
            return;
        };
        if line.voicemail.is_some() {
            self.finish_voicemail(contact).await;
            return;
        }
        let Some(rec) = line.recording.take() else {
            return;
        };
        let Some(m) = line.customer_media() else {
            return;
        };
        let done = m.stop_recording().await;
        let layout = if self.config.recording.layout == RecordLayout::Stereo {
            "stereo"
        } else {
            "mixed"
        };
        if let Some(id) = self.index_recording(contact, &rec, done, layout) {
            self.control.recording_done(contact, id);
        }
    }

    fn index_recording(
        &mut self,
        contact: &ContactId,
        rec: &Recording,
        done: cc_media::Result<RecordingMetadata>,
        layout: &str,
    ) -> Option<RecordingId> {
        match done {
            Ok(meta) => {
                let path = meta.location.display().to_string();
                let bytes = std::fs::metadata(&meta.location).map_or(0, |m| m.len());
                let started_at = cc_core::Timestamp::try_from(meta.started_at)
                    .unwrap_or_else(|_| cc_core::Timestamp::now());
                self.summary.recordings.push(path.clone());
                let _ = self.store_tx.send(writer::Job::Recording(RecordingEntry {
                    recording: rec.id.clone(),
                    tenant: rec.tenant.clone(),
                    contact: contact.clone(),
                    path,
                    layout: layout.to_owned(),
                    started_at,
                    duration_ms: meta.duration.as_millis() as u64,
                    bytes,
                    sha256: meta.sha256_hex(),
                }));
                Some(rec.id.clone())
            }
            Err(e) => {
                tracing::error!(error = %e, %contact, "recording could not be finished");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_come_from_sip_uris() {
        assert_eq!(
            destination_of("sip:1001@127.0.0.1:5071;transport=udp"),
            "127.0.0.1:5071".parse().ok()
        );
        assert_eq!(destination_of("sip:127.0.0.1"), "127.0.0.1:5060".parse().ok());
        assert_eq!(destination_of("sip:a@[::1]:5080"), "[::1]:5080".parse().ok());
        assert_eq!(destination_of("sip:a@example.com"), None);
        assert_eq!(destination_of("tel:+86"), None);
    }
}
