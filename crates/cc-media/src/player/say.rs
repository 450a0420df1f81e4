//! Numbers, digits, dates and money as sequences of prompt keys.
//!
//! The keys name files of a [`PromptSet`](super::prompt::PromptSet) language folder.
//!
//! **zh-CN** keys: digits `"0"` to `"9"`, `"liang"` (两, for 2 before 千, 万 and 亿),
//! units `"shi"` (十), `"bai"` (百), `"qian"` (千), `"wan"` (万), `"yi"` (亿), and
//! `"nian"`, `"yue"`, `"ri"`, `"yuan"`, `"jiao"`, `"fen"`. Numbers follow the usual
//! rules: 10 to 19 at the start drop the 一 of 一十 (十五, but 一百一十); a run of zeros
//! inside a number is read once as 零 (一千零一); zeros at the end are not read (一千);
//! a lower group below a thousand after 万 or 亿 starts with 零 (一万零一十).
//!
//! **en** keys: `"zero"` to `"nineteen"`, `"twenty"` to `"ninety"`, `"hundred"`,
//! `"thousand"`, `"million"`, `"billion"`, `"trillion"`, `"quadrillion"`,
//! `"quintillion"`, the ordinals `"first"` to `"nineteenth"`, `"twentieth"`,
//! `"thirtieth"`, month names `"january"` to `"december"`, `"oh"` (as in nineteen oh
//! five), `"dollar"`, `"dollars"`, `"cent"`, `"cents"`, `"and"`. No "and" inside numbers
//! (US usage: one hundred one).

use crate::error::{Error, Result};

/// A language the say-functions know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Language {
    /// Mandarin Chinese, folder `zh-CN`.
    ZhCn,
    /// English, folder `en`.
    En,
}

impl Language {
    /// The prompt-set folder of this language.
    pub const fn folder(self) -> &'static str {
        match self {
            Language::ZhCn => "zh-CN",
            Language::En => "en",
        }
    }
}

const DIGITS: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
const EN_ONES: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const EN_TENS: [&str; 10] = [
    "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];
const EN_ORDINALS: [&str; 20] = [
    "",
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
];
const EN_MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

fn digit(d: u64) -> &'static str {
    DIGITS.get(d as usize).copied().unwrap_or("0")
}

/// The keys reading `n` as a number.
pub fn number(language: Language, n: u64) -> Vec<&'static str> {
    let mut out = Vec::new();
    match language {
        Language::ZhCn => zh_number(n, true, &mut out),
        Language::En => en_number(n, &mut out),
    }
    out
}

/// The keys reading each character of `digits` (e.g. a phone or account number) one by
/// one; characters other than ASCII digits are refused.
pub fn digits(language: Language, digits: &str) -> Result<Vec<&'static str>> {
    digits
        .chars()
        .map(|c| {
            let d = c.to_digit(10).ok_or_else(|| Error::InvalidSetting {
                name: "digit string",
                value: format!("{digits:?}"),
                expected: "ASCII digits 0-9 only",
            })?;
            Ok(match language {
                Language::ZhCn => digit(u64::from(d)),
                Language::En => EN_ONES.get(d as usize).copied().unwrap_or("zero"),
            })
        })
        .collect()
}

fn zh_number(n: u64, top: bool, out: &mut Vec<&'static str>) {
    if n == 0 {
        if top {
            out.push("0");
        }
        return;
    }
    for (unit, key) in [(100_000_000_u64, "yi"), (10_000, "wan")] {
        if n >= unit {
            let high = n / unit;
            let low = n % unit;
            if high == 2 {
                out.push("liang");
            } else {
                zh_number(high, top, out);
            }
            out.push(key);
            if low > 0 {
                if low < unit / 10 {
                    out.push("0");
                }
                zh_number(low, false, out);
            }
            return;
        }
    }
    let places = [
        (n / 1000 % 10, "qian"),
        (n / 100 % 10, "bai"),
        (n / 10 % 10, "shi"),
        (n % 10, ""),
    ];
    let mut emitted = false;
    let mut pending_zero = false;
    for (d, unit) in places {
        if d == 0 {
            pending_zero |= emitted;
            continue;
        }
        if pending_zero {
            out.push("0");
            pending_zero = false;
        }
        if unit == "shi" && d == 1 && top && !emitted {
            // 十五, not 一十五, at the start of a number.
        } else if unit == "qian" && d == 2 {
            out.push("liang");
        } else {
            out.push(digit(d));
        }
        if !unit.is_empty() {
            out.push(unit);
        }
        emitted = true;
    }
}

fn en_below_thousand(n: u64, out: &mut Vec<&'static str>) {
    let hundreds = n / 100;
    let rest = n % 100;
    if hundreds > 0 {
        out.push(EN_ONES.get(hundreds as usize).copied().unwrap_or("zero"));
        out.push("hundred");
    }
    if rest >= 20 {
        out.push(EN_TENS.get((rest / 10) as usize).copied().unwrap_or(""));
        if !rest.is_multiple_of(10) {
            out.push(EN_ONES.get((rest % 10) as usize).copied().unwrap_or("zero"));
        }
    } else if rest > 0 {
        out.push(EN_ONES.get(rest as usize).copied().unwrap_or("zero"));
    }
}

