//! Filing a report: category, priority, description, photos and the spot (the device's
//! position or a tap on the map). The ward that will handle it shows at once, from the
//! offline index, with open reports of the same kind nearby to follow instead.

use std::collections::HashMap;

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use phananh_shared::api::{NearbyReport, WardRef};
use phananh_shared::report::{Category, DESCRIPTION_MAX_CHARS, Location, NewReport, Priority};
use phananh_shared::validation::{FieldError, text_len};
use phananh_shared::wards::outside_city;
use uuid::Uuid;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use crate::api::ApiError;
use crate::backend::{Filing, backend};
use crate::errors;
use crate::i18n::{self, tr, use_lang};
use crate::map::WardMap;
use crate::pages::nearby;
use crate::photos::{Photo, PhotoPicker};
use crate::position::{self, LocateButton};
use crate::wards::{use_wards, ward_names};

type Errors = RwSignal<HashMap<&'static str, String>>;

#[component]
pub fn FileReport() -> impl IntoView {
    let t = tr();
    let name_of = ward_names();
    let lang = use_lang();
    let wards = use_wards();
    let category = RwSignal::new(None::<Category>);
    let priority = RwSignal::new(Priority::Normal);
    let description = RwSignal::new(String::new());
    let photos = RwSignal::new(Vec::<Photo>::new());
    let photo_error = RwSignal::new(None::<String>);
    let location = RwSignal::new(None::<Location>);
    let errors: Errors = RwSignal::new(HashMap::new());
    // The device's last fix: where the map goes, and how far off it may be (metres).
    let found = RwSignal::new(None::<(f64, f64)>);
    let fix_accuracy = RwSignal::new(None::<f64>);
    let saved_error = RwSignal::new(None::<String>);
    // Made once per form: a second tap after a failure, or after a success the screen did
    // not show, files the same report, never a second one.
    let report_id = Uuid::now_v7();

    let ward = Memo::new(move |_| {
        let here = location.get()?;
        let wards = wards.get()?.ok()?;
        wards.locate(here.lon, here.lat).map(WardRef::from)
    });
    let nearby = nearby::around(Signal::derive(move || {
        let (here, category) = (location.get()?, category.get()?);
        Some(format!("lon={}&lat={}&category={category}", here.lon, here.lat))
    }));

    let set_location = move |lon: f64, lat: f64, accuracy_m: Option<f64>| {
        if accuracy_m.is_none() {
            fix_accuracy.set(None);
        }
        location.set(Some(Location { lon, lat, accuracy_m }));
        errors.update(|e| {
            e.remove("location");
        });
    };
    let located = move |fix: Result<position::Fix, position::NoFix>| match fix {
        Ok(fix) => {
            fix_accuracy.set(Some(fix.accuracy_m));
            set_location(fix.lon, fix.lat, Some(fix.accuracy_m.min(phananh_shared::report::MAX_ACCURACY_M)));
            found.set(Some((fix.lon, fix.lat)));
        }
        Err(why) => errors.update(|e| {
            let (vi, en) = why.says();
            e.insert("location", t(vi, en).into());
        }),
    };

    let navigate = use_navigate();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let lang = lang.get_untracked();
        let mut found: HashMap<&'static str, String> = HashMap::new();
        let category_value = category.get_untracked();
        if category_value.is_none() {
            found.insert(
                "category",
                lang.pick("Chọn loại phản ánh.", "Choose what kind of problem it is.").into(),
            );
        }
        let report = NewReport {
            id: report_id,
            category: category_value.unwrap_or(Category::Other),
            priority: priority.get_untracked(),
            description: description.get_untracked().trim().to_owned(),
            location: location.get_untracked().unwrap_or(Location { lon: 0.0, lat: 0.0, accuracy_m: None }),
            photos: Vec::new(),
        };
        if let Err(error) = report.validate() {
            found.insert(field_key(&error.field), errors::message(lang, &error));
        }
        match location.get_untracked() {
            None => {
                found.insert("location", errors::message(lang, &FieldError::required("location")));
            }
            Some(here)
                if ward.get_untracked().is_none() && wards.get_untracked().is_some_and(|w| w.is_ok()) =>
            {
                found
                    .insert("location", errors::message(lang, &outside_city("location", here.lon, here.lat)));
            }
            Some(_) => {}
        }
        found.remove("id");
        if !found.is_empty() {
            errors.set(found);
            focus_first_error();
            return;
        }
        errors.set(HashMap::new());
        let filing = Filing { report, photos: photos.get_untracked(), ward: ward.get_untracked() };
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match backend().file_report(filing).await {
                // "Mine" says what became of it: sent with its reference, or waiting.
                Ok(()) => navigate(&format!("/mine?filed={report_id}"), Default::default()),
                // The device's refusal, what it means for this report and the others, and
                // what the resident can do about a full store.
                Err(problem) => {
                    let storage =
                        matches!(&problem, ApiError::Refused { code, .. } if code.starts_with("storage"));
                    saved_error.set(Some(format!(
                        "{} {}{}",
                        crate::errors::api(lang, &problem),
                        lang.pick(
                            "Phản ánh này chưa được lưu trên thiết bị; những phản ánh đang chờ gửi vẫn còn nguyên.",
                            "This report was not kept on the device; reports already waiting are safe.",
                        ),
                        if storage {
                            lang.pick(
                                " Hãy bớt ảnh hoặc giải phóng dung lượng rồi gửi lại.",
                                " Remove a photo or free some space, then send again.",
                            )
                        } else {
                            ""
                        },
                    )));
                }
            }
        });
    };

    let error_of = move |key: &'static str| move || errors.with(|e| e.get(key).cloned());
    let invalid = move |key: &'static str| move || errors.with(|e| e.contains_key(key)).to_string();
    let count = move || text_len(description.get().trim());

    view! {
        <h1>{move || t("Gửi phản ánh hiện trường", "Report a problem")}</h1>
        <form class="report-form" on:submit=submit novalidate=true>
            <div class="columns">
            <div class="column">
            <div class="field">
                <label for="category">{move || t("Loại phản ánh", "Kind of problem")}</label>
                <select
                    id="category"
                    aria-invalid=invalid("category")
                    aria-describedby="category-error"
                    on:change=move |ev| {
                        let code = event_target_value(&ev);
                        category.set(Category::ALL.into_iter().find(|c| c.code() == code));
                        errors.update(|e| { e.remove("category"); });
                    }
                >
                    <option value="" selected=true disabled=true>{move || t("— Chọn —", "— Choose —")}</option>
                    {Category::ALL.into_iter().map(|c| view! {
                        <option value=c.code()>{move || i18n::category(lang.get(), c)}</option>
                    }).collect_view()}
                </select>
                <p class="error" id="category-error" role="alert">{error_of("category")}</p>
            </div>

            <fieldset class="field">
                <legend>{move || t("Mức độ", "How urgent")}</legend>
                {[Priority::Normal, Priority::Urgent, Priority::Complex].into_iter().map(|p| view! {
                    <label class="choice">
                        <input type="radio" name="priority" value=format!("{p:?}").to_ascii_lowercase()
                            checked=move || priority.get() == p
                            on:change=move |_| priority.set(p)/>
                        {move || i18n::priority(lang.get(), p)}
                    </label>
                }).collect_view()}
                <p class="help">{move || t(
                    "Khẩn cấp: thiên tai, tai nạn, tội phạm, nguy hiểm cho người. Phức tạp: cần nhiều cơ quan.",
                    "Urgent: disaster, accident, crime, danger to people. Complex: needs several agencies.",
                )}</p>
            </fieldset>

            <div class="field">
                <label for="description">{move || t("Mô tả", "Description")}</label>
                <textarea
                    id="description"
                    rows="4"
                    maxlength=DESCRIPTION_MAX_CHARS.to_string()
                    aria-invalid=invalid("description")
                    aria-describedby="description-error description-count"
                    placeholder=move || t("Ở đâu, việc gì, từ bao giờ…", "Where, what, since when…")
                    prop:value=move || description.get()
                    on:input=move |ev| description.set(event_target_value(&ev))
                ></textarea>
                <p class="help" id="description-count">{move || format!("{}/{DESCRIPTION_MAX_CHARS}", count())}</p>
                <p class="error" id="description-error" role="alert">{error_of("description")}</p>
            </div>

            <PhotoPicker id="photos" label=("Ảnh (không bắt buộc)", "Photos (optional)") photos=photos error=photo_error/>
            </div>

            <div class="column">
            <div class="field">
                <span class="label" id="location-label">{move || t("Vị trí", "Location")}</span>
                <LocateButton done=located/>
                <Suspense fallback=move || view! { <p class="help">{t("Đang tải bản đồ…", "Loading the map…")}</p> }>
                    {move || wards.get().map(|loaded| match loaded {
                        Ok(w) => view! {
                            <WardMap
                                wards=w
                                label=("Bản đồ chọn vị trí", "Map to choose the spot")
                                picked=Signal::derive(move || location.get().map(|l| (l.lon, l.lat)))
                                accuracy=fix_accuracy
                                follow=found
                                on_pick=Callback::new(move |(lon, lat)| set_location(lon, lat, None))
                            />
                        }.into_any(),
                        Err(problem) => view! { <p class="error">{format!("{} ({problem})", t("Không tải được bản đồ", "The map did not load"))}</p> }.into_any(),
                    })}
                </Suspense>
                <p class="ward" data-testid="ward" aria-live="polite">
                    {move || match (location.get(), ward.get()) {
                        (None, _) => t("Chưa chọn vị trí.", "No spot chosen yet.").to_owned(),
                        (Some(_), Some(w)) => format!("{} {}", name_of(&w), t("sẽ xử lý phản ánh này.", "will handle this report.")),
                        (Some(_), None) => t("Vị trí này nằm ngoài Hà Nội.", "This spot is outside Hà Nội.").to_owned(),
                    }}
                </p>
                <p class="help" data-testid="accuracy" aria-live="polite">{move || fix_accuracy.get().map(|metres| accuracy_note(lang.get(), metres))}</p>
                <p class="muted" data-testid="coordinates">{move || location.get().map(|l| format!("{:.6}, {:.6}", l.lat, l.lon))}</p>
                <p class="error" id="location-error" role="alert">{error_of("location")}</p>
            </div>

            <NearbyList nearby=nearby/>
            </div>
            </div>

            <p class="error" role="alert" data-testid="saved-error">{move || saved_error.get()}</p>
            <button type="submit" class="primary">{move || t("Gửi phản ánh", "Send report")}</button>
        </form>
    }
}

