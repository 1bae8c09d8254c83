//! [`Deadlines`] in SQLite.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::rows::time;
use super::{Sqlite, stamp, uuid};
use crate::store::deadlines::{AWAITING_ACK, AWAITING_ANSWER, DOSSIER_RUNNING, columns};
use crate::store::{Breach, Deadlines, Missed, StoreError};

impl Deadlines for Sqlite<'_> {
    fn passed_deadlines(&mut self, now: DateTime<Utc>) -> Result<Vec<Breach>, StoreError> {
        let mut breaches = Vec::new();
        for missed in [Missed::Acknowledgement, Missed::Handling, Missed::Dossier] {
            let (table, deadline, running, _) = columns(missed);
            let sql =
                format!("SELECT {deadline}, id, ward_code FROM {table} WHERE {running} AND {deadline} <= ?1");
            let mut query = self.0.prepare_cached(&sql)?;
            let rows = query.query_map([stamp(now)], |row| {
                Ok(Breach { deadline: time(row, 0)?, id: uuid(row, 1)?, ward: row.get(2)?, missed })
            })?;
            breaches.extend(rows.collect::<Result<Vec<_>, _>>()?);
        }
        Ok(breaches)
    }

    fn record_breach(&mut self, breach: &Breach) -> Result<bool, StoreError> {
        let (table, deadline, running, recorded) = columns(breach.missed);
        let sql =
            format!("UPDATE {table} SET {recorded} = ?1 WHERE id = ?2 AND {running} AND {deadline} = ?1");
        Ok(self.execute(&sql, params![stamp(breach.deadline), breach.id.to_string()])? == 1)
    }

    fn next_deadline(&mut self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let sql = format!(
            "SELECT MIN(next) FROM (SELECT MIN(deadline_ack) AS next FROM reports WHERE {AWAITING_ACK}
             UNION ALL SELECT MIN(deadline_handle) FROM reports WHERE {AWAITING_ANSWER}
             UNION ALL SELECT MIN(due_at) FROM dossiers WHERE {DOSSIER_RUNNING})"
        );
        Ok(self.query_row(&sql, [], |row| match row.get_ref(0)? {
            rusqlite::types::ValueRef::Null => Ok(None),
            _ => time(row, 0).map(Some),
        })?)
    }
}
