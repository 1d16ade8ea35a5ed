//! One outgoing call leg on rsipstack: builds and sends the INVITE (digest retry, outbound
//! proxy), turns dialog states and the final response into `LegEvent`s, and ends the leg with
//! CANCEL or BYE. INFO DTMF arriving in the dialog comes out as digits.

use std::sync::Arc;
use std::time::Duration;

use rsipstack::dialog::authenticate::Credential;
use rsipstack::dialog::dialog::TransactionHandle;
use rsipstack::dialog::dialog::{DialogState, DialogStateReceiver, TerminatedReason};
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::dialog::invitation::{InviteAsyncResult, InviteOption};
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::prelude::HeadersExt;
use rsipstack::sip::{Header, Method, StatusCode, StatusCodeKind};
use rsipstack::transport::SipAddr;
use tokio::task::JoinHandle;
use tracing::{debug, warn};

use crate::config::TelephonyConfig;
use crate::dtmf;
use crate::media::RemoteSetter;
use crate::sdp;

/// What to dial on one leg.
pub(crate) struct LegSpec {
    pub call_id: String,
    /// `sip:+E164@host;user=phone`
    pub request_uri: String,
    pub from_uri: String,
    pub contact_uri: String,
    /// Where the INVITE goes: the route target, or the outbound proxy.
    pub destination: String,
    /// `Some(proxy)` adds a loose-route `Route: <sip:proxy;lr>`.
    pub outbound_proxy: Option<String>,
    /// Our RTP address on this leg and the SDP session id of our offer.
    pub local_rtp: std::net::SocketAddr,
    pub session_id: u64,
    pub credential: Option<Credential>,
}

/// How a leg failed to be answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LegFailure {
    /// 486 Busy Here, 600 Busy Everywhere.
    Busy,
    /// 603 Decline or another 4xx/5xx/6xx (the code).
    Rejected(u16),
    /// 408/480/487 or no final answer at all.
    NoAnswer,
    /// 401/407 (a challenge still standing after we answered it, or with no credentials
    /// configured) or 403: the trunk refused us, not the phone.
    TrunkAuth(u16),
    /// The INVITE could not be sent or the stack failed (the reason).
    Error(String),
}

/// Something that happened on a leg.
#[derive(Debug)]
pub(crate) enum LegEvent {
    /// The INVITE is on the wire.
    Calling,
    /// 100 Trying: the next hop is alive.
    Trying,
    /// 180 or 183 (reported once).
    Ringing,
    /// 2xx with the SDP answer body.
    Answered(String),
    Failed(LegFailure),
    /// The peer hung up (BYE) after answering.
    RemoteBye,
    /// A DTMF digit by SIP INFO.
    InfoDigit(char),
}

pub(crate) struct OutgoingLeg {
    layer: Arc<DialogLayer>,
    dialog: InviteDialog,
    states: DialogStateReceiver,
    invite: Option<JoinHandle<InviteAsyncResult>>,
    rang: bool,
    answered: bool,
    ended: bool,
    local_rtp: std::net::SocketAddr,
    session_id: u64,
    /// Bumped on every SDP we send after the first (RFC 3264 §8).
    sdp_version: u64,
    /// Where a peer's re-offer updates the media, once the leg's media is set up.
    media: Option<RemoteSetter>,
}

/// The digest credentials for 401/407 challenges, when a username is configured.
pub(crate) fn credential(cfg: &TelephonyConfig) -> Option<Credential> {
    cfg.username.as_ref().map(|u| Credential {
        username: u.clone(),
        password: cfg.password.expose().to_owned(),
        realm: cfg.realm.clone(),
        auth_username: None,
    })
}

fn sip_addr(target: &str) -> Result<SipAddr, String> {
    let hp = rsipstack::sip::HostWithPort::try_from(target)
        .map_err(|e| format!("bad SIP target '{target}': {e}"))?;
    Ok(SipAddr {
        r#type: Some(rsipstack::sip::Transport::Udp),
        addr: hp,
    })
}

fn uri(text: &str) -> Result<rsipstack::sip::Uri, String> {
    rsipstack::sip::Uri::try_from(text).map_err(|e| format!("bad SIP URI '{text}': {e}"))
}

