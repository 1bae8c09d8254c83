//! The map: the wards drawn as SVG from the server's own boundaries (so it works offline),
//! over the city's street tiles where a tile server is configured (see [`crate::tiles`]),
//! with pan and zoom by pointer, wheel or keyboard, and a tap (or Enter at the centre) to
//! pick a point, drawn with the accuracy of the position it came from.

use std::collections::HashMap;
use std::rc::Rc;

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;
use send_wrapper::SendWrapper;
use uuid::Uuid;
use wasm_bindgen::JsCast as _;
use wasm_bindgen::closure::Closure;
use web_sys::{KeyboardEvent, PointerEvent, WheelEvent};

use crate::i18n::tr;
use crate::tiles::{self, use_tiles};
use crate::wards::{Wards, ward_names};

/// A pin on the map.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub lon: f64,
    pub lat: f64,
    pub label: String,
    /// The report it stands for: clicking the pin opens it.
    pub report: Option<Uuid>,
    /// A CSS class for its colour (`open`, `done`, `late`).
    pub class: &'static str,
}

/// A pin's radius on screen, in CSS pixels.
const PIN_RADIUS_PX: f64 = 7.0;

#[derive(Debug, Clone, Copy, PartialEq)]
struct ViewBox {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

impl ViewBox {
    fn zoom(self, factor: f64, cx: f64, cy: f64) -> ViewBox {
        // Down to about a hundred metres across: a pin placed within a few metres.
        let w = (self.w * factor).clamp(1.0, 3000.0);
        let h = self.h * w / self.w;
        ViewBox { x: cx - (cx - self.x) * w / self.w, y: cy - (cy - self.y) * h / self.h, w, h }
    }
}

/// Where a pointer press started, to tell a drag from a tap.
#[derive(Debug, Clone, Copy)]
struct Press {
    client: (f64, f64),
    view: ViewBox,
    moved: bool,
}

#[component]
pub fn WardMap(
    wards: Rc<Wards>,
    /// What the map shows, for screen readers: (Vietnamese, English).
    label: (&'static str, &'static str),
    /// Fill colour by ward code; wards not in it are drawn plain.
    #[prop(optional, into)]
    colours: Option<Signal<HashMap<String, String>>>,
    #[prop(optional, into)] markers: Option<Signal<Vec<Marker>>>,
    /// The picked point, drawn as a pin.
    #[prop(optional, into)]
    picked: Option<Signal<Option<(f64, f64)>>>,
    /// Called with (lon, lat) when the resident taps the map; without it the map only shows.
    #[prop(optional, into)]
    on_pick: Option<Callback<(f64, f64)>>,
    /// Called with a ward's code when its shape is clicked.
    #[prop(optional, into)]
    on_ward: Option<Callback<String>>,
    /// Centre the view here at first (lon, lat) and zoom in.
    #[prop(optional)]
    focus: Option<(f64, f64)>,
    /// How far off the picked point may be, in metres (a GPS fix's accuracy): drawn as a
    /// circle around it.
    #[prop(optional, into)]
    accuracy: Option<Signal<Option<f64>>>,
    /// Each time this names a point (lon, lat), the view moves there at street level (the
    /// device's position, once found).
    #[prop(optional, into)]
    follow: Option<Signal<Option<(f64, f64)>>>,
) -> impl IntoView {
    let t = tr();
    let (width, height) = wards.size;
    let whole = ViewBox { x: 0.0, y: 0.0, w: width, h: height };
    let start = match focus {
        Some((lon, lat)) => {
            let (x, y) = wards.projection.point(lon, lat);
            whole.zoom(0.08, x, y)
        }
        None => whole,
    };
    let view = RwSignal::new(start);
    let press = StoredValue::new(None::<Press>);
    // Whether the last press moved the map, for the click that follows it.
    let dragged = StoredValue::new(false);
    let navigate = use_navigate();
    let svg_ref = NodeRef::<leptos::svg::Svg>::new();
    let projection = wards.projection;
    let streets = use_tiles();
    if let Some(follow) = follow {
        Effect::new(move |_| {
            if let Some((lon, lat)) = follow.get() {
                let (x, y) = projection.point(lon, lat);
                // About 450 m across: the streets around the resident, named on the tiles.
                view.set(ViewBox {
                    x: x - 2.0,
                    y: y - 2.0 * height / width,
                    w: 4.0,
                    h: 4.0 * height / width,
                });
            }
        });
    }
    let picked_xy =
        move || picked.and_then(|p| p.get_untracked()).map(|(lon, lat)| projection.point(lon, lat));

    // The SVG point under a client position, with the letterboxing of `meet` accounted for.
    let to_svg = move |client_x: f64, client_y: f64| -> Option<(f64, f64)> {
        let svg = svg_ref.get_untracked()?;
        let rect = svg.get_bounding_client_rect();
        let v = view.get_untracked();
        let scale = (rect.width() / v.w).min(rect.height() / v.h);
        let left = rect.left() + (rect.width() - v.w * scale) / 2.0;
        let top = rect.top() + (rect.height() - v.h * scale) / 2.0;
        Some((v.x + (client_x - left) / scale, v.y + (client_y - top) / scale))
    };
    // The map's size on screen, as a ResizeObserver last saw it: pins keep a finger's size
    // and the tiles cover the map from its first layout (which can come frames after the map
    // is made, once its page has loaded: reading the size then found none) and whenever the
    // window or the phone turns.
    let drawn = RwSignal::new(None::<(f64, f64)>);
    Effect::new(move || {
        let Some(svg) = svg_ref.get() else { return };
        let measured = svg.clone();
        let measure = Closure::<dyn Fn()>::new(move || {
            let rect = measured.get_bounding_client_rect();
            let size = (rect.width(), rect.height());
            drawn.set((size.0 > 0.0 && size.1 > 0.0).then_some(size));
        });
        let Ok(observer) = web_sys::ResizeObserver::new(measure.as_ref().unchecked_ref()) else { return };
        observer.observe(&svg);
        let kept = SendWrapper::new((observer, measure));
        on_cleanup(move || kept.0.disconnect());
    });
    // SVG units per CSS pixel, at the view `v` on the map as drawn.
    let per_px = move |v: ViewBox, (width, height): (f64, f64)| (v.w / width).max(v.h / height);
    let units_per_px =
        move || -> f64 { drawn.get_untracked().map_or(1.0, |size| per_px(view.get_untracked(), size)) };
    let pick_at = move |x: f64, y: f64| {
        if let Some(on_pick) = on_pick {
            on_pick.run(projection.lon_lat(x, y));
        }
    };

    let on_pointer_down = move |ev: PointerEvent| {
        press.set_value(Some(Press {
            client: (f64::from(ev.client_x()), f64::from(ev.client_y())),
            view: view.get_untracked(),
            moved: false,
        }));
    };
    let on_pointer_move = move |ev: PointerEvent| {
        let Some(mut p) = press.get_value() else { return };
        let (dx, dy) = (f64::from(ev.client_x()) - p.client.0, f64::from(ev.client_y()) - p.client.1);
        if dx.abs() + dy.abs() > 6.0 {
            p.moved = true;
            press.set_value(Some(p));
        }
        if p.moved {
            let k = units_per_px();
            view.set(ViewBox { x: p.view.x - dx * k, y: p.view.y - dy * k, ..p.view });
        }
    };
    let on_pointer_up = move |ev: PointerEvent| {
        let Some(p) = press.get_value() else { return };
        press.set_value(None);
        dragged.set_value(p.moved);
        // A tap on a report's pin opens the report; it does not choose a point.
        let on_pin = ev
            .target()
            .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|target| target.closest("a").ok().flatten().is_some());
        if !p.moved
            && !on_pin
            && let Some((x, y)) = to_svg(f64::from(ev.client_x()), f64::from(ev.client_y()))
        {
            pick_at(x, y);
        }
    };
    let on_wheel = move |ev: WheelEvent| {
        ev.prevent_default();
        if let Some((x, y)) = to_svg(f64::from(ev.client_x()), f64::from(ev.client_y())) {
            view.update(|v| *v = v.zoom(if ev.delta_y() < 0.0 { 0.8 } else { 1.25 }, x, y));
        }
    };
    // Around the picked point while it is in view (it stays put under the resident's eye),
    // else around the centre.
    let zoom_centre = move |factor: f64| {
        view.update(|v| {
            let (cx, cy) = picked_xy()
                .filter(|&(x, y)| x >= v.x && x <= v.x + v.w && y >= v.y && y <= v.y + v.h)
                .unwrap_or((v.x + v.w / 2.0, v.y + v.h / 2.0));
            *v = v.zoom(factor, cx, cy);
        });
    };
    let on_key = move |ev: KeyboardEvent| {
        let step = view.get_untracked().w / 10.0;
        let (dx, dy) = match ev.key().as_str() {
            "ArrowLeft" => (-step, 0.0),
            "ArrowRight" => (step, 0.0),
            "ArrowUp" => (0.0, -step),
            "ArrowDown" => (0.0, step),
            "+" | "=" => return zoom_centre(0.8),
            "-" => return zoom_centre(1.25),
            "Enter" | " " => {
                ev.prevent_default();
                let v = view.get_untracked();
                return pick_at(v.x + v.w / 2.0, v.y + v.h / 2.0);
            }
            _ => return,
        };
        ev.prevent_default();
        view.update(|v| {
            v.x += dx;
            v.y += dy;
        });
    };

