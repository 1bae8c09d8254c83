//! The dossier figures on the city dashboard: on time against the statutory limit, per ward
//! and per procedure, and the dossiers late now.

use chrono::NaiveDate;
use leptos::prelude::*;
use phananh_shared::dashboard::{DossierDashboard, DossierFigures};

use crate::api;
use crate::errors::Refused;
use crate::i18n::{self, tr, use_lang};
use crate::pages::city::{hours, pct};
use crate::wards::ward_names;

#[component]
pub fn DossierBoard(
    token: StoredValue<String>,
    from: RwSignal<NaiveDate>,
    to: RwSignal<NaiveDate>,
    version: RwSignal<u64>,
) -> impl IntoView {
    let t = tr();
    let lang = use_lang();
    let name_of = ward_names();
    let board = LocalResource::new(move || {
        version.get();
        let path = format!("/api/v1/dashboard/dossiers?from={}&to={}", from.get(), to.get());
        let token = token.get_value();
        async move { api::get::<DossierDashboard>(&path, Some(&token)).await }
    });
    let row = move |name: String, f: DossierFigures| {
        view! {
            <tr>
                <th scope="row">{name}</th>
                <td>{f.received}</td>
                <td>{move || pct(lang.get(), f.on_time_pct)}</td>
                <td>{f.open}</td>
                <td>{f.waiting_for_documents}</td>
                <td>{f.overdue_now}</td>
            </tr>
        }
    };
    let head = move |first: (&'static str, &'static str)| {
        view! {
            <thead><tr>
                <th scope="col">{move || t(first.0, first.1)}</th>
                <th scope="col">{move || t("Tiếp nhận", "Received")}</th>
                <th scope="col">{move || t("Đúng hạn", "On time")}</th>
                <th scope="col">{move || t("Đang giải quyết", "Open")}</th>
                <th scope="col">{move || t("Chờ bổ sung", "Waiting for documents")}</th>
                <th scope="col">{move || t("Quá hạn", "Late now")}</th>
            </tr></thead>
        }
    };
    view! {
        <section aria-labelledby="dossier-figures" data-testid="dossier-figures">
            <h2 id="dossier-figures">{move || t("Hồ sơ thủ tục hành chính", "Public-service dossiers")}</h2>
            {move || board.get().map(|loaded| match loaded {
                Err(e) => view! { <Refused error=e/> }.into_any(),
                Ok(board) => view! {
                    <div class="scroll"><table class="figures">
                        {head(("Phường", "Ward"))}
                        <tbody>
                            {row(t("Toàn bộ", "All").to_owned(), board.total.clone())}
                            {board.wards.into_iter().map(|w| row(name_of(&w.ward), w.figures)).collect_view()}
                        </tbody>
                    </table></div>
                    <div class="scroll"><table class="figures">
                        {head(("Thủ tục", "Procedure"))}
                        <tbody>
                            {board.procedures.into_iter().map(|p| {
                                let name = i18n::procedure(lang.get_untracked(), &p.procedure);
                                row(name, p.figures)
                            }).collect_view()}
                        </tbody>
                    </table></div>
                    {(!board.overdue.is_empty()).then(|| view! {
                        <h3>{move || t("Hồ sơ quá hạn", "Dossiers late now")}</h3>
                        <ul class="overdue">
                            {board.overdue.into_iter().map(|o| view! {
                                <li><code>{o.code}</code>" · "{name_of(&o.ward)}" · "{move || hours(lang.get(), Some(o.late_hours))}</li>
                            }).collect_view()}
                        </ul>
                    })}
                }.into_any(),
            })}
        </section>
    }
}
