//! Erlang C: the M/M/c queue that staffing plans and the simulator check against.
//!
//! Traffic `a` is in Erlangs (arrival rate × average handle time). Every function iterates
//! the Erlang B recurrence `B(0) = 1, B(n) = a·B(n−1) / (n + a·B(n−1))`, which stays in
//! `[0, 1]` at every step, so there are no factorials or powers to overflow even for
//! thousands of agents. Erlang C follows from B: `C = n·B / (n − a·(1 − B))`.

use crate::error::{Error, Result};

/// Largest agent count [`agents_for_service_level`] tries before giving up.
pub const MAX_AGENTS: u32 = 1_000_000;

fn check_traffic(traffic: f64) -> Result<()> {
    if traffic.is_finite() && traffic >= 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(
            "traffic",
            traffic,
            "traffic must be a finite, non-negative number of Erlangs",
        ))
    }
}

fn check_positive(key: &'static str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(
            key,
            value,
            "must be a finite number of seconds above 0",
        ))
    }
}

/// Erlang B: the probability that a call finds all `agents` busy in a loss system
/// offered `traffic` Erlangs.
pub fn erlang_b(traffic: f64, agents: u32) -> Result<f64> {
    check_traffic(traffic)?;
    let mut b = 1.0;
    for n in 1..=agents {
        b = traffic * b / (f64::from(n) + traffic * b);
    }
    Ok(b)
}

/// Erlang C: the probability that a contact waits at all. `1.0` when the queue is
/// unstable (`agents <= traffic`).
pub fn erlang_c(traffic: f64, agents: u32) -> Result<f64> {
    let b = erlang_b(traffic, agents)?;
    Ok(c_from_b(traffic, agents, b))
}

fn c_from_b(traffic: f64, agents: u32, b: f64) -> f64 {
    let n = f64::from(agents);
    if n <= traffic {
        return 1.0;
    }
    (n * b / (n - traffic * (1.0 - b))).clamp(0.0, 1.0)
}

/// The fraction of contacts answered within `threshold_s` seconds, for handle time
/// `aht_s` seconds: `1 − C·e^(−(n − a)·t / aht)`. `0.0` when unstable.
pub fn service_level(traffic: f64, agents: u32, aht_s: f64, threshold_s: f64) -> Result<f64> {
    check_positive("aht", aht_s)?;
    if !(threshold_s.is_finite() && threshold_s >= 0.0) {
        return Err(Error::invalid(
            "threshold",
            threshold_s,
            "must be a finite, non-negative number of seconds",
        ));
    }
    let c = erlang_c(traffic, agents)?;
    Ok(sl_from_c(traffic, agents, aht_s, threshold_s, c))
}

fn sl_from_c(traffic: f64, agents: u32, aht_s: f64, threshold_s: f64, c: f64) -> f64 {
    let n = f64::from(agents);
    if n <= traffic {
        return 0.0;
    }
    (1.0 - c * (-(n - traffic) * threshold_s / aht_s).exp()).clamp(0.0, 1.0)
}

/// Average speed of answer in seconds: `C·aht / (n − a)`. Infinite when unstable.
pub fn asa(traffic: f64, agents: u32, aht_s: f64) -> Result<f64> {
    check_positive("aht", aht_s)?;
    let n = f64::from(agents);
    if n <= traffic {
        return Ok(f64::INFINITY);
    }
    Ok(erlang_c(traffic, agents)? * aht_s / (n - traffic))
}

