//! Business-hours calendars: opening hours per weekday, holidays (single dates and
//! ranges) and special working days (China's 调休 weekend days that are worked), in an
//! IANA time zone.
//!
//! Hours are half-open local intervals: a calendar with `09:00-18:00` is open at
//! 09:00:00 exactly and closed at 18:00:00 exactly, whatever the daylight-saving rules of
//! its zone. The clock is never read here: callers pass the instant to judge.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use serde::{Deserialize, Serialize};

/// A calendar as written in configuration.
///
/// ```toml
/// time_zone = "Asia/Shanghai"
/// holidays = ["2026-10-01..2026-10-07", "2026-01-01"]
/// working_days = ["2026-09-20", "2026-10-10"]
/// [hours]
/// mon = ["09:00-12:00", "13:00-18:00"]
/// sat = ["10:00-16:00"]
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarConfig {
    /// IANA time zone, e.g. `Asia/Shanghai`.
    pub time_zone: String,
    /// Opening hours per weekday (`mon` ... `sun`), each `HH:MM-HH:MM` (end may be `24:00`).
    /// A day that is not listed is closed.
    #[serde(default)]
    pub hours: BTreeMap<String, Vec<String>>,
    /// Closed dates: `YYYY-MM-DD` or an inclusive range `YYYY-MM-DD..YYYY-MM-DD`.
    #[serde(default)]
    pub holidays: Vec<String>,
    /// Dates worked although they fall on a closed weekday (调休 make-up days).
    #[serde(default)]
    pub working_days: Vec<String>,
    /// Hours of those working days; Monday's hours when not given.
    #[serde(default)]
    pub working_day_hours: Option<Vec<String>>,
}

/// A calendar's verdict for an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CalendarState {
    /// Within opening hours.
    Open,
    /// Outside opening hours on an ordinary day.
    Closed,
    /// A holiday: closed all day.
    Holiday,
}

/// What is wrong with a calendar's configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("calendar {field}: {message}")]
pub struct CalendarError {
    /// Which part, e.g. `hours.mon[1]`.
    pub field: String,
    /// What is wrong and what would be right.
    pub message: String,
}

type Intervals = Vec<(Time, Option<Time>)>;

/// A compiled calendar.
#[derive(Debug, Clone)]
pub struct Calendar {
    zone: TimeZone,
    /// Opening intervals per weekday, Monday first; `None` as end means midnight.
    week: [Intervals; 7],
    /// Holiday ranges, inclusive, sorted by start.
    holidays: Vec<(Date, Date)>,
    working_days: BTreeSet<Date>,
    working_day_hours: Intervals,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn fail(field: impl Into<String>, message: impl Into<String>) -> CalendarError {
    CalendarError {
        field: field.into(),
        message: message.into(),
    }
}

fn parse_date(field: &str, text: &str) -> Result<Date, CalendarError> {
    text.trim()
        .parse::<Date>()
        .map_err(|e| fail(field, format!("{text:?} is not a date YYYY-MM-DD ({e})")))
}

fn parse_time(field: &str, text: &str) -> Result<Option<Time>, CalendarError> {
    let text = text.trim();
    if text == "24:00" {
        return Ok(None);
    }
    let ok = text.len() == 5 && text.as_bytes()[2] == b':';
    let time = if ok { text.parse::<Time>().ok() } else { None };
    time.map(Some)
        .ok_or_else(|| fail(field, format!("{text:?} is not a time HH:MM from 00:00 to 24:00")))
}

fn parse_intervals(field: &str, ranges: &[String]) -> Result<Intervals, CalendarError> {
    let mut out: Intervals = Vec::new();
    for (i, range) in ranges.iter().enumerate() {
        let field = format!("{field}[{i}]");
        let Some((start, end)) = range.split_once('-') else {
            return Err(fail(field, format!("{range:?} is not a range HH:MM-HH:MM")));
        };
        let start = parse_time(&field, start)?
            .ok_or_else(|| fail(&field, "a range cannot start at 24:00".to_owned()))?;
        let end = parse_time(&field, end)?;
        if end.is_some_and(|e| e <= start) {
            return Err(fail(
                field,
                format!(
                    "{range:?} ends before it starts; split a night shift into 22:00-24:00 and 00:00-06:00 of the next day"
                ),
            ));
        }
        out.push((start, end));
    }
    out.sort();
    for pair in out.windows(2) {
        if pair[0].1.is_none_or(|end| end > pair[1].0) {
            return Err(fail(field, "ranges overlap; merge them".to_owned()));
        }
    }
    Ok(out)
}

fn within(intervals: &Intervals, time: Time) -> bool {
    intervals
        .iter()
        .any(|&(start, end)| time >= start && end.is_none_or(|end| time < end))
}

impl Calendar {
    /// Compiles a configuration, naming the first bad field.
    pub fn new(config: &CalendarConfig) -> Result<Self, CalendarError> {
        let zone = TimeZone::get(&config.time_zone).map_err(|_| {
            fail(
                "time_zone",
                format!(
                    "{:?} is not an IANA time zone such as Asia/Shanghai",
                    config.time_zone
                ),
            )
        })?;
        let mut week: [Intervals; 7] = Default::default();
        for (day, ranges) in &config.hours {
            let Some(index) = DAYS.iter().position(|d| d.eq_ignore_ascii_case(day)) else {
                return Err(fail(
                    format!("hours.{day}"),
                    "days are mon, tue, wed, thu, fri, sat and sun",
                ));
            };
            week[index] = parse_intervals(&format!("hours.{day}"), ranges)?;
        }
        let mut holidays = Vec::new();
        for (i, text) in config.holidays.iter().enumerate() {
            let field = format!("holidays[{i}]");
            let (start, end) = if let Some((a, b)) = text.split_once("..") {
                (parse_date(&field, a)?, parse_date(&field, b)?)
            } else {
                let d = parse_date(&field, text)?;
                (d, d)
            };
            if end < start {
                return Err(fail(field, format!("{text:?} ends before it starts")));
            }
            holidays.push((start, end));
        }
        holidays.sort();
        let mut working_days = BTreeSet::new();
        for (i, text) in config.working_days.iter().enumerate() {
            let field = format!("working_days[{i}]");
            let date = parse_date(&field, text)?;
            if holidays.iter().any(|&(a, b)| (a..=b).contains(&date)) {
                return Err(fail(field, format!("{text} is also listed as a holiday")));
            }
            working_days.insert(date);
        }
        let working_day_hours = match &config.working_day_hours {
            Some(ranges) => parse_intervals("working_day_hours", ranges)?,
            None => week[0].clone(),
        };
        Ok(Self {
            zone,
            week,
            holidays,
            working_days,
            working_day_hours,
        })
    }

