//! Offer/answer in PRACK (RFC 3262 §5) on the legs of a [`UserAgent`].
//!
//! - Our INVITE went without SDP, with [`OutgoingCall::prack_answer`](super::OutgoingCall::prack_answer)
//!   set, and a reliable provisional response brings the offer: it comes as
//!   [`UaEvent::Progress`] with the offer and the PRACK waits for the application's
//!   answer ([`UserAgent::prack`]); until then the provisional's retransmissions are
//!   absorbed (the peer gives up with 504 after 64·T1). Without `prack_answer` the
//!   PRACK goes at once without a body and the offer is answered in the ACK.
//! - The INVITE we received had no SDP and our reliable provisional carried the offer:
//!   the PRACK's SDP is the answer and comes as [`UaEvent::PrackSdp`].

use std::time::Instant;

use bytes::Bytes;

use super::{LegId, Purpose, UaEvent, UserAgent, sdp_of, state_error, unknown};
use crate::dialog::DialogId;
use crate::error::Error;
use crate::message::Message;

impl UserAgent {
    /// Sends the PRACK, with the SDP answer `sdp`, for the reliable provisional response
    /// that offered SDP to our INVITE sent without ([`UaEvent::Progress`] brought the
    /// offer; the call was placed with [`OutgoingCall::prack_answer`](super::OutgoingCall::prack_answer)).
    pub fn prack(&mut self, now: Instant, leg: LegId, sdp: Bytes) -> Result<(), Error> {
        let l = self.legs.get_mut(&leg).ok_or_else(|| unknown(leg))?;
        let Some((did, rseq)) = l.prack_pending.take() else {
            return Err(state_error(
                leg,
                "send PRACK",
                "no reliable provisional response with an offer waits for an answer",
            ));
        };
        l.local_sdp = Some(sdp);
        let sdp = l.local_sdp.clone();
        self.send_prack(now, leg, &did, rseq, sdp.as_ref());
        self.process(now);
        Ok(())
    }

    /// Acknowledges the reliable provisional response `rseq` of early dialog `did` of
    /// outgoing leg `id` with PRACK (RFC 3262 §4), carrying `sdp` when given.
    pub(super) fn send_prack(
        &mut self,
        now: Instant,
        id: LegId,
        did: &DialogId,
        rseq: u32,
        sdp: Option<&Bytes>,
    ) {
        let Some(leg) = self.legs.get(&id) else { return };
        let (remote, transport) = (leg.remote, leg.transport);
        let Ok(cseq) = leg.invite.cseq().map(|c| c.seq) else {
            return;
        };
        let via = self.via(transport);
        let Some(dialog) = self.dialogs.get_mut(did) else {
            return;
        };
        let request = dialog.request("PRACK", &via).and_then(|b| {
            let b = b.header("RAck", &format!("{rseq} {cseq} INVITE"));
            match sdp {
                Some(sdp) => b.header("Content-Type", "application/sdp").body(sdp.clone()),
                None => b,
            }
            .build()
        });
        if let Ok(request) = request
            && let Ok(tx) = self.tx.send_request(now, remote, transport.reliable(), request)
        {
            self.by_tx.insert(tx, (id, Purpose::Other));
            self.stats.pracks_sent += 1;
        }
    }

    /// A reliable provisional response `rseq` (not seen before) of early dialog `did`
    /// on outgoing leg `id`: PRACK at once, or, when it offers SDP to our INVITE sent
    /// without, report the offer and wait for [`UserAgent::prack`]. Returns `true` when
    /// the offer was reported (no other event is due).
    pub(super) fn on_reliable_provisional(
        &mut self,
        now: Instant,
        id: LegId,
        did: DialogId,
        rseq: u32,
        response: &Message,
    ) -> bool {
        let Some(leg) = self.legs.get_mut(&id) else {
            return false;
        };
        let offer = sdp_of(response)
            .filter(|_| leg.prack_answer && leg.local_sdp.is_none() && leg.prack_pending.is_none());
        let Some(offer) = offer else {
            self.send_prack(now, id, &did, rseq, None);
            return false;
        };
        leg.prack_pending = Some((did, rseq));
        leg.remote_sdp = Some(offer.clone());
        let code = response.status_code().unwrap_or(183);
        self.events.push_back(UaEvent::Progress {
            leg: id,
            code,
            sdp: Some(offer),
        });
        true
    }

    /// The PRACK `request` acknowledged our reliable provisional on incoming leg `id`:
    /// when the INVITE had no SDP, an SDP in the PRACK answers our provisional's offer.
    pub(super) fn on_prack_sdp(&mut self, id: LegId, request: &Message) {
        let Some(leg) = self.legs.get_mut(&id) else { return };
        if sdp_of(&leg.invite).is_some() || leg.local_sdp.is_none() {
            return;
        }
        if let Some(sdp) = sdp_of(request) {
            leg.remote_sdp = Some(sdp.clone());
            self.events.push_back(UaEvent::PrackSdp { leg: id, sdp });
        }
    }
}
