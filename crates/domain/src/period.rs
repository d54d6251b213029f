//! Periods of validity (from a start day, until an end day or open-ended).

use jiff::civil::Date;

use crate::validation::{FieldError, FieldErrors};

/// A closed range of days; `ends_on` of `None` means "until further notice".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    starts_on: Date,
    ends_on: Option<Date>,
}

impl Period {
    /// Builds a period, refusing one that ends before it starts.
    pub fn new(starts_on: Date, ends_on: Option<Date>) -> Result<Self, FieldError> {
        match ends_on {
            Some(end) if end < starts_on => Err(FieldError {
                field: "ends_on",
                code: "end-before-start",
                limit: None,
            }),
            _ => Ok(Self { starts_on, ends_on }),
        }
    }

    /// Parses the two form fields (`YYYY-MM-DD`, the end may be blank).
    pub fn parse(starts_on: &str, ends_on: &str, errors: &mut FieldErrors) -> Option<Self> {
        let start = errors.take(parse_day("starts_on", starts_on));
        let end = match ends_on.trim() {
            "" => Some(None),
            s => errors.take(parse_day("ends_on", s)).map(Some),
        };
        errors.take(Self::new(start?, end?))
    }

    /// The first day.
    pub fn starts_on(&self) -> Date {
        self.starts_on
    }

    /// The last day, if any.
    pub fn ends_on(&self) -> Option<Date> {
        self.ends_on
    }

    /// Whether `day` falls inside.
    pub fn contains(&self, day: Date) -> bool {
        self.starts_on <= day && self.ends_on.is_none_or(|end| day <= end)
    }
}

/// Parses a `YYYY-MM-DD` day.
pub fn parse_day(field: &'static str, raw: &str) -> Result<Date, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(FieldError {
            field,
            code: "required",
            limit: None,
        });
    }
    raw.parse::<Date>()
        .ok()
        .filter(|_| raw.len() == 10)
        .ok_or(FieldError {
            field,
            code: "invalid-date",
            limit: None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn end_before_start_is_refused() {
        assert_eq!(
            Period::new(date(2026, 4, 1), Some(date(2026, 3, 31)))
                .unwrap_err()
                .code,
            "end-before-start"
        );
        assert!(Period::new(date(2026, 4, 1), Some(date(2026, 4, 1))).is_ok());
    }

    #[test]
    fn contains_is_inclusive_and_open_ended() {
        let p = Period::new(date(2026, 4, 1), Some(date(2027, 3, 31))).unwrap();
        assert!(p.contains(date(2026, 4, 1)) && p.contains(date(2027, 3, 31)));
        assert!(!p.contains(date(2026, 3, 31)) && !p.contains(date(2027, 4, 1)));
        let open = Period::new(date(2026, 4, 1), None).unwrap();
        assert!(open.contains(date(2099, 1, 1)));
    }

    #[test]
    fn parse_reports_each_field() {
        let mut errors = FieldErrors::default();
        assert!(Period::parse("2026-13-01", "x", &mut errors).is_none());
        assert_eq!(errors.for_field("starts_on").unwrap().code, "invalid-date");
        assert_eq!(errors.for_field("ends_on").unwrap().code, "invalid-date");
        let mut errors = FieldErrors::default();
        let p = Period::parse("2026-04-01", " ", &mut errors).unwrap();
        assert_eq!(p.ends_on(), None);
    }
}