    /// The calendar's time zone.
    pub fn time_zone(&self) -> &TimeZone {
        &self.zone
    }

    /// Whether `date` (local) is a holiday.
    pub fn is_holiday_on(&self, date: Date) -> bool {
        // Ranges are sorted by start: only those starting on or before `date` can hold it.
        let end = self.holidays.partition_point(|&(start, _)| start <= date);
        self.holidays[..end].iter().any(|&(_, last)| date <= last)
    }

    fn local(&self, at: Timestamp) -> Zoned {
        at.to_zoned(self.zone.clone())
    }

    /// The state of the calendar at `at`.
    pub fn state(&self, at: Timestamp) -> CalendarState {
        let local = self.local(at);
        let date = local.date();
        if self.is_holiday_on(date) {
            return CalendarState::Holiday;
        }
        let hours = if self.working_days.contains(&date) {
            &self.working_day_hours
        } else {
            &self.week[weekday_index(date.weekday())]
        };
        if within(hours, local.time()) {
            CalendarState::Open
        } else {
            CalendarState::Closed
        }
    }

    /// Whether the center is open at `at`.
    pub fn is_open(&self, at: Timestamp) -> bool {
        self.state(at) == CalendarState::Open
    }

    /// Whether `at` falls on a holiday (local date).
    pub fn is_holiday(&self, at: Timestamp) -> bool {
        self.is_holiday_on(self.local(at).date())
    }
}

fn weekday_index(day: Weekday) -> usize {
    day.to_monday_zero_offset() as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn beijing_office() -> Calendar {
        Calendar::new(&CalendarConfig {
            time_zone: "Asia/Shanghai".into(),
            hours: ["mon", "tue", "wed", "thu", "fri"]
                .into_iter()
                .map(|d| {
                    (
                        d.to_owned(),
                        vec!["09:00-12:00".to_owned(), "13:00-18:00".to_owned()],
                    )
                })
                .chain([("sat".to_owned(), vec!["10:00-24:00".to_owned()])])
                .collect(),
            holidays: vec!["2026-10-01..2026-10-07".into(), "2026-01-01".into()],
            working_days: vec!["2026-09-20".into(), "2026-10-10".into()],
            working_day_hours: None,
        })
        .unwrap()
    }

    /// An instant given in Beijing local time.
    fn bj(text: &str) -> Timestamp {
        format!("{text}[Asia/Shanghai]")
            .parse::<Zoned>()
            .unwrap()
            .timestamp()
    }

    #[test]
    fn open_is_exact_at_the_boundaries() {
        let cal = beijing_office();
        // 2026-11-23 is a Monday.
        assert!(!cal.is_open(bj("2026-11-23T08:59:59.999999999")));
        assert!(cal.is_open(bj("2026-11-23T09:00:00")));
        assert!(cal.is_open(bj("2026-11-23T11:59:59.999999999")));
        assert!(!cal.is_open(bj("2026-11-23T12:00:00")));
        assert!(cal.is_open(bj("2026-11-23T13:00:00")));
        assert!(!cal.is_open(bj("2026-11-23T18:00:00")));
        // Saturday until midnight; Sunday closed.
        assert!(cal.is_open(bj("2026-11-28T23:59:59.999999999")));
        assert!(!cal.is_open(bj("2026-11-29T00:00:00")));
        assert_eq!(cal.state(bj("2026-11-29T10:00:00")), CalendarState::Closed);
    }

    #[test]
    fn holidays_and_make_up_working_days() {
        let cal = beijing_office();
        // National Day week: Thursday 1 October 10:00 is a holiday.
        assert_eq!(cal.state(bj("2026-10-01T10:00:00")), CalendarState::Holiday);
        assert!(cal.is_holiday(bj("2026-10-07T23:59:59")));
        assert!(!cal.is_holiday(bj("2026-10-08T00:00:00")));
        assert!(cal.is_open(bj("2026-10-08T09:00:00")));
        // Sunday 20 September is worked with Monday's hours (调休).
        assert!(cal.is_open(bj("2026-09-20T09:30:00")));
        assert!(!cal.is_open(bj("2026-09-20T12:30:00")));
        // Saturday 10 October is worked with Monday's hours, not Saturday's.
        assert!(!cal.is_open(bj("2026-10-10T20:00:00")));
        assert!(cal.is_open(bj("2026-10-10T17:59:00")));
    }

    #[test]
    fn the_zone_decides_the_local_date() {
        let cal = beijing_office();
        // 2026-09-30T16:00Z is 1 October 00:00 in Beijing: a holiday there.
        let at: Timestamp = "2026-09-30T16:00:00Z".parse().unwrap();
        assert!(cal.is_holiday(at));
        let at: Timestamp = "2026-09-30T15:59:59Z".parse().unwrap();
        assert!(!cal.is_holiday(at));
    }

    #[test]
    fn daylight_saving_days_keep_local_hours() {
        let cal = Calendar::new(&CalendarConfig {
            time_zone: "America/New_York".into(),
            hours: [("sun".to_owned(), vec!["01:00-04:00".to_owned()])].into(),
            ..CalendarConfig::default()
        })
        .unwrap();
        // 2026-03-08: clocks jump from 02:00 to 03:00. 06:59Z is 01:59 EST; 07:00Z is 03:00 EDT.
        assert!(cal.is_open("2026-03-08T06:59:00Z".parse().unwrap()));
        assert!(cal.is_open("2026-03-08T07:00:00Z".parse().unwrap()));
        // 04:00 EDT is 08:00Z: closed exactly then.
        assert!(!cal.is_open("2026-03-08T08:00:00Z".parse().unwrap()));
    }

    #[test]
    fn bad_configuration_names_the_field() {
        let base = CalendarConfig {
            time_zone: "Asia/Shanghai".into(),
            ..CalendarConfig::default()
        };
        let cases: Vec<(CalendarConfig, &str)> = vec![
            (
                CalendarConfig {
                    time_zone: "Mars/Olympus".into(),
                    ..base.clone()
                },
                "calendar time_zone: \"Mars/Olympus\" is not an IANA time zone",
            ),
            (
                CalendarConfig {
                    hours: [("funday".to_owned(), vec![])].into(),
                    ..base.clone()
                },
                "calendar hours.funday: days are",
            ),
            (
                CalendarConfig {
                    hours: [("mon".to_owned(), vec!["9-18".to_owned()])].into(),
                    ..base.clone()
                },
                "calendar hours.mon[0]: \"9\" is not a time HH:MM",
            ),
            (
                CalendarConfig {
                    hours: [("mon".to_owned(), vec!["22:00-06:00".to_owned()])].into(),
                    ..base.clone()
                },
                "split a night shift",
            ),
            (
                CalendarConfig {
                    hours: [(
                        "mon".to_owned(),
                        vec!["09:00-13:00".to_owned(), "12:00-18:00".to_owned()],
                    )]
                    .into(),
                    ..base.clone()
                },
                "ranges overlap",
            ),
            (
                CalendarConfig {
                    holidays: vec!["2026-10-07..2026-10-01".into()],
                    ..base.clone()
                },
                "calendar holidays[0]: \"2026-10-07..2026-10-01\" ends before it starts",
            ),
            (
                CalendarConfig {
                    holidays: vec!["2026-13-01".into()],
                    ..base.clone()
                },
                "is not a date YYYY-MM-DD",
            ),
            (
                CalendarConfig {
                    holidays: vec!["2026-10-01".into()],
                    working_days: vec!["2026-10-01".into()],
                    ..base.clone()
                },
                "also listed as a holiday",
            ),
        ];
        for (config, expected) in cases {
            let err = Calendar::new(&config).unwrap_err().to_string();
            assert!(err.contains(expected), "{err} lacks {expected}");
        }
    }
}