/// A fix worse than this is not good enough to name the right house: the resident is asked
/// to move the pin on the map.
const POOR_FIX_M: f64 = 50.0;

/// How far off the device's position may be, as the resident reads it.
fn accuracy_note(lang: i18n::Lang, metres: f64) -> String {
    if metres > POOR_FIX_M {
        format!(
            "{} (±{metres:.0} m). {}",
            lang.pick("Vị trí không chính xác", "The position is not accurate"),
            lang.pick(
                "Hãy chạm vào bản đồ để đặt đúng chỗ.",
                "Tap the map to put the pin on the right spot."
            ),
        )
    } else {
        format!("{} ±{metres:.0} m.", lang.pick("Vị trí chính xác đến khoảng", "Position accurate to about"))
    }
}

/// The form field a shared check's error belongs to.
fn field_key(field: &str) -> &'static str {
    match errors::form_field(field) {
        "description" => "description",
        "location" => "location",
        "photos" => "photos",
        "category" => "category",
        _ => "id",
    }
}

/// Moves the keyboard to the first field in error, so the message is where the resident is.
fn focus_first_error() {
    let focus = Closure::once_into_js(|| {
        let document = document();
        if let Ok(Some(field)) = document.query_selector("[aria-invalid=true]")
            && let Ok(field) = field.dyn_into::<web_sys::HtmlElement>()
        {
            let _ = field.focus();
        }
    });
    let _ = window().request_animation_frame(focus.unchecked_ref());
}

