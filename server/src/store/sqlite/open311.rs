//! [`Open311Clients`] and [`Open311Requests`] in SQLite.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use phananh_shared::api::Event;
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, params, params_from_iter};
use uuid::Uuid;

use super::{Sqlite, event_row, stamp, uuid};
use crate::store::{Open311Clients, Open311Requests, ReportContact, StoreError};

impl Open311Clients for Sqlite<'_> {
    fn add_open311_client(
        &mut self,
        device: Uuid,
        name: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let added = self.execute(
            "INSERT INTO open311_clients (device_id, name, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO NOTHING",
            params![device.to_string(), name, stamp(at)],
        )?;
        Ok(added == 1)
    }

    fn open311_client(&mut self, key_hash: &[u8]) -> Result<Option<Uuid>, StoreError> {
        Ok(self.query_row(
                "SELECT d.id FROM devices d JOIN open311_clients c ON c.device_id = d.id WHERE d.token_hash = ?1",
                [key_hash],
                |row| uuid(row, 0),
            )
            .optional()?)
    }
}

impl Open311Requests for Sqlite<'_> {
    fn add_request_details(
        &mut self,
        id: Uuid,
        contact: &ReportContact,
        media_url: Option<&str>,
    ) -> Result<(), StoreError> {
        if !contact.is_empty() {
            self.execute(
                "INSERT INTO report_contacts (report_id, name, email, phone) VALUES (?1, ?2, ?3, ?4)",
                params![id.to_string(), contact.name, contact.email, contact.phone],
            )?;
        }
        if let Some(url) = media_url {
            self.execute("UPDATE reports SET media_url = ?1 WHERE id = ?2", params![url, id.to_string()])?;
        }
        Ok(())
    }

    fn media_urls(&mut self, ids: &[Uuid]) -> Result<HashMap<Uuid, Option<String>>, StoreError> {
        let (marks, ids) = listed(ids);
        let mut query =
            self.0.prepare_cached(&format!("SELECT id, media_url FROM reports WHERE id IN ({marks})"))?;
        let found = query.query_map(params_from_iter(&ids), |row| Ok((uuid(row, 0)?, row.get(1)?)))?;
        Ok(found.collect::<Result<_, _>>()?)
    }

    fn public_events_of(&mut self, ids: &[Uuid]) -> Result<Vec<Event>, StoreError> {
        let (marks, ids) = listed(ids);
        let mut query = self.0.prepare_cached(&format!(
            "SELECT seq, report_id, ward_code, at, data FROM events
             WHERE report_id IN ({marks}) AND kind <> 'noted' ORDER BY seq"
        ))?;
        let events = query.query_map(params_from_iter(&ids), event_row)?.collect::<Result<_, _>>()?;
        Ok(events)
    }

    fn events_dated(
        &mut self,
        (start, end): (DateTime<Utc>, DateTime<Utc>),
        kinds: &[&str],
        limit: u32,
        offset: u32,
    ) -> Result<Vec<Event>, StoreError> {
        let marks = vec!["?"; kinds.len()].join(", ");
        let mut query = self.0.prepare_cached(&format!(
            "SELECT seq, report_id, ward_code, at, data FROM events
             WHERE at BETWEEN ? AND ? AND kind IN ({marks})
             ORDER BY seq LIMIT ? OFFSET ?"
        ))?;
        let mut values: Vec<Value> = vec![stamp(start).into(), stamp(end).into()];
        values.extend(kinds.iter().map(|kind| Value::from(kind.to_string())));
        values.extend([Value::from(i64::from(limit)), Value::from(i64::from(offset))]);
        let events = query.query_map(params_from_iter(values), event_row)?.collect::<Result<_, _>>()?;
        Ok(events)
    }
}

/// `ids` as the marks and the values of an `IN (…)` list.
fn listed(ids: &[Uuid]) -> (String, Vec<String>) {
    (vec!["?"; ids.len()].join(", "), ids.iter().map(Uuid::to_string).collect())
}
