//! The two languages of the app: Vietnamese first, English on request.
//!
//! Texts are written where they are used, as a Vietnamese/English pair, so a screen reads as
//! one file and no key can point at a missing translation.

use leptos::prelude::*;
use phananh_shared::dossier::{Catalogue, DossierStatus};
use phananh_shared::report::{Category, Priority};
use phananh_shared::status::Status;

use crate::storage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Vi,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// The Vietnamese or the English text.
    pub fn pick(self, vi: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }
}

const LANG_KEY: &str = "phananh.lang";

/// Starts in `code`'s language (the desktop app keeps it in its own settings).
pub fn remember(code: &str) {
    storage::set(LANG_KEY, code);
}

/// The language in force, as a signal every screen reads; kept across visits.
pub fn provide_lang() {
    let saved = storage::get::<String>(LANG_KEY);
    let lang = RwSignal::new(if saved.as_deref() == Some("en") { Lang::En } else { Lang::Vi });
    Effect::new(move || {
        let lang = lang.get();
        storage::set(LANG_KEY, &lang.code());
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("lang", lang.code());
        }
    });
    provide_context(lang);
}

pub fn use_lang() -> RwSignal<Lang> {
    expect_context::<RwSignal<Lang>>()
}

/// A closure that picks the text of the current language, for `view!` blocks.
pub fn tr() -> impl Fn(&'static str, &'static str) -> &'static str + Copy {
    let lang = use_lang();
    move |vi, en| lang.get().pick(vi, en)
}

pub fn category(lang: Lang, category: Category) -> &'static str {
    match lang {
        Lang::Vi => category.name_vi(),
        Lang::En => category.name_en(),
    }
}

pub fn priority(lang: Lang, priority: Priority) -> &'static str {
    match priority {
        Priority::Normal => lang.pick("Bình thường", "Normal"),
        Priority::Urgent => lang.pick("Khẩn cấp", "Urgent"),
        Priority::Complex => lang.pick("Phức tạp", "Complex"),
    }
}

pub fn status(lang: Lang, status: Status) -> &'static str {
    match status {
        Status::Submitted => lang.pick("Đã gửi", "Submitted"),
        Status::Acknowledged => lang.pick("Đã tiếp nhận", "Acknowledged"),
        Status::InProgress => lang.pick("Đang xử lý", "In progress"),
        Status::Resolved => lang.pick("Đã xử lý", "Resolved"),
        Status::Closed => lang.pick("Đã đóng", "Closed"),
        Status::Rejected => lang.pick("Từ chối", "Rejected"),
        Status::Duplicate => lang.pick("Trùng lặp", "Duplicate"),
        Status::Reopened => lang.pick("Mở lại", "Reopened"),
        Status::Cancelled => lang.pick("Đã rút", "Withdrawn"),
    }
}

/// The button that switches language, labelled in the language it switches to.
#[component]
pub fn LangSwitch() -> impl IntoView {
    let lang = use_lang();
    view! {
        <button
            class="lang"
            type="button"
            on:click=move |_| lang.update(|l| *l = if *l == Lang::Vi { Lang::En } else { Lang::Vi })
            lang=move || if lang.get() == Lang::Vi { "en" } else { "vi" }
        >
            {move || if lang.get() == Lang::Vi { "English" } else { "Tiếng Việt" }}
        </button>
    }
}

pub fn dossier_status(lang: Lang, status: DossierStatus) -> &'static str {
    match status {
        DossierStatus::Received => lang.pick("Đã tiếp nhận", "Received"),
        DossierStatus::Processing => lang.pick("Đang giải quyết", "Processing"),
        DossierStatus::NeedsDocuments => lang.pick("Cần bổ sung giấy tờ", "Needs more documents"),
        DossierStatus::Done => lang.pick("Đã có kết quả", "Result ready"),
        DossierStatus::Returned => lang.pick("Trả lại", "Returned"),
    }
}

/// `value` rounded to `places` decimals as people read it in `lang`: "12,5" in Vietnamese,
/// "12.5" in English.
pub fn decimal(lang: Lang, value: f64, places: usize) -> String {
    let text = format!("{value:.places$}");
    match lang {
        Lang::Vi => text.replace('.', ","),
        Lang::En => text,
    }
}

/// A distance as people say it: metres under a kilometre, kilometres from there ("1,2 km").
pub fn distance(lang: Lang, metres: f64) -> String {
    let km = metres / 1_000.0;
    match km {
        km if km < 1.0 => format!("{} m", metres.round()),
        km if km.fract() == 0.0 => format!("{km} km"),
        km => format!("{} km", decimal(lang, km, 1)),
    }
}

/// "3 ngày làm việc", "1 working day", "3 working days".
pub fn working_days(lang: Lang, days: u32) -> String {
    match (lang, days) {
        (Lang::Vi, _) => format!("{days} ngày làm việc"),
        (Lang::En, 1) => "1 working day".to_owned(),
        (Lang::En, _) => format!("{days} working days"),
    }
}

/// A procedure's name in `lang`, from the catalogue; its code if it is not there.
pub fn procedure(lang: Lang, code: &str) -> String {
    Catalogue::shipped().get(code).map_or_else(
        || code.to_owned(),
        |procedure| match lang {
            Lang::Vi => procedure.name_vi.clone(),
            Lang::En => procedure.name_en.clone(),
        },
    )
}
