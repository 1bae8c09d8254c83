//! The server's HTTP API, from the browser: JSON in and out, the bearer token when there is
//! one, and the server's `{ "error": { code, message, field } }` read back into [`ApiError`].

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Why a call did not give an answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// No usable answer came back (no signal, server down, an answer cut off or unreadable):
    /// worth trying again later.
    #[error("network: {0}")]
    Offline(String),
    /// The server answered with a refusal; `field` names the input at fault, if one is.
    #[error("{message}")]
    Refused { status: u16, code: String, message: String, field: Option<String> },
}

impl ApiError {
    pub fn is_offline(&self) -> bool {
        matches!(self, ApiError::Offline(_))
    }

    pub fn field(&self) -> Option<&str> {
        match self {
            ApiError::Refused { field, .. } => field.as_deref(),
            ApiError::Offline(_) => None,
        }
    }
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(serde::Deserialize)]
struct ErrorDetail {
    code: String,
    message: String,
    #[serde(default)]
    field: Option<String>,
}

thread_local! {
    // The server the desktop app's settings name; `None` in a browser.
    static SERVER: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Talks to `server` instead of the page's origin (the desktop app, whose page is its own).
pub fn use_server(server: &str) {
    SERVER.with(|s| *s.borrow_mut() = Some(server.trim_end_matches('/').to_owned()));
}

/// The server's address: in a browser, the server that served the app is the one it talks
/// to; in the desktop app, the one its settings name.
pub fn origin() -> String {
    SERVER
        .with(|s| s.borrow().clone())
        .unwrap_or_else(|| web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default())
}

fn url(path: &str) -> String {
    format!("{}{path}", origin())
}

fn with_token(request: reqwest::RequestBuilder, token: Option<&str>) -> reqwest::RequestBuilder {
    match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    }
}

/// The answer's body as text, or the server's refusal.
async fn answer_text(request: reqwest::RequestBuilder) -> Result<String, ApiError> {
    let response = request.send().await.map_err(|e| ApiError::Offline(e.to_string()))?;
    let status = response.status();
    // A body cut off on its way is a broken connection like any other.
    let text = response.text().await.map_err(|e| ApiError::Offline(e.to_string()))?;
    if status.is_success() {
        return Ok(text);
    }
    Err(match serde_json::from_str::<ErrorBody>(&text) {
        Ok(ErrorBody { error }) => ApiError::Refused {
            status: status.as_u16(),
            code: error.code,
            message: error.message,
            field: error.field,
        },
        Err(_) => {
            ApiError::Refused { status: status.as_u16(), code: "http".into(), message: text, field: None }
        }
    })
}

async fn answer<T: DeserializeOwned>(request: reqwest::RequestBuilder) -> Result<T, ApiError> {
    let text = answer_text(request).await?;
    // Sent again, an operation with its id changes nothing: retrying is the safe reading.
    serde_json::from_str(&text)
        .map_err(|e| ApiError::Offline(format!("the server's answer could not be read: {e}")))
}

pub async fn get<T: DeserializeOwned>(path: &str, token: Option<&str>) -> Result<T, ApiError> {
    answer(with_token(reqwest::Client::new().get(url(path)), token)).await
}

/// A text answer (the dashboard's CSV).
pub async fn get_text(path: &str, token: Option<&str>) -> Result<String, ApiError> {
    answer_text(with_token(reqwest::Client::new().get(url(path)), token)).await
}

pub async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
    path: &str,
    token: Option<&str>,
    body: &B,
) -> Result<T, ApiError> {
    answer(with_token(reqwest::Client::new().post(url(path)).json(body), token)).await
}

/// Sends a file's bytes as the body (a photo upload).
pub async fn post_bytes<T: DeserializeOwned>(
    path: &str,
    token: Option<&str>,
    bytes: Vec<u8>,
    content_type: &str,
) -> Result<T, ApiError> {
    let request = reqwest::Client::new().post(url(path)).header("content-type", content_type).body(bytes);
    answer(with_token(request, token)).await
}

/// The address of a stored photo, full size or as a thumbnail.
pub fn photo_url(id: uuid::Uuid, thumb: bool) -> String {
    let size = if thumb { "?size=thumb" } else { "" };
    url(&format!("/api/v1/photos/{id}{size}"))
}
