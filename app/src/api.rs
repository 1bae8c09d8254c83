//! The server's HTTP API, from the browser: JSON in and out, the bearer token when there is
//! one, and the server's `{ "error": { code, message, field } }` read back into [`ApiError`].
//! Requests go through the browser's own `fetch` (an HTTP client library would only wrap it
//! and add its URL and header types to every phone's download).

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast as _, JsValue};
use wasm_bindgen_futures::JsFuture;

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

/// A shared check's refusal, made before anything is sent, read as the server's would be.
impl From<phananh_shared::validation::FieldError> for ApiError {
    fn from(error: phananh_shared::validation::FieldError) -> ApiError {
        ApiError::Refused {
            status: 422,
            code: error.code.code().into(),
            message: error.message,
            field: Some(error.field),
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

/// A request as the browser's `fetch` takes it: method, path, token and body.
struct Call<'a> {
    method: &'static str,
    path: &'a str,
    token: Option<&'a str>,
    /// The body and its content type.
    body: Option<(JsValue, &'a str)>,
}

/// What the browser says when a request failed, as text.
fn js_message(error: JsValue) -> String {
    match error.dyn_into::<js_sys::Error>() {
        Ok(error) => String::from(error.message()),
        Err(other) => other.as_string().unwrap_or_else(|| "the request failed".to_owned()),
    }
}

/// Sends `call` with the browser's `fetch`; the status and the body as text, or why no
/// answer came back.
async fn send(call: Call<'_>) -> Result<(u16, String), String> {
    let window = web_sys::window().ok_or("no window")?;
    let headers = web_sys::Headers::new().map_err(js_message)?;
    if let Some(token) = call.token {
        headers.set("authorization", &format!("Bearer {token}")).map_err(js_message)?;
    }
    let init = web_sys::RequestInit::new();
    init.set_method(call.method);
    if let Some((body, content_type)) = &call.body {
        headers.set("content-type", content_type).map_err(js_message)?;
        init.set_body(body);
    }
    init.set_headers(&headers);
    let response =
        JsFuture::from(window.fetch_with_str_and_init(&url(call.path), &init)).await.map_err(js_message)?;
    let response: web_sys::Response = response.dyn_into().map_err(js_message)?;
    let text = JsFuture::from(response.text().map_err(js_message)?).await.map_err(js_message)?;
    Ok((response.status(), text.as_string().unwrap_or_default()))
}

/// The answer's body as text, or the server's refusal.
async fn answer_text(call: Call<'_>) -> Result<String, ApiError> {
    // A body cut off on its way is a broken connection like any other.
    let (status, text) = send(call).await.map_err(ApiError::Offline)?;
    if (200..300).contains(&status) {
        return Ok(text);
    }
    Err(match serde_json::from_str::<ErrorBody>(&text) {
        Ok(ErrorBody { error }) => {
            ApiError::Refused { status, code: error.code, message: error.message, field: error.field }
        }
        Err(_) => ApiError::Refused { status, code: "http".into(), message: text, field: None },
    })
}

async fn answer<T: DeserializeOwned>(call: Call<'_>) -> Result<T, ApiError> {
    answer_with(call, |text| serde_json::from_str(text)).await
}

/// The answer read by `read`.
async fn answer_with<T>(call: Call<'_>, read: fn(&str) -> serde_json::Result<T>) -> Result<T, ApiError> {
    let text = answer_text(call).await?;
    // Sent again, an operation with its id changes nothing: retrying is the safe reading.
    read(&text).map_err(|e| ApiError::Offline(format!("the server's answer could not be read: {e}")))
}

pub async fn get<T: DeserializeOwned>(path: &str, token: Option<&str>) -> Result<T, ApiError> {
    answer(Call { method: "GET", path, token, body: None }).await
}

/// A JSON answer read by one of `shared`'s readers that keep serde's buffering out of the
/// download (`NearbyReport::list_from_json`).
pub async fn get_with<T>(
    path: &str,
    token: Option<&str>,
    read: fn(&str) -> serde_json::Result<T>,
) -> Result<T, ApiError> {
    answer_with(Call { method: "GET", path, token, body: None }, read).await
}

/// A text answer (the dashboard's CSV).
pub async fn get_text(path: &str, token: Option<&str>) -> Result<String, ApiError> {
    answer_text(Call { method: "GET", path, token, body: None }).await
}

pub async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
    path: &str,
    token: Option<&str>,
    body: &B,
) -> Result<T, ApiError> {
    post_json(path, token, json(body)?).await
}

/// A request body as JSON.
pub fn json<B: Serialize + ?Sized>(body: &B) -> Result<String, ApiError> {
    serde_json::to_string(body).map_err(|e| ApiError::Offline(e.to_string()))
}

/// [`post`] with a body already made into JSON.
pub async fn post_json<T: DeserializeOwned>(
    path: &str,
    token: Option<&str>,
    json: String,
) -> Result<T, ApiError> {
    answer(Call { method: "POST", path, token, body: Some((JsValue::from_str(&json), "application/json")) })
        .await
}

/// Sends a file as the body (a photo upload).
pub async fn post_blob<T: DeserializeOwned>(
    path: &str,
    token: Option<&str>,
    blob: &web_sys::Blob,
) -> Result<T, ApiError> {
    let content_type = blob.type_();
    answer(Call { method: "POST", path, token, body: Some((JsValue::from(blob.clone()), &content_type)) })
        .await
}

/// The address of a stored photo, full size or as a thumbnail.
pub fn photo_url(id: uuid::Uuid, thumb: bool) -> String {
    let size = if thumb { "?size=thumb" } else { "" };
    url(&format!("/api/v1/photos/{id}{size}"))
}
