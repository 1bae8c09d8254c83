//! [`Open311Clients`] and [`Open311Requests`] in PostgreSQL.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use phananh_shared::api::Event;
use uuid::Uuid;

use super::Pg;
use super::reports::event;
use crate::store::{Open311Clients, Open311Requests, ReportContact, StoreError};

impl Open311Clients for Pg<'_, '_> {
    fn add_open311_client(
        &mut self,
        device: Uuid,
        name: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let added = self.execute(
            "INSERT INTO open311_clients (device_id, name, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO NOTHING",
            &[&device, &name, &at],
        )?;
        Ok(added == 1)
    }

    fn open311_client(&mut self, key_hash: &[u8]) -> Result<Option<Uuid>, StoreError> {
        let found = self.row(
            "SELECT d.id FROM devices d JOIN open311_clients c ON c.device_id = d.id WHERE d.token_hash = $1",
            &[&key_hash],
        )?;
        Ok(found.map(|row| row.get(0)))
    }
}

impl Open311Requests for Pg<'_, '_> {
    fn add_request_details(
        &mut self,
        id: Uuid,
        contact: &ReportContact,
        media_url: Option<&str>,
    ) -> Result<(), StoreError> {
        if !contact.is_empty() {
            self.execute(
                "INSERT INTO report_contacts (report_id, name, email, phone) VALUES ($1, $2, $3, $4)",
                &[&id, &contact.name, &contact.email, &contact.phone],
            )?;
        }
        if let Some(url) = media_url {
            self.execute("UPDATE reports SET media_url = $1 WHERE id = $2", &[&url, &id])?;
        }
        Ok(())
    }

    fn media_urls(&mut self, ids: &[Uuid]) -> Result<HashMap<Uuid, Option<String>>, StoreError> {
        let rows = self.rows("SELECT id, media_url FROM reports WHERE id = ANY($1)", &[&ids])?;
        Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
    }

    fn public_events_of(&mut self, ids: &[Uuid]) -> Result<Vec<Event>, StoreError> {
        let rows = self.rows(
            "SELECT seq, report_id, ward_code, at, data FROM events
             WHERE report_id = ANY($1) AND kind <> 'noted' ORDER BY seq",
            &[&ids],
        )?;
        rows.iter().map(event).collect()
    }

    fn events_dated(
        &mut self,
        (start, end): (DateTime<Utc>, DateTime<Utc>),
        kinds: &[&str],
        limit: u32,
        offset: u32,
    ) -> Result<Vec<Event>, StoreError> {
        let rows = self.rows(
            "SELECT seq, report_id, ward_code, at, data FROM events
             WHERE at BETWEEN $1 AND $2 AND kind = ANY($3)
             ORDER BY seq LIMIT $4 OFFSET $5",
            &[&start, &end, &kinds, &i64::from(limit), &i64::from(offset)],
        )?;
        rows.iter().map(event).collect()
    }
}