    let shapes = wards.shapes.clone();
    let name_of = ward_names();
    let paths = shapes
        .into_iter()
        .map(|shape| {
            let code = shape.ward.code.clone();
            let fill_code = code.clone();
            let fill = move || colours.and_then(|c| c.with(|c| c.get(&fill_code).cloned()));
            view! {
                <path
                    d=shape.path
                    class="ward"
                    style:fill=fill
                    on:click=move |_| {
                        if let Some(on_ward) = on_ward {
                            on_ward.run(code.clone());
                        }
                    }
                >
                    <title>{move || name_of(&shape.ward)}</title>
                </path>
            }
        })
        .collect_view();
    // A pin keeps its size on screen, one a finger can tap, however far the map is zoomed;
    // until the map is laid out, a ninetieth of the view. Once per view, not once per pin.
    let radius = Memo::new(move |_| {
        let v = view.get();
        drawn.get().map_or(v.w / 90.0, |size| PIN_RADIUS_PX * per_px(v, size))
    });
    let pins = move || {
        let navigate = navigate.clone();
        markers
            .map(|m| m.get())
            .unwrap_or_default()
            .into_iter()
            .map(move |marker| {
                let (x, y) = projection.point(marker.lon, marker.lat);
                let href = marker.report.map(|id| format!("/reports/{id}"));
                let (open, navigate) = (href.clone(), navigate.clone());
                // The `<g>` puts the link in SVG's namespace: the view macro makes a bare
                // `<a>` an HTML one, which draws nothing inside an `<svg>`. The router follows
                // only HTML links, so the pin opens its page itself (a drag is not a click).
                view! {
                    <g class="pin-link">
                        <a
                            href=href
                            on:click=move |ev| {
                                ev.prevent_default();
                                if let Some(path) = &open && !dragged.get_value() {
                                    navigate(path, NavigateOptions::default());
                                }
                            }
                        >
                            <circle cx=x cy=y r=move || radius.get() class=format!("pin {}", marker.class)>
                                <title>{marker.label}</title>
                            </circle>
                        </a>
                    </g>
                }
            })
            .collect_view()
    };
    let picked_pin = move || {
        picked.and_then(|p| p.get()).map(|(lon, lat)| {
            let (x, y) = projection.point(lon, lat);
            let circle = accuracy.and_then(|a| a.get()).map(|metres| {
                view! { <circle cx=x cy=y r=tiles::units(metres) class="accuracy"/> }
            });
            view! {
                {circle}
                <circle cx=x cy=y r=move || radius.get() * 1.3 class="picked"/>
            }
        })
    };
    // The tiles covering what the map shows, the letterboxing of `meet` included, as SVG
    // markup: one string per view instead of an element type per attribute in the download.
    let tile_layer = move || {
        let settings = streets.get()?;
        let v = view.get();
        let (px_w, px_h) = drawn.get()?;
        let units = per_px(v, (px_w, px_h));
        let (cx, cy, half_w, half_h) =
            (v.x + v.w / 2.0, v.y + v.h / 2.0, units * px_w / 2.0, units * px_h / 2.0);
        let area = (cx - half_w, cy - half_h, cx + half_w, cy + half_h);
        Some(
            tiles::covering(&settings, projection, area, units)
                .iter()
                .map(tiles::Tile::svg)
                .collect::<String>(),
        )
    };
    let attribution = move || {
        streets.get().map(
            |settings| view! { <p class="attribution" data-testid="attribution">{settings.attribution}</p> },
        )
    };
    let view_box = move || {
        let v = view.get();
        format!("{:.2} {:.2} {:.2} {:.2}", v.x, v.y, v.w, v.h)
    };
    let cross = move || {
        let v = view.get();
        let (cx, cy, r) = (v.x + v.w / 2.0, v.y + v.h / 2.0, v.w / 40.0);
        format!("M{} {}H{}M{} {}V{}", cx - r, cy, cx + r, cx, cy - r, cy + r)
    };
    let hint = move || {
        if on_pick.is_some() {
            t(
                "Chạm vào bản đồ để chọn vị trí. Bàn phím: mũi tên để di chuyển, + và − để phóng to, Enter để chọn điểm giữa.",
                "Tap the map to choose the spot. Keyboard: arrows to move, + and − to zoom, Enter picks the centre.",
            )
        } else {
            t("Kéo để di chuyển, cuộn hoặc + và − để phóng to.", "Drag to move; scroll or + and − to zoom.")
        }
    };

