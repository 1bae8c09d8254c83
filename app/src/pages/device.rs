//! The desktop app's own page: its frame (the first run before the resident's screens) and
//! its own screens: the first run (what is shared, which server, the device's identity
//! made) and the settings (server, language, identity, sync status).

use leptos::prelude::*;
use phananh_shared::device::{DeviceStatus, Identity, Settings};
use serde_json::json;

use crate::api::ApiError;
use crate::backend::backend;
use crate::errors::Refused;
use crate::i18n::{LangSwitch, tr, use_lang};
use crate::shell::{Bundle, Screens, provide_app};
use crate::{clock, desktop};

/// The desktop app's settings, as every screen of it sees them.
#[derive(Debug, Clone, Copy)]
pub struct DesktopSettings(pub RwSignal<Settings>);

/// The desktop app, with the settings the native side keeps: the first run until the
/// resident starts, then the resident's screens and the settings.
#[component]
pub fn DesktopApp(settings: Settings) -> impl IntoView {
    provide_app(Bundle::DESKTOP);
    let settings = DesktopSettings(RwSignal::new(settings));
    provide_context(settings);
    keep_language(settings);
    view! {
        <Show when=move || settings.0.with(|s| s.started) fallback=move || view! { <Welcome settings/> }>
            <Screens/>
        </Show>
    }
}

