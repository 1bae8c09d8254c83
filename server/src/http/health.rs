//! `GET /healthz`: for load balancers and the test harness.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::AppState;

pub async fn check(State(state): State<Arc<AppState>>) -> Json<Value> {
    Json(json!({
        "status": "ok",
        "wards": state.wards.wards().len(),
        "live_subscribers": state.live.subscribers(),
    }))
}
