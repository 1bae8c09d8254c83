//! `GET /api/v1/dashboard` (staff: the city's figures, or a ward's) and
//! `GET /api/v1/transparency` (everyone: each ward's on-time and satisfaction figures).

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, TimeDelta};
use phananh_shared::api::WardRef;
use phananh_shared::dashboard::{self as shared_dashboard, Dashboard, DossierDashboard, Figures};
use phananh_shared::sla::to_local;
use phananh_shared::validation::FieldError;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::Staff;
use super::error::ApiError;
use super::params;
use crate::dashboard::{self, Period};
use crate::staff::StaffMember;

/// The period a dashboard covers when not said: the last 30 days.
const DEFAULT_PERIOD_DAYS: i64 = 30;

#[derive(Debug, Deserialize)]
pub struct DashboardQuery {
    from: Option<String>,
    to: Option<String>,
    ward: Option<String>,
    format: Option<String>,
    lang: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Format {
    Json,
    Csv,
}

/// The language of a CSV file's column names, as the person who downloads it reads them.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Lang {
    Vi,
    En,
}

/// `GET /api/v1/dashboard?from=&to=&ward=&format=json|csv&lang=vi|en`: city staff see every
/// ward (or the one they name); a ward officer sees their own ward only. A CSV file's column
/// names are in `lang`; without it, they are the JSON's field names, for scripts.
pub async fn dashboard(
    State(state): State<Arc<AppState>>,
    Staff(staff): Staff,
    query: Result<Query<DashboardQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query?;
    let period = period(&state, query.from.as_deref(), query.to.as_deref())?;
    let format = match query.format.as_deref() {
        Some(format) => params::choice("format", format)?,
        None => Format::Json,
    };
    let lang = query.lang.as_deref().map(|lang| params::choice::<Lang>("lang", lang)).transpose()?;
    let (wards, one_ward) = seen_wards(&state, &staff, query.ward.as_deref())?;
    let dashboard = dashboard::dashboard(&state.store, wards, one_ward, period).await?;
    Ok(match format {
        Format::Json => Json(dashboard).into_response(),
        Format::Csv => csv(&dashboard, lang)?,
    })
}

#[derive(Debug, Deserialize)]
pub struct DossierQuery {
    from: Option<String>,
    to: Option<String>,
    ward: Option<String>,
}

/// `GET /api/v1/dashboard/dossiers?from=&to=&ward=`: the desks' dossiers against their
/// statutory limits, per ward and per procedure, and those late now; seen as the dashboard.
pub async fn dossiers(
    State(state): State<Arc<AppState>>,
    Staff(staff): Staff,
    query: Result<Query<DossierQuery>, QueryRejection>,
) -> Result<Json<DossierDashboard>, ApiError> {
    let Query(query) = query?;
    let period = period(&state, query.from.as_deref(), query.to.as_deref())?;
    let (wards, one_ward) = seen_wards(&state, &staff, query.ward.as_deref())?;
    Ok(Json(dashboard::dossiers::dashboard(&state.store, wards, one_ward, period).await?))
}

/// The wards a dashboard covers, and whether it is of one ward: a ward officer's own (they
/// may not ask for another); for city staff the one they ask for, else every ward.
fn seen_wards(
    state: &AppState,
    staff: &StaffMember,
    asked: Option<&str>,
) -> Result<(Vec<WardRef>, bool), ApiError> {
    let asked = asked.map(str::trim).filter(|w| !w.is_empty());
    let ward = match (&staff.ward_code, asked) {
        (Some(own), Some(asked)) if own != asked => {
            return Err(ApiError::forbidden(format!("you are staff of ward {own}, not of ward {asked}")));
        }
        (Some(own), _) => Some(own.as_str()),
        (None, asked) => asked,
    };
    Ok(match ward {
        Some(code) => (vec![ward_ref(state, code)?], true),
        None => (state.wards.wards().iter().map(WardRef::from).collect(), false),
    })
}

#[derive(Debug, Deserialize)]
pub struct PeriodQuery {
    from: Option<String>,
    to: Option<String>,
}

/// `GET /api/v1/transparency?from=&to=`: each ward's figures for the public, computed once
/// for everyone every few seconds, and cacheable as long (by browsers and proxies alike: it
/// names nobody).
pub async fn transparency(
    State(state): State<Arc<AppState>>,
    query: Result<Query<PeriodQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query?;
    let period = period(&state, query.from.as_deref(), query.to.as_deref())?;
    let wards = || state.wards.wards().iter().map(WardRef::from).collect();
    let (figures, fresh) = state.public_figures.get(&state.store, wards, period).await?;
    let cache = format!("public, max-age={}", fresh.as_secs());
    Ok(([(header::CACHE_CONTROL, cache)], Json(&*figures)).into_response())
}

/// The period asked for: `from` and `to` both included, the last 30 days (to today, in Hà
/// Nội) when not said.
fn period(state: &AppState, from: Option<&str>, to: Option<&str>) -> Result<Period, ApiError> {
    let now = state.clock.now();
    let to: NaiveDate = params::date("to", to)?.unwrap_or_else(|| to_local(now).date());
    let from = params::date("from", from)?.unwrap_or(to - TimeDelta::days(DEFAULT_PERIOD_DAYS - 1));
    shared_dashboard::check_period(from, to)?;
    Ok(Period { from, to, now })
}

fn ward_ref(state: &AppState, code: &str) -> Result<WardRef, ApiError> {
    let ward = state.wards.ward(code).ok_or_else(|| {
        FieldError::invalid("ward", format!("there is no ward {code:?} in the boundaries in force"))
    })?;
    Ok(WardRef::from(ward))
}

