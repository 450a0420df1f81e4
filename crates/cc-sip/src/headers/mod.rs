//! Typed views of header values, a file per header family. Each view borrows from the
//! message and is parsed on demand; `Message` gets an accessor for each.

mod auth;
mod content;
mod event;
mod name;
mod name_addr;
mod reason;
mod refer;
mod replaces;
mod sequence;
mod session_timer;
pub(crate) mod simple;
mod tokens;
mod via;

pub use auth::Auth;
pub use content::MediaType;
pub use event::{Event, SubState, SubscriptionState};
pub use name::HeaderName;
pub use name_addr::{Contact, NameAddr};
pub use reason::Reason;
pub use refer::{ReferTo, percent_decode, percent_encode, refer_to_value};
pub use replaces::Replaces;
pub use sequence::{CSeq, RAck};
pub use session_timer::{Refresher, SessionExpires, parse_min_se};
pub use via::Via;
