//! Simulated phones: real SIP user agents on real sockets sending real RTP, for the demo
//! and for end-to-end tests. A [`SimAgent`] answers whatever rings it and talks for a
//! while; a [`SimCaller`] dials an access number, keys DTMF through the menu and waits.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;
use cc_media::engine::{MediaEngine, MediaSession, PlayItem, SessionConfig};
use cc_media::player::tones::ToneSpec;
use cc_sip::transport::{Endpoint, EndpointConfig, EndpointHandle};
use cc_sip::ua::{Credentials, LegId, OutgoingCall, RegisterRequest, RegistrationId, UaEvent};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until, timeout_at};

use crate::runtime::media;

/// The pitches simulated parties speak at, Hz.
static PITCHES: [[u32; 1]; 8] = [[300], [440], [550], [660], [800], [1000], [1200], [1400]];

/// A steady tone: each simulated party speaks at its own pitch (an index into a fixed
/// set) so a recording shows who is on which channel.
fn voice(pitch: usize) -> PlayItem {
    PlayItem::Tone {
        spec: ToneSpec {
            freqs: &PITCHES[pitch % PITCHES.len()],
            cadence_ms: &[],
        },
        duration: None,
    }
}

/// How a simulated agent behaves.
#[derive(Debug, Clone, Copy)]
pub struct AgentBehavior {
    /// Rings this long before answering.
    pub answer_after: Duration,
    /// Talks this long, then hangs up (unless the caller does first).
    pub talk_for: Duration,
    /// Refuses calls with 486 Busy Here instead of answering.
    pub busy: bool,
    /// The pitch of the agent's "voice" (0-7: 300 Hz to 1400 Hz).
    pub pitch: usize,
}

impl Default for AgentBehavior {
    fn default() -> Self {
        Self {
            answer_after: Duration::from_millis(500),
            talk_for: Duration::from_secs(3),
            busy: false,
            pitch: 5,
        }
    }
}

/// A simulated agent phone.
pub struct SimAgent {
    /// Its SIP contact, `sip:USER@IP:PORT`.
    pub contact: String,
    user: String,
    sip: EndpointHandle,
    task: tokio::task::JoinHandle<()>,
    /// Outcomes of its registrations: the granted expiry, or the refusing status code.
    registrations: tokio::sync::Mutex<mpsc::UnboundedReceiver<(RegistrationId, Result<u32, u16>)>>,
}

/// Why a [`SimAgent::register`] did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// The phone's SIP endpoint failed.
    #[error(transparent)]
    Sip(#[from] cc_sip::Error),
    /// The registrar refused (after any challenge was answered).
    #[error("the registrar answered {0}")]
    Refused(u16),
    /// No answer within five seconds.
    #[error("no answer from the registrar")]
    Timeout,
}

impl SimAgent {
    /// Binds a phone for `user` on `ip` (any free port) and answers calls as `behavior` says.
    pub async fn spawn(
        user: &str,
        ip: IpAddr,
        media: MediaEngine,
        behavior: AgentBehavior,
    ) -> Result<Self, cc_sip::Error> {
        let (sip, events) = Endpoint::bind(EndpointConfig::new(SocketAddr::new(ip, 0))).await?;
        let contact = format!("sip:{user}@{}", sip.local_addr());
        let (outcomes, registrations) = mpsc::unbounded_channel();
        let task = tokio::spawn(agent_loop(sip.clone(), events, media, behavior, outcomes, None));
        Ok(Self {
            contact,
            user: user.to_owned(),
            sip,
            task,
            registrations: tokio::sync::Mutex::new(registrations),
        })
    }

    /// Like [`spawn`](Self::spawn), but when the agent has talked `talk_for` it presses the
    /// transfer key instead of hanging up: a REFER (blind transfer) to `target`, then it
    /// waits for the other side to end the call.
    pub async fn spawn_transferring(
        user: &str,
        ip: IpAddr,
        media: MediaEngine,
        behavior: AgentBehavior,
        target: &str,
    ) -> Result<Self, cc_sip::Error> {
        let (sip, events) = Endpoint::bind(EndpointConfig::new(SocketAddr::new(ip, 0))).await?;
        let contact = format!("sip:{user}@{}", sip.local_addr());
        let (outcomes, registrations) = mpsc::unbounded_channel();
        let task = tokio::spawn(agent_loop(
            sip.clone(),
            events,
            media,
            behavior,
            outcomes,
            Some(target.to_owned()),
        ));
        Ok(Self {
            contact,
            user: user.to_owned(),
            sip,
            task,
            registrations: tokio::sync::Mutex::new(registrations),
        })
    }

