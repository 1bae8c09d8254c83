//! What the public sees of each ward: how many reports it received, the share answered on
//! time and residents' satisfaction. No report, no person: the figures only.

use std::collections::HashMap;

use leptos::prelude::*;
use phananh_shared::dashboard::Transparency as Figures;

use crate::errors::Refused;
use crate::i18n::{tr, use_lang};
use crate::map::WardMap;
use crate::pages::city::{on_time_colour, pct};
use crate::wards::{use_wards, ward_names};
use crate::{api, clock};

#[component]
pub fn Transparency() -> impl IntoView {
    let t = tr();
    let lang = use_lang();
    let name_of = ward_names();
    let wards = use_wards();
    let figures = LocalResource::new(|| api::get::<Figures>("/api/v1/transparency", None));
    let colours = Signal::derive(move || {
        figures
            .get()
            .and_then(Result::ok)
            .map(|f| {
                f.wards
                    .iter()
                    .filter_map(|w| on_time_colour(w.resolved_on_time_pct).map(|c| (w.ward.code.clone(), c)))
                    .collect()
            })
            .unwrap_or_else(HashMap::new)
    });
    view! {
        <h1>{move || t("Kết quả giải quyết phản ánh", "How the wards answer")}</h1>
        <p class="help">{move || t(
            "Màu theo tỷ lệ xử lý đúng hạn: đỏ là thấp, xanh là cao; màu xám là chưa có số liệu.",
            "Coloured by the share resolved on time: red is low, green is high; grey has no figures yet.",
        )}</p>
        {move || wards.get().and_then(Result::ok).map(|w| view! {
            <WardMap wards=w label=("Bản đồ kết quả các phường", "Map of the wards' results") colours=colours/>
        })}
        <Suspense fallback=move || view! { <p>{t("Đang tải…", "Loading…")}</p> }>
            {move || figures.get().map(|loaded| match loaded {
                Err(e) => view! { <Refused error=e/> }.into_any(),
                Ok(f) => view! {
                    <p class="muted">{format!("{} – {}", clock::date(f.from), clock::date(f.to))}</p>
                    <div class="scroll">
                        <table class="wards" data-testid="transparency">
                            <thead><tr>
                                <th scope="col">{move || t("Phường", "Ward")}</th>
                                <th scope="col">{move || t("Tiếp nhận", "Received")}</th>
                                <th scope="col">{move || t("Tiếp nhận đúng hạn", "Ack. on time")}</th>
                                <th scope="col">{move || t("Xử lý đúng hạn", "Resolved on time")}</th>
                                <th scope="col">{move || t("Hài lòng", "Satisfied")}</th>
                            </tr></thead>
                            <tbody>
                                {f.wards.into_iter().map(|w| view! {
                                    <tr>
                                        <td>{move || name_of(&w.ward)}</td>
                                        <td class="num">{w.received}</td>
                                        <td class="num">{move || pct(lang.get(), w.acknowledged_on_time_pct)}</td>
                                        <td class="num">{move || pct(lang.get(), w.resolved_on_time_pct)}</td>
                                        <td class="num">{move || format!("{} ({})", pct(lang.get(), w.satisfaction_pct), w.ratings)}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any(),
            })}
        </Suspense>
    }
}
