//! The dialogs of a user agent, found by dialog id.

use std::collections::HashMap;

use crate::error::Error;
use crate::message::Message;

use super::{Dialog, DialogId, DialogState, Incoming};
use crate::transaction::messages::response_to;

/// The dialogs of a user agent keyed by [`DialogId`] (Call-ID, local tag, remote tag).
/// A forked INVITE creates one early dialog per remote tag; all live here side by side.
#[derive(Debug, Clone, Default)]
pub struct DialogSet {
    dialogs: HashMap<DialogId, Dialog>,
}

impl DialogSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many dialogs are held.
    pub fn len(&self) -> usize {
        self.dialogs.len()
    }

    /// `true` when no dialog is held.
    pub fn is_empty(&self) -> bool {
        self.dialogs.is_empty()
    }

    /// Adds `dialog`, replacing (and returning) one with the same id.
    pub fn insert(&mut self, dialog: Dialog) -> Option<Dialog> {
        self.dialogs.insert(dialog.id().clone(), dialog)
    }

    /// The dialog with `id`.
    pub fn get(&self, id: &DialogId) -> Option<&Dialog> {
        self.dialogs.get(id)
    }

    /// The dialog with `id`, to change.
    pub fn get_mut(&mut self, id: &DialogId) -> Option<&mut Dialog> {
        self.dialogs.get_mut(id)
    }

    /// Removes and returns the dialog with `id`.
    pub fn remove(&mut self, id: &DialogId) -> Option<Dialog> {
        self.dialogs.remove(id)
    }

    /// The dialog an incoming request or response belongs to, if any
    /// ([`DialogId::of_incoming`]).
    pub fn find_mut(&mut self, msg: &Message) -> Option<&mut Dialog> {
        let id = DialogId::of_incoming(msg).ok()?;
        self.dialogs.get_mut(&id)
    }

    /// The dialogs of one call leg: same Call-ID and local tag, any remote tag (the early
    /// dialogs of a forked INVITE).
    pub fn forks<'s>(
        &'s self,
        call_id: &'s str,
        local_tag: &'s str,
    ) -> impl Iterator<Item = &'s Dialog> + 's {
        self.dialogs
            .values()
            .filter(move |d| d.id().call_id == call_id && d.id().local_tag == local_tag)
    }

    /// A response to our INVITE `request` (UAC): updates the dialog it belongs to, or
    /// creates one (a new early dialog for each remote tag when the INVITE forked). A
    /// final non-2xx ends every early dialog of the INVITE. Returns the id of the dialog
    /// the response belongs to, if any.
    pub fn on_invite_response(
        &mut self,
        request: &Message,
        response: &Message,
    ) -> Result<Option<DialogId>, Error> {
        let code = response
            .status_code()
            .ok_or_else(|| super::dialog_error("not a response"))?;
        let Ok(id) = DialogId::of_incoming(response) else {
            return Ok(None);
        };
        if code >= 300 {
            for dialog in self.dialogs.values_mut() {
                if dialog.id().call_id == id.call_id
                    && dialog.id().local_tag == id.local_tag
                    && dialog.state() == DialogState::Early
                {
                    dialog.terminate();
                }
            }
            return Ok(None);
        }
        if let Some(dialog) = self.dialogs.get_mut(&id) {
            dialog.on_response(response)?;
            return Ok(Some(id));
        }
        if code == 100 || id.remote_tag.is_empty() {
            return Ok(None);
        }
        self.insert(Dialog::new_uac(request, response)?);
        Ok(Some(id))
    }

    /// A request from the network (RFC 3261 §12.2.2): `None` when its To has no tag (it
    /// is not in a dialog: a new INVITE, an OPTIONS...); otherwise the verdict of its
    /// dialog's [`Dialog::on_request`], or a 481 to send when no dialog matches.
    pub fn on_request(&mut self, request: &Message) -> Result<Option<Incoming>, Error> {
        if request.to_header()?.tag().is_none() {
            return Ok(None);
        }
        let id = DialogId::of_incoming(request)?;
        match self.dialogs.get_mut(&id) {
            Some(dialog) => dialog.on_request(request).map(Some),
            None if request.method() == Some("ACK") => Ok(Some(Incoming::Accept)),
            None => {
                let response = response_to(request, 481, "Call/Transaction Does Not Exist", None, &[])?;
                Ok(Some(Incoming::Reject(response)))
            }
        }
    }

    /// Drops terminated dialogs.
    pub fn purge_terminated(&mut self) {
        self.dialogs.retain(|_, d| d.state() != DialogState::Terminated);
    }
}