/// The fewest agents whose service level (answered within `threshold_s`) reaches `target`
/// (a fraction in `(0, 1)`), walking the Erlang B recurrence once upwards.
pub fn agents_for_service_level(traffic: f64, aht_s: f64, threshold_s: f64, target: f64) -> Result<u32> {
    check_traffic(traffic)?;
    check_positive("aht", aht_s)?;
    if !(threshold_s.is_finite() && threshold_s >= 0.0) {
        return Err(Error::invalid(
            "threshold",
            threshold_s,
            "must be a finite, non-negative number of seconds",
        ));
    }
    if !(target > 0.0 && target < 1.0) {
        return Err(Error::invalid(
            "target service level",
            target,
            "must be a fraction strictly between 0 and 1, e.g. 0.8",
        ));
    }
    let mut b = 1.0;
    for n in 1..=MAX_AGENTS {
        b = traffic * b / (f64::from(n) + traffic * b);
        if f64::from(n) <= traffic {
            continue;
        }
        let c = c_from_b(traffic, n, b);
        if sl_from_c(traffic, n, aht_s, threshold_s, c) >= target {
            return Ok(n);
        }
    }
    Err(Error::invalid(
        "traffic",
        traffic,
        "needs more than 1,000,000 agents; split the traffic",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The textbook closed form, computed independently with running products
    /// `a^k / k!` (fine for small cases): `C = (a^n/n! · n/(n−a)) / (Σ_{k<n} a^k/k! + a^n/n! · n/(n−a))`.
    fn erlang_c_closed_form(a: f64, n: u32) -> f64 {
        let mut term = 1.0;
        let mut sum = 0.0;
        for k in 0..n {
            sum += term;
            term *= a / f64::from(k + 1);
        }
        let top = term * f64::from(n) / (f64::from(n) - a);
        top / (sum + top)
    }

    #[test]
    fn ten_erlangs_twelve_agents_matches_the_closed_form_and_tables() {
        let c = erlang_c(10.0, 12).unwrap();
        let closed = erlang_c_closed_form(10.0, 12);
        assert!((c - closed).abs() < 1e-12, "{c} vs {closed}");
        // Published tables: P(wait) ≈ 0.4494 for 10 Erlangs on 12 agents.
        assert!((c - 0.4494).abs() < 5e-4, "{c}");
        // Erlang B tables: B(10, 12) ≈ 0.1197.
        let b = erlang_b(10.0, 12).unwrap();
        assert!((b - 0.1197).abs() < 5e-4, "{b}");
        // With a 180 s handle time: ASA = C·180/2 ≈ 40.4 s; SL(20 s) = 1 − C·e^(−2·20/180).
        let asa = asa(10.0, 12, 180.0).unwrap();
        assert!((asa - closed * 90.0).abs() < 1e-9, "{asa}");
        let sl = service_level(10.0, 12, 180.0, 20.0).unwrap();
        assert!((sl - (1.0 - closed * (-40.0f64 / 180.0).exp())).abs() < 1e-12);
    }

    #[test]
    fn closed_form_agrees_over_a_grid() {
        for a in [0.5f64, 1.0, 3.3, 7.0, 20.0, 45.5] {
            let lo = a.floor() as u32 + 1;
            for n in lo..lo + 15 {
                let c = erlang_c(a, n).unwrap();
                let closed = erlang_c_closed_form(a, n);
                assert!((c - closed).abs() < 1e-9, "a={a} n={n}: {c} vs {closed}");
            }
        }
    }

    #[test]
    fn large_centers_stay_finite() {
        // 1,000 Erlangs: factorials would overflow f64 long before this.
        let n = agents_for_service_level(1000.0, 300.0, 20.0, 0.8).unwrap();
        assert!((1000..1100).contains(&n), "{n}");
        let c = erlang_c(1000.0, n).unwrap();
        assert!(c.is_finite() && c > 0.0 && c < 1.0);
    }

    #[test]
    fn staffing_is_the_smallest_count_reaching_the_target() {
        // 100 calls per 30 min at 180 s AHT = 10 Erlangs; 80 % in 20 s needs 14 agents
        // (13 give 1 − 0.2880·e^(−1/3) ≈ 0.794).
        let n = agents_for_service_level(10.0, 180.0, 20.0, 0.8).unwrap();
        assert_eq!(n, 14);
        assert!(service_level(10.0, n, 180.0, 20.0).unwrap() >= 0.8);
        assert!(service_level(10.0, n - 1, 180.0, 20.0).unwrap() < 0.8);
    }

    #[test]
    fn unstable_and_bad_inputs() {
        assert!((erlang_c(10.0, 10).unwrap() - 1.0).abs() < f64::EPSILON);
        assert!(service_level(10.0, 9, 180.0, 20.0).unwrap().abs() < f64::EPSILON);
        assert!(asa(10.0, 10, 180.0).unwrap().is_infinite());
        assert!(erlang_b(0.0, 3).unwrap().abs() < f64::EPSILON);
        let err = erlang_c(f64::NAN, 3).unwrap_err().to_string();
        assert!(err.contains("traffic") && err.contains("non-negative"), "{err}");
        assert!(agents_for_service_level(10.0, 180.0, 20.0, 1.0).is_err());
        assert!(service_level(10.0, 12, 0.0, 20.0).is_err());
    }
}
