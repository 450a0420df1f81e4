//! Bounds on what the parser accepts, so that a peer cannot make it spend unbounded
//! memory or time.

/// Limits applied while parsing; exceeding one gives a typed [`Error`](crate::Error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest message in bytes, start line, headers and body together (default 65,535,
    /// the largest UDP payload). Values above `u32::MAX` are treated as `u32::MAX`.
    pub max_message_size: usize,
    /// Most header fields in one message (default 128).
    pub max_headers: usize,
    /// Longest header field in bytes, name and folded lines included (default 8,192).
    pub max_header_length: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_size: 65_535,
            max_headers: 128,
            max_header_length: 8_192,
        }
    }
}

impl Limits {
    /// The message-size limit, never above `u32::MAX` (spans are 32-bit).
    pub(crate) fn message_size(&self) -> usize {
        self.max_message_size.min(u32::MAX as usize)
    }
}
