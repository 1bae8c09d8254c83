//! `PUT /api/v1/test/clock`: moves the server's clock, for tests that pass deadlines without
//! waiting. Mounted only when the server runs with `--manual-clock`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use chrono::{DateTime, Utc};
use phananh_shared::validation::FieldError;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::ApiError;

#[derive(Debug, Deserialize, Serialize)]
pub struct ClockTime {
    now: DateTime<Utc>,
}

pub async fn set(
    State(state): State<Arc<AppState>>,
    body: Result<Json<ClockTime>, JsonRejection>,
) -> Result<Json<ClockTime>, ApiError> {
    let Json(ClockTime { now }) = body?;
    let clock = state.manual_clock.as_ref().expect("mounted only with a manual clock");
    clock.set(now).map_err(|current| {
        FieldError::invalid("now", format!("the clock does not go back: it is already {current}"))
    })?;
    Ok(Json(ClockTime { now }))
}
