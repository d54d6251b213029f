//! Column types that both backends store natively: a point in time and a calendar day.
//!
//! PostgreSQL keeps `TIMESTAMPTZ` and `DATE`, so an operator reading the database with
//! `psql` sees real times; SQLite keeps integer microseconds and ISO day strings, which
//! sort correctly and index well.

use jiff::{Timestamp, civil::Date};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgTypeInfo, PgValueFormat, PgValueRef};
use sqlx::sqlite::{SqliteTypeInfo, SqliteValueRef};
use sqlx::{Database, Decode, Encode, Postgres, Sqlite, Type};

/// Microseconds between the Unix epoch and PostgreSQL's epoch (2000-01-01).
const PG_EPOCH_US: i64 = 946_684_800_000_000;
/// Days between 1970-01-01 and 2000-01-01.
const PG_EPOCH_DAYS: i32 = 10_957;

/// A UTC instant as stored (microsecond precision).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ts(pub Timestamp);

impl Ts {
    /// Microseconds since the Unix epoch.
    pub fn micros(self) -> i64 {
        self.0.as_microsecond()
    }

    fn from_micros(us: i64) -> Result<Self, BoxDynError> {
        Ok(Ts(Timestamp::from_microsecond(us)?))
    }
}

impl From<Timestamp> for Ts {
    fn from(t: Timestamp) -> Self {
        Ts(t)
    }
}

impl Type<Sqlite> for Ts {
    fn type_info() -> SqliteTypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <i64 as Type<Sqlite>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Sqlite> for Ts {
    fn encode_by_ref(
        &self,
        buf: &mut <Sqlite as Database>::ArgumentBuffer,
    ) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<'q, Sqlite>>::encode(self.micros(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Ts {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        Ts::from_micros(<i64 as Decode<'r, Sqlite>>::decode(value)?)
    }
}

impl Type<Postgres> for Ts {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_name("timestamptz")
    }
}

impl<'q> Encode<'q, Postgres> for Ts {
    fn encode_by_ref(
        &self,
        buf: &mut <Postgres as Database>::ArgumentBuffer,
    ) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<'q, Postgres>>::encode(self.micros() - PG_EPOCH_US, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Ts {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        match value.format() {
            PgValueFormat::Binary => {
                Ts::from_micros(<i64 as Decode<'r, Postgres>>::decode(value)? + PG_EPOCH_US)
            }
            // Text appears only for unprepared queries; PostgreSQL prints `2026-11-22 02:14:39.5+00`.
            PgValueFormat::Text => {
                let s = value.as_str()?.replacen(' ', "T", 1);
                let s = if s.ends_with("+00") {
                    format!("{s}:00")
                } else {
                    s
                };
                Ok(Ts(s.parse()?))
            }
        }
    }
}

/// A calendar day (no time zone), such as the first day of a designation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub Date);

impl From<Date> for Day {
    fn from(d: Date) -> Self {
        Day(d)
    }
}

impl Type<Sqlite> for Day {
    fn type_info() -> SqliteTypeInfo {
        <String as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <String as Type<Sqlite>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Sqlite> for Day {
    fn encode_by_ref(
        &self,
        buf: &mut <Sqlite as Database>::ArgumentBuffer,
    ) -> Result<IsNull, BoxDynError> {
        <String as Encode<'q, Sqlite>>::encode(self.0.to_string(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Day {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Day(<&str as Decode<'r, Sqlite>>::decode(value)?.parse()?))
    }
}

impl Type<Postgres> for Day {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_name("date")
    }
}

impl<'q> Encode<'q, Postgres> for Day {
    fn encode_by_ref(
        &self,
        buf: &mut <Postgres as Database>::ArgumentBuffer,
    ) -> Result<IsNull, BoxDynError> {
        let days = self
            .0
            .to_zoned(jiff::tz::TimeZone::UTC)?
            .timestamp()
            .as_second()
            / 86_400;
        <i32 as Encode<'q, Postgres>>::encode(days as i32 - PG_EPOCH_DAYS, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Day {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        match value.format() {
            PgValueFormat::Binary => {
                let days = <i32 as Decode<'r, Postgres>>::decode(value)? + PG_EPOCH_DAYS;
                let ts = Timestamp::from_second(i64::from(days) * 86_400)?;
                Ok(Day(ts.to_zoned(jiff::tz::TimeZone::UTC).date()))
            }
            PgValueFormat::Text => Ok(Day(value.as_str()?.parse()?)),
        }
    }
}
