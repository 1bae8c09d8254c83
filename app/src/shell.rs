//! The frame around every screen: the header with the navigation and the language switch,
//! the offline banner with the outbox count, and each page's routes.

use leptos::prelude::*;
use leptos_router::components::{A, FlatRoutes, Route, Router};
use leptos_router::path;
use phananh_shared::api::{RESULTS_PAGE, in_staff_bundle};

use crate::backend::backend;
use crate::i18n::{LangSwitch, provide_lang, tr};
use crate::pages::device::DeviceSettings;
use crate::pages::{city, desk, dossiers, file, mine, nearby, report, staff, staff_report, transparency};
use crate::session::{self, provide_session, use_session};
use crate::tiles::provide_tiles;
use crate::wards::provide_wards;
use crate::worker::Update;

/// One of the app's three pages, each its own bundle: the resident's (every page path but
/// the staff bundle's), the staff's (the paths [`in_staff_bundle`] names, served from the
/// build's `staff/` folder: the staff's and city's screens and the public results) and the
/// desktop app's (the resident's screens, the public results and the device's
/// settings, around the native engine). A binary names one, so the others' screens are not
/// in its download.
#[derive(Clone, Copy)]
pub struct Bundle {
    staff: bool,
    /// Whether a page path is one of this bundle's screens (a link to it stays in the page).
    serves: fn(&str) -> bool,
    /// The page's screens: its routes.
    screens: fn() -> AnyView,
    /// The header's menu: links to the page's own people's screens.
    menu: fn() -> AnyView,
}

impl Bundle {
    pub const RESIDENT: Bundle = Bundle {
        staff: false,
        serves: |path| !in_staff_bundle(path),
        screens: resident_screens,
        menu: resident_menu,
    };
    pub const STAFF: Bundle =
        Bundle { staff: true, serves: in_staff_bundle, screens: staff_screens, menu: staff_menu };
    /// The desktop app cannot load the staff's page: it has the public results itself.
    pub const DESKTOP: Bundle = Bundle {
        staff: false,
        serves: |path| !in_staff_bundle(path) || path == RESULTS_PAGE,
        screens: desktop_screens,
        menu: desktop_menu,
    };

    pub fn is_staff(&self) -> bool {
        self.staff
    }
}

fn resident_screens() -> AnyView {
    resident_routes(no_page, no_page)
}

fn desktop_screens() -> AnyView {
    resident_routes(DeviceSettings, transparency::Transparency)
}

/// The resident's routes; `settings` is what `/settings` shows (only the desktop app has
/// settings of its own), `results` what the public results page shows (the browser's is the
/// staff bundle's, so the resident's bundle has no code for it).
fn resident_routes<V: IntoView + 'static, W: IntoView + 'static>(
    settings: fn() -> V,
    results: fn() -> W,
) -> AnyView {
    view! {
        <FlatRoutes fallback=no_page>
            <Route path=path!("/") view=file::FileReport/>
            <Route path=path!("/mine") view=mine::MyReports/>
            <Route path=path!("/reports/:id") view=report::ReportPage/>
            <Route path=path!("/nearby") view=nearby::Nearby/>
            <Route path=path!("/dossiers") view=dossiers::MyDossiers/>
            <Route path=path!("/transparency") view=results/>
            <Route path=path!("/settings") view=settings/>
        </FlatRoutes>
    }
    .into_any()
}

fn staff_screens() -> AnyView {
    view! {
        <FlatRoutes fallback=no_page>
            <Route path=path!("/staff") view=staff::StaffHome/>
            <Route path=path!("/staff/reports/:id") view=staff_report::StaffReport/>
            <Route path=path!("/staff/dossiers") view=desk::DossierDesk/>
            <Route path=path!("/city") view=city::CityDashboard/>
            <Route path=path!("/transparency") view=transparency::Transparency/>
        </FlatRoutes>
    }
    .into_any()
}

fn no_page() -> impl IntoView {
    let t = tr();
    view! { <p>{t("Không có trang này.", "There is no such page.")}</p> }
}

/// A link in the frame: to a screen of this page, the router shows it; to one of the other
/// page, the browser loads that page (`rel="external"` tells the router to let it).
#[component]
fn PageLink(href: &'static str, #[prop(optional)] class: &'static str, children: Children) -> impl IntoView {
    if (expect_context::<Bundle>().serves)(href) {
        view! { <A href=href attr:class=class>{children()}</A> }.into_any()
    } else {
        view! { <a href=href class=class rel="external">{children()}</a> }.into_any()
    }
}

