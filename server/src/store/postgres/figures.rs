//! [`KeptFigures`] in PostgreSQL.

use chrono::{DateTime, NaiveDate, Utc};
use phananh_shared::report::Reference;
use tokio_postgres::Row;
use uuid::Uuid;

use super::{Pg, named};
use crate::store::{
    CountedReport, DayCounts, KeptFigures, KeptReport, LateReport, OpenCounts, OpenCountsAsked, StoreError,
    WardDay,
};

/// The open statuses, as the partial indexes name them.
const OPEN: &str = "r.status IN ('submitted', 'acknowledged', 'in_progress', 'reopened')";

impl KeptFigures for Pg<'_, '_> {
    fn lock_kept_report(&mut self, id: Uuid) -> Result<Option<String>, StoreError> {
        // The report's row is the lock, as every change of a report that moves a figure takes
        // it first (it writes the report); a node filling history takes it too. Read after
        // the lock, in a statement of its own, so that it sees what the last holder committed.
        self.row("SELECT 1 FROM reports WHERE id = $1 FOR UPDATE", &[&id])?;
        Ok(self
            .row("SELECT contribution FROM kept_reports WHERE report_id = $1", &[&id])?
            .map(|row| row.get(0)))
    }

    fn report_facts(&mut self, id: Uuid) -> Result<Option<CountedReport>, StoreError> {
        Ok(self.facts("FROM reports r WHERE r.id = $1", &[&id])?.pop())
    }

