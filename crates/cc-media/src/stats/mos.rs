//! An E-model estimate of the mean opinion score (ITU-T G.107, in the simplified form of
//! Cole and Rosenbluth, "Voice over IP performance monitoring", ACM CCR 2001):
//!
//! ```text
//! R      = 93.2 - Id - Ie_eff
//! Id     = 0.024 d + 0.11 (d - 177.3) H(d - 177.3)     d: one-way delay in ms, H: step
//! Ie_eff = Ie + (95 - Ie) Ppl / (Ppl / BurstR + Bpl)   Ppl: loss in percent (G.107 eq. 7-29)
//! MOS    = 1                                            R <= 0
//!        = 1 + 0.035 R + 7e-6 R (R - 60) (100 - R)      0 < R < 100
//!        = 4.5                                          R >= 100
//! ```
//!
//! 93.2 is G.107's R0 − Is with every other factor at its default. Loss is taken as random
//! (BurstR = 1). Ie and Bpl come from ITU-T G.113 Appendix I for the codec: G.711 has Ie = 0,
//! and Bpl = 25.1 with packet-loss concealment or 4.3 without. With no loss and no delay the
//! estimate is 4.41, the best a narrowband call scores.

/// A codec's equipment impairment and its robustness to packet loss (G.113 Appendix I).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CodecImpairment {
    /// Equipment impairment factor Ie with no loss.
    pub ie: f64,
    /// Packet-loss robustness factor Bpl.
    pub bpl: f64,
}

impl CodecImpairment {
    /// G.711 with packet-loss concealment (G.711 Appendix I): Ie 0, Bpl 25.1.
    pub const G711_PLC: Self = Self { ie: 0.0, bpl: 25.1 };
    /// G.711 without concealment (lost frames are silence): Ie 0, Bpl 4.3.
    pub const G711: Self = Self { ie: 0.0, bpl: 4.3 };
}

/// The R factor for a loss fraction (0 to 1) and a one-way mouth-to-ear delay in ms.
pub fn r_factor(loss: f64, one_way_delay_ms: f64, codec: CodecImpairment) -> f64 {
    let d = one_way_delay_ms.max(0.0);
    let id = 0.024 * d + if d > 177.3 { 0.11 * (d - 177.3) } else { 0.0 };
    let ppl = (loss * 100.0).clamp(0.0, 100.0);
    let ie_eff = if ppl > 0.0 {
        codec.ie + (95.0 - codec.ie) * ppl / (ppl + codec.bpl)
    } else {
        codec.ie
    };
    93.2 - id - ie_eff
}

/// The MOS (1 to 4.5) of an R factor.
pub fn mos_from_r(r: f64) -> f64 {
    if r <= 0.0 {
        1.0
    } else if r >= 100.0 {
        4.5
    } else {
        (1.0 + 0.035 * r + 7.0e-6 * r * (r - 60.0) * (100.0 - r)).clamp(1.0, 4.5)
    }
}

/// The MOS estimate for a loss fraction and a one-way delay in ms.
///
/// ```
/// use cc_media::stats::mos::{CodecImpairment, mos};
///
/// assert!((mos(0.0, 0.0, CodecImpairment::G711_PLC) - 4.409).abs() < 1e-3);
/// assert!(mos(0.05, 150.0, CodecImpairment::G711_PLC) < mos(0.01, 150.0, CodecImpairment::G711_PLC));
/// ```
pub fn mos(loss: f64, one_way_delay_ms: f64, codec: CodecImpairment) -> f64 {
    mos_from_r(r_factor(loss, one_way_delay_ms, codec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_points() {
        // No impairment: R = 93.2, MOS = 1 + 3.262 + 7e-6 * 93.2 * 33.2 * 6.8 = 4.40929...
        assert!((r_factor(0.0, 0.0, CodecImpairment::G711_PLC) - 93.2).abs() < 1e-9);
        assert!((mos(0.0, 0.0, CodecImpairment::G711_PLC) - 4.409_29).abs() < 1e-5);
        // 1 % loss with PLC: Ie_eff = 95 * 1 / 26.1 = 3.63985; R = 89.56015.
        let r = r_factor(0.01, 0.0, CodecImpairment::G711_PLC);
        assert!((r - 89.560_15).abs() < 1e-4, "{r}");
        // MOS = 1 + 3.13461 + 7e-6 * 89.56015 * 29.56015 * 10.43985 = 4.32808.
        assert!((mos_from_r(r) - 4.328_08).abs() < 1e-4);
        // 200 ms one way, no loss: Id = 4.8 + 0.11 * 22.7 = 7.297; R = 85.903.
        assert!((r_factor(0.0, 200.0, CodecImpairment::G711_PLC) - 85.903).abs() < 1e-9);
        // 5 % loss without PLC: Ie_eff = 95 * 5 / 9.3 = 51.0753; R = 42.1247.
        let r = r_factor(0.05, 0.0, CodecImpairment::G711);
        assert!((r - 42.124_73).abs() < 1e-4, "{r}");
        // Limits.
        assert!((mos(1.0, 1000.0, CodecImpairment::G711) - 1.0).abs() < f64::EPSILON);
        assert!((mos_from_r(120.0) - 4.5).abs() < f64::EPSILON);
    }

    #[test]
    fn mos_falls_with_loss_and_delay() {
        let mut last = 5.0;
        for loss in 0..=50 {
            let m = mos(f64::from(loss) / 100.0, 40.0, CodecImpairment::G711_PLC);
            assert!(m <= last && (1.0..=4.5).contains(&m));
            last = m;
        }
        let mut last = 5.0;
        for d in (0..=800).step_by(10) {
            let m = mos(0.0, f64::from(d), CodecImpairment::G711_PLC);
            assert!(m <= last);
            last = m;
        }
    }
}
