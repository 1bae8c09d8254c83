//! The dossier figures: the dossiers that count are read in one query (received in the
//! period, or open now), and tallied per ward and per procedure. The definitions are those
//! of [`DossierDashboard`].

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use phananh_shared::api::WardRef;
use phananh_shared::dashboard::{
    DossierDashboard, DossierFigures, OverdueDossier, ProcedureDossierFigures, WardDossierFigures,
};
use phananh_shared::dossier::{Catalogue, DossierStatus};
use phananh_shared::sla::WorkCalendar;

use super::Period;
use super::figures::{hours, percent};
use crate::error::DomainError;
pub use crate::store::DossierFacts;
use crate::store::Store;

impl DossierFacts {
    /// Working hours past its due date, if it is open and late at `now`: a wait for
    /// documents stops the count where the wait began.
    fn late_hours(&self, now: DateTime<Utc>, calendar: &WorkCalendar) -> Option<f64> {
        if self.status.is_final() {
            return None;
        }
        let until = self.paused_at.unwrap_or(now);
        (self.due_at <= until).then(|| hours(calendar.working_time_between(self.due_at, until)))
    }
}

/// The dossier dashboard of `wards` (every ward for the city, or one) over `period`.
pub async fn dashboard(
    store: &Store,
    wards: Vec<WardRef>,
    one_ward: bool,
    period: Period,
) -> Result<DossierDashboard, DomainError> {
    let ward = one_ward.then(|| wards[0].code.clone());
    let facts = store.query(move |db| db.counted_dossiers(ward.as_deref(), period.instants())).await?;
    Ok(compute(&facts, &wards, period, WorkCalendar::vietnam()))
}

/// The dashboard from `facts`, with the names of `wards`.
pub fn compute(
    facts: &[DossierFacts],
    wards: &[WardRef],
    period: Period,
    calendar: &WorkCalendar,
) -> DossierDashboard {
    let (start, end) = period.instants();
    let names: BTreeMap<&str, &WardRef> = wards.iter().map(|w| (w.code.as_str(), w)).collect();
    let (mut total, mut by_ward, mut by_procedure) = (Tally::default(), BTreeMap::new(), BTreeMap::new());
    let mut overdue = Vec::new();
    for dossier in facts {
        let late = dossier.late_hours(period.now, calendar);
        let received_in_period = (start..end).contains(&dossier.received_at);
        for tally in [
            &mut total,
            by_ward.entry(dossier.ward.as_str()).or_insert_with(Tally::default),
            by_procedure.entry(dossier.procedure.as_str()).or_insert_with(Tally::default),
        ] {
            tally.add(dossier, received_in_period, late.is_some());
        }
        if let (Some(late_hours), Some(ward)) = (late, names.get(dossier.ward.as_str())) {
            overdue.push(OverdueDossier {
                code: dossier.code.clone(),
                procedure: dossier.procedure.clone(),
                ward: (*ward).clone(),
                status: dossier.status,
                due_at: dossier.due_at,
                late_hours,
            });
        }
    }
    overdue.sort_by(|a, b| b.late_hours.total_cmp(&a.late_hours).then_with(|| a.code.cmp(&b.code)));
    let wards = by_ward
        .into_iter()
        .filter_map(|(code, tally)| {
            names.get(code).map(|ward| WardDossierFigures { ward: (*ward).clone(), figures: tally.figures() })
        })
        .collect();
    let procedures = Catalogue::shipped()
        .procedures()
        .iter()
        .filter_map(|procedure| {
            by_procedure.get(procedure.code.as_str()).map(|tally| ProcedureDossierFigures {
                procedure: procedure.code.clone(),
                name_vi: procedure.name_vi.clone(),
                name_en: procedure.name_en.clone(),
                figures: tally.figures(),
            })
        })
        .collect();
    DossierDashboard {
        from: period.from,
        to: period.to,
        now: period.now,
        total: total.figures(),
        wards,
        procedures,
        overdue,
    }
}

#[derive(Debug, Default)]
struct Tally {
    figures: DossierFigures,
}

impl Tally {
    fn add(&mut self, dossier: &DossierFacts, received_in_period: bool, late: bool) {
        let f = &mut self.figures;
        if received_in_period {
            f.received += 1;
            if let Some(finished_at) = dossier.finished_at {
                f.finished += 1;
                f.due += 1;
                f.on_time += u64::from(finished_at <= dossier.due_at);
            } else if late {
                f.due += 1;
            }
        }
        if !dossier.status.is_final() {
            f.open += 1;
            f.waiting_for_documents += u64::from(dossier.status == DossierStatus::NeedsDocuments);
            f.overdue_now += u64::from(late);
        }
    }

