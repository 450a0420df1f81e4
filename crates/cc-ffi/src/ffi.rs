//! The unsafe edge: handles, strings in, strings out. Every raw pointer the ABI receives
//! is turned into a Rust reference here, and only here.

use std::ffi::c_char;

use crate::error::{Error, Result, cc_result};

/// A borrowed UTF-8 string: `len` bytes at `ptr`, not NUL-terminated.
///
/// As an input, `ptr` may be NULL only when `len` is 0 (an empty or absent string). As an
/// output (inside `cc_command` and `cc_ivr_diagnostic`), it points into memory owned by a
/// handle and stays valid as long as the function that filled it documents.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
#[allow(non_camel_case_types)]
pub struct cc_str {
    /// The first byte, or NULL when `len` is 0.
    pub ptr: *const c_char,
    /// The length in bytes.
    pub len: usize,
}

impl cc_str {
    /// An empty string (NULL, 0).
    pub(crate) const EMPTY: cc_str = cc_str {
        ptr: std::ptr::null(),
        len: 0,
    };

    /// Borrows a Rust string; the caller keeps `s` alive as long as C may read it.
    pub(crate) fn borrow(s: &str) -> cc_str {
        if s.is_empty() {
            return Self::EMPTY;
        }
        cc_str {
            ptr: s.as_ptr().cast(),
            len: s.len(),
        }
    }
}

/// Binds an opaque C handle type to the Rust value it stands for. Handles are always
/// created by [`to_boxed`] and destroyed by [`free_boxed`], so `_new` and `_free` of one
/// type cannot mismatch: each handle type names exactly one Rust type.
pub(crate) trait Castable {
    /// The Rust value behind the handle.
    type Rust;
}

/// Moves `value` to the heap and returns it as the opaque handle `C`.
pub(crate) fn to_boxed<C: Castable>(value: C::Rust) -> *mut C {
    Box::into_raw(Box::new(value)).cast()
}

/// Drops the value behind a handle made by [`to_boxed`]; NULL is a no-op.
///
/// # Safety
///
/// `ptr` is NULL or came from `to_boxed::<C>` and has not been freed.
pub(crate) unsafe fn free_boxed<C: Castable>(ptr: *mut C) {
    if ptr.is_null() {
        return;
    }
    // SAFETY: per this function's contract, `ptr` came from `Box::into_raw` of a
    // `Box<C::Rust>` (cast to `*mut C`) and is freed exactly once.
    drop(unsafe { Box::from_raw(ptr.cast::<C::Rust>()) });
}

/// Borrows the value behind a handle.
///
/// # Safety
///
/// `ptr` is NULL or a live handle from `to_boxed::<C>`, not used mutably elsewhere while
/// the borrow lasts (the caller of the ABI prevents concurrent mutation).
pub(crate) unsafe fn try_ref<'a, C: Castable>(ptr: *const C, name: &str) -> Result<&'a C::Rust> {
    // SAFETY: per this function's contract; NULL becomes `None`.
    unsafe { ptr.cast::<C::Rust>().as_ref() }.ok_or_else(|| Error::null(name))
}

/// Borrows the value behind a handle mutably.
///
/// # Safety
///
/// As [`try_ref`], and no other reference to the value exists while the borrow lasts.
pub(crate) unsafe fn try_mut<'a, C: Castable>(ptr: *mut C, name: &str) -> Result<&'a mut C::Rust> {
    // SAFETY: per this function's contract; NULL becomes `None`.
    unsafe { ptr.cast::<C::Rust>().as_mut() }.ok_or_else(|| Error::null(name))
}