    view! {
        <div class="map" class:streets=move || streets.with(Option::is_some)>
            <svg
                node_ref=svg_ref
                viewBox=view_box
                preserveAspectRatio="xMidYMid meet"
                tabindex="0"
                role="application"
                aria-label=move || t(label.0, label.1)
                aria-describedby="map-hint"
                on:pointerdown=on_pointer_down
                on:pointermove=on_pointer_move
                on:pointerup=on_pointer_up
                on:pointerleave=move |_| press.set_value(None)
                on:wheel=on_wheel
                on:keydown=on_key
            >
                <g class="tiles" inner_html=tile_layer></g>
                <g style:stroke-width=move || format!("{}", view.get().w / 600.0)>{paths}</g>
                {pins}
                {picked_pin}
                <path class="cross" d=cross style:stroke-width=move || format!("{}", view.get().w / 400.0)/>
            </svg>
            <div class="map-buttons">
                <button type="button" on:click=move |_| zoom_centre(0.7) aria-label=move || t("Phóng to", "Zoom in")>"+"</button>
                <button type="button" on:click=move |_| zoom_centre(1.4) aria-label=move || t("Thu nhỏ", "Zoom out")>"−"</button>
                <button type="button" on:click=move |_| view.set(whole) aria-label=move || t("Toàn thành phố", "Whole city")>"⤢"</button>
            </div>
            {attribution}
            <p id="map-hint" class="hint">{hint}</p>
        </div>
    }
}
