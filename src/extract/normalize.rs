//! Numbers, dates and currencies as printed -> plain values. Shared by every extractor.
//!
//! Why a locale: "1.234" is a thousand in Germany and one-point-two elsewhere. The document's
//! locale is guessed once from all its numbers ([`detect_locale`]) and then used to read
//! the ambiguous ones.

use chrono::NaiveDate;

/// How a document writes numbers and dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Locale {
    /// 1,234.56 and month-first dates (3/7/25 = March 7).
    #[default]
    Us,
    /// 1,234.56 but day-first dates (07/03/2025 = 7 March).
    Uk,
    /// 1.234,56 and day-first dates.
    De,
}

impl Locale {
    fn decimal_comma(self) -> bool {
        self == Locale::De
    }
    fn day_first(self) -> bool {
        self != Locale::Us
    }
}

/// Guess the locale from a document's text.
pub fn detect_locale(text: &str) -> Locale {
    detect_locale_with(text, None)
}

/// Guess the locale from a document's text; `day_first` (from the country its addresses
/// name) decides the date order when no printed date does.
pub fn detect_locale_with(text: &str, day_first_hint: Option<bool>) -> Locale {
    let mut comma_dec = 0i32;
    let mut dot_dec = 0i32;
    let mut day_first = 0i32;
    let mut month_first = 0i32;
    for tok in text.split_whitespace() {
        let t = tok.trim_matches(|c: char| !c.is_ascii_digit());
        let b = t.as_bytes();
        if b.len() >= 4 {
            let n = b.len();
            if b[n - 3] == b','
                && b[..n - 3].iter().all(|c| c.is_ascii_digit() || *c == b'.')
                && b[n - 2..].iter().all(u8::is_ascii_digit)
            {
                comma_dec += 1;
            }
            if b[n - 3] == b'.'
                && b[..n - 3].iter().all(|c| c.is_ascii_digit() || *c == b',')
                && b[n - 2..].iter().all(u8::is_ascii_digit)
            {
                dot_dec += 1;
            }
        }
        let (d, m) = date_votes(t);
        day_first += d;
        month_first += m;
    }
    let lower = text.to_lowercase();
    for w in [
        "bestellung",
        "menge",
        "datum",
        "lieferadresse",
        "stück",
        "mwst",
        "gesamt",
        "einzelpreis",
    ] {
        if lower.contains(w) {
            comma_dec += 1;
            day_first += 1;
        }
    }
    if comma_dec > dot_dec {
        Locale::De
    } else if day_first > month_first || day_first == month_first && day_first_hint == Some(true) {
        Locale::Uk
    } else {
        Locale::Us
    }
}

/// What one printed token says about the date order: (day-first votes, month-first votes).
/// d.m.yyyy is a day-first habit; a/b/c with a > 12 or b > 12 tells the order. One separator
/// throughout, day and month of at most two digits, a year of two or four ("60-1.4(a)" is a
/// paragraph, not a date).
fn date_votes(t: &str) -> (i32, i32) {
    let parts: Vec<&str> = t.split(['/', '.', '-']).collect();
    let seps: Vec<char> = t.chars().filter(|c| matches!(c, '/' | '.' | '-')).collect();
    if parts.len() == 3
        && seps.windows(2).all(|w| w[0] == w[1])
        && parts[..2]
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 2 && p.bytes().all(|c| c.is_ascii_digit()))
        && matches!(parts[2].len(), 2 | 4)
        && parts[2].bytes().all(|c| c.is_ascii_digit())
    {
        let a: u32 = parts[0].parse().unwrap_or(0);
        let b: u32 = parts[1].parse().unwrap_or(0);
        if t.contains('.') && parts[2].len() == 4 {
            return (1, 0);
        } else if a > 12 && b <= 12 {
            return (2, 0);
        } else if b > 12 && a <= 12 {
            return (0, 2);
        }
    }
    (0, 0)
}

