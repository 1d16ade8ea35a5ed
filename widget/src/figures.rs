//! How money and call time read in the panel: amounts in minor units with their currency's
//! symbol ("¥0.12"), and call durations as a clock ("1:05"). Integer arithmetic only: money is
//! never a float (DESIGN, Storage).

/// Digits after the decimal point of a currency (ISO 4217): most have 2.
fn exponent(currency: &str) -> u32 {
    match currency {
        "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "UGX" | "XAF" | "XOF" => 0,
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" | "IQD" | "LYD" => 3,
        _ => 2,
    }
}

/// What is written before the amount; other currencies get their code and a space.
fn symbol(currency: &str) -> &str {
    match currency {
        "CNY" | "JPY" => "¥",
        "USD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        "HKD" => "HK$",
        "TWD" => "NT$",
        "KRW" => "₩",
        _ => "",
    }
}

/// `minor` units of `currency` as a person reads them: `money(12, "CNY")` is `¥0.12`,
/// `money(1500, "JPY")` is `¥1500`, `money(-5, "USD")` is `-$0.05`, `money(7, "SEK")` is
/// `SEK 0.07`.
pub fn money(minor: i64, currency: &str) -> String {
    let mut out = String::new();
    if minor < 0 {
        out.push('-');
    }
    match symbol(currency) {
        "" => {
            out.push_str(currency);
            out.push(' ');
        }
        s => out.push_str(s),
    }
    let abs = minor.unsigned_abs();
    let exp = exponent(currency);
    let unit = 10u64.pow(exp);
    out.push_str(&(abs / unit).to_string());
    if exp > 0 {
        out.push('.');
        let frac = (abs % unit).to_string();
        for _ in frac.len()..exp as usize {
            out.push('0');
        }
        out.push_str(&frac);
    }
    out
}

/// Seconds as a clock: `0:42`, `1:05`, `1:02:03`.
pub fn clock(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    let two = |n: u64| {
        if n < 10 {
            format!("0{n}")
        } else {
            n.to_string()
        }
    };
    if h > 0 {
        format!("{h}:{}:{}", two(m), two(s))
    } else {
        format!("{m}:{}", two(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_reads_in_its_currency() {
        // covers CALL-4: the price is shown before calling, in the payer's currency
        assert_eq!(money(12, "CNY"), "¥0.12");
        assert_eq!(money(0, "CNY"), "¥0.00");
        assert_eq!(money(1234, "CNY"), "¥12.34");
        assert_eq!(money(5, "USD"), "$0.05");
        assert_eq!(money(-5, "USD"), "-$0.05");
        assert_eq!(money(1500, "JPY"), "¥1500");
        assert_eq!(money(1005, "KWD"), "KWD 1.005");
        assert_eq!(money(7, "SEK"), "SEK 0.07");
        assert_eq!(money(100, "EUR"), "€1.00");
    }

    #[test]
    fn durations_read_as_a_clock() {
        // covers CALL-6: the connected time
        assert_eq!(clock(0), "0:00");
        assert_eq!(clock(42), "0:42");
        assert_eq!(clock(65), "1:05");
        assert_eq!(clock(600), "10:00");
        assert_eq!(clock(3723), "1:02:03");
    }
}