    /// Registers the phone at `registrar` as `sip:USER@domain`, answering the digest
    /// challenge with `password`, and keeps the registration refreshed. Returns the granted
    /// expiry once the registrar said 200, or why not (a refused one is not retried).
    pub async fn register(
        &self,
        registrar: SocketAddr,
        domain: &str,
        password: &str,
    ) -> Result<u32, RegisterError> {
        let aor = format!("sip:{}@{domain}", self.user);
        let mut request = RegisterRequest::new(registrar, &aor, 300)
            .with_credentials(Credentials::new(&self.user, password));
        request.registrar_uri = Some(format!("sip:{registrar}"));
        let mut outcomes = self.registrations.lock().await;
        let id = self.sip.register(request).await?;
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match timeout_at(deadline, outcomes.recv()).await {
                Ok(Some((got, Ok(expires)))) if got == id => return Ok(expires),
                Ok(Some((got, Err(code)))) if got == id => {
                    let _ = self.sip.unregister(id).await;
                    return Err(RegisterError::Refused(code));
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => return Err(RegisterError::Timeout),
            }
        }
    }

    /// Stops the phone.
    pub async fn stop(self) {
        self.sip.shutdown().await;
        self.task.abort();
    }
}

async fn agent_loop(
    sip: EndpointHandle,
    mut events: mpsc::Receiver<UaEvent>,
    engine: MediaEngine,
    behavior: AgentBehavior,
    registrations: mpsc::UnboundedSender<(RegistrationId, Result<u32, u16>)>,
    transfer_to: Option<String>,
) {
    // Calls in progress: leg, media, hang-up time once answered, SDP answer, answer time.
    type Ringing = (LegId, MediaSession, Option<Instant>, Option<Bytes>, Instant);
    let mut calls: Vec<Ringing> = Vec::new();
    let mut seq = 0u64;
    loop {
        let next = calls
            .iter()
            .map(|(_, _, hangup, _, answer_at)| hangup.unwrap_or(*answer_at))
            .min();
        let event = tokio::select! {
            event = events.recv() => match event {
                Some(event) => Some(event),
                None => break,
            },
            () = async {
                match next {
                    Some(at) => sleep_until(at).await,
                    None => std::future::pending().await,
                }
            } => None,
        };
        let now = Instant::now();
        match event {
            Some(UaEvent::IncomingCall { leg, sdp, .. }) => {
                if behavior.busy {
                    let _ = sip.reject(leg, 486, "Busy Here").await;
                    continue;
                }
                let _ = sip.ringing(leg).await;
                let Ok(m) = engine.open_session(SessionConfig::default()) else {
                    let _ = sip.reject(leg, 503, "Service Unavailable").await;
                    continue;
                };
                seq += 1;
                let answer = sdp
                    .and_then(|offer| media::answer_offer(&offer, m.local_rtp_addr(), seq).ok())
                    .map(|(answer, n)| {
                        let _ = m.set_remote(n.remote, n.format);
                        answer
                    });
                calls.push((leg, m, None, answer, now + behavior.answer_after));
            }
            Some(UaEvent::OutboundRegistered {
                registration,
                expires,
            }) => {
                let _ = registrations.send((registration, Ok(expires)));
            }
            Some(UaEvent::OutboundRegistrationFailed { registration, code }) => {
                let _ = registrations.send((registration, Err(code)));
            }
            Some(UaEvent::Ended { leg, .. } | UaEvent::Failed { leg, .. }) => {
                calls.retain(|(l, m, ..)| {
                    if *l == leg {
                        drop(m.close());
                    }
                    *l != leg
                });
            }
            _ => {}
        }
        // Answer what is due; hang up what has talked long enough.
        let mut ended = Vec::new();
        for (leg, m, hangup, answer, answer_at) in &mut calls {
            if hangup.is_none() && *answer_at <= now {
                if sip.answer(*leg, answer.take()).await.is_ok() {
                    let _ = m.play([voice(behavior.pitch)]);
                    *hangup = Some(now + behavior.talk_for);
                } else {
                    ended.push(*leg);
                }
            } else if hangup.is_some_and(|at| at <= now) {
                if let Some(target) = &transfer_to {
                    // The transfer key: the center takes the customer on and ends this leg.
                    let _ = sip.refer(*leg, target, None).await;
                    *hangup = Some(now + Duration::from_secs(3600));
                } else {
                    let _ = sip.hangup(*leg).await;
                    ended.push(*leg);
                }
            }
        }
        calls.retain(|(l, m, ..)| {
            if ended.contains(l) {
                drop(m.close());
            }
            !ended.contains(l)
        });
    }
}