    fn figures(&self) -> DossierFigures {
        DossierFigures {
            on_time_pct: percent(self.figures.on_time, self.figures.due),
            ..self.figures.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    //! Eight dossiers in two wards, counted over March 2026 and seen on Friday 20 March at
    //! 10:00, every figure worked out by hand (working hours 08:00–12:00 and 13:00–17:00; no
    //! holiday in March 2026).

    use chrono::NaiveDate;
    use phananh_shared::sla::to_utc;

    use super::*;
    use DossierStatus::*;

    fn t(local: &str) -> DateTime<Utc> {
        to_utc(chrono::NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M").unwrap())
    }

    fn dossier(
        code: &str,
        ward: &str,
        procedure: &str,
        status: DossierStatus,
        (received, due): (&str, &str),
        paused: Option<&str>,
        finished: Option<&str>,
    ) -> DossierFacts {
        DossierFacts {
            code: code.into(),
            procedure: procedure.into(),
            ward: ward.into(),
            status,
            received_at: t(received),
            due_at: t(due),
            paused_at: paused.map(t),
            finished_at: finished.map(t),
        }
    }

    fn fixture() -> DossierDashboard {
        let facts = [
            // A: done a day early.
            dossier(
                "A",
                "00070",
                "cu-tru-tam-tru",
                Done,
                ("2026-03-02 09:00", "2026-03-05 09:00"),
                None,
                Some("2026-03-04 15:00"),
            ),
            // B: done three days late.
            dossier(
                "B",
                "00070",
                "cu-tru-tam-tru",
                Done,
                ("2026-03-03 09:00", "2026-03-06 09:00"),
                None,
                Some("2026-03-09 11:00"),
            ),
            // C: processing, due Thursday 09:00: late by 3 + 4 + 2 = 9 working hours.
            dossier(
                "C",
                "00070",
                "cu-tru-thuong-tru",
                Processing,
                ("2026-03-10 09:00", "2026-03-19 09:00"),
                None,
                None,
            ),
            // D: waiting for documents since before its due date: not late.
            dossier(
                "D",
                "00070",
                "cu-tru-thuong-tru",
                NeedsDocuments,
                ("2026-03-12 09:00", "2026-03-23 09:00"),
                Some("2026-03-16 10:00"),
                None,
            ),
            // E: already an hour late when the wait began: late by that hour, no more.
            dossier(
                "E",
                "00004",
                "cu-tru-tam-tru",
                NeedsDocuments,
                ("2026-03-02 09:00", "2026-03-05 09:00"),
                Some("2026-03-05 10:00"),
                None,
            ),
            // F: received before the period, open and late by 1 + 2 = 3 working hours.
            dossier(
                "F",
                "00004",
                "ho-chieu",
                Processing,
                ("2026-02-20 09:00", "2026-03-19 16:00"),
                None,
                None,
            ),
            // G: received and finished before the period: nothing to count.
            dossier(
                "G",
                "00004",
                "ho-chieu",
                Done,
                ("2026-02-10 09:00", "2026-02-20 09:00"),
                None,
                Some("2026-02-19 09:00"),
            ),
            // H: returned with a reason before its due date: an answer on time.
            dossier(
                "H",
                "00004",
                "cu-tru-tam-tru",
                Returned,
                ("2026-03-18 09:00", "2026-03-23 09:00"),
                None,
                Some("2026-03-19 09:00"),
            ),
        ];
        let wards = [
            WardRef { code: "00004".into(), name: "Phường Ba Đình".into() },
            WardRef { code: "00070".into(), name: "Phường Hoàn Kiếm".into() },
        ];
        let period = Period {
            from: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
            now: t("2026-03-20 10:00"),
        };
        compute(&facts, &wards, period, WorkCalendar::vietnam())
    }

    /// Figures from `[received, finished, due, on_time, open, waiting, overdue]` and the %.
    fn figures(counts: [u64; 7], on_time_pct: Option<f64>) -> DossierFigures {
        let [received, finished, due, on_time, open, waiting_for_documents, overdue_now] = counts;
        DossierFigures {
            received,
            finished,
            due,
            on_time,
            on_time_pct,
            open,
            waiting_for_documents,
            overdue_now,
        }
    }

    #[test]
    fn the_city_and_each_ward_count_as_worked_out_by_hand() {
        let dashboard = fixture();
        // Received in March: A B C D E H; finished A B H; due those and the late C E; on
        // time A H; open C D E F; waiting D E; late now C E F.
        assert_eq!(dashboard.total, figures([6, 3, 5, 2, 4, 2, 3], Some(40.0)));
        let wards: Vec<_> =
            dashboard.wards.iter().map(|w| (w.ward.code.as_str(), w.figures.clone())).collect();
        assert_eq!(
            wards,
            [
                ("00004", figures([2, 1, 2, 1, 2, 1, 2], Some(50.0))),
                ("00070", figures([4, 2, 3, 1, 2, 1, 1], Some(33.3))),
            ]
        );
    }

    #[test]
    fn each_procedure_counts_in_the_catalogues_order_and_the_latest_come_first() {
        let dashboard = fixture();
        let procedures: Vec<_> =
            dashboard.procedures.iter().map(|p| (p.procedure.as_str(), p.figures.clone())).collect();
        assert_eq!(
            procedures,
            [
                ("cu-tru-thuong-tru", figures([2, 0, 1, 0, 2, 1, 1], Some(0.0))),
                ("cu-tru-tam-tru", figures([4, 3, 4, 2, 1, 1, 1], Some(50.0))),
                ("ho-chieu", figures([0, 0, 0, 0, 1, 0, 1], None)),
            ]
        );
        assert_eq!(dashboard.procedures[2].name_en, "Ordinary passport");
        let overdue: Vec<_> =
            dashboard.overdue.iter().map(|o| (o.code.as_str(), o.late_hours, o.status)).collect();
        assert_eq!(overdue, [("C", 9.0, Processing), ("F", 3.0, Processing), ("E", 1.0, NeedsDocuments)]);
        assert_eq!(dashboard.overdue[0].ward.name, "Phường Hoàn Kiếm");
    }
}
