//! `SipAgent`: the built-in `CallControl`. Owns the rsipstack endpoint (one UDP listener), the
//! dialog layer, the RTP port pool, and the loop that routes incoming in-dialog requests (BYE,
//! INFO, CANCEL) to their dialogs and refuses the rest.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, Weak};

use futures::future::BoxFuture;
use rsipstack::dialog::dialog::Dialog;
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::sip::{Method, StatusCode};
use rsipstack::transaction::endpoint::EndpointInner;
use rsipstack::transport::udp::UdpConnection;
use rsipstack::transport::{SipAddr, TransportLayer};
use rsipstack::EndpointBuilder;
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

use crate::call;
use crate::config::TelephonyConfig;
use crate::control::{CallControl, CallHandle, CallOrder};
use crate::error::{CallError, TelephonyError};

/// The built-in SIP back-to-back agent.
pub struct SipAgent {
    /// Lets `place(&self)` hand an owning reference to the call task.
    me: Weak<SipAgent>,
    pub(crate) config: TelephonyConfig,
    pub(crate) layer: Arc<DialogLayer>,
    /// Keeps the endpoint alive for the agent's lifetime.
    _endpoint: Arc<EndpointInner>,
    local: SocketAddr,
    /// The address we advertise in Contact, Via and SDP.
    pub(crate) advertised_ip: IpAddr,
    next_rtp_port: Mutex<u16>,
    /// Cancelled by the owner: live calls end with `EndReason::Shutdown`.
    pub(crate) shutdown: CancellationToken,
    /// Live call tasks; the endpoint stops once they are done (or after the grace).
    pub(crate) calls: TaskTracker,
}

/// Time over the hang-up timeout that shutdown waits for live calls to send their BYEs
/// (and play nothing more) before the SIP endpoint stops.
const SHUTDOWN_SLACK: Duration = Duration::from_secs(1);

impl std::fmt::Debug for SipAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SipAgent")
            .field("local", &self.local)
            .finish_non_exhaustive()
    }
}

impl SipAgent {
    /// Binds the SIP listener and starts serving; stops when `shutdown` is cancelled (live calls
    /// end with `EndReason::Shutdown`).
    pub async fn start(
        config: TelephonyConfig,
        shutdown: CancellationToken,
    ) -> Result<Arc<Self>, TelephonyError> {
        config.validate().map_err(TelephonyError::Config)?;
        let listen_ip = config.sip_listen.ip();
        let advertised_ip = match (config.public_addr, listen_ip.is_unspecified()) {
            (Some(ip), _) => ip,
            (None, false) => listen_ip,
            (None, true) => {
                return Err(TelephonyError::Config(format!(
                    "sip_listen is {listen_ip}: set public_addr to the address peers should reach"
                )))
            }
        };
        // The endpoint outlives the shutdown signal until live calls have sent their BYEs.
        let cancel = CancellationToken::new();
        let transport = TransportLayer::new(cancel.clone());
        let mut conn =
            UdpConnection::create_connection(config.sip_listen, None, Some(cancel.child_token()))
                .await
                .map_err(|e| TelephonyError::Bind {
                    addr: config.sip_listen,
                    source: std::io::Error::other(e.to_string()),
                })?;
        let bound = conn.get_addr().clone();
        let local: SocketAddr = bound
            .get_socketaddr()
            .map_err(|e| TelephonyError::Sip(format!("listener address: {e}")))?;
        if config.public_addr.is_some() || listen_ip.is_unspecified() {
            conn.external = Some(SipAddr {
                r#type: Some(rsipstack::sip::Transport::Udp),
                addr: SocketAddr::new(advertised_ip, local.port()).into(),
            });
        }
        transport.add_transport(conn.into());
        let endpoint = EndpointBuilder::new()
            .with_user_agent(&config.user_agent)
            .with_transport_layer(transport)
            .with_inspector(Box::new(crate::sip_log::WireLog))
            .with_cancel_token(cancel.clone())
            .build();
        let inner = endpoint.inner.clone();
        let incoming = endpoint
            .incoming_transactions()
            .map_err(|e| TelephonyError::Sip(e.to_string()))?;
        let layer = Arc::new(DialogLayer::new(inner.clone()));
        {
            let inner = inner.clone();
            tokio::spawn(async move {
                if let Err(e) = inner.serve().await {
                    warn!(error = %e, "SIP endpoint stopped");
                }
            });
        }
        tokio::spawn(dispatch_incoming(incoming, layer.clone(), cancel.clone()));
        let calls = TaskTracker::new();
        let grace = config.hangup_timeout() + SHUTDOWN_SLACK;
        {
            let (shutdown, calls, cancel) = (shutdown.clone(), calls.clone(), cancel.clone());
            tokio::spawn(async move {
                shutdown.cancelled().await;
                calls.close();
                if tokio::time::timeout(grace, calls.wait()).await.is_err() {
                    warn!("calls still ending after the shutdown grace; stopping SIP anyway");
                }
                cancel.cancel();
            });
        }
        info!(%local, advertised = %advertised_ip, "telephony agent listening (UDP)");
        Ok(Arc::new_cyclic(|me| Self {
            me: me.clone(),
            next_rtp_port: Mutex::new(even(config.rtp_port_min)),
            config,
            layer,
            _endpoint: inner,
            local,
            advertised_ip,
            shutdown,
            calls,
        }))
    }