fn en_number(n: u64, out: &mut Vec<&'static str>) {
    if n == 0 {
        out.push("zero");
        return;
    }
    const SCALES: [(u64, &str); 6] = [
        (1_000_000_000_000_000_000, "quintillion"),
        (1_000_000_000_000_000, "quadrillion"),
        (1_000_000_000_000, "trillion"),
        (1_000_000_000, "billion"),
        (1_000_000, "million"),
        (1_000, "thousand"),
    ];
    let mut rest = n;
    for (scale, key) in SCALES {
        if rest >= scale {
            en_below_thousand(rest / scale, out);
            out.push(key);
            rest %= scale;
        }
    }
    en_below_thousand(rest, out);
}

/// A calendar date to be spoken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date {
    /// Year, 1 to 9999.
    pub year: u16,
    /// Month, 1 to 12.
    pub month: u8,
    /// Day of the month, 1 to the month's length.
    pub day: u8,
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The keys reading `date`: zh-CN `2 0 2 6 nian shi 1 yue 2 shi 3 ri` (year digit by
/// digit), en `november twenty third twenty twenty six`.
pub fn date(language: Language, date: Date) -> Result<Vec<&'static str>> {
    let Date { year, month, day } = date;
    if !(1..=9999).contains(&year)
        || !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
    {
        return Err(Error::InvalidSetting {
            name: "date",
            value: format!("{year:04}-{month:02}-{day:02}"),
            expected: "a real calendar date in years 1 to 9999",
        });
    }
    let mut out = Vec::new();
    match language {
        Language::ZhCn => {
            for d in year.to_string().bytes() {
                out.push(digit(u64::from(d - b'0')));
            }
            out.push("nian");
            zh_number(u64::from(month), true, &mut out);
            out.push("yue");
            zh_number(u64::from(day), true, &mut out);
            out.push("ri");
        }
        Language::En => {
            out.push(
                EN_MONTHS
                    .get(usize::from(month - 1))
                    .copied()
                    .unwrap_or("january"),
            );
            en_ordinal(u64::from(day), &mut out);
            en_year(year, &mut out);
        }
    }
    Ok(out)
}

fn en_ordinal(n: u64, out: &mut Vec<&'static str>) {
    match n {
        1..=19 => out.push(EN_ORDINALS.get(n as usize).copied().unwrap_or("first")),
        20 => out.push("twentieth"),
        30 => out.push("thirtieth"),
        _ => {
            out.push(EN_TENS.get((n / 10) as usize).copied().unwrap_or(""));
            out.push(EN_ORDINALS.get((n % 10) as usize).copied().unwrap_or("first"));
        }
    }
}

fn en_year(year: u16, out: &mut Vec<&'static str>) {
    let (high, low) = (u64::from(year / 100), u64::from(year % 100));
    if high == 0 || (year % 1000 < 10 && high.is_multiple_of(10)) {
        // 2000 "two thousand", 2005 "two thousand five", 99 "ninety nine".
        en_number(u64::from(year), out);
    } else {
        en_below_thousand(high, out);
        match low {
            0 => out.push("hundred"),
            1..=9 => {
                out.push("oh");
                en_below_thousand(low, out);
            }
            _ => en_below_thousand(low, out),
        }
    }
}

