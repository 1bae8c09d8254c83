//! [`KeptFigures`] in SQLite.

use chrono::{DateTime, NaiveDate, Utc};
use phananh_shared::report::Reference;
use rusqlite::{OptionalExtension, Row, params};
use uuid::Uuid;

use super::rows::{conversion, parsed, time, uuid};
use super::{Sqlite, stamp};
use crate::store::{
    CountedReport, DayCounts, KeptFigures, KeptReport, LateReport, OpenCounts, OpenCountsAsked, StoreError,
    WardDay,
};

/// The open statuses, as the partial index `reports_open` names them.
const OPEN: &str = "r.status IN ('submitted', 'acknowledged', 'in_progress', 'reopened')";

impl KeptFigures for Sqlite<'_> {
    fn lock_kept_report(&mut self, id: Uuid) -> Result<Option<String>, StoreError> {
        // The one writer is the lock: no other change runs meanwhile.
        Ok(self
            .query_row(
                "SELECT contribution FROM kept_reports WHERE report_id = ?1",
                [id.to_string()],
                |row| row.get(0),
            )
            .optional()?)
    }

    fn report_facts(&mut self, id: Uuid) -> Result<Option<CountedReport>, StoreError> {
        Ok(self.facts("FROM reports r WHERE r.id = ?1", params![id.to_string()])?.pop())
    }

    fn keep_report(&mut self, report: &KeptReport) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO kept_reports (report_id, answered, contribution) VALUES (?1, ?2, ?3)
             ON CONFLICT (report_id) DO UPDATE SET answered = ?2, contribution = ?3",
            params![report.id.to_string(), report.answered, report.contribution],
        )?;
        let mut add = self.0.prepare_cached(
            "INSERT INTO ward_days (ward_code, day, received, acks_due, acks_on_time, resolutions_due,
                 resolutions_on_time, ratings, satisfied, resolved, backlog_change)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (ward_code, day) DO UPDATE SET
                 received = received + ?3, acks_due = acks_due + ?4, acks_on_time = acks_on_time + ?5,
                 resolutions_due = resolutions_due + ?6, resolutions_on_time = resolutions_on_time + ?7,
                 ratings = ratings + ?8, satisfied = satisfied + ?9, resolved = resolved + ?10,
                 backlog_change = backlog_change + ?11",
        )?;
        for WardDay { ward, day, counts: c } in report.days {
            add.execute(params![
                ward,
                day.to_string(),
                c.received,
                c.acks_due,
                c.acks_on_time,
                c.resolutions_due,
                c.resolutions_on_time,
                c.ratings,
                c.satisfied,
                c.resolved,
                c.backlog_change
            ])?;
        }
        let mut add = self.0.prepare_cached(
            "INSERT INTO handling_samples (ward_code, day, tenths, n) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (ward_code, day, tenths) DO UPDATE SET n = n + ?4",
        )?;
        for sample in report.samples {
            add.execute(params![sample.ward, sample.day.to_string(), sample.tenths, sample.count])?;
        }
        Ok(())
    }

    fn ward_days(
        &mut self,
        ward: Option<&str>,
        (from, to): (NaiveDate, NaiveDate),
    ) -> Result<Vec<WardDay>, StoreError> {
        let mut query = self.0.prepare_cached(
            "SELECT ward_code, day, received, acks_due, acks_on_time, resolutions_due, resolutions_on_time,
                    ratings, satisfied, resolved, backlog_change
             FROM ward_days WHERE (?1 IS NULL OR ward_code = ?1) AND day BETWEEN ?2 AND ?3
             ORDER BY ward_code, day",
        )?;
        let rows = query.query_map(params![ward, from.to_string(), to.to_string()], |row| {
            Ok(WardDay {
                ward: row.get(0)?,
                day: date(row, 1)?,
                counts: DayCounts::from_columns(std::array::from_fn(|n| row.get(n + 2).unwrap_or_default())),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn backlog_before(
        &mut self,
        ward: Option<&str>,
        day: NaiveDate,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let mut query = self.0.prepare_cached(
            "SELECT ward_code, SUM(backlog_change) FROM ward_days
             WHERE (?1 IS NULL OR ward_code = ?1) AND day < ?2 GROUP BY ward_code",
        )?;
        let rows = query.query_map(params![ward, day.to_string()], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn handling_samples(
        &mut self,
        ward: Option<&str>,
        (from, to): (NaiveDate, NaiveDate),
    ) -> Result<Vec<(String, u32, u64)>, StoreError> {
        // A row per ward, day and tenth, straight from the covering index by day: adding
        // them up in SQL (a temporary B-tree for the GROUP BY) took ten times as long.
        let mut query = self.0.prepare_cached(
            "SELECT ward_code, tenths, n FROM handling_samples
             WHERE (?1 IS NULL OR ward_code = ?1) AND day BETWEEN ?2 AND ?3 AND n > 0",
        )?;
        let rows = query.query_map(params![ward, from.to_string(), to.to_string()], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get::<_, i64>(2)? as u64))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn open_counts(
        &mut self,
        ward: Option<&str>,
        asked: &OpenCountsAsked,
    ) -> Result<Vec<OpenCounts>, StoreError> {
        let [b1, b3, b5, b10] = asked.age_bounds.map(stamp);
        let mut query = self.0.prepare_cached(&format!(
            "SELECT r.ward_code, COUNT(*),
                    SUM((r.status = 'submitted' AND r.deadline_ack < ?2) OR r.deadline_handle < ?2),
                    SUM(r.received_at > ?5), SUM(r.received_at <= ?5 AND r.received_at > ?6),
                    SUM(r.received_at <= ?6 AND r.received_at > ?7), SUM(r.received_at <= ?7 AND r.received_at > ?8),
                    SUM(r.received_at <= ?8),
                    SUM(r.received_at >= ?3 AND r.received_at < ?4 AND NOT COALESCE(k.answered, 0) AND r.deadline_ack < ?2),
                    SUM(r.received_at >= ?3 AND r.received_at < ?4 AND r.deadline_handle < ?2)
             FROM reports r LEFT JOIN kept_reports k ON k.report_id = r.id
             WHERE {OPEN} AND (?1 IS NULL OR r.ward_code = ?1)
             GROUP BY r.ward_code"
        ))?;
        let bounds = params![
            ward,
            stamp(asked.now),
            stamp(asked.received.0),
            stamp(asked.received.1),
            b1,
            b3,
            b5,
            b10
        ];
        let rows = query.query_map(bounds, |row| {
            let n = |column| row.get::<_, i64>(column).map(|n| n as u64);
            Ok(OpenCounts {
                ward: row.get(0)?,
                backlog: n(1)?,
                overdue: n(2)?,
                by_age: [n(3)?, n(4)?, n(5)?, n(6)?, n(7)?],
                acks_due: n(8)?,
                resolutions_due: n(9)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
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
        let mut query = self.0.prepare_cached(&format!(
            "SELECT * FROM (SELECT {columns} FROM reports r
                 WHERE r.status = 'submitted' AND r.deadline_ack < ?2 AND r.deadline_ack <= ?3
                     AND (?1 IS NULL OR r.ward_code = ?1)
                 ORDER BY r.deadline_ack, r.id LIMIT ?4)
             UNION ALL
             SELECT * FROM (SELECT {columns} FROM reports r
                 WHERE {OPEN} AND r.status <> 'submitted' AND r.deadline_handle < ?2 AND r.deadline_handle <= ?3
                     AND (?1 IS NULL OR r.ward_code = ?1)
                 ORDER BY r.deadline_handle, r.id LIMIT ?4)"
        ))?;
        // SQLite's "no limit" is a negative one.
        let limit = limit.map_or(-1, i64::from);
        let rows = query.query_map(params![ward, stamp(now), stamp(missed_by), limit], late_report)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn reports_not_kept(&mut self, after: Option<Uuid>, limit: u32) -> Result<Vec<Uuid>, StoreError> {
        let mut query = self.0.prepare_cached(
            "SELECT r.id FROM reports r
             WHERE r.id > ?1 AND NOT EXISTS (SELECT 1 FROM kept_reports k WHERE k.report_id = r.id)
             ORDER BY r.id LIMIT ?2",
        )?;
        let after = after.map_or_else(String::new, |id| id.to_string());
        let rows = query.query_map(params![after, limit], |row| uuid(row, 0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn late_report(row: &Row) -> rusqlite::Result<LateReport> {
    Ok(LateReport {
        id: uuid(row, 0)?,
        reference: row.get::<_, Option<i64>>(1)?.map(|number| Reference(number as u64)),
        ward: row.get(2)?,
        status: parsed(row, 3)?,
        received_at: time(row, 4)?,
        deadline_ack: time(row, 5)?,
        deadline_handle: time(row, 6)?,
    })
}

fn date(row: &Row, column: usize) -> rusqlite::Result<NaiveDate> {
    let text: String = row.get(column)?;
    text.parse().map_err(|e| conversion(column, e))
}
