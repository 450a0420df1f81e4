//! SDP on the center's media: answering offers and making offers from a media session,
//! and turning what was negotiated into the media engine's payload format.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;
use cc_media::engine::{AudioCodec, PayloadFormat};
use cc_sip::sdp::{LocalMedia, NegotiatedMedia, SdpAnswer, SdpOffer, SdpSession, negotiated_from_answer};

/// The codecs the center offers and accepts, most preferred first: G.711 keeps relays
/// free of transcoding with carriers and desk phones; Opus for softphones.
fn local_media(ip: IpAddr, port: u16) -> LocalMedia {
    let mut local = LocalMedia::new(ip, port);
    local.codecs = vec![
        cc_sip::sdp::Codec::pcmu(),
        cc_sip::sdp::Codec::pcma(),
        cc_sip::sdp::Codec::opus(),
        cc_sip::sdp::Codec::telephone_event(8000),
    ];
    local
}

/// Answers a remote offer for a session at `local`: the SDP to send and the format.
pub(crate) fn answer_offer(
    offer: &[u8],
    local: SocketAddr,
    session_id: u64,
) -> Result<(Bytes, Negotiated), String> {
    let offer = SdpOffer::parse(offer).map_err(|e| e.to_string())?;
    let mut session = SdpSession::new(session_id, local.ip());
    let (answer, media) = session
        .answer(&offer, &local_media(local.ip(), local.port()))
        .map_err(|e| e.to_string())?;
    let negotiated = Negotiated::from(&media)?;
    Ok((Bytes::from(answer.to_string()), negotiated))
}

/// An offer from a session at `local`, kept to read the answer with.
pub(crate) fn make_offer(local: SocketAddr, session_id: u64) -> SdpOffer {
    SdpSession::new(session_id, local.ip()).offer(&local_media(local.ip(), local.port()))
}

/// Reads the answer to our `offer`.
pub(crate) fn read_answer(offer: &SdpOffer, answer: &[u8]) -> Result<Negotiated, String> {
    let answer = SdpAnswer::parse(answer).map_err(|e| e.to_string())?;
    let media = negotiated_from_answer(offer, &answer).map_err(|e| e.to_string())?;
    Negotiated::from(&media)
}

/// Where to send what.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Negotiated {
    pub(crate) remote: Option<SocketAddr>,
    pub(crate) format: PayloadFormat,
}

impl Negotiated {
    fn from(media: &NegotiatedMedia) -> Result<Self, String> {
        let name = media.codec.name.to_ascii_uppercase();
        let codec = match name.as_str() {
            "PCMU" => AudioCodec::Pcmu,
            "PCMA" => AudioCodec::Pcma,
            "OPUS" => AudioCodec::Opus { rate: 48_000 },
            other => return Err(format!("codec {other} is not supported")),
        };
        let ptime = match codec {
            AudioCodec::Opus { .. } => 20,
            _ => (media.ptime.clamp(10, 60) / 10) * 10,
        };
        let format = PayloadFormat {
            payload_type: media.codec.payload_type,
            codec,
            telephone_event_pt: media.telephone_event,
            ptime: Duration::from_millis(u64::from(ptime)),
        };
        format.validate().map_err(|e| e.to_string())?;
        Ok(Self {
            remote: media.remote_rtp,
            format,
        })
    }
}
