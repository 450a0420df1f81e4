//! Erlang C staffing figures as plain C functions: no handles, no state, thread-safe.

use cc_acd::erlang;

use crate::error::{Error, boundary, cc_result};
use crate::ffi::{check_out, write_out};

fn staffing_error(e: &cc_acd::Error) -> Error {
    Error::invalid(e.to_string())
}

/// Erlang C: the probability that a contact waits at all, for `traffic` Erlangs (arrivals
/// per second × average handle time in seconds) and `agents` agents. 1.0 when the queue is
/// unstable (`agents <= traffic`). `CC_INVALID_ARGUMENT` for a negative or non-finite
/// traffic.
///
/// # Safety
///
/// `out` is NULL or points to a writable `double`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_erlang_c(traffic: f64, agents: u32, out: *mut f64) -> cc_result {
    boundary("cc_erlang_c", || {
        check_out(out, "out")?;
        let p = erlang::erlang_c(traffic, agents).map_err(|e| staffing_error(&e))?;
        // SAFETY: per this function's contract.
        unsafe { write_out(out, p, "out") }
    })
}

/// The service level: the fraction of contacts answered within `threshold_s` seconds, with
/// average handle time `aht_s` seconds. 0.0 when unstable. `CC_INVALID_ARGUMENT` for a bad
/// traffic, a handle time not above 0, or a negative threshold.
///
/// # Safety
///
/// `out` is NULL or points to a writable `double`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_erlang_service_level(
    traffic: f64,
    agents: u32,
    aht_s: f64,
    threshold_s: f64,
    out: *mut f64,
) -> cc_result {
    boundary("cc_erlang_service_level", || {
        check_out(out, "out")?;
        let sl =
            erlang::service_level(traffic, agents, aht_s, threshold_s).map_err(|e| staffing_error(&e))?;
        // SAFETY: per this function's contract.
        unsafe { write_out(out, sl, "out") }
    })
}

/// Average speed of answer in seconds; infinity when unstable. `CC_INVALID_ARGUMENT` for
/// a bad traffic or handle time.
///
/// # Safety
///
/// `out` is NULL or points to a writable `double`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_erlang_asa(traffic: f64, agents: u32, aht_s: f64, out: *mut f64) -> cc_result {
    boundary("cc_erlang_asa", || {
        check_out(out, "out")?;
        let asa = erlang::asa(traffic, agents, aht_s).map_err(|e| staffing_error(&e))?;
        // SAFETY: per this function's contract.
        unsafe { write_out(out, asa, "out") }
    })
}

/// The fewest agents whose service level (answered within `threshold_s`) reaches `target`,
/// a fraction strictly between 0 and 1 (e.g. 0.8). `CC_INVALID_ARGUMENT` for bad inputs.
///
/// # Safety
///
/// `out` is NULL or points to a writable `uint32_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_erlang_agents_needed(
    traffic: f64,
    aht_s: f64,
    threshold_s: f64,
    target: f64,
    out: *mut u32,
) -> cc_result {
    boundary("cc_erlang_agents_needed", || {
        check_out(out, "out")?;
        let n = erlang::agents_for_service_level(traffic, aht_s, threshold_s, target)
            .map_err(|e| staffing_error(&e))?;
        // SAFETY: per this function's contract.
        unsafe { write_out(out, n, "out") }
    })
}