/// Whether the reading of an all-numeric date whose day and month could swap ("3/1/23") is
/// known rather than guessed: a printed date of the document fixes the order (13/03/2025),
/// or the country its addresses name agrees with the habit the numbers show (or, with no
/// country named, the numbers use decimal commas: a day-first world). A US address beside
/// decimal commas, or nothing to go on at all, leaves it a guess.
pub fn date_order_known(text: &str, day_first_hint: Option<bool>, locale: Locale) -> bool {
    let printed = text.split_whitespace().any(|tok| {
        let (d, m) = date_votes(tok.trim_matches(|c: char| !c.is_ascii_digit()));
        d > 0 || m > 0
    });
    printed
        || day_first_hint == Some(locale.day_first())
        || day_first_hint.is_none() && locale == Locale::De
}

/// "3/1/23", "04.05.2025": three numbers whose first two could each be the day or the month.
pub fn swappable_date(printed: &str) -> bool {
    let parts: Vec<&str> = printed.trim().split(['/', '.', '-']).collect();
    let [a, b, y] = parts[..] else { return false };
    let num = |p: &str| -> Option<u32> {
        (!p.is_empty() && p.len() <= 2 && p.bytes().all(|c| c.is_ascii_digit()))
            .then(|| p.parse().ok())
            .flatten()
    };
    matches!((num(a), num(b)), (Some(a), Some(b)) if a != b && (1..=12).contains(&a) && (1..=12).contains(&b))
        && matches!(y.len(), 2 | 4)
        && y.bytes().all(|c| c.is_ascii_digit())
}

/// Read a number as printed: "1,488.75", "1.488,75", "5,39", "8 885", "7,850.000000",
/// "$1,234", "22.20 E", "(12.50)", "-3.00", "12.000" (a quantity with decimals).
pub fn parse_number(s: &str, locale: Locale) -> Option<f64> {
    let s = s.trim();
    let negative =
        (s.starts_with('(') && s.ends_with(')')) || s.starts_with('-') || s.ends_with('-');
    // Keep digits and separators; a glued unit ("22.20E", "EUR") or currency sign is dropped.
    let core: String = s
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .collect::<String>()
        .chars()
        .rev()
        .skip_while(|c| !c.is_ascii_digit())
        .collect::<String>()
        .chars()
        .rev()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\'' | '’'))
        .collect();
    if core.is_empty()
        || !core
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return None;
    }
    let last_dot = core.rfind('.');
    let last_comma = core.rfind(',');
    let normalized = match (last_dot, last_comma) {
        (Some(d), Some(c)) => {
            if d > c {
                core.replace(',', "")
            } else {
                core.replace('.', "").replace(',', ".")
            }
        }
        (None, Some(c)) => {
            let decimals = core.len() - c - 1;
            let groups = core.matches(',').count();
            if groups == 1 && (decimals != 3 || locale.decimal_comma()) {
                core.replace(',', ".")
            } else {
                core.replace(',', "")
            }
        }
        (Some(d), None) => {
            let decimals = core.len() - d - 1;
            let groups = core.matches('.').count();
            if groups > 1 {
                core.replace('.', "")
            } else if decimals == 3 && locale.decimal_comma() && !core[d + 1..].ends_with("000") {
                // "1.234" in a German document is a thousand-two-hundred...
                core.replace('.', "")
            } else {
                // ...but "12.000" as a quantity is twelve with three decimals (ERP printouts).
                core
            }
        }
        (None, None) => core,
    };
    let v: f64 = normalized.parse().ok()?;
    Some(if negative { -v } else { v })
}

