//! Checking one raw message, as the `sip_parse` example does: parse, validate, and say
//! in one line what the message is or what is wrong with it.

use std::io::Read;
use std::path::Path;

use bytes::Bytes;

use crate::{Error, Limits, Message};

/// Parses and validates one datagram; returns [`Message::summary`] when well-formed.
pub fn check_message(bytes: impl Into<Bytes>) -> Result<String, Error> {
    let msg = Message::parse(bytes)?;
    msg.validate()?;
    Ok(msg.summary())
}

/// Reads the file at `path` (at most the default message-size limit plus one byte) and
/// checks it with [`check_message`].
pub fn check_message_file(path: impl AsRef<Path>) -> Result<String, Error> {
    let path = path.as_ref();
    let unreadable = |e: std::io::Error| Error::Unreadable {
        path: crate::error::excerpt(&path.display().to_string()),
        reason: e.to_string(),
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let max = Limits::default().message_size();
    if let Ok(meta) = file.metadata()
        && meta.is_file()
        && meta.len() > max as u64
    {
        return Err(Error::MessageTooLarge {
            size: usize::try_from(meta.len()).unwrap_or(usize::MAX),
            max,
        });
    }
    let mut bytes = Vec::new();
    file.take(max as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    check_message(bytes)
}
