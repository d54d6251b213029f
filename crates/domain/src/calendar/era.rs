//! Dates in the Japanese era calendar (和暦) and the choice between it and the Western one.
//!
//! Official notices are dated in the era (令和8年2月27日); people choose which they read on
//! pages. One function for both, so a page and a document never disagree on an era's
//! first day.

use jiff::civil::{Date, DateTime, date};

/// How dates are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DateStyle {
    /// 西暦: 2026-02-27, 2026年2月27日. The default.
    #[default]
    Seireki,
    /// 和暦: 令和8年2月27日.
    Wareki,
}

impl DateStyle {
    /// As stored: `seireki` or `wareki`.
    pub fn as_str(self) -> &'static str {
        match self {
            DateStyle::Seireki => "seireki",
            DateStyle::Wareki => "wareki",
        }
    }

    /// Parses a stored value; anything unknown reads as 西暦.
    pub fn parse_or_default(s: &str) -> Self {
        if s == "wareki" {
            DateStyle::Wareki
        } else {
            DateStyle::Seireki
        }
    }

    /// Parses a submitted value; `None` for anything else, so a form can say so.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "seireki" => Some(DateStyle::Seireki),
            "wareki" => Some(DateStyle::Wareki),
            _ => None,
        }
    }
}

/// The eras since the calendar reform, latest first, with their first days.
const ERAS: [(&str, (i16, i8, i8)); 5] = [
    ("令和", (2019, 5, 1)),
    ("平成", (1989, 1, 8)),
    ("昭和", (1926, 12, 25)),
    ("大正", (1912, 7, 30)),
    ("明治", (1868, 1, 25)),
];

/// The era and its year on `day` (令和, 8); `None` before 明治. The first year of an
/// era is 1 (written 元年 by [`wareki`]).
pub fn era_year(day: Date) -> Option<(&'static str, i16)> {
    ERAS.iter()
        .find_map(|&(name, (y, m, d))| (day >= date(y, m, d)).then(|| (name, day.year() - y + 1)))
}

/// `day` in the era calendar: 令和8年2月27日, 令和元年5月1日. Before 明治, the Western
/// year (no document of mamori goes back that far).
pub fn wareki(day: Date) -> String {
    match era_year(day) {
        Some((era, 1)) => format!("{era}元年{}月{}日", day.month(), day.day()),
        Some((era, year)) => format!("{era}{year}年{}月{}日", day.month(), day.day()),
        None => format!("{}年{}月{}日", day.year(), day.month(), day.day()),
    }
}

/// `day` as a document writes it in `style`: 2026-02-27 or 令和8年2月27日.
pub fn document_date(day: Date, style: DateStyle) -> String {
    match style {
        DateStyle::Seireki => day.strftime("%Y-%m-%d").to_string(),
        DateStyle::Wareki => wareki(day),
    }
}

/// A local date and time as a document writes it in `style`: 2026-02-27 10:05 or
/// 令和8年2月27日 10:05.
pub fn document_datetime(at: DateTime, style: DateStyle) -> String {
    match style {
        DateStyle::Seireki => at.strftime("%Y-%m-%d %H:%M").to_string(),
        DateStyle::Wareki => format!("{} {}", wareki(at.date()), at.strftime("%H:%M")),
    }
}

/// Rewrites, in `style`, a date or date and time written `2026-02-27` or
/// `2026-02-27 10:05` (as labels of deadlines are stored); other text is returned as it is.
pub fn restyle(text: &str, style: DateStyle) -> String {
    if style == DateStyle::Seireki {
        return text.to_owned();
    }
    if let Ok(at) = DateTime::strptime("%Y-%m-%d %H:%M", text) {
        return document_datetime(at, style);
    }
    if let Ok(day) = text.parse::<Date>()
        && text.len() == 10
    {
        return document_date(day, style);
    }
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn eras_change_on_their_first_day() {
        assert_eq!(wareki(date(2026, 2, 27)), "令和8年2月27日");
        assert_eq!(wareki(date(2019, 5, 1)), "令和元年5月1日");
        assert_eq!(wareki(date(2019, 4, 30)), "平成31年4月30日");
        assert_eq!(wareki(date(1989, 1, 8)), "平成元年1月8日");
        assert_eq!(wareki(date(1989, 1, 7)), "昭和64年1月7日");
        assert_eq!(era_year(date(1868, 1, 1)), None);
    }

    #[test]
    fn documents_write_one_style() {
        let at = date(2027, 3, 1).at(9, 5, 0, 0);
        assert_eq!(document_date(at.date(), DateStyle::Seireki), "2027-03-01");
        assert_eq!(document_date(at.date(), DateStyle::Wareki), "令和9年3月1日");
        assert_eq!(
            document_datetime(at, DateStyle::Wareki),
            "令和9年3月1日 09:05"
        );
        assert_eq!(
            restyle("2027-03-01 09:05", DateStyle::Wareki),
            "令和9年3月1日 09:05"
        );
        assert_eq!(restyle("2027-03-01", DateStyle::Wareki), "令和9年3月1日");
        assert_eq!(restyle("2027-03-01", DateStyle::Seireki), "2027-03-01");
        assert_eq!(restyle("来週", DateStyle::Wareki), "来週");
    }

    #[test]
    fn a_stored_style_reads_back() {
        for s in [DateStyle::Seireki, DateStyle::Wareki] {
            assert_eq!(DateStyle::parse(s.as_str()), Some(s));
        }
        assert_eq!(DateStyle::parse("gregorian"), None);
        assert_eq!(DateStyle::parse_or_default(""), DateStyle::Seireki);
    }
}
