//! Report endpoints: filing, reading one, and its timeline.

use std::sync::Arc;

use axum::Json;
use axum::extract::Query;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::extract::rejection::QueryRejection;
use axum::http::StatusCode;
use phananh_shared::answers::{self, AnswerTemplate};
use phananh_shared::api::{
    ActionRequest, CancelRequest, CommentRequest, Event, Following, NearbyReport, RatingRequest, ReportPage,
    ReportView,
};
use phananh_shared::report::{MAX_PHOTOS, Reference};
use phananh_shared::validation::FieldError;
use serde::Deserialize;
use uuid::Uuid;

use super::AppState;
use super::auth::{Device, Staff, Viewer};
use super::error::ApiError;
use super::params::{self, Segment};
use super::report_form::ReportForm;
use crate::reports::{self, Cursor, Filed, ListFilter};

/// `POST /api/v1/reports`: 201 with the routed report, or 200 with the stored one when the
/// same report is filed again (a retry after a lost answer). Photos sent in the same
/// (multipart) request are stored first and join those the report names.
pub async fn file(
    State(state): State<Arc<AppState>>,
    Device(device): Device,
    ReportForm { mut report, photos }: ReportForm,
) -> Result<(StatusCode, Json<ReportView>), ApiError> {
    if !photos.is_empty() {
        let count = report.photos.len() + photos.len();
        if count > MAX_PHOTOS {
            return Err(FieldError::too_many("photos", MAX_PHOTOS, count).into());
        }
        // Refuse a report that cannot be filed before its photos are decoded and stored.
        report.validate()?;
        for (position, photo) in photos.into_iter().enumerate() {
            let uploaded = state
                .uploads
                .upload(&state.store, format!("device:{device}"), photo.to_vec(), state.clock.now())
                .await
                .map_err(|error| ApiError::from(error).on(&format!("photo[{position}]")))?;
            report.photos.push(uploaded.id);
        }
    }
    let (filed, view) = reports::file(
        &state.store,
        (&state.wards, &state.policy, &state.filings),
        device,
        report,
        state.clock.now(),
    )
    .await?;
    let status = match filed {
        Filed::Created => StatusCode::CREATED,
        Filed::AlreadyThere => StatusCode::OK,
    };
    Ok((status, Json(view)))
}

/// `GET /api/v1/reports/{id}`: the full view for the device that filed it and the ward's
/// (or the city's) staff, else the public one.
pub async fn get(
    State(state): State<Arc<AppState>>,
    Viewer(reader): Viewer,
    Segment(id): Segment,
) -> Result<Json<ReportView>, ApiError> {
    let id = report_id(&state, &id).await?;
    let view = reports::get(&state.store, id, reader).await?;
    view.map(Json).ok_or_else(|| no_report(id))
}

/// `GET /api/v1/reports/{id}/events`: the report's timeline, oldest first (staff notes only
/// for the ward's and the city's staff).
pub async fn events(
    State(state): State<Arc<AppState>>,
    Viewer(reader): Viewer,
    Segment(id): Segment,
) -> Result<Json<Vec<Event>>, ApiError> {
    let id = report_id(&state, &id).await?;
    reports::events(&state.store, id, reader).await?.map(Json).ok_or_else(|| no_report(id))
}

/// `POST /api/v1/reports/{id}/actions`: staff act on a report.
pub async fn act(
    State(state): State<Arc<AppState>>,
    Staff(staff): Staff,
    Segment(id): Segment,
    body: Result<Json<ActionRequest>, JsonRejection>,
) -> Result<Json<ReportView>, ApiError> {
    let id = report_id(&state, &id).await?;
    let Json(request) = body?;
    reports::act(&state.store, &state.wards, &state.policy, staff, id, request, state.clock.now())
        .await?
        .map(Json)
        .ok_or_else(|| no_report(id))
}

/// Query parameters of `GET /api/v1/reports`, as text: [`params`] parses them.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    ward: Option<String>,
    status: Option<String>,
    category: Option<String>,
    bbox: Option<String>,
    since: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// The most reports one page holds, and how many when the client does not say.
const PAGE_MAX: u32 = 200;
const PAGE_DEFAULT: u32 = 50;

