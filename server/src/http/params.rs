//! Query parameters, taken as text and parsed here so that a bad value is refused with our
//! error naming the parameter (a 422), not the framework's plain-text 400.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use phananh_shared::validation::{ErrorCode, FieldError, check_number};
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// The one parameter of a route's path (`{id}`, `{code}`), as text. One that is not UTF-8
/// once percent-decoded is refused in the API's error shape, not axum's plain text.
pub struct Segment(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Segment {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Segment, ApiError> {
        let Path(segment) = Path::<String>::from_request_parts(parts, state).await?;
        Ok(Segment(segment))
    }
}

/// The parameter's text, if present and not blank.
fn present(raw: Option<&str>) -> Option<&str> {
    raw.map(str::trim).filter(|s| !s.is_empty())
}

/// A required number within `min..=max`.
pub fn number(field: &str, raw: Option<&str>, min: f64, max: f64) -> Result<f64, FieldError> {
    let raw = present(raw).ok_or_else(|| FieldError::required(field))?;
    let value = parse_number(field, raw)?;
    check_number(field, value, min, max)?;
    Ok(value)
}

/// An optional whole number within `min..=max`, or `default`.
pub fn count(field: &str, raw: Option<&str>, min: u32, max: u32, default: u32) -> Result<u32, FieldError> {
    let Some(raw) = present(raw) else { return Ok(default) };
    let value: u32 = raw.parse().map_err(|_| {
        FieldError::new(field, ErrorCode::NotANumber, format!("{field} must be a whole number, got {raw:?}"))
    })?;
    if !(min..=max).contains(&value) {
        return Err(FieldError::out_of_range(field, min.into(), max.into(), value.into()));
    }
    Ok(value)
}

/// An optional snake_case enum value (a status, a category), by its wire name.
pub fn choice<T: DeserializeOwned>(field: &str, raw: &str) -> Result<T, FieldError> {
    serde_json::from_value(serde_json::Value::String(raw.trim().to_owned()))
        .map_err(|_| FieldError::invalid(field, format!("{field} {raw:?} is not one of the known values")))
}

/// An optional comma-separated list of enum values.
pub fn choices<T: DeserializeOwned>(field: &str, raw: Option<&str>) -> Result<Vec<T>, FieldError> {
    present(raw).map_or(Ok(Vec::new()), |raw| raw.split(',').map(|item| choice(field, item)).collect())
}

/// An optional RFC 3339 time.
pub fn time(field: &str, raw: Option<&str>) -> Result<Option<DateTime<Utc>>, FieldError> {
    present(raw)
        .map(|raw| {
            DateTime::parse_from_rfc3339(raw).map(|t| t.with_timezone(&Utc)).map_err(|_| {
                FieldError::invalid(
                    field,
                    format!("{field} must be an RFC 3339 time such as 2025-07-01T08:00:00Z"),
                )
            })
        })
        .transpose()
}

/// An optional `min_lon,min_lat,max_lon,max_lat` box.
pub fn bbox(field: &str, raw: Option<&str>) -> Result<Option<[f64; 4]>, FieldError> {
    let Some(raw) = present(raw) else { return Ok(None) };
    let bad = || {
        FieldError::invalid(field, format!("{field} must be min_lon,min_lat,max_lon,max_lat, got {raw:?}"))
    };
    let numbers: Vec<f64> =
        raw.split(',').map(|n| parse_number(field, n.trim())).collect::<Result<_, _>>()?;
    let [min_lon, min_lat, max_lon, max_lat] = numbers[..] else { return Err(bad()) };
    for (value, limit) in [(min_lon, 180.0), (min_lat, 90.0), (max_lon, 180.0), (max_lat, 90.0)] {
        check_number(field, value, -limit, limit)?;
    }
    if min_lon > max_lon || min_lat > max_lat {
        return Err(bad());
    }
    Ok(Some([min_lon, min_lat, max_lon, max_lat]))
}

fn parse_number(field: &str, raw: &str) -> Result<f64, FieldError> {
    raw.parse().map_err(|_| {
        FieldError::new(field, ErrorCode::NotANumber, format!("{field} must be a number, got {raw:?}"))
    })
}

/// An optional `YYYY-MM-DD` date.
pub fn date(field: &str, raw: Option<&str>) -> Result<Option<chrono::NaiveDate>, FieldError> {
    present(raw)
        .map(|raw| {
            chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
                FieldError::invalid(field, format!("{field} must be a date such as 2025-07-01, got {raw:?}"))
            })
        })
        .transpose()
}

/// An optional sequence number (a cursor into the event log), 0 when absent.
pub fn sequence(field: &str, raw: Option<&str>) -> Result<u64, FieldError> {
    let Some(raw) = present(raw) else { return Ok(0) };
    raw.parse().map_err(|_| {
        FieldError::new(
            field,
            ErrorCode::NotANumber,
            format!("{field} must be a sequence number, got {raw:?}"),
        )
    })
}
