//! [`Deadlines`] in PostgreSQL.

use chrono::{DateTime, Utc};

use super::Pg;
use crate::store::deadlines::{AWAITING_ACK, AWAITING_ANSWER, DOSSIER_RUNNING, columns};
use crate::store::{Breach, Deadlines, Missed, StoreError};

impl Deadlines for Pg<'_, '_> {
    fn passed_deadlines(&mut self, now: DateTime<Utc>) -> Result<Vec<Breach>, StoreError> {
        let mut breaches = Vec::new();
        for missed in [Missed::Acknowledgement, Missed::Handling, Missed::Dossier] {
            let (table, deadline, running, _) = columns(missed);
            let sql =
                format!("SELECT {deadline}, id, ward_code FROM {table} WHERE {running} AND {deadline} <= $1");
            let rows = self.rows(&sql, &[&now])?;
            breaches.extend(rows.iter().map(|row| Breach {
                deadline: row.get(0),
                id: row.get(1),
                ward: row.get(2),
                missed,
            }));
        }
        Ok(breaches)
    }

    fn record_breach(&mut self, breach: &Breach) -> Result<bool, StoreError> {
        let (table, deadline, running, recorded) = columns(breach.missed);
        let sql =
            format!("UPDATE {table} SET {recorded} = $1 WHERE id = $2 AND {running} AND {deadline} = $1");
        Ok(self.execute(&sql, &[&breach.deadline, &breach.id])? == 1)
    }

    fn next_deadline(&mut self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let sql = format!(
            "SELECT MIN(next) FROM (SELECT MIN(deadline_ack) AS next FROM reports WHERE {AWAITING_ACK}
             UNION ALL SELECT MIN(deadline_handle) FROM reports WHERE {AWAITING_ANSWER}
             UNION ALL SELECT MIN(due_at) FROM dossiers WHERE {DOSSIER_RUNNING}) AS deadlines"
        );
        Ok(self.rows(&sql, &[])?[0].get(0))
    }
}