    /// Where the agent listens for SIP.
    pub fn local_sip_addr(&self) -> SocketAddr {
        self.local
    }

    /// The SIP address peers should use for us (advertised IP, listening port).
    pub(crate) fn advertised_sip(&self) -> SocketAddr {
        SocketAddr::new(self.advertised_ip, self.local.port())
    }

    /// Binds one RTP socket on the next free even port of the range, and its RTCP neighbour
    /// (port + 1), which is only held so peers' RTCP is not refused with ICMP errors.
    pub(crate) async fn bind_rtp(&self) -> Result<(UdpSocket, std::net::UdpSocket), CallError> {
        let (min, max) = (even(self.config.rtp_port_min), self.config.rtp_port_max);
        let slots = u32::from((max - min) / 2);
        let ip = self.config.sip_listen.ip();
        for _ in 0..slots.max(1) {
            let port = {
                let mut next = self.next_rtp_port.lock().expect("port cursor lock");
                let port = *next;
                *next = if port.saturating_add(3) > max {
                    min
                } else {
                    port + 2
                };
                port
            };
            let rtcp = match std::net::UdpSocket::bind(SocketAddr::new(ip, port + 1)) {
                Ok(s) => s,
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => continue,
                Err(e) => return Err(CallError::Io(e)),
            };
            match UdpSocket::bind(SocketAddr::new(ip, port)).await {
                Ok(s) => return Ok((s, rtcp)),
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => continue,
                Err(e) => return Err(CallError::Io(e)),
            }
        }
        Err(CallError::NoRtpPort { min, max })
    }
}

fn even(port: u16) -> u16 {
    port + (port % 2)
}

impl CallControl for SipAgent {
    fn place(&self, order: CallOrder) -> BoxFuture<'_, Result<CallHandle, CallError>> {
        let me = self.me.upgrade();
        Box::pin(async move {
            match me {
                Some(agent) => call::place(agent, order).await,
                None => Err(CallError::ShuttingDown),
            }
        })
    }
}

/// Routes incoming requests: in-dialog ones to their dialog, everything else refused (the
/// agent only places calls).
async fn dispatch_incoming(
    mut incoming: rsipstack::transaction::TransactionReceiver,
    layer: Arc<DialogLayer>,
    cancel: CancellationToken,
) {
    loop {
        let mut tx = tokio::select! {
            _ = cancel.cancelled() => break,
            tx = incoming.recv() => match tx { Some(tx) => tx, None => break },
        };
        let method = tx.original.method;
        match layer.match_dialog(&tx) {
            Some(Dialog::Invite(mut dialog)) => {
                tokio::spawn(async move {
                    if let Err(e) = dialog.handle(&mut tx).await {
                        debug!(error = %e, %method, "in-dialog request failed");
                    }
                });
            }
            _ => {
                let status = match method {
                    Method::Ack => continue,
                    Method::Invite => StatusCode::Forbidden,
                    Method::Options => StatusCode::OK,
                    _ => StatusCode::CallTransactionDoesNotExist,
                };
                tokio::spawn(async move {
                    let _ = tx.reply(status).await;
                });
            }
        }
    }
}
