//! The desktop shell's side of the page: when the app runs inside the Tauri window,
//! `window.__TAURI__` is there, and the native side answers [`call`]s and sends events
//! ([`listen`]). JSON both ways, as the native commands speak serde.

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;

use crate::api::ApiError;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["__TAURI__", "core"], js_name = invoke, catch)]
    async fn invoke(command: &str, args: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_namespace = ["__TAURI__", "event"], js_name = listen)]
    fn listen_js(event: &str, handler: &js_sys::Function) -> js_sys::Promise;
}

/// Runs a native command with `args` (an object whose keys are the command's parameters).
pub async fn call<T: DeserializeOwned>(command: &str, args: impl Serialize) -> Result<T, ApiError> {
    let args = serde_json::to_string(&args).map_err(|e| ApiError::Offline(e.to_string()))?;
    let args = js_sys::JSON::parse(&args).map_err(|_| ApiError::Offline("arguments".into()))?;
    let answer = invoke(command, args).await.map_err(refusal)?;
    let text = if answer.is_undefined() { "null".into() } else { json(&answer) };
    serde_json::from_str(&text).map_err(|e| ApiError::Offline(format!("{command}: {e}")))
}

/// Calls `handler` with each event named `event`'s payload, for the page's lifetime.
pub fn listen<T: DeserializeOwned + 'static>(event: &str, mut handler: impl FnMut(T) + 'static) {
    let closure = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
        let payload = js_sys::Reflect::get(&event, &JsValue::from_str("payload")).unwrap_or(JsValue::NULL);
        if let Ok(payload) = serde_json::from_str(&json(&payload)) {
            handler(payload);
        }
    });
    let _ = listen_js(event, closure.as_ref().unchecked_ref());
    closure.forget();
}

fn json(value: &JsValue) -> String {
    js_sys::JSON::stringify(value).map(String::from).unwrap_or_else(|_| "null".into())
}

/// A native command's failure (`{code, message, field}`), read as the server's refusals are.
fn refusal(error: JsValue) -> ApiError {
    #[derive(serde::Deserialize)]
    struct Failure {
        code: String,
        message: String,
        field: Option<String>,
    }
    match serde_json::from_str::<Failure>(&json(&error)) {
        Ok(f) if f.code == "offline" => ApiError::Offline(f.message),
        Ok(f) => ApiError::Refused { status: 400, code: f.code, message: f.message, field: f.field },
        Err(_) => ApiError::Refused {
            status: 500,
            code: "desktop".into(),
            message: error.as_string().unwrap_or_else(|| json(&error)),
            field: None,
        },
    }
}
