//! [`Staff`] in PostgreSQL.

use chrono::{DateTime, NaiveDate, Utc};
use tokio_postgres::Row;

use super::Pg;
use crate::staff::{Role, StaffMember};
use crate::store::{Account, Staff, StoreError, WardRecord};

impl Staff for Pg<'_, '_> {
    fn add_staff(
        &mut self,
        username: &str,
        password_hash: &str,
        role: Role,
        ward_code: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        let added = self.row(
            "INSERT INTO staff (username, password_hash, role, ward_code, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (username) DO NOTHING RETURNING id",
            &[&username, &password_hash, &role.as_str(), &ward_code, &at],
        )?;
        Ok(added.map(|row| row.get(0)))
    }

    fn account(&mut self, username: &str) -> Result<Option<Account>, StoreError> {
        let found = self.row(
            "SELECT id, username, role, ward_code, password_hash, disabled_at IS NOT NULL,
                    (SELECT name FROM wards WHERE code = staff.ward_code ORDER BY valid_from DESC LIMIT 1)
             FROM staff WHERE username = $1",
            &[&username],
        )?;
        found
            .map(|row| {
                Ok(Account {
                    member: member(&row)?,
                    password_hash: row.get(4),
                    disabled: row.get(5),
                    ward_name: row.get(6),
                })
            })
            .transpose()
    }

    fn disable_staff(&mut self, username: &str, at: DateTime<Utc>) -> Result<Option<usize>, StoreError> {
        let Some(id) = self.row("SELECT id FROM staff WHERE username = $1", &[&username])? else {
            return Ok(None);
        };
        let id: i64 = id.get(0);
        self.execute("UPDATE staff SET disabled_at = $2 WHERE id = $1 AND disabled_at IS NULL", &[&id, &at])?;
        let ended = self.execute(
            "UPDATE sessions SET expires_at = $2 WHERE staff_id = $1 AND expires_at > $2",
            &[&id, &at],
        )?;
        Ok(Some(ended as usize))
    }

    fn add_session(
        &mut self,
        token_hash: &[u8],
        staff_id: i64,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.execute("DELETE FROM sessions WHERE expires_at <= $1", &[&at])?;
        self.execute(
            "INSERT INTO sessions (token_hash, staff_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            &[&token_hash, &staff_id, &at, &expires_at],
        )?;
        Ok(())
    }

    fn session(
        &mut self,
        token_hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<(StaffMember, bool)>, StoreError> {
        let found = self.row(
            "SELECT staff.id, staff.username, staff.role, staff.ward_code,
                    sessions.expires_at > $2 AND staff.disabled_at IS NULL
             FROM sessions JOIN staff ON staff.id = sessions.staff_id
             WHERE sessions.token_hash = $1",
            &[&token_hash, &now],
        )?;
        found.map(|row| Ok((member(&row)?, row.get(4)))).transpose()
    }

    fn session_ends(&mut self, token_hash: &[u8]) -> Result<Option<DateTime<Utc>>, StoreError> {
        let found = self.row(
            "SELECT sessions.expires_at FROM sessions JOIN staff ON staff.id = sessions.staff_id
             WHERE sessions.token_hash = $1 AND staff.disabled_at IS NULL",
            &[&token_hash],
        )?;
        Ok(found.map(|row| row.get(0)))
    }

    fn end_sessions(
        &mut self,
        token_hash: &[u8],
        everywhere: bool,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let sql = match everywhere {
            true => {
                "UPDATE sessions SET expires_at = $2 WHERE expires_at > $2
                 AND staff_id = (SELECT staff_id FROM sessions WHERE token_hash = $1 AND expires_at > $2)"
            }
            false => "UPDATE sessions SET expires_at = $2 WHERE token_hash = $1 AND expires_at > $2",
        };
        Ok(self.execute(sql, &[&token_hash, &now])? as usize)
    }

    fn record_wards(
        &mut self,
        valid_from: NaiveDate,
        valid_until: Option<NaiveDate>,
        wards: &[WardRecord],
    ) -> Result<(), StoreError> {
        for ward in wards {
            self.execute(
                "INSERT INTO wards (code, valid_from, valid_until, name, name_en, kind) VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT DO NOTHING",
                &[&ward.code, &valid_from, &valid_until, &ward.name, &ward.name_en, &ward.kind],
            )?;
        }
        Ok(())
    }

    fn ward_name(&mut self, code: &str, valid_from: Option<NaiveDate>) -> Result<Option<String>, StoreError> {
        let found = self.row(
            "SELECT name FROM wards WHERE code = $1 AND ($2::date IS NULL OR valid_from = $2)
             ORDER BY valid_from DESC LIMIT 1",
            &[&code, &valid_from],
        )?;
        Ok(found.map(|row| row.get(0)))
    }
}

/// A member from the first four columns of `row`: id, username, role, ward_code.
fn member(row: &Row) -> Result<StaffMember, StoreError> {
    let role: String = row.get(2);
    let role = role.parse().map_err(|error| StoreError::Unreadable(format!("staff role: {error}")))?;
    Ok(StaffMember { id: row.get(0), username: row.get(1), role, ward_code: row.get(3) })
}
