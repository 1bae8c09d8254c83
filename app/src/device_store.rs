//! The resident's device data in the browser's IndexedDB, through `pwa/outbox.js`: the
//! device's identity, the outbox (one record per report, photos as `Blob`s), the lists of
//! its reports, its tracked dossiers and the live stream's cursor.
//!
//! The store and the outbox's sender are JavaScript because the service worker needs the
//! very same code to send the outbox with the page closed; the page loads that script and
//! calls it from here, so one schema and one sender serve both.

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;

use crate::api::ApiError;
use crate::photos::Photo;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = phananhOutbox, js_name = get, catch)]
    async fn js_get(key: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = phananhOutbox, js_name = set, catch)]
    async fn js_set(key: &str, value: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = phananhOutbox, js_name = token, catch)]
    async fn js_token() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = phananhOutbox, js_name = movedAway, catch)]
    async fn js_moved_away(auth: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = phananhOutbox, js_name = send, catch)]
    async fn js_send() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = phananhOutbox, js_name = queue, catch)]
    async fn js_queue(record: &str, photos: js_sys::Array) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = phananhOutbox, js_name = queued, catch)]
    async fn js_queued() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = phananhOutbox, js_name = migrate, catch)]
    async fn js_migrate() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = phananhOutbox, js_name = onChange)]
    fn js_on_change(listener: &js_sys::Function);
}

/// Why the device could not keep something: the store refused (full, or private mode).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreError {
    #[error("the device's storage is full")]
    Full,
    #[error("the device's storage failed: {0}")]
    Failed(String),
}

impl From<JsValue> for StoreError {
    fn from(error: JsValue) -> StoreError {
        let name = js_sys::Reflect::get(&error, &"name".into()).ok().and_then(|n| n.as_string());
        if name.as_deref() == Some("QuotaExceededError") {
            return StoreError::Full;
        }
        let message = js_sys::Reflect::get(&error, &"message".into()).ok().and_then(|m| m.as_string());
        StoreError::Failed(message.or(error.as_string()).unwrap_or_else(|| "unknown".into()))
    }
}

fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, StoreError> {
    let text = serde_json::to_string(value).map_err(|e| StoreError::Failed(e.to_string()))?;
    js_sys::JSON::parse(&text).map_err(StoreError::from)
}

/// The value kept under `key`, if there is one and it reads as a `T`.
pub async fn get<T: DeserializeOwned>(key: &str) -> Option<T> {
    let value = js_get(key).await.ok().filter(|v| !v.is_undefined() && !v.is_null())?;
    let text = js_sys::JSON::stringify(&value).ok()?.as_string()?;
    serde_json::from_str(&text).ok()
}

pub async fn set<T: Serialize + ?Sized>(key: &str, value: &T) -> Result<(), StoreError> {
    js_set(key, to_js(value)?).await?;
    Ok(())
}

/// The device's token, registering the device with the server the first time.
pub async fn token() -> Result<String, ApiError> {
    match js_token().await {
        Ok(token) => token.as_string().ok_or_else(|| ApiError::Offline("no token".into())),
        Err(error) => Err(ApiError::Offline(StoreError::from(error).to_string())),
    }
}

/// The server no longer takes `token`: its identity moved to another device with a transfer
/// code. The device forgets it and the lists that were its, and becomes a new device at its
/// next call (see `movedAway` in `outbox.js`).
pub async fn moved_away(token: &str) {
    let _ = js_moved_away(&format!("Bearer {token}")).await;
}

/// Sends the outbox (or waits for whoever is sending it: the worker, another tab); `true`
/// when nothing is left waiting.
pub async fn send() -> bool {
    js_send().await.ok().and_then(|outcome| outcome.as_string()).as_deref() == Some("sent")
}

/// Keeps a new report on the device, with its photos as they were prepared.
pub async fn queue<R: Serialize>(record: &R, photos: &[Photo]) -> Result<(), StoreError> {
    let text = serde_json::to_string(record).map_err(|e| StoreError::Failed(e.to_string()))?;
    let list = js_sys::Array::new();
    for photo in photos {
        let entry = js_sys::Object::new();
        for (key, value) in [
            ("name", JsValue::from_str(&photo.name)),
            ("type", JsValue::from_str(&photo.blob.type_())),
            ("blob", photo.blob.clone().into()),
            ("before", JsValue::from_f64(photo.before as f64)),
        ] {
            js_sys::Reflect::set(&entry, &key.into(), &value)?;
        }
        list.push(&entry);
    }
    js_queue(&text, list).await?;
    Ok(())
}

/// The outbox as the screens show it, oldest first.
pub async fn queued() -> Vec<phananh_shared::sync::QueuedReport> {
    let text = js_queued().await.ok().and_then(|t| t.as_string()).unwrap_or_default();
    serde_json::from_str(&text).unwrap_or_default()
}

/// Moves what the previous version kept in `localStorage` into the store, once.
pub async fn migrate() -> Result<(), StoreError> {
    js_migrate().await?;
    Ok(())
}

/// Calls `listener` whenever the worker or another tab changed the outbox.
pub fn on_change(listener: impl Fn() + 'static) {
    let closure = Closure::<dyn Fn()>::new(listener);
    js_on_change(closure.as_ref().unchecked_ref());
    closure.forget(); // for the page's lifetime
}
