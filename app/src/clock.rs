//! Time as the screens show it: Hà Nội's wall clock, and deadlines in working hours.

use chrono::{DateTime, Datelike as _, NaiveDate, TimeDelta, Timelike as _, Utc};
use phananh_shared::sla::WorkCalendar;
use phananh_shared::sla::calendar::to_local;

use crate::i18n::Lang;

/// The browser's clock.
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

/// Today's date in Hà Nội (the dashboard's periods are Hà Nội dates, whatever the device's
/// zone: at 05:30 in Hà Nội it is still yesterday in UTC).
pub fn today() -> chrono::NaiveDate {
    to_local(now()).date()
}

// Dates are written out by hand rather than with chrono's `format`: its pattern parser and
// formatter would be in every phone's download for three fixed patterns.

/// `14:05 09/03/2026`, in Hà Nội time whatever the device's zone.
pub fn local(t: DateTime<Utc>) -> String {
    let t = to_local(t);
    format!("{:02}:{:02} {}", t.hour(), t.minute(), date(t.date()))
}

/// `09/03/2026`.
pub fn date(d: NaiveDate) -> String {
    format!("{}/{}", day_month(d), d.year())
}

/// `09/03`.
pub fn day_month(d: NaiveDate) -> String {
    format!("{:02}/{:02}", d.day(), d.month())
}

/// A deadline as a clock in working hours: "còn 6 giờ 30 phút làm việc" before it,
/// "quá hạn 2 giờ làm việc" after. Office hours only count, as the city's rules do.
pub fn deadline(lang: Lang, deadline: DateTime<Utc>, now: DateTime<Utc>) -> (String, bool) {
    let calendar = WorkCalendar::vietnam();
    let late = now > deadline;
    let span = if late {
        calendar.working_time_between(deadline, now)
    } else {
        calendar.working_time_between(now, deadline)
    };
    let text = hours_minutes(lang, span);
    let phrase = match (late, lang) {
        (false, Lang::Vi) => format!("còn {text} làm việc"),
        (false, Lang::En) => format!("{text} of working time left"),
        (true, Lang::Vi) => format!("quá hạn {text} làm việc"),
        (true, Lang::En) => format!("{text} of working time late"),
    };
    (phrase, late)
}

fn hours_minutes(lang: Lang, span: TimeDelta) -> String {
    let minutes = span.num_minutes().max(0);
    let (h, m) = (minutes / 60, minutes % 60);
    match lang {
        Lang::Vi if h == 0 => format!("{m} phút"),
        Lang::Vi => format!("{h} giờ {m} phút"),
        Lang::En if h == 0 => format!("{m} min"),
        Lang::En => format!("{h} h {m} min"),
    }
}
