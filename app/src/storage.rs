//! The browser's `localStorage`, as JSON values: the language and the staff session, small
//! settings of the browser rather than the device's data (which is in IndexedDB, see
//! [`crate::device_store`]).

use serde::Serialize;
use serde::de::DeserializeOwned;

fn local() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

pub fn get<T: DeserializeOwned>(key: &str) -> Option<T> {
    let text = local()?.get_item(key).ok().flatten()?;
    serde_json::from_str(&text).ok()
}

/// Stores `value`; `false` when the browser refused (storage full, or private mode), so the
/// caller can tell the resident instead of pretending it was kept.
pub fn set<T: Serialize + ?Sized>(key: &str, value: &T) -> bool {
    let (Some(storage), Ok(text)) = (local(), serde_json::to_string(value)) else { return false };
    storage.set_item(key, &text).is_ok()
}

pub fn remove(key: &str) {
    if let Some(storage) = local() {
        let _ = storage.remove_item(key);
    }
}
