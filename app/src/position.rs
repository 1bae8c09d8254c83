//! The device's position, asked of the browser once (GPS or the network's guess), for the
//! screens that start from where the resident is: filing a report, and what is reported nearby.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;
use wasm_bindgen::JsCast as _;
use wasm_bindgen::closure::Closure;

use crate::i18n::tr;

/// Where the device is: longitude, latitude and how far off that may be, in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fix {
    pub lon: f64,
    pub lat: f64,
    pub accuracy_m: f64,
}

/// Why there is no fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoFix {
    /// The browser offers no positions (an old browser, or a page not served securely).
    Unsupported,
    /// Refused by the resident, or no fix within the time allowed.
    Failed,
}

impl NoFix {
    /// What to tell the resident, in Vietnamese and English: the map is the other way.
    pub const fn says(self) -> (&'static str, &'static str) {
        match self {
            NoFix::Unsupported => (
                "Thiết bị không cho biết vị trí; hãy chạm vào bản đồ.",
                "This device cannot tell its position; tap the map.",
            ),
            NoFix::Failed => {
                ("Không lấy được vị trí; hãy chạm vào bản đồ.", "Could not get your position; tap the map.")
            }
        }
    }
}

/// How long the device may take to find itself: a cold GPS needs a while.
const TIMEOUT_MS: u32 = 15_000;

/// "Use my location": asks for the device's position at each tap, says it is looking
/// meanwhile (a cold GPS takes seconds), and gives `done` the fix or why there is none.
#[component]
pub fn LocateButton(done: impl Fn(Result<Fix, NoFix>) + Clone + 'static) -> impl IntoView {
    let t = tr();
    let locating = RwSignal::new(false);
    let ask = move |_| {
        locating.set(true);
        let done = done.clone();
        locate(move |fix| {
            locating.set(false);
            done(fix);
        });
    };
    view! {
        <button type="button" class="secondary" id="locate" on:click=ask disabled=move || locating.get()>
            {move || if locating.get() { t("Đang lấy vị trí…", "Finding you…") } else { t("Dùng vị trí của tôi", "Use my location") }}
        </button>
    }
}

/// Asks for the device's position; `done` is called once, with the fix or why there is none.
fn locate(done: impl FnOnce(Result<Fix, NoFix>) + 'static) {
    let Some(geolocation) = web_sys::window().and_then(|w| w.navigator().geolocation().ok()) else {
        return done(Err(NoFix::Unsupported));
    };
    // One of the two callbacks runs; whichever does takes `done`.
    let done = Rc::new(RefCell::new(Some(done)));
    let answer = {
        let done = Rc::clone(&done);
        move |result| {
            if let Some(done) = done.borrow_mut().take() {
                done(result);
            }
        }
    };
    let fail = answer.clone();
    let found = Closure::once_into_js(move |position: web_sys::Position| {
        let c = position.coords();
        answer(Ok(Fix { lon: c.longitude(), lat: c.latitude(), accuracy_m: c.accuracy() }));
    });
    let failed = Closure::once_into_js(move |_: web_sys::PositionError| fail(Err(NoFix::Failed)));
    let options = web_sys::PositionOptions::new();
    options.set_enable_high_accuracy(true);
    options.set_timeout(TIMEOUT_MS);
    let _ = geolocation.get_current_position_with_error_callback_and_options(
        found.unchecked_ref(),
        Some(failed.unchecked_ref()),
        &options,
    );
}