/// What every screen of `bundle` reads from its context: the bundle, the language, the staff
/// session and the wards.
pub fn provide_app(bundle: Bundle) {
    provide_context(bundle);
    provide_lang();
    provide_session();
    provide_wards();
    provide_tiles();
}

/// The app in a browser.
#[component]
pub fn App(bundle: Bundle) -> impl IntoView {
    provide_app(bundle);
    view! { <Screens/> }
}

/// The header, the banner and the screens. The desktop app is the resident's: it shows the
/// resident's screens and its settings; the staff and city screens are the browser's.
#[component]
pub fn Screens() -> impl IntoView {
    let t = tr();
    let Bundle { staff, screens, menu, .. } = expect_context::<Bundle>();
    let session = use_session();
    // Home: the inbox for signed-in staff, the resident's page for everyone else.
    let home = move || if staff && session.with(Option::is_some) { "/staff" } else { "/" };
    view! {
        <Router>
            <a class="skip" href="#main">{move || t("Bỏ qua đến nội dung", "Skip to content")}</a>
            <header class="top">
                {move || view! {
                    <PageLink href=home() class="brand">
                        <span class="logo" aria-hidden="true">"◆"</span>
                        {move || t("Phản ánh Hà Nội", "Hà Nội Feedback")}
                    </PageLink>
                }}
                <nav aria-label=move || t("Chính", "Main")>
                    {menu()}
                </nav>
                <LangSwitch/>
            </header>
            <UpdateBanner/>
            <OfflineBanner/>
            <main id="main">{screens()}</main>
        </Router>
    }
}

/// The resident's screens. Staff pages are not among them: a resident has no use for a
/// sign-in form (staff keep their own address).
fn resident_menu() -> AnyView {
    let t = tr();
    view! {
        <PageLink href="/">{move || t("Gửi phản ánh", "Report")}</PageLink>
        <PageLink href="/mine">{move || t("Của tôi", "Mine")}</PageLink>
        <PageLink href="/dossiers">{move || t("Hồ sơ", "Dossiers")}</PageLink>
        <PageLink href="/nearby">{move || t("Quanh đây", "Nearby")}</PageLink>
        <PageLink href=RESULTS_PAGE>{move || t("Công khai", "Results")}</PageLink>
    }
    .into_any()
}

/// The resident's screens and the device's settings.
fn desktop_menu() -> AnyView {
    let t = tr();
    view! {
        {resident_menu()}
        <PageLink href="/settings">{move || t("Cài đặt", "Settings")}</PageLink>
    }
    .into_any()
}

/// The staff's screens once signed in: the inbox, the dossier desk, the dashboard (a ward
/// officer's shows their ward), and signing out. Before that (the public on the results
/// page, or staff at the sign-in form), the public's menu.
fn staff_menu() -> AnyView {
    let t = tr();
    let session = use_session();
    let links = move || {
        let Some(ward) = session.with(|s| s.as_ref().map(|s| s.staff.ward.is_some())) else {
            return resident_menu();
        };
        view! {
            <PageLink href="/staff">{move || t("Hộp phản ánh", "Inbox")}</PageLink>
            <PageLink href="/staff/dossiers">{move || t("Bàn hồ sơ", "Dossier desk")}</PageLink>
            <PageLink href="/city">
                {move || if ward { t("Số liệu phường", "Ward figures") } else { t("Thành phố", "City") }}
            </PageLink>
            <button type="button" class="sign-out" on:click=move |_| session::sign_out(session)>
                {move || t("Đăng xuất", "Sign out")}
            </button>
        }
        .into_any()
    };
    links.into_any()
}

/// A new version of the app is ready: it is used only once the resident taps, so nothing
/// changes under their fingers while they are filing.
#[component]
fn UpdateBanner() -> impl IntoView {
    let t = tr();
    let update = use_context::<Update>();
    let waiting = move || update.is_some_and(|u| u.waiting.get());
    view! {
        <Show when=waiting>
            <div class="banner update" role="status" data-testid="update">
                {move || t("Có phiên bản mới – ", "New version – ")}
                <button type="button" class="secondary" on:click=move |_| { if let Some(u) = update { u.apply() } }>
                    {move || t("Tải lại", "Reload")}
                </button>
            </div>
        </Show>
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
                <PageLink href="/mine">{move || t("Xem hộp thư đi", "See the outbox")}</PageLink>
            </div>
        </Show>
    }
}
