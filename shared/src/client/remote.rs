//! The server, as the engine calls it.

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::api::{
    ClaimRequest, Claimed, DeviceCreated, Event, LiveMessage, NewDevice, ReportView, TransferCode, Uploaded,
};
use crate::dossier::DossierView;
use crate::sync::{Operation, PullResponse, PushRequest, PushResponse};

use super::ClientError;

/// How long one request may take before the engine counts the server as unreachable.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub struct Remote {
    http: reqwest::Client,
    base: String,
}

impl Remote {
    pub fn new(base: &str) -> Remote {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .build()
            .expect("an HTTP client with these settings builds");
        Remote { http, base: base.trim_end_matches('/').to_owned() }
    }

    pub async fn register(&self, device: &NewDevice) -> Result<DeviceCreated, ClientError> {
        answer(self.http.post(format!("{}/api/v1/devices", self.base)).json(device).send().await?).await
    }

    /// A one-time code moving this device's identity to another device.
    pub async fn transfer_code(&self, token: &str) -> Result<TransferCode, ClientError> {
        self.post(token, "/api/v1/devices/transfer", &serde_json::json!({})).await
    }

    /// Takes over the identity whose transfer code `code` is, bringing what this device has
    /// (with its `token`, if it has registered) into it.
    pub async fn claim(&self, code: &str, token: Option<&str>) -> Result<Claimed, ClientError> {
        let request = ClaimRequest { code: code.to_owned() };
        let mut call = self.http.post(format!("{}/api/v1/devices/claim", self.base)).json(&request);
        if let Some(token) = token {
            call = call.bearer_auth(token);
        }
        answer(call.send().await?).await
    }

    /// The dossiers the device tracks, each with its history.
    pub async fn tracked_dossiers(&self, token: &str) -> Result<Vec<DossierView>, ClientError> {
        let url = format!("{}/api/v1/dossiers/tracked", self.base);
        answer(self.http.get(url).bearer_auth(token).send().await?).await
    }

    pub async fn push(&self, token: &str, operations: &[Operation]) -> Result<PushResponse, ClientError> {
        let body = PushRequest { operations: operations.to_vec() };
        self.post(token, "/api/v1/sync/push", &body).await
    }

    pub async fn pull(&self, token: &str, cursor: u64) -> Result<PullResponse, ClientError> {
        let url = format!("{}/api/v1/sync/pull?cursor={cursor}", self.base);
        answer(self.http.get(url).bearer_auth(token).send().await?).await
    }

    /// Uploads a photo; its server id.
    pub async fn upload_photo(&self, token: &str, bytes: Vec<u8>) -> Result<Uuid, ClientError> {
        let request = self.http.post(format!("{}/api/v1/photos", self.base)).bearer_auth(token).body(bytes);
        let uploaded: Uploaded = answer(request.send().await?).await?;
        Ok(uploaded.id)
    }

    pub async fn report(&self, token: &str, id: Uuid) -> Result<ReportView, ClientError> {
        let url = format!("{}/api/v1/reports/{id}", self.base);
        answer(self.http.get(url).bearer_auth(token).send().await?).await
    }

    /// A report's public timeline.
    pub async fn timeline(&self, token: &str, id: Uuid) -> Result<Vec<Event>, ClientError> {
        let url = format!("{}/api/v1/reports/{id}/events", self.base);
        answer(self.http.get(url).bearer_auth(token).send().await?).await
    }

    /// Waits for the next event on the device's live stream after `since`; returns when one
    /// comes or when an open stream ends (the server may be gone: worth a look at once), and
    /// never if it cannot be opened (the caller's timer takes over).
    pub async fn next_live_event(&self, token: &str, since: u64) {
        use futures_util::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;

        let url = format!("{}/api/v1/live?scope=device&since={since}", self.base.replacen("http", "ws", 1));
        let Ok(mut request) = url.into_client_request() else { return std::future::pending().await };
        let Ok(bearer) = format!("Bearer {token}").parse() else { return std::future::pending().await };
        request.headers_mut().insert("authorization", bearer);
        let Ok((mut stream, _)) = tokio_tungstenite::connect_async(request).await else {
            return std::future::pending().await;
        };
        while let Some(Ok(message)) = stream.next().await {
            if let Message::Text(text) = message
                && LiveMessage::from_json(&text)
                    .is_ok_and(|m| matches!(m, LiveMessage::Event(_) | LiveMessage::Dossier(_)))
            {
                return;
            }
        }
    }

    async fn post<T: DeserializeOwned>(
        &self,
        token: &str,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T, ClientError> {
        let request = self.http.post(format!("{}{path}", self.base)).bearer_auth(token).json(body);
        answer(request.send().await?).await
    }
}

/// The body of a successful answer; any other answer is an error carrying its body.
async fn answer<T: DeserializeOwned>(response: reqwest::Response) -> Result<T, ClientError> {
    let status = response.status();
    if !status.is_success() {
        let body = response.text().await.unwrap_or_default();
        return Err(ClientError::Server { status: status.as_u16(), body });
    }
    Ok(response.json().await?)
}