    fn keep_report(&mut self, report: &KeptReport) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO kept_reports (report_id, answered, contribution) VALUES ($1, $2, $3)
             ON CONFLICT (report_id) DO UPDATE SET answered = $2, contribution = $3",
            &[&report.id, &report.answered, &report.contribution],
        )?;
        for WardDay { ward, day, counts: c } in report.days {
            self.execute(
                "INSERT INTO ward_days AS w (ward_code, day, received, acks_due, acks_on_time, resolutions_due,
                     resolutions_on_time, ratings, satisfied, resolved, backlog_change)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                 ON CONFLICT (ward_code, day) DO UPDATE SET
                     received = w.received + $3, acks_due = w.acks_due + $4, acks_on_time = w.acks_on_time + $5,
                     resolutions_due = w.resolutions_due + $6, resolutions_on_time = w.resolutions_on_time + $7,
                     ratings = w.ratings + $8, satisfied = w.satisfied + $9, resolved = w.resolved + $10,
                     backlog_change = w.backlog_change + $11",
                &[
                    ward,
                    day,
                    &c.received,
                    &c.acks_due,
                    &c.acks_on_time,
                    &c.resolutions_due,
                    &c.resolutions_on_time,
                    &c.ratings,
                    &c.satisfied,
                    &c.resolved,
                    &c.backlog_change,
                ],
            )?;
        }
        for sample in report.samples {
            self.execute(
                "INSERT INTO handling_samples AS h (ward_code, day, tenths, n) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (ward_code, day, tenths) DO UPDATE SET n = h.n + $4",
                &[&sample.ward, &sample.day, &(sample.tenths as i32), &sample.count],
            )?;
        }
        Ok(())
    }

    fn ward_days(
        &mut self,
        ward: Option<&str>,
        (from, to): (NaiveDate, NaiveDate),
    ) -> Result<Vec<WardDay>, StoreError> {
        let rows = self.rows(
            "SELECT ward_code, day, received, acks_due, acks_on_time, resolutions_due, resolutions_on_time,
                    ratings, satisfied, resolved, backlog_change
             FROM ward_days WHERE ($1::text IS NULL OR ward_code = $1) AND day BETWEEN $2 AND $3
             ORDER BY ward_code, day",
            &[&ward, &from, &to],
        )?;
        Ok(rows
            .iter()
            .map(|row| WardDay {
                ward: row.get(0),
                day: row.get(1),
                counts: DayCounts::from_columns(std::array::from_fn(|n| row.get(n + 2))),
            })
            .collect())
    }

    fn backlog_before(
        &mut self,
        ward: Option<&str>,
        day: NaiveDate,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = self.rows(
            "SELECT ward_code, SUM(backlog_change)::bigint FROM ward_days
             WHERE ($1::text IS NULL OR ward_code = $1) AND day < $2 GROUP BY ward_code",
            &[&ward, &day],
        )?;
        Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
    }

    fn handling_samples(
        &mut self,
        ward: Option<&str>,
        (from, to): (NaiveDate, NaiveDate),
    ) -> Result<Vec<(String, u32, u64)>, StoreError> {
        let rows = self.rows(
            "SELECT ward_code, tenths, SUM(n)::bigint FROM handling_samples
             WHERE ($1::text IS NULL OR ward_code = $1) AND day BETWEEN $2 AND $3
             GROUP BY ward_code, tenths HAVING SUM(n) > 0",
            &[&ward, &from, &to],
        )?;
        Ok(rows
            .iter()
            .map(|row| (row.get(0), row.get::<_, i32>(1) as u32, row.get::<_, i64>(2) as u64))
            .collect())
    }

    fn open_counts(
        &mut self,
        ward: Option<&str>,
        asked: &OpenCountsAsked,
    ) -> Result<Vec<OpenCounts>, StoreError> {
        let [b1, b3, b5, b10] = asked.age_bounds;
        let rows = self.rows(
            &format!(
                "SELECT r.ward_code, COUNT(*),
                        COUNT(*) FILTER (WHERE (r.status = 'submitted' AND r.deadline_ack < $2) OR r.deadline_handle < $2),
                        COUNT(*) FILTER (WHERE r.received_at > $5),
                        COUNT(*) FILTER (WHERE r.received_at <= $5 AND r.received_at > $6),
                        COUNT(*) FILTER (WHERE r.received_at <= $6 AND r.received_at > $7),
                        COUNT(*) FILTER (WHERE r.received_at <= $7 AND r.received_at > $8),
                        COUNT(*) FILTER (WHERE r.received_at <= $8),
                        COUNT(*) FILTER (WHERE r.received_at >= $3 AND r.received_at < $4
                                           AND NOT COALESCE(k.answered, false) AND r.deadline_ack < $2),
                        COUNT(*) FILTER (WHERE r.received_at >= $3 AND r.received_at < $4 AND r.deadline_handle < $2)
                 FROM reports r LEFT JOIN kept_reports k ON k.report_id = r.id
                 WHERE {OPEN} AND ($1::text IS NULL OR r.ward_code = $1)
                 GROUP BY r.ward_code"
            ),
            &[&ward, &asked.now, &asked.received.0, &asked.received.1, &b1, &b3, &b5, &b10],
        )?;
        Ok(rows
            .iter()
            .map(|row| {
                let n = |column| row.get::<_, i64>(column) as u64;
                OpenCounts {
                    ward: row.get(0),
                    backlog: n(1),
                    overdue: n(2),
                    by_age: [n(3), n(4), n(5), n(6), n(7)],
                    acks_due: n(8),
                    resolutions_due: n(9),
                }
            })
            .collect())
    }

    fn late_reports(
        &mut self,
        ward: Option<&str>,
        now: DateTime<Utc>,
        missed_by: DateTime<Utc>,
        limit: Option<u32>,
    ) -> Result<Vec<LateReport>, StoreError> {
        let columns =
            "r.id, r.number, r.ward_code, r.status, r.received_at, r.deadline_ack, r.deadline_handle";
        // `LIMIT NULL` is no limit.
        let limit = limit.map(i64::from);
        let rows = self.rows(
            &format!(
                "(SELECT {columns} FROM reports r
                  WHERE r.status = 'submitted' AND r.deadline_ack < $2 AND r.deadline_ack <= $3
                      AND ($1::text IS NULL OR r.ward_code = $1)
                  ORDER BY r.deadline_ack, r.id LIMIT $4)
                 UNION ALL
                 (SELECT {columns} FROM reports r
                  WHERE {OPEN} AND r.status <> 'submitted' AND r.deadline_handle < $2 AND r.deadline_handle <= $3
                      AND ($1::text IS NULL OR r.ward_code = $1)
                  ORDER BY r.deadline_handle, r.id LIMIT $4)"
            ),
            &[&ward, &now, &missed_by, &limit],
        )?;
        rows.iter().map(late_report).collect()
    }

    fn reports_not_kept(&mut self, after: Option<Uuid>, limit: u32) -> Result<Vec<Uuid>, StoreError> {
        // All the batch's reports locked before any counter is touched, and none waited for:
        // a change holding one of them would otherwise wait for a counter this batch holds,
        // while this batch waits for its report.
        let rows = self.rows(
            "SELECT r.id FROM reports r
             WHERE r.id > $1 AND NOT EXISTS (SELECT 1 FROM kept_reports k WHERE k.report_id = r.id)
             ORDER BY r.id LIMIT $2 FOR UPDATE OF r SKIP LOCKED",
            &[&after.unwrap_or_default(), &i64::from(limit)],
        )?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }
}

fn late_report(row: &Row) -> Result<LateReport, StoreError> {
    Ok(LateReport {
        id: row.get(0),
        reference: Some(Reference(row.get::<_, i64>(1) as u64)),
        ward: row.get(2),
        status: named(row.get(3))?,
        received_at: row.get(4),
        deadline_ack: row.get(5),
        deadline_handle: row.get(6),
    })
}
