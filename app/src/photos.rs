//! Picking photos: the files are read on the device, checked against the limits before
//! anything is sent, and shown as thumbnails that can be removed again.

use leptos::prelude::*;
use phananh_shared::report::{MAX_PHOTO_BYTES, MAX_PHOTOS};
use phananh_shared::validation::FieldError;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::HtmlInputElement;

use crate::backend::Photo;
use crate::errors;
use crate::i18n::{tr, use_lang};

/// A file input with previews. `photos` holds what was picked; `error` says why a file was
/// not taken (too large, too many).
#[component]
pub fn PhotoPicker(
    id: &'static str,
    label: (&'static str, &'static str),
    photos: RwSignal<Vec<Photo>>,
    error: RwSignal<Option<String>>,
    #[prop(default = MAX_PHOTOS)] max: usize,
) -> impl IntoView {
    let t = tr();
    let lang = use_lang();
    let on_change = move |ev: leptos::ev::Event| {
        let Some(input) = ev.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) else { return };
        let Some(files) = input.files() else { return };
        let files: Vec<web_sys::File> = (0..files.length()).filter_map(|i| files.get(i)).collect();
        input.set_value("");
        error.set(None);
        leptos::task::spawn_local(async move {
            for file in files {
                if photos.with_untracked(Vec::len) >= max {
                    let refusal = FieldError::too_many("photos", max, max + 1);
                    error.set(Some(errors::message(lang.get_untracked(), &refusal)));
                    break;
                }
                let size = file.size() as usize;
                if size > MAX_PHOTO_BYTES {
                    let refusal = errors::photo_too_large(&file.name(), size);
                    error.set(Some(errors::message(lang.get_untracked(), &refusal)));
                    continue;
                }
                let Ok(buffer) = JsFuture::from(file.array_buffer()).await else { continue };
                let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
                let kind =
                    if file.type_().is_empty() { "application/octet-stream".into() } else { file.type_() };
                photos.update(|p| p.push(Photo::new(file.name(), kind, &bytes)));
            }
        });
    };
    let error_id = format!("{id}-error");
    view! {
        <div class="field">
            <label for=id>{move || t(label.0, label.1)}</label>
            <input
                id=id
                type="file"
                accept="image/jpeg,image/png,image/webp"
                multiple={max > 1}
                on:change=on_change
                aria-invalid=move || error.with(Option::is_some).to_string()
                aria-describedby=error_id.clone()
            />
            <p class="help">
                {move || format!("{} {max} {} {} MB.", t("Tối đa", "Up to"), t("ảnh, mỗi ảnh đến", "photos, each up to"), MAX_PHOTO_BYTES / 1_048_576)}
            </p>
            <p class="error" id=error_id role="alert">{move || error.get()}</p>
            <ul class="thumbs">
                <For
                    each=move || photos.get().into_iter().enumerate()
                    key=|(i, p)| (*i, p.name.clone())
                    children=move |(i, photo)| {
                        view! {
                            <li>
                                <img src=photo.data_url() alt=photo.name.clone()/>
                                <button
                                    type="button"
                                    on:click=move |_| photos.update(|p| { p.remove(i); })
                                    aria-label=move || format!("{} {}", t("Bỏ ảnh", "Remove photo"), i + 1)
                                >
                                    "×"
                                </button>
                            </li>
                        }
                    }
                />
            </ul>
        </div>
    }
}
