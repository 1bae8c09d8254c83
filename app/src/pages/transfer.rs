//! Moving "Mine" to another device, with no account: the old device shows a one-time code
//! (10 minutes, used once), the new one types it and becomes the same device to the server,
//! with the reports it filed and follows and the dossiers it tracks. The old device's token
//! stops working at once.
//!
//! Every answer is kept as the sentence to show, in signals of one type: each signal type
//! and view shape adds to what every phone downloads.

use leptos::prelude::*;

use crate::backend::backend;
use crate::clock;
use crate::errors;
use crate::i18n::{tr, use_lang};

#[component]
pub fn MoveDevice() -> impl IntoView {
    let t = tr();
    let lang = use_lang();
    // The code made here, and what to do with it (or why there is none); the claim's
    // refusal; the claim's result.
    let code = RwSignal::new(None::<String>);
    let made = RwSignal::new(None::<String>);
    let refused = RwSignal::new(None::<String>);
    let moved = RwSignal::new(None::<String>);
    let typed = RwSignal::new(String::new());
    let make = move |_| {
        leptos::task::spawn_local(async move {
            let lang = lang.get_untracked();
            let answer = backend().transfer_code().await;
            made.set(Some(match &answer {
                Ok(made) => format!(
                    "{} {}):",
                    lang.pick(
                        "Nhập mã này trên máy mới (dùng được đến",
                        "Type this code on the new device (valid until"
                    ),
                    clock::local(made.expires_at)
                ),
                Err(error) => errors::api(lang, error),
            }));
            code.set(answer.ok().map(|made| made.code));
        });
    };
    let claim = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let code = typed.get_untracked();
        leptos::task::spawn_local(async move {
            let lang = lang.get_untracked();
            match backend().claim(code).await {
                Ok(count) => {
                    refused.set(None);
                    moved.set(Some(format!(
                        "{} {count}",
                        lang.pick("Đã chuyển về máy này. Số phản ánh:", "Moved to this device. Reports:")
                    )));
                }
                Err(error) => refused.set(Some(errors::api(lang, &error))),
            }
        });
    };
    view! {
        <details class="transfer">
            <summary>{move || t("Chuyển sang thiết bị khác", "Move to another device")}</summary>
            <p class="help">{move || t(
                "Trên máy cũ, tạo mã; trên máy mới, nhập mã đó. Máy mới nhận các phản ánh và hồ sơ của máy cũ, và máy cũ thôi nhận tin về chúng. Mã dùng được một lần, trong 10 phút.",
                "Make a code on the old device and type it on the new one. The new device takes over the old one's reports and dossiers, and the old one stops hearing about them. A code works once, for 10 minutes.",
            )}</p>
            <button type="button" class="secondary" id="make-transfer-code" on:click=make>
                {move || t("Tạo mã chuyển", "Make a transfer code")}
            </button>
            <p role="status" data-testid="transfer-code">{move || made.get()}" "<strong class="code">{move || code.get()}</strong></p>
            <form class="claim" on:submit=claim novalidate=true>
                <div class="field">
                    <label for="transfer-code">{move || t("Mã từ máy cũ", "Code from the old device")}</label>
                    <input id="transfer-code" name="code" autocomplete="off" autocapitalize="characters" spellcheck="false"
                        aria-describedby="transfer-code-error" aria-invalid=move || refused.with(Option::is_some).to_string()
                        prop:value=move || typed.get() on:input=move |ev| typed.set(event_target_value(&ev))/>
                    <p class="error" id="transfer-code-error" role="alert">{move || refused.get()}</p>
                </div>
                <button type="submit" class="primary">{move || t("Chuyển về máy này", "Move to this device")}</button>
                <p class="sent" role="status" data-testid="claimed">{move || moved.get()}</p>
            </form>
        </details>
    }
}