/// How a simulated caller sends its keys.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DtmfMode {
    /// SIP INFO (`application/dtmf-relay`).
    #[default]
    Info,
    /// RFC 4733 telephone-events in the RTP stream.
    Rfc4733,
    /// Tones in the audio (for the center's in-band detector).
    InBand,
}

/// The two frequencies of each key (rows 697-941 Hz, columns 1209-1633 Hz).
static DTMF_TONES: [(char, [u32; 2]); 16] = [
    ('1', [697, 1209]),
    ('2', [697, 1336]),
    ('3', [697, 1477]),
    ('A', [697, 1633]),
    ('4', [770, 1209]),
    ('5', [770, 1336]),
    ('6', [770, 1477]),
    ('B', [770, 1633]),
    ('7', [852, 1209]),
    ('8', [852, 1336]),
    ('9', [852, 1477]),
    ('C', [852, 1633]),
    ('*', [941, 1209]),
    ('0', [941, 1336]),
    ('#', [941, 1477]),
    ('D', [941, 1633]),
];

/// What a simulated caller does once answered.
#[derive(Debug, Clone)]
pub struct CallerScript {
    /// How keys are sent.
    pub dtmf: DtmfMode,
    /// Keys to press, each after waiting the given time since the previous step.
    pub keys: Vec<(Duration, char)>,
    /// Hang up this long after answer, unless the center hangs up first.
    pub hang_up_after: Duration,
    /// The pitch of the caller's "voice" (0-7: 300 Hz to 1400 Hz).
    pub pitch: usize,
}

/// How a simulated call went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallOutcome {
    /// The center hung up (the flow ended) after this long.
    CenterHungUp(Duration),
    /// The caller hung up as scripted.
    CallerHungUp,
    /// The call was refused with this status.
    Refused(u16),
}

/// A simulated caller.
pub struct SimCaller {
    sip: EndpointHandle,
    events: mpsc::Receiver<UaEvent>,
    media: MediaEngine,
    user: String,
}

impl SimCaller {
    /// Binds a caller phone for `user` on `ip` (any free port).
    pub async fn new(user: &str, ip: IpAddr, media: MediaEngine) -> Result<Self, cc_sip::Error> {
        let (sip, events) = Endpoint::bind(EndpointConfig::new(SocketAddr::new(ip, 0))).await?;
        Ok(Self {
            sip,
            events,
            media,
            user: user.to_owned(),
        })
    }

    /// Calls `did` at the center and follows `script`; gives up after `limit`.
    pub async fn call(
        &mut self,
        center: SocketAddr,
        did: &str,
        script: &CallerScript,
        limit: Duration,
    ) -> Result<CallOutcome, String> {
        let deadline = Instant::now() + limit;
        let m = self
            .media
            .open_session(SessionConfig::default())
            .map_err(|e| e.to_string())?;
        let offer = media::make_offer(m.local_rtp_addr(), 1);
        let uri = format!("sip:{did}@{center}");
        let from = format!("<sip:{}@{}>", self.user, self.sip.local_addr());
        let mut call = OutgoingCall::new(&uri, &from, &format!("<{uri}>"), center);
        call.sdp = Some(Bytes::from(offer.to_string()));
        let leg = self.sip.invite(call).await.map_err(|e| e.to_string())?;
        let result = self.follow(leg, &m, &offer, script, deadline).await;
        drop(m.close());
        result
    }

