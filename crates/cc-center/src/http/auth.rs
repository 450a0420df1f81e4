//! API keys: `Authorization: Bearer KEY`; a key is confined to one tenant or center-wide.

use axum::http::HeaderMap;
use cc_core::TenantId;

use super::error::ApiError;
use crate::config::ApiKey;

/// What a request may see and do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scope {
    /// One tenant's data only.
    Tenant(TenantId),
    /// Every tenant (the operator).
    Center,
}

/// Compares without stopping at the first difference, so response time says nothing of
/// how much of a guessed key was right.
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The scope of the request's key; 401 without a known one.
pub(crate) fn scope(keys: &[ApiKey], headers: &HeaderMap) -> Result<Scope, ApiError> {
    let presented = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or(ApiError::Unauthorized)?;
    let mut found = None;
    for k in keys {
        if same(k.key.as_bytes(), presented.as_bytes()) {
            found = Some(k);
        }
    }
    let key = found.ok_or(ApiError::Unauthorized)?;
    Ok(match &key.tenant {
        Some(t) => Scope::Tenant(t.clone()),
        None => Scope::Center,
    })
}

impl Scope {
    /// The tenant a request is about: a tenant key's own (a different `asked` is
    /// forbidden); a center key must name one.
    pub(crate) fn tenant(&self, asked: Option<TenantId>) -> Result<TenantId, ApiError> {
        match (self, asked) {
            (Scope::Tenant(own), None) => Ok(own.clone()),
            (Scope::Tenant(own), Some(t)) if &t == own => Ok(t),
            (Scope::Tenant(_), Some(_)) => Err(ApiError::Forbidden("this key is for another tenant".into())),
            (Scope::Center, Some(t)) => Ok(t),
            (Scope::Center, None) => Err(ApiError::BadRequest("name the tenant: ?tenant=ID".into())),
        }
    }
}