/// Reads a (ptr, len) UTF-8 argument. NULL with length 0 is the empty string.
///
/// # Safety
///
/// `ptr` is NULL or points to `len` readable bytes that stay unchanged during the call.
pub(crate) unsafe fn str_arg<'a>(ptr: *const c_char, len: usize, name: &str) -> Result<&'a str> {
    if ptr.is_null() {
        return if len == 0 { Ok("") } else { Err(Error::null(name)) };
    }
    if len > isize::MAX as usize {
        return Err(Error::invalid(format!("{name}: length {len} is too large")));
    }
    // SAFETY: non-NULL, and the caller guarantees `len` readable bytes.
    let bytes = unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) };
    std::str::from_utf8(bytes).map_err(|e| {
        Error::new(
            cc_result::CC_INVALID_UTF8,
            format!(
                "{name} is not valid UTF-8 (bad byte at offset {}); strings are UTF-8 without a terminating NUL",
                e.valid_up_to()
            ),
        )
    })
}

/// Like [`str_arg`] for a required, non-empty string: NULL or empty is an error.
///
/// # Safety
///
/// As [`str_arg`].
pub(crate) unsafe fn required_str<'a>(ptr: *const c_char, len: usize, name: &str) -> Result<&'a str> {
    if ptr.is_null() {
        return Err(Error::null(name));
    }
    // SAFETY: forwarded contract.
    let s = unsafe { str_arg(ptr, len, name) }?;
    if s.is_empty() {
        return Err(Error::invalid(format!("{name} is empty")));
    }
    Ok(s)
}

/// Reads a `cc_str` argument (see [`str_arg`]).
///
/// # Safety
///
/// As [`str_arg`] for `s.ptr` and `s.len`.
pub(crate) unsafe fn cc_str_arg<'a>(s: cc_str, name: &str) -> Result<&'a str> {
    // SAFETY: forwarded contract.
    unsafe { str_arg(s.ptr, s.len, name) }
}

/// Writes `value` through an out-pointer (only on success, by the caller's ordering).
///
/// # Safety
///
/// `out` is NULL or points to a writable `T`.
pub(crate) unsafe fn write_out<T>(out: *mut T, value: T, name: &str) -> Result {
    if out.is_null() {
        return Err(Error::null(name));
    }
    // SAFETY: non-NULL and writable per the contract; `write` does not drop the old bytes,
    // which may be uninitialised.
    unsafe { out.write(value) };
    Ok(())
}

/// Checks that an out-pointer is not NULL before any work is done, so a call that would
/// fail on its out-param changes nothing.
pub(crate) fn check_out<T>(out: *mut T, name: &str) -> Result {
    if out.is_null() {
        Err(Error::null(name))
    } else {
        Ok(())
    }
}

/// Copies `text` and a NUL into the caller's buffer. When `len` is too small, writes the
/// needed size (text plus NUL) to `*out_len` and returns `CC_BUFFER_TOO_SMALL`; otherwise
/// writes the text length (without NUL) to `*out_len`.
///
/// # Safety
///
/// `buf` is NULL or has `len` writable bytes; `out_len` is NULL or writable.
pub(crate) unsafe fn copy_out(text: &str, buf: *mut c_char, len: usize, out_len: *mut usize) -> Result {
    if out_len.is_null() {
        return Err(Error::null("out_len"));
    }
    let needed = text.len() + 1;
    if buf.is_null() || len < needed {
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { *out_len = needed };
        if buf.is_null() && len > 0 {
            return Err(Error::null("buf"));
        }
        return Err(Error::new(
            cc_result::CC_BUFFER_TOO_SMALL,
            format!("buffer of {len} bytes is too small; {needed} bytes are needed (written to out_len)"),
        ));
    }
    // SAFETY: `buf` has `len >= text.len() + 1` writable bytes and cannot overlap our string.
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), text.len());
        *buf.add(text.len()) = 0;
        *out_len = text.len();
    }
    Ok(())
}

/// Whole milliseconds in `d`, rounded up, so that a timer reported at that millisecond has
/// fired when the caller passes it back.
pub(crate) fn ceil_millis(d: std::time::Duration) -> u128 {
    d.as_millis() + u128::from(!d.subsec_nanos().is_multiple_of(1_000_000))
}