impl OutgoingLeg {
    /// Sends the INVITE in the background; progress comes from [`OutgoingLeg::next`].
    pub fn start(layer: Arc<DialogLayer>, spec: LegSpec) -> Result<Self, String> {
        let mut route_set = Vec::new();
        if let Some(proxy) = &spec.outbound_proxy {
            route_set.push(rsipstack::sip::typed::Route {
                display_name: None,
                uri: uri(&format!("sip:{proxy};lr"))?,
                params: vec![],
            });
        }
        let opt = InviteOption {
            caller: uri(&spec.from_uri)?,
            callee: uri(&spec.request_uri)?,
            contact: uri(&spec.contact_uri)?,
            destination: Some(sip_addr(&spec.destination)?),
            content_type: Some("application/sdp".into()),
            offer: Some(sdp::offer(spec.local_rtp, spec.session_id, spec.session_id).into_bytes()),
            credential: spec.credential,
            call_id: Some(spec.call_id),
            route_set,
            ..Default::default()
        };
        let (state_tx, states) = layer.new_dialog_state_channel();
        let (dialog, invite) = layer
            .do_invite_async(opt, state_tx)
            .map_err(|e| format!("INVITE not sent: {e}"))?;
        Ok(Self {
            layer,
            dialog,
            states,
            invite: Some(invite),
            rang: false,
            answered: false,
            ended: false,
            local_rtp: spec.local_rtp,
            session_id: spec.session_id,
            sdp_version: spec.session_id,
            media: None,
        })
    }

    /// The next thing that happened; `None` once nothing more can happen on this leg.
    pub async fn next(&mut self) -> Option<LegEvent> {
        loop {
            if self.ended && self.invite.is_none() {
                return None;
            }
            tokio::select! {
                state = self.states.recv(), if !self.ended => match state {
                    Some(s) => if let Some(ev) = self.on_state(s).await { return Some(ev) },
                    None => self.ended = true,
                },
                r = async { self.invite.as_mut().expect("guarded").await },
                    if self.invite.is_some() =>
                {
                    self.invite = None;
                    return Some(self.on_final(r));
                }
            }
        }
    }

    async fn on_state(&mut self, state: DialogState) -> Option<LegEvent> {
        match state {
            DialogState::Calling(_) => Some(LegEvent::Calling),
            DialogState::Trying(_) => Some(LegEvent::Trying),
            DialogState::Early(_, resp) if !self.rang => {
                let code = resp.status_code.code();
                (code == 180 || code == 183).then(|| {
                    self.rang = true;
                    LegEvent::Ringing
                })
            }
            DialogState::Terminated(_, reason) => {
                debug!(?reason, "leg dialog terminated");
                self.ended = true;
                (self.answered && matches!(reason, TerminatedReason::UasBye))
                    .then_some(LegEvent::RemoteBye)
            }
            DialogState::Info(_, req, handle) => {
                let ct = req.header_value("Content-Type").unwrap_or_default();
                let digit = dtmf::parse_info(&ct, &String::from_utf8_lossy(&req.body));
                let status = if digit.is_some() || req.body.is_empty() {
                    StatusCode::OK
                } else {
                    StatusCode::UnsupportedMediaType
                };
                let _ = handle.reply(status).await;
                digit.map(LegEvent::InfoDigit)
            }
            DialogState::Updated(_, req, handle) => {
                self.reoffer(&req, handle).await;
                None
            }
            DialogState::Options(_, _, handle)
            | DialogState::Notify(_, _, handle)
            | DialogState::Message(_, _, handle) => {
                let _ = handle.reply(StatusCode::OK).await;
                None
            }
            DialogState::Refer(_, _, handle) | DialogState::Publish(_, _, handle) => {
                let _ = handle.reply(StatusCode::Forbidden).await;
                None
            }
            _ => None,
        }
    }

    /// Lets a later re-offer from the peer update this leg's media.
    pub fn set_media(&mut self, media: RemoteSetter) {
        self.media = Some(media);
    }

    /// Answers a re-INVITE or UPDATE (session refresh, codec change) without moving our media:
    /// same address, one codec from the new offer; no offer gets 200 (UPDATE) or our offer.
    async fn reoffer(&mut self, req: &rsipstack::sip::Request, handle: TransactionHandle) {
        let sdp_header = || Some(vec![Header::ContentType("application/sdp".into())]);
        if req.body.is_empty() {
            if req.method == Method::Invite {
                self.sdp_version += 1;
                let offer = sdp::offer(self.local_rtp, self.session_id, self.sdp_version);
                let _ = handle
                    .respond(StatusCode::OK, sdp_header(), Some(offer.into_bytes()))
                    .await;
            } else {
                let _ = handle.reply(StatusCode::OK).await;
            }
            return;
        }
        match sdp::parse_answer(&String::from_utf8_lossy(&req.body)) {
            Ok(media) => {
                self.sdp_version += 1;
                let answer = sdp::answer(self.local_rtp, self.session_id, self.sdp_version, &media);
                let _ = handle
                    .respond(StatusCode::OK, sdp_header(), Some(answer.into_bytes()))
                    .await;
                if let Some(setter) = &self.media {
                    setter.set(media);
                }
            }
            Err(e) => {
                debug!(error = %e, "refusing a re-offer");
                let _ = handle.reply(StatusCode::NotAcceptableHere).await;
            }
        }
    }

