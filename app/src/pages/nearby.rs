//! Public reports on the map: what others have reported around the city (no names, no
//! phone numbers: the public view carries none).

use leptos::prelude::*;
use phananh_shared::api::ReportPage;
use phananh_shared::status::Status;

use crate::api;
use crate::errors::Refused;
use crate::i18n::{self, tr};
use crate::map::{Marker, WardMap};
use crate::pages::mine::ReportCard;
use crate::wards::use_wards;

#[component]
pub fn Nearby() -> impl IntoView {
    let t = tr();
    let lang = crate::i18n::use_lang();
    let wards = use_wards();
    let reports = LocalResource::new(|| async {
        api::get::<ReportPage>(
            "/api/v1/reports?status=submitted,acknowledged,in_progress,reopened,resolved&limit=200",
            None,
        )
        .await
    });
    let markers = Signal::derive(move || {
        let lang = lang.get();
        reports
            .get()
            .and_then(Result::ok)
            .map(|page| {
                page.reports
                    .iter()
                    .map(|r| Marker {
                        lon: r.location.lon,
                        lat: r.location.lat,
                        label: format!(
                            "{} — {}",
                            i18n::category(lang, r.category),
                            i18n::status(lang, r.status)
                        ),
                        report: Some(r.id),
                        class: if r.status == Status::Resolved { "done" } else { "open" },
                    })
                    .collect()
            })
            .unwrap_or_default()
    });
    view! {
        <h1>{move || t("Phản ánh quanh đây", "Reports around the city")}</h1>
        <Suspense fallback=move || view! { <p>{t("Đang tải bản đồ…", "Loading the map…")}</p> }>
            {move || wards.get().and_then(Result::ok).map(|w| view! {
                <WardMap wards=w label=("Bản đồ phản ánh", "Map of reports") markers=markers/>
            })}
            {move || reports.get().map(|page| match page {
                Ok(page) => view! {
                    <ul class="cards">
                        {page.reports.into_iter().take(30).map(|r| view! { <ReportCard report=r href_prefix="/reports"/> }).collect_view()}
                    </ul>
                }.into_any(),
                Err(e) => view! { <Refused error=e/> }.into_any(),
            })}
        </Suspense>
    }
}