/// The first launch: nothing has been sent anywhere yet. Says what the app shares and
/// keeps, asks which server to use, and on "start" makes the device's identity.
#[component]
fn Welcome(settings: DesktopSettings) -> impl IntoView {
    let t = tr();
    let lang = use_lang();
    let server = RwSignal::new(settings.0.get_untracked().server);
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let start = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        let chosen = Settings {
            server: server.get_untracked(),
            lang: lang.get_untracked().code().into(),
            started: true,
        };
        leptos::task::spawn_local(async move {
            match desktop::call::<Identity>("begin", json!({ "settings": chosen })).await {
                Ok(_) => {
                    crate::api::use_server(&chosen.server);
                    settings.0.set(Settings { server: chosen.server.trim_end_matches('/').into(), ..chosen });
                    backend().sync().await;
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <header class="top">
            <span class="brand"><span class="logo" aria-hidden="true">"◆"</span>{move || t("Phản ánh Hà Nội", "Hà Nội Feedback")}</span>
            <LangSwitch/>
        </header>
        <main id="main" class="welcome" data-testid="welcome">
            <h1>{move || t("Chào mừng", "Welcome")}</h1>
            <p>{move || t(
                "Gửi phản ánh về những gì cần sửa quanh bạn: ổ gà, rác, đèn hỏng, ngập. Phường, xã phụ trách nhận và trả lời; bạn theo dõi đến khi xong. Ứng dụng dùng được cả khi không có mạng: phản ánh được giữ trên máy và tự gửi khi có mạng.",
                "Report what needs fixing around you: potholes, rubbish, broken lights, flooding. The responsible ward receives and answers it; you follow it to the end. The app works offline too: reports are kept on this computer and sent by themselves when the connection is back.",
            )}</p>
            <h2>{move || t("Những gì được gửi đi", "What is shared")}</h2>
            <ul class="plain">
                <li>{move || t("Mỗi phản ánh: loại, mô tả, ảnh (đã xoá thông tin vị trí trong ảnh) và điểm bạn chọn trên bản đồ. Phản ánh được công khai, không kèm tên bạn.", "Each report: its kind, description, photos (with the location data inside them removed) and the point you chose on the map. Reports are public, without your name.")}</li>
                <li>{move || t("Máy này nhận một mã thiết bị ngẫu nhiên từ máy chủ, để bạn xem và đánh giá phản ánh của mình. Không hỏi tên, số điện thoại hay danh bạ.", "This computer gets a random device id from the server, so that you can follow and rate your own reports. No name, phone number or contacts are asked for.")}</li>
            </ul>
            <h2>{move || t("Những gì chỉ ở trên máy này", "What stays on this computer")}</h2>
            <ul class="plain">
                <li>{move || t("Hộp thư đi, bản sao các phản ánh của bạn và cài đặt.", "The outbox, the copies of your reports and the settings.")}</li>
            </ul>
            <form on:submit=start>
                <ServerField server error/>
                <button type="submit" class="primary" disabled=move || busy.get()>{move || t("Bắt đầu", "Start")}</button>
            </form>
        </main>
    }
}

/// The settings screen: the device's identity, the sync status with "send now", the server
/// address and the language (the switch in the header; kept by the native side).
#[component]
pub fn DeviceSettings() -> impl IntoView {
    let t = tr();
    let lang = use_lang();
    let settings = expect_context::<DesktopSettings>();
    let state = backend().state();
    let identity = LocalResource::new(|| desktop::call::<Identity>("identity", json!({})));
    let status = LocalResource::new(move || {
        state.changed.track();
        desktop::call::<DeviceStatus>("sync_status", json!({}))
    });
    let server = RwSignal::new(settings.0.get_untracked().server);
    let error = RwSignal::new(None::<ApiError>);
    let saved = RwSignal::new(false);
    Effect::new(move || {
        server.track();
        saved.set(false);
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let wanted = Settings { server: server.get_untracked(), ..settings.0.get_untracked() };
        leptos::task::spawn_local(async move {
            match desktop::call::<Settings>("save_settings", json!({ "settings": wanted })).await {
                Ok(now) => {
                    crate::api::use_server(&now.server);
                    settings.0.set(now);
                    error.set(None);
                    saved.set(true);
                    backend().sync().await;
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <h1>{move || t("Cài đặt", "Settings")}</h1>
        <section aria-labelledby="device-title">
            <h2 id="device-title">{move || t("Thiết bị này", "This device")}</h2>
            <p data-testid="device-id">{move || identity.get().map(|i| match i.ok().and_then(|i| i.device_id) {
                Some(id) => format!("{} {id}", t("Mã thiết bị:", "Device id:")),
                None => t("Chưa có mã thiết bị: máy sẽ nhận mã khi kết nối được máy chủ.", "No device id yet: it comes when the server is first reached.").into(),
            })}</p>
        </section>
        <section aria-labelledby="sync-title">
            <h2 id="sync-title">{move || t("Đồng bộ", "Sync")}</h2>
            <Suspense fallback=|| ()>
                {move || status.get().map(|s| match s {
                    Ok(s) => view! {
                        <p data-testid="sync-status">
                            {format!("{} {} · ", s.sync.waiting, t("thao tác đang chờ gửi", "changes waiting to send"))}
                            {s.sync.last_synced.map(|at| format!("{} {}", t("đồng bộ lần cuối", "last synced"), clock::local(at)))
                                .unwrap_or_else(|| t("chưa đồng bộ lần nào", "never synced").into())}
                        </p>
                        <ul class="plain">
                            {s.sync.refused.into_iter().map(|r| view! { <li class="error">{crate::errors::say(lang.get_untracked(), &r.code, r.field.as_deref(), &r.message)}</li> }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <Refused error=e/> }.into_any(),
                })}
            </Suspense>
            <button type="button" on:click=move |_| leptos::task::spawn_local(backend().sync())>{move || t("Gửi ngay", "Send now")}</button>
        </section>
        <form on:submit=save>
            <ServerField server error/>
            <button type="submit" class="primary">{move || t("Lưu", "Save")}</button>
            <Show when=move || saved.get()><p role="status">{move || t("Đã lưu.", "Saved.")}</p></Show>
        </form>
    }
}

/// The server address, labelled, with the native side's refusal next to it.
#[component]
fn ServerField(server: RwSignal<String>, error: RwSignal<Option<ApiError>>) -> impl IntoView {
    let t = tr();
    let lang = use_lang();
    view! {
        <div class="field">
            <label for="server">{move || t("Địa chỉ máy chủ", "Server address")}</label>
            <input id="server" type="url" inputmode="url" required
                aria-invalid=move || error.with(|e| e.as_ref().and_then(|e| e.field()) == Some("server")).to_string()
                aria-describedby="server-error"
                prop:value=move || server.get()
                on:input=move |ev| server.set(event_target_value(&ev))/>
            <p class="error" id="server-error" role="alert">{move || error.get().map(|e| crate::errors::api(lang.get(), &e))}</p>
        </div>
    }
}

/// Keeps the language the resident switches to in the native settings.
fn keep_language(settings: DesktopSettings) {
    let lang = use_lang();
    Effect::new(move |previous: Option<&'static str>| {
        let code = lang.get().code();
        if previous.is_some_and(|p| p != code) {
            let wanted = Settings { lang: code.into(), ..settings.0.get_untracked() };
            leptos::task::spawn_local(async move {
                if let Ok(now) =
                    desktop::call::<Settings>("save_settings", json!({ "settings": wanted })).await
                {
                    settings.0.set(now);
                }
            });
        }
        code
    });
}