    fn on_final(&mut self, r: Result<InviteAsyncResult, tokio::task::JoinError>) -> LegEvent {
        let resp = match r {
            Ok(Ok((_, resp))) => resp,
            Ok(Err(e)) => return LegEvent::Failed(LegFailure::Error(e.to_string())),
            Err(e) => return LegEvent::Failed(LegFailure::Error(e.to_string())),
        };
        let Some(resp) = resp else {
            return LegEvent::Failed(LegFailure::NoAnswer);
        };
        let code = resp.status_code.code();
        if resp.status_code.kind() == StatusCodeKind::Successful {
            if matches!(self.dialog.state(), DialogState::Terminated(_, _)) {
                // Answered after our CANCEL: rsipstack ACKs and BYEs it.
                return LegEvent::Failed(LegFailure::NoAnswer);
            }
            self.answered = true;
            return LegEvent::Answered(String::from_utf8_lossy(&resp.body).into_owned());
        }
        LegEvent::Failed(match code {
            486 | 600 => LegFailure::Busy,
            408 | 480 | 487 => LegFailure::NoAnswer,
            401 | 403 | 407 => LegFailure::TrunkAuth(code),
            _ => LegFailure::Rejected(code),
        })
    }

    /// Ends the leg: CANCEL while ringing, BYE once answered; bounded by `limit`.
    pub async fn hang_up(&mut self, limit: Duration) {
        let r = if self.answered {
            tokio::time::timeout(limit, self.dialog.bye()).await
        } else {
            tokio::time::timeout(limit, self.dialog.cancel()).await
        };
        match r {
            Ok(Ok(())) => {}
            Ok(Err(e)) => warn!(error = %e, "ending the leg failed"),
            Err(_) => warn!("ending the leg timed out"),
        }
        if !self.answered {
            // Let the INVITE transaction see its 487 (or the 2xx it crossed) before we go.
            if let Some(invite) = self.invite.take() {
                let _ = tokio::time::timeout(limit, invite).await;
            }
        }
        self.ended = true;
    }
}

impl Drop for OutgoingLeg {
    fn drop(&mut self) {
        self.layer.remove_dialog(&self.dialog.id());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use md5::{Digest, Md5};
    use rsipstack::dialog::authenticate::compute_digest;
    use rsipstack::sip::headers::auth::Algorithm;

    fn md5_hex(s: &str) -> String {
        Md5::digest(s.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn credentials_only_when_a_username_is_set() {
        assert!(credential(&TelephonyConfig::default()).is_none());
        let cfg = TelephonyConfig {
            username: Some("acct".into()),
            password: crate::Secret::new("pw"),
            realm: Some("trunk.example".into()),
            ..Default::default()
        };
        let c = credential(&cfg).unwrap();
        assert_eq!((c.username.as_str(), c.password.as_str()), ("acct", "pw"));
        assert_eq!(c.realm.as_deref(), Some("trunk.example"));
    }

    #[test]
    fn digest_response_is_rfc_2617_md5() {
        // RFC 2617 without qop: MD5(MD5(user:realm:pass):nonce:MD5(method:uri)).
        let uri = "sip:+8613800138000@127.0.0.1:5071;user=phone";
        let (user, realm, pass, nonce) = ("ringlink", "ringlink.test", "s3cret", "abc123");
        let ha1 = md5_hex(&format!("{user}:{realm}:{pass}"));
        let ha2 = md5_hex(&format!("INVITE:{uri}"));
        let expected = md5_hex(&format!("{ha1}:{nonce}:{ha2}"));
        let got = compute_digest(
            user,
            pass,
            realm,
            nonce,
            &rsipstack::sip::Method::Invite,
            uri,
            Algorithm::Md5,
            None,
        );
        assert_eq!(got, expected);
    }

    #[test]
    fn targets_must_be_host_and_port() {
        assert!(sip_addr("127.0.0.1:5071").is_ok());
        assert!(uri("sip:+8613800138000@127.0.0.1:5071;user=phone").is_ok());
    }
}