/// One row of the CSV export (the total, then each ward): [`Figures`] with the backlog ages
/// as columns of their own, since CSV has no nesting.
#[derive(Serialize)]
struct Row<'a> {
    ward_code: &'a str,
    ward_name: &'a str,
    received: u64,
    acknowledged_on_time_pct: Option<f64>,
    acknowledgements_due: u64,
    resolved_on_time_pct: Option<f64>,
    resolutions_due: u64,
    resolved: u64,
    handling_hours_median: Option<f64>,
    handling_hours_p90: Option<f64>,
    satisfaction_pct: Option<f64>,
    ratings: u64,
    overdue_now: u64,
    backlog: u64,
    backlog_under_1_day: u64,
    backlog_1_to_3_days: u64,
    backlog_3_to_5_days: u64,
    backlog_5_to_10_days: u64,
    backlog_over_10_days: u64,
}

impl<'a> Row<'a> {
    fn new(ward_code: &'a str, ward_name: &'a str, f: &Figures) -> Row<'a> {
        Row {
            ward_code,
            ward_name,
            received: f.received,
            acknowledged_on_time_pct: f.acknowledged_on_time_pct,
            acknowledgements_due: f.acknowledgements_due,
            resolved_on_time_pct: f.resolved_on_time_pct,
            resolutions_due: f.resolutions_due,
            resolved: f.resolved,
            handling_hours_median: f.handling_hours_median,
            handling_hours_p90: f.handling_hours_p90,
            satisfaction_pct: f.satisfaction_pct,
            ratings: f.ratings,
            overdue_now: f.overdue_now,
            backlog: f.backlog,
            backlog_under_1_day: f.backlog_age.under_1_day,
            backlog_1_to_3_days: f.backlog_age.from_1_to_3_days,
            backlog_3_to_5_days: f.backlog_age.from_3_to_5_days,
            backlog_5_to_10_days: f.backlog_age.from_5_to_10_days,
            backlog_over_10_days: f.backlog_age.over_10_days,
        }
    }
}

/// [`Row`]'s column names in Vietnamese.
const COLUMNS_VI: [&str; 19] = [
    "Mã phường",
    "Phường",
    "Nhận được",
    "Tiếp nhận đúng hạn (%)",
    "Số phải tiếp nhận",
    "Xử lý đúng hạn (%)",
    "Số phải xử lý xong",
    "Đã xử lý",
    "Thời gian xử lý trung vị (giờ)",
    "Thời gian xử lý p90 (giờ)",
    "Hài lòng (%)",
    "Số đánh giá",
    "Quá hạn (hiện nay)",
    "Tồn đọng (hiện nay)",
    "Tồn đọng dưới 1 ngày",
    "Tồn đọng 1–3 ngày",
    "Tồn đọng 3–5 ngày",
    "Tồn đọng 5–10 ngày",
    "Tồn đọng trên 10 ngày",
];

/// [`Row`]'s column names in English.
const COLUMNS_EN: [&str; 19] = [
    "Ward code",
    "Ward",
    "Received",
    "Acknowledged on time (%)",
    "Acknowledgements due",
    "Resolved on time (%)",
    "Resolutions due",
    "Resolved",
    "Median handling time (h)",
    "p90 handling time (h)",
    "Satisfied (%)",
    "Ratings",
    "Overdue (now)",
    "Backlog (now)",
    "Backlog under 1 day",
    "Backlog 1–3 days",
    "Backlog 3–5 days",
    "Backlog 5–10 days",
    "Backlog over 10 days",
];

/// The ward table as CSV, with a byte-order mark so that spreadsheet programs read the
/// Vietnamese names as UTF-8; its column names in `lang`, or the field names without it.
fn csv(dashboard: &Dashboard, lang: Option<Lang>) -> Result<Response, ApiError> {
    let (columns, city) = match lang {
        Some(Lang::Vi) => (Some(COLUMNS_VI), "Toàn thành phố"),
        Some(Lang::En) => (Some(COLUMNS_EN), "Whole city"),
        None => (None, "Toàn thành phố"),
    };
    let bom = "\u{feff}".as_bytes().to_vec();
    let mut out = csv::WriterBuilder::new().has_headers(columns.is_none()).from_writer(bom);
    if let Some(columns) = columns {
        out.write_record(columns).map_err(ApiError::internal)?;
    }
    // A ward's own dashboard has one row: its total is that row.
    let total = (dashboard.wards.len() > 1).then(|| Row::new("", city, &dashboard.total));
    let wards = dashboard.wards.iter().map(|w| Row::new(&w.ward.code, &w.ward.name, &w.figures));
    for row in total.into_iter().chain(wards) {
        out.serialize(row).map_err(ApiError::internal)?;
    }
    let bytes = out.into_inner().map_err(ApiError::internal)?;
    let file = format!("attachment; filename=\"phananh-{}-{}.csv\"", dashboard.from, dashboard.to);
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, file)],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use phananh_shared::dashboard::Figures;

    use super::{COLUMNS_EN, COLUMNS_VI, Row};

    #[test]
    fn every_column_has_a_name_in_each_language() {
        let mut out = csv::Writer::from_writer(Vec::new());
        out.serialize(Row::new("00070", "Phường Hoàn Kiếm", &Figures::default())).unwrap();
        let text = String::from_utf8(out.into_inner().unwrap()).unwrap();
        let fields = text.lines().next().unwrap().split(',').count();
        assert_eq!([COLUMNS_VI.len(), COLUMNS_EN.len()], [fields, fields]);
    }
}
