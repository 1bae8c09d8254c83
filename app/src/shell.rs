//! The frame around every screen: the header with the navigation and the language switch,
//! the offline banner with the outbox count, and the routes.

use leptos::prelude::*;
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::path;
use phananh_shared::device::Settings;

use crate::backend::backend;
use crate::i18n::{LangSwitch, provide_lang, tr};
use crate::pages::device::{DesktopSettings, DeviceSettings, Welcome, keep_language, use_desktop};
use crate::pages::{city, desk, dossiers, file, mine, nearby, report, staff, staff_report, transparency};
use crate::session::provide_session;
use crate::wards::provide_wards;

/// The app; `desktop` holds the desktop app's settings when it runs inside it.
#[component]
pub fn App(desktop: Option<Settings>) -> impl IntoView {
    provide_lang();
    provide_session();
    provide_wards();
    if let Some(settings) = desktop {
        let settings = DesktopSettings(RwSignal::new(settings));
        provide_context(settings);
        keep_language(settings);
    }
    let started = move || use_desktop().is_none_or(|d| d.0.with(|s| s.started));
    view! {
        <Show when=started fallback=move || view! { <Welcome settings=use_desktop().expect("desktop")/> }>
            <Screens/>
        </Show>
    }
}

/// The header, the banner and the screens. The desktop app is the resident's: it shows the
/// resident's screens and its settings; the staff and city screens are the browser's.
#[component]
fn Screens() -> impl IntoView {
    let t = tr();
    let desktop = use_desktop().is_some();
    view! {
        <Router>
            <a class="skip" href="#main">{move || t("Bỏ qua đến nội dung", "Skip to content")}</a>
            <header class="top">
                <A href="/" attr:class="brand">
                    <span class="logo" aria-hidden="true">"◆"</span>
                    {move || t("Phản ánh Hà Nội", "Hà Nội Feedback")}
                </A>
                <nav aria-label=move || t("Chính", "Main")>
                    <A href="/">{move || t("Gửi phản ánh", "Report")}</A>
                    <A href="/mine">{move || t("Của tôi", "Mine")}</A>
                    <A href="/dossiers">{move || t("Hồ sơ", "Dossiers")}</A>
                    <A href="/nearby">{move || t("Quanh đây", "Nearby")}</A>
                    <Show when=move || !desktop>
                        <A href="/staff">{move || t("Cán bộ", "Staff")}</A>
                        <A href="/city">{move || t("Thành phố", "City")}</A>
                    </Show>
                    <A href="/transparency">{move || t("Công khai", "Results")}</A>
                    <Show when=move || desktop>
                        <A href="/settings">{move || t("Cài đặt", "Settings")}</A>
                    </Show>
                </nav>
                <LangSwitch/>
            </header>
            <OfflineBanner/>
            <main id="main">
                <Routes fallback=move || view! { <p>{t("Không có trang này.", "There is no such page.")}</p> }>
                    <Route path=path!("/") view=file::FileReport/>
                    <Route path=path!("/mine") view=mine::MyReports/>
                    <Route path=path!("/reports/:id") view=report::ReportPage/>
                    <Route path=path!("/nearby") view=nearby::Nearby/>
                    <Route path=path!("/staff") view=staff::StaffHome/>
                    <Route path=path!("/staff/reports/:id") view=staff_report::StaffReport/>
                    <Route path=path!("/staff/dossiers") view=desk::DossierDesk/>
                    <Route path=path!("/dossiers") view=dossiers::MyDossiers/>
                    <Route path=path!("/city") view=city::CityDashboard/>
                    <Route path=path!("/transparency") view=transparency::Transparency/>
                    <Route path=path!("/settings") view=DeviceSettings/>
                </Routes>
            </main>
        </Router>
    }
}

/// Shown while the server cannot be reached, with the reports kept on the device meanwhile.
#[component]
fn OfflineBanner() -> impl IntoView {
    let t = tr();
    let state = backend().state();
    let waiting = move || state.pending.with(|p| p.iter().filter(|p| p.refused.is_none()).count());
    view! {
        <Show when=move || { !state.online.get() || waiting() > 0 }>
            <div class="banner" role="status" data-testid="offline-banner">
                <Show when=move || !state.online.get()>
                    <strong>{move || t("Mất kết nối. ", "Offline. ")}</strong>
                </Show>
                {move || match waiting() {
                    0 => String::new(),
                    n => format!("{n} {}", t("phản ánh đang chờ gửi.", "reports waiting to send.")),
                }}
                " "
                <A href="/mine">{move || t("Xem hộp thư đi", "See the outbox")}</A>
            </div>
        </Show>
    }
}
