//! The legs of each contact on the wire: SIP legs and their media sessions.

use bytes::Bytes;
use cc_core::{AgentId, RecordingId, TenantId};
use cc_media::engine::MediaSession;
use cc_sip::sdp::SdpOffer;
use cc_sip::ua::LegId;

/// What a SIP leg is to its contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Role {
    /// The customer who called in.
    Caller,
    /// An agent's phone.
    Agent(AgentId),
    /// Outside the center: an overflow partner, a transfer target.
    Outside,
    /// A callback's customer, dialled by the center.
    Customer,
    /// A supervisor's phone.
    Supervisor(AgentId),
}

/// A leg the center placed (agent, outside party, callback customer).
pub(crate) struct Peer {
    pub(crate) leg: LegId,
    pub(crate) media: MediaSession,
    pub(crate) offer: SdpOffer,
    pub(crate) answered: bool,
}

/// A supervisor on a call: their phone's leg and, once it answered, the conference the
/// customer, the agent and the supervisor are mixed in.
pub(crate) struct Supervision {
    pub(crate) peer: Peer,
    pub(crate) mode: crate::control::SuperviseMode,
    pub(crate) conference: Option<cc_media::engine::Conference>,
}

/// A recording in progress.
pub(crate) struct Recording {
    pub(crate) id: RecordingId,
    pub(crate) tenant: TenantId,
}

/// One contact on the wire.
pub(crate) struct Line {
    /// The caller's leg while the caller is on the line.
    pub(crate) caller: Option<LegId>,
    /// The caller's media (closed when the caller leaves).
    pub(crate) caller_media: Option<MediaSession>,
    /// The caller's URI, shown to agents as the caller id.
    pub(crate) caller_user: String,
    /// Our SDP answer until the caller is answered.
    pub(crate) answer_sdp: Option<Bytes>,
    /// A prompt is playing whose end the flow waits for.
    pub(crate) prompt_pending: bool,
    pub(crate) agent: Option<(AgentId, Peer)>,
    pub(crate) outside: Option<(Role, Peer)>,
    pub(crate) supervision: Option<Supervision>,
    pub(crate) recording: Option<Recording>,
    pub(crate) voicemail: Option<Recording>,
    /// Receive quality of the legs closed so far (caller first), for the record.
    pub(crate) quality: Vec<cc_core::MediaQuality>,
}

impl Line {
    /// The media of the customer's side: the caller's, or a dialled customer's.
    pub(crate) fn customer_media(&self) -> Option<&MediaSession> {
        self.caller_media.as_ref().or_else(|| {
            self.outside
                .as_ref()
                .filter(|(role, _)| *role == Role::Customer)
                .map(|(_, p)| &p.media)
        })
    }

    /// Closes a session and keeps its receive quality for the record.
    pub(crate) async fn close_keeping_quality(&mut self, media: MediaSession) {
        if let Ok(stats) = media.close().await {
            self.quality.push(stats.quality);
        }
    }

    /// Closes every media session (their statistics are dropped).
    pub(crate) fn close_all(self) {
        if let Some(m) = self.caller_media {
            drop(m.close());
        }
        if let Some((_, p)) = self.agent {
            drop(p.media.close());
        }
        if let Some((_, p)) = self.outside {
            drop(p.media.close());
        }
        if let Some(s) = self.supervision {
            drop(s.peer.media.close());
        }
    }
}
