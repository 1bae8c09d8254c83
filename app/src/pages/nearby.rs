//! What others have reported around a point: the resident's position or a spot tapped on the
//! map, nearest first, within a radius they choose, with each report's first photo. Public
//! views only (no names, no phone numbers: they carry none).

use leptos::prelude::*;
use phananh_shared::api::NearbyReport;
use phananh_shared::status::Status;

use crate::api;
use crate::i18n::{self, tr, use_lang};
use crate::map::{Marker, WardMap};
use crate::pages::mine::ReportCard;
use crate::position::{self, LocateButton, NoFix};
use crate::wards::use_wards;

/// Open reports around a point, nearest first, as the server lists them: `query` names the
/// point (`lon=…&lat=…`, and a radius or a category), or is `None` while there is none. Empty
/// when the server cannot be reached: nothing nearby to offer is no reason to stop a resident.
/// One resource for every screen that asks, so the phone downloads its code once.
pub fn around(query: Signal<Option<String>>) -> LocalResource<Vec<NearbyReport>> {
    LocalResource::new(move || {
        let query = query.get();
        async move {
            let Some(query) = query else { return Vec::new() };
            let path = format!("/api/v1/reports/nearby?{query}");
            api::get_with(&path, None, NearbyReport::list_from_json).await.unwrap_or_default()
        }
    })
}

/// The radii a resident can choose, in metres; the server searches 2 km at most.
const RADII_M: [u32; 4] = [250, 500, 1_000, 2_000];

#[component]
pub fn Nearby() -> impl IntoView {
    let t = tr();
    let lang = use_lang();
    let wards = use_wards();
    let here = RwSignal::new(None::<(f64, f64)>);
    // The device's position, once found: the map goes there.
    let found = RwSignal::new(None::<(f64, f64)>);
    let radius = RwSignal::new(500u32);
    let no_fix = RwSignal::new(None::<NoFix>);
    let reports = around(Signal::derive(move || {
        let (lon, lat) = here.get()?;
        Some(format!("lon={lon}&lat={lat}&radius_m={}", radius.get()))
    }));
    let markers = Signal::derive(move || {
        let lang = lang.get();
        let list = reports.get().unwrap_or_default();
        list.iter()
            .map(|n| Marker {
                lon: n.report.location.lon,
                lat: n.report.location.lat,
                label: format!(
                    "{} — {}",
                    i18n::category(lang, n.report.category),
                    i18n::status(lang, n.report.status)
                ),
                report: Some(n.report.id),
                class: if n.report.status == Status::Resolved { "done" } else { "open" },
            })
            .collect()
    });
    let located = move |fix: Result<position::Fix, NoFix>| match fix {
        Ok(fix) => {
            no_fix.set(None);
            here.set(Some((fix.lon, fix.lat)));
            found.set(Some((fix.lon, fix.lat)));
        }
        Err(why) => no_fix.set(Some(why)),
    };
    view! {
        <h1>{move || t("Phản ánh quanh đây", "Reports nearby")}</h1>
        <div class="toolbar">
            <LocateButton done=located/>
            <div class="field inline">
                <label for="radius">{move || t("Trong bán kính", "Within")}</label>
                <select id="radius" on:change=move |ev| if let Ok(metres) = event_target_value(&ev).parse() { radius.set(metres) }>
                    {RADII_M.into_iter().map(|m| view! {
                        <option value=m.to_string() selected=m == radius.get_untracked()>{move || i18n::distance(lang.get(), f64::from(m))}</option>
                    }).collect_view()}
                </select>
            </div>
        </div>
        <p class="error" role="alert">{move || no_fix.get().map(|why| {
            let (vi, en) = why.says();
            t(vi, en)
        })}</p>
        <Suspense fallback=move || view! { <p>{t("Đang tải bản đồ…", "Loading the map…")}</p> }>
            {move || wards.get().and_then(Result::ok).map(|w| view! {
                <WardMap wards=w label=("Bản đồ phản ánh quanh đây", "Map of reports nearby") markers=markers
                    picked=here follow=found on_pick=Callback::new(move |point| here.set(Some(point)))/>
            })}
        </Suspense>
        <section aria-live="polite" data-testid="nearby">
            // One line that says what the list is (or why there is none), then the list.
            <p class="muted">{move || match (here.get(), reports.get()) {
                (None, _) => t("Dùng vị trí của bạn hoặc chạm vào bản đồ để xem phản ánh gần đó.", "Use your location or tap the map to see what is reported near it.").to_owned(),
                (Some(_), Some(list)) if list.is_empty() => format!("{} {}.", t("Không có phản ánh nào đang mở trong vòng", "No open report within"), i18n::distance(lang.get(), f64::from(radius.get()))),
                (Some(_), _) => String::new(),
            }}</p>
            <ul class="cards">
                {move || reports.get().unwrap_or_default().into_iter().map(|n| view! {
                    <ReportCard report=n.report href_prefix="/reports" distance_m=n.distance_m/>
                }).collect_view()}
            </ul>
        </section>
    }
}
