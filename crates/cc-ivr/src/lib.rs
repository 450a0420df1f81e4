//! # cc-ivr: the IVR flow language
//!
//! Voice navigation (语音导航) flows are written in a small text language (see
//! `LANGUAGE.md` beside this crate), parsed with precise diagnostics, and checked against
//! an [`Environment`] before they ever meet a caller.
//!
//! ```
//! let source = "flow hello\nmain {\n  play \"welcome\"\n  hangup\n}\n";
//! let parse = cc_ivr::parse(source);
//! assert!(parse.diagnostics.is_empty());
//! assert_eq!(parse.flow.unwrap().name.name, "hello");
//! ```
//!
//! Nothing here panics on input: every problem is a [`Diagnostic`].

pub mod ast;
mod calendar;
mod cfg;
mod check;
mod diagnostic;
mod env;
mod lexer;
mod parser;
mod pattern;
mod printer;
mod program;
mod session;
pub mod testing;

pub use calendar::{Calendar, CalendarConfig, CalendarError, CalendarState};
pub use check::{BUILTINS, check};
pub use diagnostic::{Diagnostic, Severity, Span, line_col};
pub use env::Environment;
pub use parser::{KEYWORDS, Parse, parse};
pub use pattern::DigitPattern;
pub use program::{Code, CompileError, IrExpr, IrPlay, IrTransfer, Op, Pc, Program};
pub use session::{
    Action, Event, MAX_CALL_DEPTH, MAX_STEPS_PER_EVENT, PlayPiece, QueueEvent, Resources, Session,
    SessionContext, TransferTo,
};

/// This crate's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
