//! Result codes, the per-thread last-error message, and the panic boundary.

use std::any::Any;
use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The outcome of every fallible `cc_*` function.
///
/// Numbers are fixed and grouped by family from 7000, so a code seen in a log keeps its
/// meaning across releases; a retired code stays reserved. `cc_error_message` gives the text
/// of the last failure on the calling thread.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum cc_result {
    /// Success.
    CC_OK = 0,
    // 7000: arguments.
    /// A required pointer was NULL.
    CC_NULL_PARAMETER = 7000,
    /// An argument was out of range or malformed (a bad id, a negative traffic, an
    /// unknown enum value).
    CC_INVALID_ARGUMENT = 7001,
    /// A string argument was not valid UTF-8.
    CC_INVALID_UTF8 = 7002,
    /// The caller's buffer is too small; the needed size was written to the length out-param.
    CC_BUFFER_TOO_SMALL = 7003,
    // 7100: state.
    /// The call is not allowed in the current state (an agent logging out while busy, an
    /// accept for a contact that is not ringing, an event for a finished session).
    CC_INVALID_STATE = 7100,
    /// A named queue, agent, contact or tenant does not exist.
    CC_NOT_FOUND = 7101,
    /// A queue, agent or contact with that id exists already.
    CC_ALREADY_EXISTS = 7102,
    // 7200: configuration and source text.
    /// A configuration or environment text could not be parsed (TOML syntax, unknown key,
    /// wrong type).
    CC_PARSE_ERROR = 7200,
    /// A configuration parsed but was refused (a bad duration, an overflow into another
    /// tenant).
    CC_CONFIG_ERROR = 7201,
    /// An IVR flow has errors and was not compiled.
    CC_FLOW_ERROR = 7202,
    // 7300: input and output.
    /// An input or output error: a file that cannot be read, a folder, database or socket
    /// that cannot be opened (`cc_center_start`).
    CC_IO_ERROR = 7300,
    // 7900: internal.
    /// A bug: Rust code panicked. The handle involved may be inconsistent; free it.
    CC_PANIC = 7900,
}

/// An error on its way out through the ABI: a code and the message kept for the thread.
#[derive(Debug)]
pub(crate) struct Error {
    pub(crate) code: cc_result,
    pub(crate) message: String,
}

impl Error {
    pub(crate) fn new(code: cc_result, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub(crate) fn null(name: &str) -> Self {
        Self::new(
            cc_result::CC_NULL_PARAMETER,
            format!("{name} is NULL; pass a valid pointer"),
        )
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(cc_result::CC_INVALID_ARGUMENT, message)
    }
}

impl From<cc_acd::Error> for Error {
    fn from(e: cc_acd::Error) -> Self {
        use cc_acd::Error as E;
        let code = match &e {
            E::UnknownQueue(_) | E::UnknownAgent(_) | E::UnknownContact(_) | E::UnknownTenant(_) => {
                cc_result::CC_NOT_FOUND
            }
            E::UnknownSkill { .. } => cc_result::CC_NOT_FOUND,
            E::DuplicateQueue(_) | E::DuplicateAgent(_) | E::DuplicateContact(_) => {
                cc_result::CC_ALREADY_EXISTS
            }
            E::InvalidTransition { .. }
            | E::NotOffered { .. }
            | E::ContactState { .. }
            | E::QueueFull { .. } => cc_result::CC_INVALID_STATE,
            _ => cc_result::CC_INVALID_ARGUMENT,
        };
        Self::new(code, e.to_string())
    }
}

impl From<cc_core::Error> for Error {
    fn from(e: cc_core::Error) -> Self {
        Self::invalid(e.to_string())
    }
}

/// What a fallible export body returns.
pub(crate) type Result<T = (), E = Error> = std::result::Result<T, E>;

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

pub(crate) fn set_last_error(message: &str) {
    LAST_ERROR.with(|m| {
        let mut m = m.borrow_mut();
        m.clear();
        m.push_str(message);
    });
}

fn panic_text(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// Runs an export's body inside the panic boundary: a panic becomes [`cc_result::CC_PANIC`],
/// an error sets the thread's last-error message and returns its code.
pub(crate) fn boundary(name: &str, body: impl FnOnce() -> Result) -> cc_result {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => cc_result::CC_OK,
        Ok(Err(e)) => {
            set_last_error(&format!("{name}: {}", e.message));
            e.code
        }
        Err(payload) => {
            set_last_error(&format!(
                "{name}: internal error (panic: {}); please report it",
                panic_text(payload.as_ref())
            ));
            cc_result::CC_PANIC
        }
    }
}

/// The panic boundary for exports that return a plain value: `fallback` on a panic.
pub(crate) fn boundary_or<T>(name: &str, fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|payload| {
        set_last_error(&format!(
            "{name}: internal error (panic: {})",
            panic_text(payload.as_ref())
        ));
        fallback
    })
}

