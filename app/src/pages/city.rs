//! The city dashboard: every ward on a choropleth map (on-time share or overdue count),
//! the daily received/resolved/backlog chart, the ward table sortable by each figure, the
//! overdue list (live: it refreshes as the city stream reports changes), and CSV export.
//! A ward officer gets the same screen for their own ward.

use std::collections::HashMap;

use chrono::{NaiveDate, TimeDelta};
use leptos::prelude::*;
use phananh_shared::api::WardRef;
use phananh_shared::dashboard::{Dashboard, Day, Figures, Missed, WardFigures, check_period};
use wasm_bindgen::JsCast;

use crate::api;
use crate::clock;
use crate::errors::{self, Refused};
use crate::i18n::{self, Lang, tr, use_lang};
use crate::live::Live;
use crate::map::WardMap;
use crate::pages::dossier_figures::DossierBoard;
use crate::pages::staff::SignIn;
use crate::session::{confirm, use_session};
use crate::wards::{use_wards, ward_names};

/// How long the dashboard waits after a live event before reloading, so a burst of
/// changes costs one reload.
const REFRESH_DELAY_MS: i32 = 1_000;

#[component]
pub fn CityDashboard() -> impl IntoView {
    let session = use_session();
    move || {
        match session.get() {
            None => view! { <SignIn session=session/> }.into_any(),
            // A ward officer sees their own ward's figures (the server answers only those).
            Some(answer) => view! { <Board token=answer.token ward=answer.staff.ward/> }.into_any(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colouring {
    OnTime,
    Overdue,
}

/// The colour of a share on time: red at 0 %, amber at 50 %, green at 100 %.
pub fn on_time_colour(pct: Option<f64>) -> Option<String> {
    pct.map(|p| format!("hsl({:.0}, 70%, 45%)", p.clamp(0.0, 100.0) * 1.2))
}

/// The most reports overdue now in one ward: the darkest red.
fn most_overdue(board: &Dashboard) -> u64 {
    board.wards.iter().map(|w| w.figures.overdue_now).max().unwrap_or(0)
}

fn overdue_colour(count: u64, most: u64) -> Option<String> {
    (count > 0).then(|| format!("hsl(0, 75%, {:.0}%)", 90.0 - 50.0 * count as f64 / most.max(1) as f64))
}

#[component]
fn Board(token: String, ward: Option<WardRef>) -> impl IntoView {
    let t = tr();
    let name_of = ward_names();
    let session = use_session();
    let wards = use_wards();
    let today = clock::today();
    let to = RwSignal::new(today);
    let from = RwSignal::new(today - TimeDelta::days(29));
    let version = RwSignal::new(0u64);
    let colouring = RwSignal::new(Colouring::OnTime);
    let token = StoredValue::new(token);
    // Checked here first, so that a start after the end is said beside the dates at once.
    let bad_period = Memo::new(move |_| check_period(from.get(), to.get()).err());
    let dashboard = LocalResource::new(move || {
        version.get();
        let (path, bad_period) =
            (format!("/api/v1/dashboard?from={}&to={}", from.get(), to.get()), bad_period.get());
        let token = token.get_value();
        async move {
            match bad_period {
                Some(refused) => Err(refused.into()),
                None => api::get::<Dashboard>(&path, Some(&token)).await,
            }
        }
    });
    // City staff: reload when the city stream says something changed (a new report, an
    // answer, a deadline passed), at most once a second.
    let pending = StoredValue::new(false);
    let live = StoredValue::new_local(None::<Live>);
    if ward.is_none() {
        live.set_value(Some(Live::subscribe(
            "city",
            Some(&token.get_value()),
            None,
            move |_| {
                if pending.get_value() {
                    return;
                }
                pending.set_value(true);
                let reload = wasm_bindgen::closure::Closure::once_into_js(move || {
                    pending.set_value(false);
                    version.update(|v| *v += 1);
                });
                let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(
                    reload.unchecked_ref(),
                    REFRESH_DELAY_MS,
                );
            },
            move |up| {
                if up {
                    version.update(|v| *v += 1);
                } else {
                    confirm(session);
                }
            },
        )));
    }
    on_cleanup(move || live.set_value(None));

    let colours = Signal::derive(move || {
        let Some(Ok(board)) = dashboard.get() else { return HashMap::new() };
        let most = most_overdue(&board);
        board
            .wards
            .iter()
            .filter_map(|w| {
                let colour = match colouring.get() {
                    Colouring::OnTime => on_time_colour(w.figures.resolved_on_time_pct),
                    Colouring::Overdue => overdue_colour(w.figures.overdue_now, most),
                };
                colour.map(|c| (w.ward.code.clone(), c))
            })
            .collect()
    });
    let lang = use_lang();
    let export = move |_| {
        if bad_period.get_untracked().is_some() {
            return;
        }
        let (from, to, lang) = (from.get_untracked(), to.get_untracked(), lang.get_untracked().code());
        // Its column names in the language of the screen it is downloaded from.
        let path = format!("/api/v1/dashboard?from={from}&to={to}&format=csv&lang={lang}");
        let token = token.get_value();
        leptos::task::spawn_local(async move {
            if let Ok(csv) = api::get_text(&path, Some(&token)).await {
                download(&format!("phananh-{from}-{to}.csv"), &csv);
            }
        });
    };
    let date_input = move |id: &'static str,
                           label: (&'static str, &'static str),
                           value: RwSignal<NaiveDate>| {
        view! {
            <div class="field inline">
                <label for=id>{move || t(label.0, label.1)}</label>
                <input id=id type="date" prop:value=move || value.get().to_string()
                    aria-describedby="period-error" aria-invalid=move || bad_period.with(Option::is_some).to_string()
                    on:change=move |ev| if let Ok(date) = event_target_value(&ev).parse() { value.set(date) }/>
            </div>
        }
    };

    view! {
        <h1>{move || match &ward {
            Some(ward) => format!("{} — {}", t("Số liệu phường", "Ward figures"), name_of(ward)),
            None => t("Bảng điều hành thành phố", "City dashboard").to_owned(),
        }}</h1>
        <div class="toolbar">
            {date_input("from", ("Từ ngày", "From"), from)}
            {date_input("to", ("Đến ngày", "To"), to)}
            <button type="button" class="secondary" on:click=export>{move || t("Xuất CSV", "Export CSV")}</button>
        </div>
        <p class="error" id="period-error" role="alert">
            {move || bad_period.get().map(|refused| errors::message(lang.get(), &refused))}
        </p>
        <Suspense fallback=move || view! { <p>{t("Đang tải…", "Loading…")}</p> }>
            {move || dashboard.get().map(|loaded| match loaded {
                // Said beside the dates, above.
                Err(e) if matches!(e.field(), Some("from" | "to")) => ().into_any(),
                Err(e) => view! { <Refused error=e/> }.into_any(),
                Ok(board) => {
                    let most = most_overdue(&board);
                    view! {
                    <Totals figures=board.total.clone()/>
                    <div class="two">
                        <section>
                            <h2>{move || t("Bản đồ phường", "Wards on the map")}</h2>
                            <div class="field inline">
                                <label for="colouring">{move || t("Tô màu theo", "Colour by")}</label>
                                <select id="colouring" on:change=move |ev| colouring.set(if event_target_value(&ev) == "overdue" { Colouring::Overdue } else { Colouring::OnTime })>
                                    <option value="on_time">{move || t("Tỷ lệ xử lý đúng hạn", "Resolved on time %")}</option>
                                    <option value="overdue">{move || t("Số phản ánh quá hạn", "Overdue now")}</option>
                                </select>
                            </div>
                            {move || wards.get().and_then(Result::ok).map(|w| view! {
                                <WardMap wards=w label=("Bản đồ các phường", "Map of the wards") colours=colours/>
                            })}
                            <Legend colouring=colouring most=most/>
                        </section>
                        <section>
                            <h2>{move || t("Theo ngày", "By day")}</h2>
                            <DayChart days=board.days.clone()/>
                        </section>
                    </div>
                    <Overdue board=board.clone()/>
                    <WardTable wards=board.wards.clone()/>
                    <DossierBoard token=token from=from to=to version=version/>
                    <p class="muted">{move || format!("{} {}", t("Số liệu lúc", "Figures as of"), clock::local(board.now))}</p>
                    }.into_any()
                }
            })}
        </Suspense>
    }
}

/// What the map's colours mean, for the colouring chosen.
#[component]
fn Legend(colouring: RwSignal<Colouring>, most: u64) -> impl IntoView {
    let t = tr();
    let swatch = |colour: Option<String>, label: String| {
        view! { <span class="swatch" style:background=colour></span>{label} }
    };
    let keys = move || match colouring.get() {
        Colouring::OnTime => view! {
            {swatch(on_time_colour(Some(0.0)), "0 %".into())}
            {swatch(on_time_colour(Some(50.0)), "50 %".into())}
            {swatch(on_time_colour(Some(100.0)), "100 %".into())}
            {swatch(None, t("chưa có số liệu", "no figures yet").into())}
        }
        .into_any(),
        Colouring::Overdue => view! {
            {swatch(None, "0".into())}
            {swatch(overdue_colour(1, most), "1".into())}
            {(most > 1).then(|| swatch(overdue_colour(most, most), most.to_string()))}
        }
        .into_any(),
    };
    view! { <p class="legend" data-testid="legend">{keys}</p> }
}

/// Saves `text` as a file the browser downloads.
fn download(name: &str, text: &str) {
    let parts = js_sys::Array::of1(&text.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/csv;charset=utf-8");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    if let Ok(link) = document().create_element("a").map(|e| e.unchecked_into::<web_sys::HtmlAnchorElement>())
    {
        link.set_href(&url);
        link.set_download(name);
        link.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// A share as the tables show it in `lang`, or a dash when there is none yet.
pub fn pct(lang: Lang, value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{} %", i18n::decimal(lang, v, 1)))
}

/// Hours as the tables show them in `lang`, or a dash when there are none yet.
pub fn hours(lang: Lang, value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{} h", i18n::decimal(lang, v, 1)))
}

#[component]
fn Totals(figures: Figures) -> impl IntoView {
    let t = tr();
    let lang = use_lang();
    let age = figures.backlog_age;
    // Overdue and backlog are counted now, whatever the dates chosen: their labels say so.
    let tiles = move || {
        let lang = lang.get();
        let (pct, hours) = (|v| pct(lang, v), |v| hours(lang, v));
        let f = &figures;
        [
            (("Phản ánh nhận được", "Reports received"), f.received.to_string(), "received"),
            (("Tiếp nhận đúng hạn", "Acknowledged on time"), pct(f.acknowledged_on_time_pct), "ack"),
            (("Xử lý đúng hạn", "Resolved on time"), pct(f.resolved_on_time_pct), "on-time"),
            (("Đang quá hạn (hiện nay)", "Overdue (now)"), f.overdue_now.to_string(), "overdue"),
            (("Thời gian xử lý (trung vị)", "Handling time (median)"), hours(f.handling_hours_median), "median"),
            (("Thời gian xử lý (p90)", "Handling time (p90)"), hours(f.handling_hours_p90), "p90"),
            (("Hài lòng", "Satisfied"), pct(f.satisfaction_pct), "satisfaction"),
            (("Tồn đọng (hiện nay)", "Backlog (now)"), f.backlog.to_string(), "backlog"),
        ]
        .into_iter()
        .map(|(label, value, key)| view! {
            <li data-figure=key><span class="value">{value}</span><span class="label">{lang.pick(label.0, label.1)}</span></li>
        })
        .collect_view()
    };
    view! {
        <ul class="tiles" data-testid="totals">{tiles}</ul>
        <p class="muted">
            {move || t("Tồn đọng hiện nay theo tuổi (ngày làm việc): ", "Backlog now by age (working days): ")}
            {format!("<1: {} · 1–3: {} · 3–5: {} · 5–10: {} · >10: {}", age.under_1_day, age.from_1_to_3_days, age.from_3_to_5_days, age.from_5_to_10_days, age.over_10_days)}
        </p>
    }
}

/// Received and resolved per day as bars, the backlog at the end of each day as a line.
#[component]
fn DayChart(days: Vec<Day>) -> impl IntoView {
    let t = tr();
    let (w, h) = (600.0_f64, 200.0_f64);
    let most =
        days.iter().map(|d| d.received.max(d.resolved).max(d.backlog)).max().unwrap_or(0).max(1) as f64;
    let step = w / days.len().max(1) as f64;
    let y = move |v: u64| h - v as f64 / most * (h - 10.0);
    let bars = days.iter().enumerate().map(|(i, d)| {
        let x = i as f64 * step;
        let bar = (step / 2.0 - 1.0).max(1.0);
        view! {
            <rect class="received" x=x y=y(d.received) width=bar height=h - y(d.received)><title>{format!("{} · {}", d.date, d.received)}</title></rect>
            <rect class="resolved" x=x + bar y=y(d.resolved) width=bar height=h - y(d.resolved)><title>{format!("{} · {}", d.date, d.resolved)}</title></rect>
        }
    }).collect_view();
    let line: String = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            format!(
                "{}{:.1} {:.1}",
                if i == 0 { "M" } else { "L" },
                i as f64 * step + step / 2.0,
                y(d.backlog)
            )
        })
        .collect();
    // The chart's top, named: a backlog line at the top is the largest count, not a full scale.
    let top = y(most as u64);
    let first = days.first().map(|d| clock::day_month(d.date)).unwrap_or_default();
    let last = days.last().map(|d| clock::day_month(d.date)).unwrap_or_default();
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {w} {}", h + 2.0) role="img" aria-label=move || t("Biểu đồ tiếp nhận, xử lý và tồn đọng theo ngày", "Chart of received, resolved and backlog by day")>
                <line class="grid" x1="0" x2=w y1=top y2=top/>
                <text class="scale" x="4" y=top + 14.0 data-testid="chart-top">{most as u64}</text>
                {bars}
                <path class="backlog" d=line/>
            </svg>
            <figcaption>
                <span class="key received">{move || t("Nhận được", "Received")}</span>
                <span class="key resolved">{move || t("Đã xử lý", "Resolved")}</span>
                <span class="key backlog">{move || t("Tồn đọng", "Backlog")}</span>
                <span class="muted">{format!(" {first} – {last}")}</span>
            </figcaption>
        </figure>
    }
}

#[component]
fn Overdue(board: Dashboard) -> impl IntoView {
    let t = tr();
    let lang = use_lang();
    let name_of = ward_names();
    // The dashboard lists the latest of them and counts them all.
    let (count, listed) = (board.total.overdue_now, board.overdue.len());
    view! {
        <section aria-labelledby="overdue-title">
            <h2 id="overdue-title">{move || t("Đang quá hạn (hiện nay)", "Overdue now")}" ("{count}")"</h2>
            {(count == 0).then(|| view! {
                <p class="muted" data-testid="overdue-none">{move || t("Không có phản ánh nào quá hạn.", "No report is overdue.")}</p>
            })}
            {(listed < count as usize).then(|| view! {
                <p class="muted" data-testid="overdue-listed">{move || match lang.get() {
                    Lang::Vi => format!("{listed} phản ánh trễ nhất trong số {count}."),
                    Lang::En => format!("The {listed} latest of {count}."),
                }}</p>
            })}
            {(count > 0).then(|| view! {
                <div class="scroll">
                    <table class="overdue" data-testid="overdue">
                        <thead><tr>
                            <th scope="col">{move || t("Phản ánh", "Report")}</th>
                            <th scope="col">{move || t("Phường", "Ward")}</th>
                            <th scope="col">{move || t("Hạn bị lỡ", "Missed")}</th>
                            <th scope="col">{move || t("Trễ (giờ làm việc)", "Late (working hours)")}</th>
                            <th scope="col">{move || t("Trạng thái", "Status")}</th>
                        </tr></thead>
                        <tbody>
                            {board.overdue.iter().map(|o| {
                                let (status, missed, late) = (o.status, o.missed, o.late_hours);
                                view! {
                                    <tr>
                                        <td><a href=format!("/staff/reports/{}", o.report_id)>{o.reference.map_or_else(|| t("Xem", "Open").to_owned(), |r| r.to_string())}</a></td>
                                        <td>{name_of(&o.ward)}</td>
                                        <td>{move || match missed { Missed::Acknowledge => t("Tiếp nhận", "Acknowledge"), Missed::Handle => t("Xử lý", "Handle") }}</td>
                                        <td class="num">{move || late_hours(lang.get(), late)}</td>
                                        <td>{move || i18n::status(lang.get(), status)}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            })}
        </section>
    }
}

/// How late a report is, in working hours: under six minutes reads "< 0,1", not "0,0".
fn late_hours(lang: Lang, hours: f64) -> String {
    if hours < 0.05 { format!("< {}", i18n::decimal(lang, 0.1, 1)) } else { i18n::decimal(lang, hours, 1) }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Name,
    Received,
    AckOnTime,
    OnTime,
    Overdue,
    Median,
    Satisfaction,
    Backlog,
}

impl Column {
    const ALL: [Column; 8] = [
        Column::Name,
        Column::Received,
        Column::AckOnTime,
        Column::OnTime,
        Column::Overdue,
        Column::Median,
        Column::Satisfaction,
        Column::Backlog,
    ];

    fn title(self, lang: Lang) -> &'static str {
        match self {
            Column::Name => lang.pick("Phường", "Ward"),
            Column::Received => lang.pick("Nhận được", "Received"),
            Column::AckOnTime => lang.pick("Tiếp nhận đúng hạn", "Ack. on time"),
            Column::OnTime => lang.pick("Xử lý đúng hạn", "Resolved on time"),
            Column::Overdue => lang.pick("Quá hạn (hiện nay)", "Overdue (now)"),
            Column::Median => lang.pick("Trung vị (giờ)", "Median (h)"),
            Column::Satisfaction => lang.pick("Hài lòng", "Satisfied"),
            Column::Backlog => lang.pick("Tồn đọng (hiện nay)", "Backlog (now)"),
        }
    }

    /// The value to sort by; a missing figure sorts last.
    fn key(self, w: &WardFigures) -> f64 {
        let f = &w.figures;
        match self {
            Column::Name => 0.0,
            Column::Received => f.received as f64,
            Column::AckOnTime => f.acknowledged_on_time_pct.unwrap_or(-1.0),
            Column::OnTime => f.resolved_on_time_pct.unwrap_or(-1.0),
            Column::Overdue => f.overdue_now as f64,
            Column::Median => f.handling_hours_median.unwrap_or(-1.0),
            Column::Satisfaction => f.satisfaction_pct.unwrap_or(-1.0),
            Column::Backlog => f.backlog as f64,
        }
    }

    fn cell(self, lang: Lang, name_of: impl Fn(&WardRef) -> String, w: &WardFigures) -> String {
        let f = &w.figures;
        match self {
            Column::Name => name_of(&w.ward),
            Column::Received => f.received.to_string(),
            Column::AckOnTime => pct(lang, f.acknowledged_on_time_pct),
            Column::OnTime => pct(lang, f.resolved_on_time_pct),
            Column::Overdue => f.overdue_now.to_string(),
            Column::Median => hours(lang, f.handling_hours_median),
            Column::Satisfaction => pct(lang, f.satisfaction_pct),
            Column::Backlog => f.backlog.to_string(),
        }
    }
}

/// Every ward's figures; a column's header sorts by it (again to reverse).
#[component]
fn WardTable(wards: Vec<WardFigures>) -> impl IntoView {
    let lang = use_lang();
    let name_of = ward_names();
    let t = tr();
    let sort = RwSignal::new((Column::Overdue, true));
    let rows = move || {
        let (column, descending) = sort.get();
        let mut rows = wards.clone();
        match column {
            Column::Name => rows.sort_by_cached_key(|row| name_of(&row.ward)),
            _ => rows.sort_by(|a, b| column.key(a).total_cmp(&column.key(b))),
        }
        if descending {
            rows.reverse();
        }
        rows
    };
    view! {
        <section aria-labelledby="wards-title">
            <h2 id="wards-title">{move || t("Các phường", "Wards")}</h2>
            <div class="scroll">
                <table class="wards" data-testid="ward-table">
                    <thead><tr>
                        {Column::ALL.into_iter().map(|c| view! {
                            <th scope="col" aria-sort=move || match sort.get() { (s, true) if s == c => "descending", (s, false) if s == c => "ascending", _ => "none" }>
                                <button type="button" class="sort" on:click=move |_| sort.update(|(s, d)| if *s == c { *d = !*d } else { *s = c; *d = c != Column::Name })>
                                    {move || c.title(lang.get())}
                                </button>
                            </th>
                        }).collect_view()}
                    </tr></thead>
                    <tbody>
                        {move || rows().into_iter().map(|w| view! {
                            <tr data-ward=w.ward.code.clone()>
                                {Column::ALL.into_iter().map(|c| view! { <td class:num=c != Column::Name>{c.cell(lang.get(), name_of, &w)}</td> }).collect_view()}
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}