    async fn follow(
        &mut self,
        leg: LegId,
        m: &MediaSession,
        offer: &cc_sip::sdp::SdpOffer,
        script: &CallerScript,
        deadline: Instant,
    ) -> Result<CallOutcome, String> {
        // Until answered.
        let answered_at = loop {
            let event = timeout_at(deadline, self.events.recv())
                .await
                .map_err(|_| "no answer in time".to_owned())?;
            match event {
                Some(UaEvent::Answered { leg: l, sdp }) if l == leg => {
                    let n = media::read_answer(offer, sdp.as_deref().unwrap_or_default())?;
                    m.set_remote(n.remote, n.format).map_err(|e| e.to_string())?;
                    let _ = m.play([voice(script.pitch)]);
                    break Instant::now();
                }
                Some(UaEvent::Failed { leg: l, code, .. }) if l == leg => {
                    return Ok(CallOutcome::Refused(code));
                }
                None => return Err("the phone stopped".into()),
                _ => {}
            }
        };
        let mut keys = script.keys.iter();
        let mut next_key = keys.next().map(|(wait, k)| (answered_at + *wait, *k));
        let hang_up_at = answered_at + script.hang_up_after;
        loop {
            let wake = next_key
                .map_or(hang_up_at, |(at, _)| at.min(hang_up_at))
                .min(deadline);
            tokio::select! {
                event = self.events.recv() => match event {
                    Some(UaEvent::Ended { leg: l, .. }) if l == leg => {
                        return Ok(CallOutcome::CenterHungUp(answered_at.elapsed()));
                    }
                    None => return Err("the phone stopped".into()),
                    _ => {}
                },
                () = sleep_until(wake) => {
                    let now = Instant::now();
                    if now >= deadline {
                        let _ = self.sip.hangup(leg).await;
                        return Err("the call did not end in time".into());
                    }
                    if let Some((at, key)) = next_key
                        && at <= now
                    {
                        match script.dtmf {
                            DtmfMode::Info => {
                                let _ = self.sip.send_dtmf(leg, key).await;
                            }
                            DtmfMode::Rfc4733 => {
                                let _ = m.send_dtmf(&key.to_string(), Duration::from_millis(120)).await;
                            }
                            DtmfMode::InBand => {
                                if let Some((_, freqs)) = DTMF_TONES.iter().find(|(k, _)| *k == key) {
                                    let _ = m.stop_play();
                                    let tone = PlayItem::Tone {
                                        spec: ToneSpec { freqs, cadence_ms: &[] },
                                        duration: Some(Duration::from_millis(150)),
                                    };
                                    let _ = m.play([tone, PlayItem::Silence(Duration::from_millis(60)), voice(script.pitch)]);
                                }
                            }
                        }
                        next_key = keys.next().map(|(wait, k)| (now + *wait, *k));
                    } else if now >= hang_up_at {
                        let _ = self.sip.hangup(leg).await;
                        return Ok(CallOutcome::CallerHungUp);
                    }
                }
            }
        }
    }

    /// Waits up to `wait` for a call to this phone (a callback), answers it, speaks, and
    /// returns when either side hangs up (at most `talk` after answering).
    pub async fn answer_next(&mut self, wait: Duration, talk: Duration) -> Result<(), String> {
        let deadline = Instant::now() + wait;
        let (leg, sdp) = loop {
            match timeout_at(deadline, self.events.recv())
                .await
                .map_err(|_| "no call came".to_owned())?
            {
                Some(UaEvent::IncomingCall { leg, sdp, .. }) => break (leg, sdp),
                None => return Err("the phone stopped".into()),
                _ => {}
            }
        };
        let m = self
            .media
            .open_session(SessionConfig::default())
            .map_err(|e| e.to_string())?;
        let answer = sdp
            .and_then(|offer| media::answer_offer(&offer, m.local_rtp_addr(), 2).ok())
            .map(|(answer, n)| {
                let _ = m.set_remote(n.remote, n.format);
                answer
            });
        self.sip.answer(leg, answer).await.map_err(|e| e.to_string())?;
        let _ = m.play([voice(2)]);
        let end = Instant::now() + talk;
        loop {
            match timeout_at(end, self.events.recv()).await {
                Ok(Some(UaEvent::Ended { leg: l, .. })) if l == leg => break,
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => {
                    let _ = self.sip.hangup(leg).await;
                    break;
                }
            }
        }
        drop(m.close());
        Ok(())
    }

    /// Stops the phone.
    pub async fn stop(self) {
        self.sip.shutdown().await;
    }
}
