//! REST for phone agents: sign-in with number and password (DIAL-1), and pairing by code.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::Json;
use ringlink_protocol::rest::{
    AgentLogin, DeviceGrant, PairPoll, PairStart, PairStarted, PairStatus,
};
use ringlink_protocol::ErrorBody;

use super::api::{ApiError, ApiJson};
use crate::store::tokens::TokenKind;
use crate::{pairing, Relay};

pub async fn login(
    State(relay): State<Arc<Relay>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<AgentLogin>,
) -> Result<Json<DeviceGrant>, ApiError> {
    req.validate()?;
    let address = super::client_address(&relay, peer, &headers);
    let (id, token) = relay
        .accounts
        .sign_in(
            &req.number,
            &req.password,
            &address,
            TokenKind::Device,
            &req.device_name,
        )
        .await
        .map_err(|e| ApiError(ErrorBody::from(&e)))?;
    tracing::info!(device = %id.public_id, "phone agent signed in");
    Ok(Json(DeviceGrant {
        device: id.public_id,
        device_token: token,
        member: id.number,
        expires_at: id.expires_at,
    }))
}

pub async fn pair_start(
    State(relay): State<Arc<Relay>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<PairStart>,
) -> Result<Json<PairStarted>, ApiError> {
    req.validate()?;
    let address = super::client_address(&relay, peer, &headers);
    Ok(Json(pairing::start(&relay, &address, req).await?))
}

pub async fn pair_poll(
    State(relay): State<Arc<Relay>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<PairPoll>,
) -> Result<Json<PairStatus>, ApiError> {
    req.validate()?;
    let address = super::client_address(&relay, peer, &headers);
    Ok(Json(pairing::poll(&relay, &address, req).await?))
}
