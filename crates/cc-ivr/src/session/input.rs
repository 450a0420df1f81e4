//! Reading the caller's keys: `collect`, `menu` and `survey`.

use std::time::Instant;

use cc_core::{DtmfDigit, Value};

use super::{Action, PlayPiece, Session, Wait, op_at};
use crate::program::Op;

impl Session {
    // ---- collect ------------------------------------------------------------------

    pub(super) fn collect_op(&self) -> Option<(Option<String>, u8, u8)> {
        match self.op() {
            Some(Op::Collect { prompt, min, max, .. }) => Some((prompt.clone(), *min, *max)),
            _ => None,
        }
    }

    pub(super) fn collect_min(&self) -> u8 {
        self.collect_op().map_or(1, |(_, min, _)| min)
    }

    pub(super) fn collect_first_ms(&self) -> u64 {
        match self.op() {
            Some(Op::Collect { timeout_ms, .. }) => *timeout_ms,
            _ => crate::program::DEFAULT_COLLECT_TIMEOUT_MS,
        }
    }

    pub(super) fn start_collect(&mut self, attempt: u8, now: Instant) {
        self.digits.clear();
        let prompt = self.collect_op().and_then(|(p, _, _)| p);
        match prompt {
            Some(prompt) if self.type_ahead.is_empty() => {
                self.actions.push_back(Action::Play {
                    items: vec![PlayPiece::Prompt(prompt)],
                    language: self.language.clone(),
                    barge: true,
                });
                self.wait = Wait::Collect {
                    attempt,
                    prompting: true,
                };
            }
            _ => {
                self.wait = Wait::Collect {
                    attempt,
                    prompting: false,
                };
                self.arm_timer(now, self.collect_first_ms());
                while let Some(d) = self.type_ahead.pop_front() {
                    self.collect_digit(attempt, d, now);
                    if !matches!(self.wait, Wait::Collect { .. }) {
                        break;
                    }
                }
            }
        }
    }

    pub(super) fn collect_digit(&mut self, attempt: u8, digit: DtmfDigit, now: Instant) {
        let (program, body, pc) = self.current();
        let Some(&Op::Collect {
            max,
            terminator,
            inter_ms,
            ..
        }) = op_at(&program, body, pc)
        else {
            return;
        };
        if Some(digit) == terminator {
            self.deadline = None;
            self.finish_collect(attempt, now);
            return;
        }
        self.digits.push(digit.as_char());
        if self.digits.len() >= usize::from(max) {
            self.deadline = None;
            self.finish_collect(attempt, now);
        } else {
            self.arm_timer(now, inter_ms);
        }
    }

    pub(super) fn finish_collect(&mut self, attempt: u8, now: Instant) {
        let (program, body, pc) = self.current();
        let Some(Op::Collect {
            var,
            min,
            max,
            pattern,
            ok,
            ..
        }) = op_at(&program, body, pc)
        else {
            return;
        };
        let (var, min, max, ok) = (*var, *min, *max, *ok);
        let len = self.digits.len();
        let valid = len >= usize::from(min)
            && len <= usize::from(max)
            && pattern.as_ref().is_none_or(|p| p.matches(&self.digits));
        if valid {
            let digits = std::mem::take(&mut self.digits);
            self.set_var(var, Value::Text(digits));
            self.goto(ok, now);
        } else {
            self.collect_failed(attempt, now);
        }
    }

    pub(super) fn collect_failed(&mut self, attempt: u8, now: Instant) {
        let Some(&Op::Collect { retries, fail, .. }) = self.op() else {
            return;
        };
        self.digits.clear();
        if attempt >= retries {
            self.goto(fail, now);
        } else {
            self.start_collect(attempt + 1, now);
        }
    }

    // ---- menu ---------------------------------------------------------------------

    pub(super) fn menu_timeout_ms(&self) -> u64 {
        match self.op() {
            Some(Op::Menu { timeout_ms, .. }) => *timeout_ms,
            _ => crate::program::DEFAULT_MENU_TIMEOUT_MS,
        }
    }

    pub(super) fn start_menu(&mut self, attempt: u8, now: Instant) {
        self.menu_attempts = attempt;
        if let Some(d) = self.type_ahead.pop_front() {
            self.wait = Wait::Menu {
                attempt,
                prompting: false,
            };
            self.menu_key(attempt, d, now);
            return;
        }
        let prompts = match self.op() {
            Some(Op::Menu { prompts, .. }) => prompts.clone(),
            _ => Vec::new(),
        };
        if prompts.is_empty() {
            self.wait = Wait::Menu {
                attempt,
                prompting: false,
            };
            self.arm_timer(now, self.menu_timeout_ms());
        } else {
            self.actions.push_back(Action::Play {
                items: prompts.into_iter().map(PlayPiece::Prompt).collect(),
                language: self.language.clone(),
                barge: true,
            });
            self.wait = Wait::Menu {
                attempt,
                prompting: true,
            };
        }
    }

    pub(super) fn menu_key(&mut self, attempt: u8, digit: DtmfDigit, now: Instant) {
        let target = match self.op() {
            Some(Op::Menu { arms, .. }) => arms.iter().find(|(k, _)| *k == digit).map(|&(_, pc)| pc),
            _ => None,
        };
        match target {
            Some(pc) => self.goto(pc, now),
            None => self.menu_miss(attempt, true, now),
        }
    }

    /// A wrong key (`invalid`) or no key: run the handler or try again; give up after
    /// the retries.
    pub(super) fn menu_miss(&mut self, attempt: u8, invalid: bool, now: Instant) {
        let Some(&Op::Menu {
            retries,
            invalid: on_invalid,
            timeout: on_timeout,
            fail,
            ..
        }) = self.op()
        else {
            return;
        };
        self.deadline = None;
        if attempt >= retries {
            self.goto(fail, now);
            return;
        }
        let handler = if invalid { on_invalid } else { on_timeout };
        match handler {
            Some(pc) => {
                self.menu_attempts = attempt + 1;
                self.goto(pc, now);
            }
            None => self.start_menu(attempt + 1, now),
        }
    }

    // ---- survey -------------------------------------------------------------------

    pub(super) fn next_question(&mut self, index: usize, now: Instant) {
        let (program, body, pc) = self.current();
        let Some(Op::Survey { questions, next }) = op_at(&program, body, pc) else {
            return;
        };
        let next = *next;
        self.deadline = None;
        match questions.get(index) {
            Some((prompt, ..)) => {
                self.actions.push_back(Action::Play {
                    items: vec![PlayPiece::Prompt(prompt.clone())],
                    language: self.language.clone(),
                    barge: true,
                });
                self.wait = Wait::Survey {
                    index,
                    prompting: true,
                };
            }
            None => self.goto(next, now),
        }
    }
}
