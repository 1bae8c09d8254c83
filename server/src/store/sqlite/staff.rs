//! [`Staff`] in SQLite.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::types::Type;
use rusqlite::{OptionalExtension, Row, params};

use super::rows::time;
use super::{Sqlite, stamp};
use crate::staff::{Role, StaffMember};
use crate::store::{Account, Staff, StoreError, WardRecord};

impl Staff for Sqlite<'_> {
    fn add_staff(
        &mut self,
        username: &str,
        password_hash: &str,
        role: Role,
        ward_code: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        Ok(self.query_row(
                "INSERT INTO staff (username, password_hash, role, ward_code, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (username) DO NOTHING RETURNING id",
                params![username, password_hash, role.as_str(), ward_code, stamp(at)],
                |row| row.get(0),
            )
            .optional()?)
    }

    fn account(&mut self, username: &str) -> Result<Option<Account>, StoreError> {
        Ok(self
            .query_row(
                "SELECT id, username, role, ward_code, password_hash, disabled_at IS NOT NULL,
                        (SELECT name FROM wards WHERE code = staff.ward_code ORDER BY valid_from DESC LIMIT 1)
                 FROM staff WHERE username = ?1",
                [username],
                |row| {
                    Ok(Account {
                        member: member(row)?,
                        password_hash: row.get(4)?,
                        disabled: row.get(5)?,
                        ward_name: row.get(6)?,
                    })
                },
            )
            .optional()?)
    }

    fn disable_staff(&mut self, username: &str, at: DateTime<Utc>) -> Result<Option<usize>, StoreError> {
        let tx = self.0;
        let id: Option<i64> = tx
            .query_row("SELECT id FROM staff WHERE username = ?1", [username], |row| row.get(0))
            .optional()?;
        let Some(id) = id else { return Ok(None) };
        let at = stamp(at);
        tx.execute(
            "UPDATE staff SET disabled_at = ?2 WHERE id = ?1 AND disabled_at IS NULL",
            params![id, at],
        )?;
        let ended = tx.execute(
            "UPDATE sessions SET expires_at = ?2 WHERE staff_id = ?1 AND expires_at > ?2",
            params![id, at],
        )?;
        Ok(Some(ended))
    }

    fn add_session(
        &mut self,
        token_hash: &[u8],
        staff_id: i64,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.execute("DELETE FROM sessions WHERE expires_at <= ?1", [stamp(at)])?;
        self.execute(
            "INSERT INTO sessions (token_hash, staff_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![token_hash, staff_id, stamp(at), stamp(expires_at)],
        )?;
        Ok(())
    }

    fn session(
        &mut self,
        token_hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<(StaffMember, bool)>, StoreError> {
        Ok(self
            .query_row(
                "SELECT staff.id, staff.username, staff.role, staff.ward_code,
                        sessions.expires_at > ?2 AND staff.disabled_at IS NULL
                 FROM sessions JOIN staff ON staff.id = sessions.staff_id
                 WHERE sessions.token_hash = ?1",
                params![token_hash, stamp(now)],
                |row| Ok((member(row)?, row.get(4)?)),
            )
            .optional()?)
    }

    fn session_ends(&mut self, token_hash: &[u8]) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(self
            .query_row(
                "SELECT sessions.expires_at FROM sessions JOIN staff ON staff.id = sessions.staff_id
                 WHERE sessions.token_hash = ?1 AND staff.disabled_at IS NULL",
                [token_hash],
                |row| time(row, 0),
            )
            .optional()?)
    }

    fn end_sessions(
        &mut self,
        token_hash: &[u8],
        everywhere: bool,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let sql = match everywhere {
            true => {
                "UPDATE sessions SET expires_at = ?2 WHERE expires_at > ?2
                 AND staff_id = (SELECT staff_id FROM sessions WHERE token_hash = ?1 AND expires_at > ?2)"
            }
            false => "UPDATE sessions SET expires_at = ?2 WHERE token_hash = ?1 AND expires_at > ?2",
        };
        Ok(self.execute(sql, params![token_hash, stamp(now)])?)
    }

    fn record_wards(
        &mut self,
        valid_from: NaiveDate,
        valid_until: Option<NaiveDate>,
        wards: &[WardRecord],
    ) -> Result<(), StoreError> {
        let mut insert = self.0.prepare_cached(
            "INSERT OR IGNORE INTO wards (code, valid_from, valid_until, name, name_en, kind)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let (valid_from, valid_until) = (valid_from.to_string(), valid_until.map(|d| d.to_string()));
        for ward in wards {
            insert.execute(params![
                ward.code,
                valid_from,
                valid_until,
                ward.name,
                ward.name_en,
                ward.kind
            ])?;
        }
        Ok(())
    }

    fn ward_name(&mut self, code: &str, valid_from: Option<NaiveDate>) -> Result<Option<String>, StoreError> {
        Ok(self
            .query_row(
                "SELECT name FROM wards WHERE code = ?1 AND (?2 IS NULL OR valid_from = ?2)
                 ORDER BY valid_from DESC LIMIT 1",
                params![code, valid_from.map(|d| d.to_string())],
                |row| row.get(0),
            )
            .optional()?)
    }
}

/// A member from the first four columns of `row`: id, username, role, ward_code.
fn member(row: &Row) -> rusqlite::Result<StaffMember> {
    let role: String = row.get(2)?;
    let role = role
        .parse()
        .map_err(|error| rusqlite::Error::FromSqlConversionFailure(2, Type::Text, Box::new(error)))?;
    Ok(StaffMember { id: row.get(0)?, username: row.get(1)?, role, ward_code: row.get(3)? })
}