/// `GET /api/v1/reports?ward=&status=&category=&bbox=&since=&limit=&cursor=`: public views,
/// newest first, a page at a time.
pub async fn list(
    State(state): State<Arc<AppState>>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<ReportPage>, ApiError> {
    let Query(query) = query?;
    let filter = ListFilter {
        ward: query.ward.filter(|w| !w.trim().is_empty()),
        statuses: params::choices("status", query.status.as_deref())?,
        categories: query
            .category
            .as_deref()
            .map(|c| params::choice("category", c))
            .transpose()?
            .into_iter()
            .collect(),
        bbox: params::bbox("bbox", query.bbox.as_deref())?,
        since: params::time("since", query.since.as_deref())?,
        limit: params::count("limit", query.limit.as_deref(), 1, PAGE_MAX, PAGE_DEFAULT)?,
        after: query
            .cursor
            .as_deref()
            .map(|c| {
                Cursor::parse(c)
                    .ok_or_else(|| FieldError::invalid("cursor", "cursor is not one this server gave"))
            })
            .transpose()?,
        ..ListFilter::default()
    };
    Ok(Json(reports::list(&state.store, filter).await?))
}

/// Query parameters of `GET /api/v1/reports/nearby`.
#[derive(Debug, Deserialize)]
pub struct NearbyQuery {
    lon: Option<String>,
    lat: Option<String>,
    radius_m: Option<String>,
    category: Option<String>,
}

/// The search radius when the client does not say, and the largest allowed: "already
/// reported" means the same spot, not the same district.
const NEARBY_DEFAULT_M: u32 = 150;
const NEARBY_MAX_M: u32 = 2_000;

/// `GET /api/v1/reports/nearby?lon=&lat=&radius_m=&category=`: open reports near a point.
pub async fn nearby(
    State(state): State<Arc<AppState>>,
    query: Result<Query<NearbyQuery>, QueryRejection>,
) -> Result<Json<Vec<NearbyReport>>, ApiError> {
    let Query(query) = query?;
    let lon = params::number("lon", query.lon.as_deref(), -180.0, 180.0)?;
    let lat = params::number("lat", query.lat.as_deref(), -90.0, 90.0)?;
    let radius = params::count("radius_m", query.radius_m.as_deref(), 1, NEARBY_MAX_M, NEARBY_DEFAULT_M)?;
    let category = query.category.as_deref().map(|c| params::choice("category", c)).transpose()?;
    Ok(Json(reports::nearby(&state.store, lon, lat, f64::from(radius), category).await?))
}

/// `POST /api/v1/reports/{id}/follow`: "me too" from another resident.
pub async fn follow(
    State(state): State<Arc<AppState>>,
    Device(device): Device,
    Segment(id): Segment,
) -> Result<Json<Following>, ApiError> {
    let id = report_id(&state, &id).await?;
    let now = state.clock.now();
    let following = state.store.change(move |db| reports::follow(db, id, device, now)).await?;
    following.map(Json).ok_or_else(|| no_report(id))
}

/// `POST /api/v1/reports/{id}/rating`: the reporter rates the answer.
pub async fn rate(
    State(state): State<Arc<AppState>>,
    Device(device): Device,
    Segment(id): Segment,
    body: Result<Json<RatingRequest>, JsonRejection>,
) -> Result<Json<ReportView>, ApiError> {
    let id = report_id(&state, &id).await?;
    let Json(rating) = body?;
    let (policy, now) = (state.policy, state.clock.now());
    let rated = state.store.change(move |db| reports::rate(db, &policy, device, id, rating, now)).await?;
    rated.map(Json).ok_or_else(|| no_report(id))
}

/// `POST /api/v1/reports/{id}/comments`: more information from the reporter.
pub async fn comment(
    State(state): State<Arc<AppState>>,
    Device(device): Device,
    Segment(id): Segment,
    body: Result<Json<CommentRequest>, JsonRejection>,
) -> Result<Json<ReportView>, ApiError> {
    let id = report_id(&state, &id).await?;
    let Json(comment) = body?;
    let now = state.clock.now();
    let commented = state.store.change(move |db| reports::comment(db, device, id, comment, now)).await?;
    commented.map(Json).ok_or_else(|| no_report(id))
}

/// `POST /api/v1/reports/{id}/cancel`: the reporter withdraws the report.
pub async fn cancel(
    State(state): State<Arc<AppState>>,
    Device(device): Device,
    Segment(id): Segment,
    body: Result<Json<CancelRequest>, JsonRejection>,
) -> Result<Json<ReportView>, ApiError> {
    let id = report_id(&state, &id).await?;
    let Json(cancel) = body?;
    let now = state.clock.now();
    let cancelled = state.store.change(move |db| reports::cancel(db, device, id, cancel, now)).await?;
    cancelled.map(Json).ok_or_else(|| no_report(id))
}

#[derive(Debug, Deserialize)]
pub struct TemplateQuery {
    category: Option<String>,
}

/// `GET /api/v1/answer-templates?category=`: the answers staff start from, the category's
/// own first.
pub async fn templates(
    query: Result<Query<TemplateQuery>, QueryRejection>,
) -> Result<Json<Vec<&'static AnswerTemplate>>, ApiError> {
    let Query(query) = query?;
    Ok(Json(match query.category.as_deref() {
        Some(category) => answers::for_category(params::choice("category", category)?),
        None => answers::all().iter().collect(),
    }))
}

/// The report a path names: by its id, or by the reference people use (`PA-1042`).
async fn report_id(state: &AppState, text: &str) -> Result<Uuid, ApiError> {
    if let Ok(id) = Uuid::parse_str(text) {
        return Ok(id);
    }
    let reference = Reference::parse(text).ok_or_else(|| {
        FieldError::invalid(
            "id",
            format!("a report is named by its id (a UUID) or its reference (PA-1042), got {text:?}"),
        )
    })?;
    reports::by_reference(&state.store, reference)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no report {reference}")))
}

fn no_report(id: Uuid) -> ApiError {
    ApiError::not_found(format!("no report {id}"))
}