/// Copies the message of the last failed `cc_*` call on this thread into `buf`.
///
/// The text is UTF-8, truncated at a character boundary to fit `len - 1` bytes and always
/// NUL-terminated; `*out_len` receives the bytes written, not counting the NUL. The message
/// stays until the next failure on this thread (successful calls leave it alone). An empty
/// string means no call has failed on this thread yet.
///
/// Returns `CC_NULL_PARAMETER` when `buf` or `out_len` is NULL, `CC_BUFFER_TOO_SMALL` when
/// `len` is 0.
///
/// # Safety
///
/// `buf` must point to `len` writable bytes and `out_len` to one writable `size_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cc_error_message(
    buf: *mut std::ffi::c_char,
    len: usize,
    out_len: *mut usize,
) -> cc_result {
    // Deliberately not through `boundary`: reading the message must not replace it.
    let result = catch_unwind(|| {
        if buf.is_null() || out_len.is_null() {
            return cc_result::CC_NULL_PARAMETER;
        }
        if len == 0 {
            return cc_result::CC_BUFFER_TOO_SMALL;
        }
        LAST_ERROR.with(|m| {
            let m = m.borrow();
            let mut n = m.len().min(len - 1);
            while !m.is_char_boundary(n) {
                n -= 1;
            }
            // SAFETY: the caller guarantees `buf` has `len` writable bytes; `n + 1 <= len`,
            // and the source is our own string, which cannot overlap the caller's buffer.
            unsafe {
                std::ptr::copy_nonoverlapping(m.as_ptr(), buf.cast::<u8>(), n);
                *buf.add(n) = 0;
            }
            // SAFETY: checked non-NULL above; the caller guarantees it is writable.
            unsafe { *out_len = n };
        });
        cc_result::CC_OK
    });
    result.unwrap_or(cc_result::CC_PANIC)
}

/// A static, NUL-terminated name for a result code (`"CC_NOT_FOUND"`), or
/// `"CC_UNKNOWN_RESULT"` for a number that is no `cc_result`. Never NULL; never free it.
#[unsafe(no_mangle)]
pub extern "C" fn cc_result_name(result: u32) -> *const std::ffi::c_char {
    let name: &'static std::ffi::CStr = match result {
        0 => c"CC_OK",
        7000 => c"CC_NULL_PARAMETER",
        7001 => c"CC_INVALID_ARGUMENT",
        7002 => c"CC_INVALID_UTF8",
        7003 => c"CC_BUFFER_TOO_SMALL",
        7100 => c"CC_INVALID_STATE",
        7101 => c"CC_NOT_FOUND",
        7102 => c"CC_ALREADY_EXISTS",
        7200 => c"CC_PARSE_ERROR",
        7201 => c"CC_CONFIG_ERROR",
        7202 => c"CC_FLOW_ERROR",
        7300 => c"CC_IO_ERROR",
        7900 => c"CC_PANIC",
        _ => c"CC_UNKNOWN_RESULT",
    };
    name.as_ptr()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last_message() -> String {
        let mut buf = [0 as std::ffi::c_char; 256];
        let mut n = 0;
        // SAFETY: `buf` has 256 writable bytes and `n` is writable.
        let r = unsafe { cc_error_message(buf.as_mut_ptr(), buf.len(), &raw mut n) };
        assert_eq!(r, cc_result::CC_OK);
        let bytes: Vec<u8> = buf[..n].iter().map(|&c| c as u8).collect();
        String::from_utf8(bytes).unwrap_or_default()
    }

    #[test]
    fn a_panic_becomes_a_result_code_and_a_message() {
        let r = boundary("cc_test", || panic!("boom at the edge"));
        assert_eq!(r, cc_result::CC_PANIC);
        let message = last_message();
        assert!(message.starts_with("cc_test: internal error"), "{message}");
        assert!(message.contains("boom at the edge"), "{message}");
        assert_eq!(boundary_or("cc_test", 7, || panic!("again")), 7);
    }

    #[test]
    fn errors_set_the_message_and_success_keeps_it() {
        let r = boundary("cc_test", || Err(Error::null("router")));
        assert_eq!(r, cc_result::CC_NULL_PARAMETER);
        assert_eq!(boundary("cc_test", || Ok(())), cc_result::CC_OK);
        assert_eq!(last_message(), "cc_test: router is NULL; pass a valid pointer");
    }

    #[test]
    fn messages_truncate_at_a_character_boundary() {
        let _ = boundary("cc_test", || Err(Error::invalid("队列")));
        let mut buf = [0 as std::ffi::c_char; 12];
        let mut n = 0;
        // SAFETY: `buf` has 12 writable bytes and `n` is writable.
        let r = unsafe { cc_error_message(buf.as_mut_ptr(), buf.len(), &raw mut n) };
        assert_eq!(r, cc_result::CC_OK);
        // "cc_test: " is 9 bytes; the first CJK character (3 bytes) does not fit in 11.
        assert_eq!(n, 9);
        assert_eq!(buf[9], 0);
    }
}