/// Open reports of the same kind close to the chosen spot: "me too" instead of a second report.
#[component]
fn NearbyList(nearby: LocalResource<Vec<NearbyReport>>) -> impl IntoView {
    let t = tr();
    let followed = RwSignal::new(Vec::<Uuid>::new());
    view! {
        <Suspense fallback=|| ()>
            {move || nearby.get().filter(|n| !n.is_empty()).map(|reports| view! {
                <section class="nearby" aria-labelledby="nearby-title">
                    <h2 id="nearby-title">{t("Đã có người phản ánh gần đây", "Already reported nearby")}</h2>
                    <p class="help">{t("Nếu là cùng một việc, hãy theo dõi thay vì gửi lại.", "If it is the same problem, follow it instead of filing again.")}</p>
                    <ul>
                        {reports.into_iter().map(|n| {
                            let id = n.report.id;
                            view! {
                                <li>
                                    <a href=format!("/reports/{id}")>{n.report.description.clone()}</a>
                                    <span class="muted">{format!(" · {:.0} m", n.distance_m)}</span>
                                    <button type="button" class="secondary"
                                        disabled=move || followed.with(|f| f.contains(&id))
                                        on:click=move |_| {
                                            leptos::task::spawn_local(async move {
                                                if backend().follow(id).await.is_ok() {
                                                    followed.update(|f| f.push(id));
                                                }
                                            });
                                        }>
                                        {move || if followed.with(|f| f.contains(&id)) { t("Đang theo dõi", "Following") } else { t("Tôi cũng gặp", "Me too") }}
                                    </button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </section>
            })}
        </Suspense>
    }
}