const MONTHS: &[(&str, u32)] = &[
    ("january", 1),
    ("jan", 1),
    ("januar", 1),
    ("janvier", 1),
    ("jänner", 1),
    ("february", 2),
    ("feb", 2),
    ("februar", 2),
    ("février", 2),
    ("march", 3),
    ("mar", 3),
    ("märz", 3),
    ("maerz", 3),
    ("mär", 3),
    ("mars", 3),
    ("april", 4),
    ("apr", 4),
    ("avril", 4),
    ("may", 5),
    ("mai", 5),
    ("june", 6),
    ("jun", 6),
    ("juni", 6),
    ("juin", 6),
    ("july", 7),
    ("jul", 7),
    ("juli", 7),
    ("juillet", 7),
    ("august", 8),
    ("aug", 8),
    ("août", 8),
    ("september", 9),
    ("sep", 9),
    ("sept", 9),
    ("septembre", 9),
    ("october", 10),
    ("oct", 10),
    ("oktober", 10),
    ("okt", 10),
    ("octobre", 10),
    ("november", 11),
    ("nov", 11),
    ("novembre", 11),
    ("december", 12),
    ("dec", 12),
    ("dezember", 12),
    ("dez", 12),
    ("décembre", 12),
    // Dutch, Spanish and Italian.
    ("januari", 1),
    ("enero", 1),
    ("gennaio", 1),
    ("februari", 2),
    ("febrero", 2),
    ("febbraio", 2),
    ("fevrier", 2),
    ("maart", 3),
    ("marzo", 3),
    ("abril", 4),
    ("aprile", 4),
    ("mei", 5),
    ("mayo", 5),
    ("maggio", 5),
    ("junio", 6),
    ("giugno", 6),
    ("julio", 7),
    ("luglio", 7),
    ("augustus", 8),
    ("agosto", 8),
    ("aout", 8),
    ("septiembre", 9),
    ("settembre", 9),
    ("octubre", 10),
    ("ottobre", 10),
    ("noviembre", 11),
    ("diciembre", 12),
    ("dicembre", 12),
    ("decembre", 12),
];

fn month_from_name(s: &str) -> Option<u32> {
    let l = s.trim_matches(|c: char| !c.is_alphabetic()).to_lowercase();
    MONTHS.iter().find(|(n, _)| *n == l).map(|(_, m)| *m)
}

fn year(y: u32) -> i32 {
    if y < 100 {
        2000 + y as i32
    } else {
        y as i32
    }
}

/// Read a date as printed: "3/7/25", "07.03.2025", "07/03/2025", "2025-03-07",
/// "10 Sep, 2025", "Sep 10, 2025", "7. Mai 2014", "9-Jul-26".
pub fn parse_date(s: &str, locale: Locale) -> Option<NaiveDate> {
    let s = s.trim().trim_end_matches(['.', ',']);
    let tokens: Vec<&str> = s
        .split(|c: char| c == '/' || c == '.' || c == '-' || c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .collect();
    if tokens.len() != 3 {
        return None;
    }
    let nums: Vec<Option<u32>> = tokens.iter().map(|t| t.parse::<u32>().ok()).collect();
    let (y, m, d) = match (nums[0], nums[1], nums[2]) {
        (Some(a), Some(b), Some(c)) => {
            if tokens[0].len() == 4 {
                (year(a), b, c)
            } else {
                let (day, month) = if a > 12 {
                    (a, b)
                } else if b > 12 {
                    (b, a)
                } else if locale.day_first() || s.contains('.') {
                    (a, b)
                } else {
                    (b, a)
                };
                (year(c), month, day)
            }
        }
        (Some(a), None, Some(c)) => (year(c), month_from_name(tokens[1])?, a),
        (None, Some(b), Some(c)) => (year(c), month_from_name(tokens[0])?, b),
        _ => return None,
    };
    if !(1990..=2100).contains(&y) {
        return None;
    }
    NaiveDate::from_ymd_opt(y, m, d)
}

/// The ISO code for a printed currency mark, if it is one.
pub fn currency_code(s: &str) -> Option<&'static str> {
    let t = s
        .trim()
        .trim_matches(|c: char| c == ':' || c == '(' || c == ')');
    Some(match t.to_uppercase().as_str() {
        "$" | "USD" | "US$" => "USD",
        "€" | "EUR" | "EURO" | "EUROS" => "EUR",
        "£" | "GBP" => "GBP",
        "AED" => "AED",
        "INR" | "₹" | "RS." => "INR",
        "CAD" | "C$" => "CAD",
        "AUD" | "A$" => "AUD",
        "CHF" => "CHF",
        "JPY" | "¥" => "JPY",
        "CNY" | "RMB" => "CNY",
        "MXN" => "MXN",
        "SEK" => "SEK",
        "DKK" => "DKK",
        "NOK" => "NOK",
        "PLN" => "PLN",
        _ => return None,
    })
}

