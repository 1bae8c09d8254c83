//! Picking photos: each file is decoded on the device, turned upright, scaled so that its
//! longest side is at most [`MAX_SIDE`] pixels and re-encoded as JPEG before anything is
//! kept or sent. A 12 MP phone photo of about 4 MB becomes a few hundred KB, so five fit on
//! the device and go out quickly on a weak signal, and the re-encoding drops the EXIF
//! block (the camera's GPS position and device details) before the photo leaves the phone.
//! The server still re-encodes what it receives. The picker shows each photo's size before
//! and after, and the limits are checked before anything is kept.

use leptos::prelude::*;
use phananh_shared::report::{MAX_PHOTO_BYTES, MAX_PHOTOS};
use phananh_shared::validation::FieldError;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, HtmlCanvasElement, HtmlInputElement, ImageBitmap};

use crate::errors;
use crate::i18n::{tr, use_lang};

/// The longest side a photo keeps: enough to read a sign or a house number, far less than a
/// phone camera's 4,000 px.
pub const MAX_SIDE: u32 = 2048;
/// The largest file the picker opens: far beyond any phone camera's photo (a 108 MP one is
/// about 25 MB), small enough that decoding it cannot exhaust a phone's memory.
const MAX_PICKED_BYTES: usize = 40 * 1_048_576;
/// JPEG quality of the re-encoded photo.
const QUALITY: f64 = 0.85;

/// A photo as the resident picked it, prepared for sending.
#[derive(Debug, Clone, PartialEq)]
pub struct Photo {
    pub name: String,
    /// The re-encoded JPEG.
    pub blob: Blob,
    /// An object URL of `blob`, for its thumbnail.
    pub url: String,
    /// The picked file's size, in bytes.
    pub before: u64,
}

impl Photo {
    pub fn after(&self) -> u64 {
        self.blob.size() as u64
    }

    /// The JPEG's bytes (the desktop app's native side takes them so).
    pub async fn bytes(&self) -> Vec<u8> {
        match JsFuture::from(self.blob.array_buffer()).await {
            Ok(buffer) => js_sys::Uint8Array::new(&buffer).to_vec(),
            Err(_) => Vec::new(),
        }
    }
}

/// Decodes `file` (upright, as the camera's orientation tag says), scales it and encodes it
/// as JPEG; `None` if the browser cannot read it as an image.
async fn prepare(file: &web_sys::File) -> Option<Photo> {
    let window = web_sys::window()?;
    let options = web_sys::ImageBitmapOptions::new();
    options.set_image_orientation(web_sys::ImageOrientation::FromImage);
    let decoding = window.create_image_bitmap_with_blob_and_image_bitmap_options(file, &options).ok()?;
    let bitmap: ImageBitmap = JsFuture::from(decoding).await.ok()?.dyn_into().ok()?;
    let (width, height) = (bitmap.width(), bitmap.height());
    let scale = (f64::from(MAX_SIDE) / f64::from(width.max(height))).min(1.0);
    let (w, h) = ((f64::from(width) * scale).round().max(1.0), (f64::from(height) * scale).round().max(1.0));
    let canvas: HtmlCanvasElement = window.document()?.create_element("canvas").ok()?.dyn_into().ok()?;
    canvas.set_width(w as u32);
    canvas.set_height(h as u32);
    let context: web_sys::CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
    // A four-to-two-thousand pixel step needs better than the default bilinear filter.
    let _ = js_sys::Reflect::set(&context, &"imageSmoothingQuality".into(), &"high".into());
    context.draw_image_with_image_bitmap_and_dw_and_dh(&bitmap, 0.0, 0.0, w, h).ok()?;
    bitmap.close();
    let encoded = js_sys::Promise::new(&mut |resolve, _reject| {
        let done = wasm_bindgen::closure::Closure::once_into_js(move |blob: JsValue| {
            let _ = resolve.call1(&JsValue::NULL, &blob);
        });
        let _ = canvas.to_blob_with_type_and_encoder_options(
            done.unchecked_ref(),
            "image/jpeg",
            &JsValue::from_f64(QUALITY),
        );
    });
    let blob: Blob = JsFuture::from(encoded).await.ok()?.dyn_into().ok()?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).ok()?;
    let name = match file.name().rsplit_once('.') {
        Some((stem, _)) => format!("{stem}.jpg"),
        None => format!("{}.jpg", file.name()),
    };
    Some(Photo { name, blob, url, before: file.size() as u64 })
}

/// A size as people read it: "3,9 MB", "412 KB".
fn size(bytes: u64, lang: crate::i18n::Lang) -> String {
    let text = if bytes >= 1_000_000 {
        format!("{:.1} MB", bytes as f64 / 1_000_000.0)
    } else {
        format!("{} KB", bytes.div_ceil(1000))
    };
    match lang {
        // Vietnamese writes a decimal comma.
        crate::i18n::Lang::Vi => text.replace('.', ","),
        crate::i18n::Lang::En => text,
    }
}

/// A file input with previews. `photos` holds what was picked; `error` says why a file was
/// not taken (too large, too many, not an image).
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
    let preparing = RwSignal::new(0usize);
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
                if file.size() as usize > MAX_PICKED_BYTES {
                    let refusal =
                        errors::photo_too_large(&file.name(), file.size() as usize, MAX_PICKED_BYTES);
                    error.set(Some(errors::message(lang.get_untracked(), &refusal)));
                    continue;
                }
                preparing.update(|n| *n += 1);
                let prepared = prepare(&file).await;
                preparing.update(|n| *n -= 1);
                match prepared {
                    Some(photo) if photo.after() as usize > MAX_PHOTO_BYTES => {
                        let refusal =
                            errors::photo_too_large(&file.name(), photo.after() as usize, MAX_PHOTO_BYTES);
                        error.set(Some(errors::message(lang.get_untracked(), &refusal)));
                    }
                    Some(photo) => photos.update(|p| p.push(photo)),
                    None => error.set(Some(format!(
                        "{}: {}",
                        file.name(),
                        lang.get_untracked().pick(
                            "thiết bị không đọc được ảnh này; hãy chọn ảnh JPEG, PNG hoặc WebP.",
                            "this device cannot read this photo; choose a JPEG, PNG or WebP one."
                        )
                    ))),
                }
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
                {move || format!("{} {max} {} {MAX_SIDE} px.", t("Tối đa", "Up to"), t("ảnh; ảnh được thu nhỏ trên máy đến", "photos; each is made smaller on this device, to"))}
            </p>
            <p class="help" aria-live="polite">{move || (preparing.get() > 0).then(|| t("Đang chuẩn bị ảnh…", "Preparing the photos…"))}</p>
            <p class="error" id=error_id role="alert">{move || error.get()}</p>
            <ul class="thumbs">
                <For
                    each=move || photos.get().into_iter().enumerate()
                    key=|(i, p)| (*i, p.url.clone())
                    children=move |(i, photo)| {
                        let (before, after) = (photo.before, photo.after());
                        view! {
                            <li data-before=before.to_string() data-after=after.to_string()>
                                <img src=photo.url.clone() alt=photo.name.clone()/>
                                <span class="size">{move || format!("{} → {}", size(before, lang.get()), size(after, lang.get()))}</span>
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