/// The keys reading an amount of money given in cents (fen): zh-CN 元 角 分
/// (`1 2 yuan 3 jiao 4 fen`; `1 yuan 0 5 fen`), en dollars and cents
/// (`twelve dollars and thirty four cents`).
pub fn money(language: Language, cents: u64) -> Vec<&'static str> {
    let (units, sub) = (cents / 100, cents % 100);
    let mut out = Vec::new();
    match language {
        Language::ZhCn => {
            let (jiao, fen) = (sub / 10, sub % 10);
            if units > 0 || sub == 0 {
                zh_number(units, true, &mut out);
                out.push("yuan");
            }
            if jiao > 0 {
                out.push(digit(jiao));
                out.push("jiao");
            }
            if fen > 0 {
                if units > 0 && jiao == 0 {
                    out.push("0");
                }
                out.push(digit(fen));
                out.push("fen");
            }
        }
        Language::En => {
            if units > 0 || sub == 0 {
                en_number(units, &mut out);
                out.push(if units == 1 { "dollar" } else { "dollars" });
            }
            if sub > 0 {
                if units > 0 {
                    out.push("and");
                }
                en_number(sub, &mut out);
                out.push(if sub == 1 { "cent" } else { "cents" });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zh(n: u64) -> String {
        number(Language::ZhCn, n).join(" ")
    }

    fn en(n: u64) -> String {
        number(Language::En, n).join(" ")
    }

    #[test]
    fn zh_numbers() {
        let table: &[(u64, &str)] = &[
            (0, "0"),
            (7, "7"),
            (10, "shi"),
            (15, "shi 5"),
            (20, "2 shi"),
            (100, "1 bai"),
            (110, "1 bai 1 shi"),
            (123, "1 bai 2 shi 3"),
            (101, "1 bai 0 1"),
            (1001, "1 qian 0 1"),
            (1010, "1 qian 0 1 shi"),
            (1100, "1 qian 1 bai"),
            (2000, "liang qian"),
            (10010, "1 wan 0 1 shi"),
            (10000, "1 wan"),
            (100_000, "shi wan"),
            (150_000, "shi 5 wan"),
            (20_000_000, "liang qian wan"),
            (20000, "liang wan"),
            (100_010_000, "1 yi 0 1 wan"),
            (120_000_000, "1 yi liang qian wan"),
            (100_000_001, "1 yi 0 1"),
            (1001_0000, "1 qian 0 1 wan"),
            (
                12_3456_7890,
                "shi 2 yi 3 qian 4 bai 5 shi 6 wan 7 qian 8 bai 9 shi",
            ),
        ];
        for &(n, expected) in table {
            assert_eq!(zh(n), expected, "{n}");
        }
    }

    #[test]
    fn en_numbers() {
        let table: &[(u64, &str)] = &[
            (0, "zero"),
            (10, "ten"),
            (13, "thirteen"),
            (21, "twenty one"),
            (100, "one hundred"),
            (123, "one hundred twenty three"),
            (1001, "one thousand one"),
            (10010, "ten thousand ten"),
            (100_000, "one hundred thousand"),
            (20_000_000, "twenty million"),
            (1_000_001, "one million one"),
            (
                u64::MAX,
                "eighteen quintillion four hundred forty six quadrillion seven hundred forty four trillion seventy three billion seven hundred nine million five hundred fifty one thousand six hundred fifteen",
            ),
        ];
        for &(n, expected) in table {
            assert_eq!(en(n), expected, "{n}");
        }
    }

    #[test]
    fn digits_one_by_one() {
        assert_eq!(digits(Language::ZhCn, "1090").expect("ok"), ["1", "0", "9", "0"]);
        assert_eq!(digits(Language::En, "40").expect("ok"), ["four", "zero"]);
        assert!(digits(Language::En, "4a").is_err());
    }

    #[test]
    fn dates() {
        let d = |year, month, day| Date { year, month, day };
        assert_eq!(
            date(Language::ZhCn, d(2026, 11, 23)).expect("ok").join(" "),
            "2 0 2 6 nian shi 1 yue 2 shi 3 ri"
        );
        assert_eq!(
            date(Language::ZhCn, d(2000, 1, 10)).expect("ok").join(" "),
            "2 0 0 0 nian 1 yue shi ri"
        );
        let table = [
            (d(2026, 11, 23), "november twenty third twenty twenty six"),
            (d(2000, 2, 29), "february twenty ninth two thousand"),
            (d(2005, 3, 1), "march first two thousand five"),
            (d(1999, 12, 31), "december thirty first nineteen ninety nine"),
            (d(1905, 7, 20), "july twentieth nineteen oh five"),
            (d(1900, 5, 30), "may thirtieth nineteen hundred"),
        ];
        for (day, expected) in table {
            assert_eq!(date(Language::En, day).expect("ok").join(" "), expected);
        }
        assert!(date(Language::En, d(2023, 2, 29)).is_err());
        assert!(date(Language::En, d(2023, 13, 1)).is_err());
        assert!(date(Language::En, d(2023, 4, 0)).is_err());
    }

    #[test]
    fn money_in_cents() {
        let zh_table: &[(u64, &str)] = &[
            (0, "0 yuan"),
            (1234, "shi 2 yuan 3 jiao 4 fen"),
            (105, "1 yuan 0 5 fen"),
            (50, "5 jiao"),
            (3, "3 fen"),
            (1_000_000, "1 wan yuan"),
        ];
        for &(c, expected) in zh_table {
            assert_eq!(money(Language::ZhCn, c).join(" "), expected, "{c}");
        }
        let en_table: &[(u64, &str)] = &[
            (0, "zero dollars"),
            (100, "one dollar"),
            (1234, "twelve dollars and thirty four cents"),
            (101, "one dollar and one cent"),
            (5, "five cents"),
        ];
        for &(c, expected) in en_table {
            assert_eq!(money(Language::En, c).join(" "), expected, "{c}");
        }
    }

    proptest::proptest! {
        #[test]
        fn zh_zero_is_read_once_and_never_last(n in 1_u64..) {
            let keys = number(Language::ZhCn, n);
            proptest::prop_assert!(keys.windows(2).all(|w| !(w[0] == "0" && w[1] == "0")), "{keys:?}");
            proptest::prop_assert_ne!(keys.last().copied(), Some("0"));
            proptest::prop_assert_ne!(keys.first().copied(), Some("0"));
        }

        #[test]
        fn en_numbers_use_only_known_words(n: u64) {
            let keys = number(Language::En, n);
            proptest::prop_assert!(!keys.is_empty());
            for k in keys {
                proptest::prop_assert!(
                    EN_ONES.contains(&k) || EN_TENS.contains(&k) && !k.is_empty()
                        || ["hundred", "thousand", "million", "billion", "trillion", "quadrillion", "quintillion"].contains(&k),
                    "{k}"
                );
            }
        }
    }
}