/// "09/04/2025" reads as 9 April or 4 September; the document's habits (`detect_locale`)
/// decide, and they can be wrong (comma decimals beside month-first dates). An email says
/// when it was sent: of the two readings of an all-numeric date whose day and month could
/// swap, the one nearer to the send date is the order date. Returns the other reading when
/// it is strictly nearer.
pub fn nearer_reading(date: NaiveDate, printed: &str, sent: NaiveDate) -> Option<NaiveDate> {
    let (other, far) = readings(date, printed, sent)?;
    (far(other) < far(date)).then_some(other)
}

/// Whether the send date tells which reading of a swappable date is meant: the one given is
/// strictly nearer to it than the other.
pub fn reading_settled(date: NaiveDate, printed: &str, sent: NaiveDate) -> bool {
    readings(date, printed, sent).is_some_and(|(other, far)| far(date) < far(other))
}

/// The other reading of a swappable printed date, and the distance in days from `sent`.
fn readings(
    date: NaiveDate,
    printed: &str,
    sent: NaiveDate,
) -> Option<(NaiveDate, impl Fn(NaiveDate) -> i64)> {
    use chrono::Datelike;
    if !swappable_date(printed) {
        return None;
    }
    let other = NaiveDate::from_ymd_opt(date.year(), date.day(), date.month())?;
    Some((other, move |d: NaiveDate| (d - sent).num_days().abs()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_swappable_date_is_known_only_when_something_says_which_is_the_day() {
        use super::{date_order_known, swappable_date};
        assert!(swappable_date("3/1/23"));
        assert!(swappable_date("04.05.2025"));
        assert!(!swappable_date("13/01/2023"));
        assert!(!swappable_date("04/04/2025"));
        assert!(!swappable_date("2025-04-05"));
        assert!(!swappable_date("4-Sep-2025"));
        // A US address and decimal commas disagree; nothing printed settles it.
        let text = "PO Date 3/1/23 Toledo, OH 43650 Rate 3,36 Total 1.008,00";
        assert_eq!(detect_locale_with(text, Some(false)), Locale::De);
        assert!(!date_order_known(text, Some(false), Locale::De));
        // A date later in the document with a day over 12 settles it.
        let settled = format!("{text} Required by 3/15/23");
        assert!(date_order_known(&settled, Some(false), Locale::De));
        // Country and number habits agree, or decimal commas with no country named.
        assert!(date_order_known(
            "Date 3/1/23 Total 1,008.00",
            Some(false),
            Locale::Us
        ));
        assert!(date_order_known(
            "Datum 3.1.23 Summe 1.008,00",
            None,
            Locale::De
        ));
        // Nothing at all to go on.
        assert!(!date_order_known(
            "Date 3/1/23 Total 1,008.00",
            None,
            Locale::Us
        ));
    }

    #[test]
    fn the_country_decides_the_date_order_only_when_no_printed_date_does() {
        // "60-1.4(a)" is a paragraph number, not a day-first date.
        let text = "Order Date 01/07/2021 see 41 CFR 60-1.4(a), Camilla, GA 31730";
        assert_eq!(detect_locale_with(text, Some(false)), Locale::Us);
        assert_eq!(
            detect_locale_with("Date 09-03-2026", Some(true)),
            Locale::Uk
        );
        assert_eq!(detect_locale_with("Date 09-03-2026", None), Locale::Us);
        // A printed 13/02/2021 is day first wherever the document comes from.
        assert_eq!(
            detect_locale_with("Date 13/02/2021", Some(false)),
            Locale::Uk
        );
    }

    #[test]
    fn month_names_in_six_languages() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(parse_date("19 februari 2025", Locale::Uk), d(2025, 2, 19));
        assert_eq!(parse_date("3 marzo 2024", Locale::Uk), d(2024, 3, 3));
        assert_eq!(parse_date("12 diciembre 2023", Locale::Uk), d(2023, 12, 12));
    }

    use super::*;

    #[test]
    fn numbers_as_printed() {
        let cases: &[(&str, Locale, f64)] = &[
            ("1,488.75", Locale::Us, 1488.75),
            ("1.488,75", Locale::De, 1488.75),
            ("1.488,75", Locale::Us, 1488.75),
            ("5,39", Locale::Us, 5.39),
            ("8 885", Locale::Us, 8885.0),
            ("7,850.000000", Locale::Us, 7850.0),
            ("1500", Locale::Us, 1500.0),
            ("22.20 E", Locale::Us, 22.20),
            ("22.20E", Locale::Us, 22.20),
            ("12.000", Locale::Us, 12.0),
            ("12.000", Locale::De, 12.0),
            ("1.234", Locale::De, 1234.0),
            ("$1,234", Locale::Us, 1234.0),
            ("€ 99,00", Locale::De, 99.0),
            ("(12.50)", Locale::Us, -12.5),
            ("-3.00", Locale::Us, -3.0),
            ("1,234,567.8", Locale::Us, 1234567.8),
        ];
        for (s, loc, want) in cases {
            let got = parse_number(s, *loc);
            assert_eq!(got, Some(*want), "{s} in {loc:?}");
        }
        assert_eq!(parse_number("ABC", Locale::Us), None);
        assert_eq!(parse_number("", Locale::Us), None);
        assert_eq!(parse_number("1-2-3", Locale::Us), None);
    }

    #[test]
    fn dates_as_printed() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd);
        let cases: &[(&str, Locale, Option<NaiveDate>)] = &[
            ("3/7/25", Locale::Us, d(2025, 3, 7)),
            ("07.03.2025", Locale::Us, d(2025, 3, 7)),
            ("07/03/2025", Locale::Uk, d(2025, 3, 7)),
            ("07/03/2025", Locale::Us, d(2025, 7, 3)),
            ("25/03/2025", Locale::Us, d(2025, 3, 25)),
            ("2025-03-07", Locale::Us, d(2025, 3, 7)),
            ("10 Sep, 2025", Locale::Us, d(2025, 9, 10)),
            ("Sep 10, 2025", Locale::Us, d(2025, 9, 10)),
            ("7. Mai 2014", Locale::De, d(2014, 5, 7)),
            ("9-Jul-26", Locale::Us, d(2026, 7, 9)),
            ("31/02/2025", Locale::Uk, None),
            ("hello", Locale::Us, None),
        ];
        for (s, loc, want) in cases {
            assert_eq!(parse_date(s, *loc), *want, "{s} in {loc:?}");
        }
    }

    #[test]
    fn locale_guess() {
        assert_eq!(
            detect_locale("Menge Einzelpreis 1.234,56 07.03.2025"),
            Locale::De
        );
        assert_eq!(
            detect_locale("Qty 10 Price 1,234.56 Date 3/7/25"),
            Locale::Us
        );
        assert_eq!(detect_locale("Date 25/03/2025 Total 1,234.56"), Locale::Uk);
    }

    #[test]
    fn currencies() {
        assert_eq!(currency_code("$"), Some("USD"));
        assert_eq!(currency_code("€"), Some("EUR"));
        assert_eq!(currency_code("£"), Some("GBP"));
        assert_eq!(currency_code("aed"), Some("AED"));
        assert_eq!(currency_code("EA"), None);
    }

    #[test]
    fn of_two_readings_of_a_numeric_date_the_one_nearer_the_email_is_taken() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let sent = d(2025, 4, 9);
        // read as 4 September; the mail went out on 9 April
        assert_eq!(
            nearer_reading(d(2025, 9, 4), "09/04/2025", sent),
            Some(d(2025, 4, 9))
        );
        // already the nearer reading
        assert_eq!(nearer_reading(d(2025, 4, 9), "09/04/2025", sent), None);
        assert!(reading_settled(d(2025, 4, 9), "09/04/2025", sent));
        assert!(!reading_settled(d(2025, 9, 4), "09/04/2025", sent));
        assert!(!reading_settled(d(2025, 4, 13), "13/04/2025", sent));
        // unambiguous forms stay
        assert_eq!(nearer_reading(d(2025, 9, 4), "4-Sep-2025", sent), None);
        assert_eq!(nearer_reading(d(2025, 4, 13), "13/04/2025", sent), None);
        assert_eq!(nearer_reading(d(2025, 4, 4), "04/04/2025", sent), None);
        assert_eq!(nearer_reading(d(2025, 9, 4), "2025-09-04", sent), None);
    }
}
