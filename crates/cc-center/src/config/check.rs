//! What the types cannot say: references that must exist, ids that must be unique, flows
//! that must compile against what the configuration offers.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::Path;

use cc_ivr::{Calendar, CalendarConfig, Environment, Severity};

use super::{CalendarSection, CenterConfig, DestinationSpec, TrunkTransport};

/// One problem in a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Error (the center refuses to start) or warning.
    pub severity: Severity,
    /// Where: a key path (`queue[1].tenant`) or `file:line:col`.
    pub place: String,
    /// What is wrong and what would be right.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}: {level}: {}", self.place, self.message)
    }
}

/// Collects problems.
#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn error(&mut self, place: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem {
            severity: Severity::Error,
            place: place.into(),
            message: message.into(),
        });
    }
    fn warning(&mut self, place: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem {
            severity: Severity::Warning,
            place: place.into(),
            message: message.into(),
        });
    }
}

/// Reports every id that appears twice in a table.
fn unique<'a>(p: &mut Problems, table: &str, ids: impl IntoIterator<Item = &'a str>) -> BTreeSet<&'a str> {
    let mut seen = BTreeSet::new();
    for (i, id) in ids.into_iter().enumerate() {
        if !seen.insert(id) {
            p.error(
                format!("{table}[{i}].id"),
                format!("`{id}` is defined twice in [[{table}]]"),
            );
        }
    }
    seen
}

impl CalendarSection {
    /// The calendar this section describes.
    pub fn build(&self) -> Result<Calendar, cc_ivr::CalendarError> {
        Calendar::new(&CalendarConfig {
            time_zone: self.time_zone.clone(),
            hours: self.hours.clone(),
            holidays: self.holidays.clone(),
            working_days: self.working_days.clone(),
            working_day_hours: self.working_day_hours.clone(),
        })
    }
}

impl CenterConfig {
    /// Checks the configuration and every flow it names. Problems come in file order;
    /// the center starts only when none is an error.
    pub fn check(&self) -> Vec<Problem> {
        let mut p = Problems::default();
        let tenants = unique(&mut p, "tenant", self.tenants.iter().map(|t| t.id.as_str()));
        let flows = unique(&mut p, "flow", self.flows.iter().map(|f| f.id.as_str()));
        let trunks = unique(&mut p, "trunk", self.trunks.iter().map(|t| t.id.as_str()));
        let queues = unique(&mut p, "queue", self.queues.iter().map(|q| q.id.as_str()));
        unique(&mut p, "agent", self.agents.iter().map(|a| a.id.as_str()));
        let calendars = unique(&mut p, "calendar", self.calendars.iter().map(|c| c.id.as_str()));
        let lists = unique(&mut p, "list", self.lists.iter().map(|l| l.id.as_str()));
        let hooks = unique(&mut p, "hook", self.hooks.iter().map(|h| h.id.as_str()));
        let externals = unique(&mut p, "external", self.externals.iter().map(|e| e.id.as_str()));
        unique(&mut p, "mailbox", self.mailboxes.iter().map(|m| m.id.as_str()));
        let tenant_known = |t: &str| tenants.contains(t);

        if self.tenants.is_empty() {
            p.error(
                "tenant",
                "no [[tenant]] is defined; a center serves at least one tenant",
            );
        }
        self.check_network(&mut p);
        if let Some(url) = &self.center.storage
            && crate::store::Backend::of_url(url).is_none()
        {
            p.error(
                "center.storage",
                format!(
                    "`{url}` is not a storage URL this build opens; use {}",
                    crate::store::SUPPORTED
                ),
            );
        }
        let mut keys = BTreeSet::new();
        for (i, k) in self.http.keys.iter().enumerate() {
            if k.key.chars().count() < 16 {
                p.error(
                    format!("http.keys[{i}].key"),
                    "an API key has at least 16 characters",
                );
            }
            if !keys.insert(k.key.as_str()) {
                p.error(format!("http.keys[{i}].key"), "the same key is given twice");
            }
            if let Some(t) = &k.tenant
                && !tenant_known(t.as_str())
            {
                p.error(format!("http.keys[{i}].tenant"), format!("unknown tenant `{t}`"));
            }
        }
        if self.http.listen.is_some() && self.http.keys.is_empty() {
            p.warning("http.keys", "no API key: every request but /health is refused");
        }
        if self.sip.digest.is_empty() {
            p.error(
                "sip.digest",
                "name at least one algorithm: \"sha-256\" or \"md5\"",
            );
        }

        let mut dids = BTreeSet::new();
        for (i, n) in self.numbers.iter().enumerate() {
            if !dids.insert(n.did.as_str()) {
                p.error(
                    format!("number[{i}].did"),
                    format!("`{}` is defined twice", n.did),
                );
            }
            if n.did.is_empty()
                || !n
                    .did
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-_.*#".contains(c))
            {
                p.error(
                    format!("number[{i}].did"),
                    format!("`{}` is not a dialable number or user part", n.did),
                );
            }
            if let Some(t) = &n.tenant
                && !tenant_known(t.as_str())
            {
                p.error(format!("number[{i}].tenant"), format!("unknown tenant `{t}`"));
            }
            match self.flows.iter().find(|f| f.id == n.flow) {
                None => p.error(format!("number[{i}].flow"), format!("unknown flow `{}`", n.flow)),
                Some(f) => {
                    if let (Some(a), Some(b)) = (&n.tenant, &f.tenant)
                        && a != b
                    {
                        p.error(
                            format!("number[{i}].flow"),
                            format!(
                                "flow `{}` belongs to tenant `{b}`, not to the number's tenant `{a}`",
                                f.id
                            ),
                        );
                    }
                }
            }
        }
        for (i, t) in self.trunks.iter().enumerate() {
            if t.register && (t.username.is_none() || t.password.is_none()) {
                p.error(
                    format!("trunk[{i}].register"),
                    "registration needs `username` and `password`",
                );
            }
            if t.transport == TrunkTransport::Tcp && !self.sip.tcp {
                p.error(
                    format!("trunk[{i}].transport"),
                    "a TCP trunk needs `[sip] tcp = true`",
                );
            }
            if t.keepalive
                .is_some_and(|k| k.0 < std::time::Duration::from_secs(1))
            {
                p.error(format!("trunk[{i}].keepalive"), "probe at most once a second");
            }
            if let Some(id) = &t.caller_id
                && (id.is_empty()
                    || !id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+-_.*#".contains(c)))
            {
                p.error(
                    format!("trunk[{i}].caller_id"),
                    format!("`{id}` is not a number or user part"),
                );
            }
        }
        for (i, c) in self.calendars.iter().enumerate() {
            if let Err(e) = c.build() {
                p.error(format!("calendar[{i}].{}", e.field), e.message);
            }
        }
        for (i, l) in self.lists.iter().enumerate() {
            if let Some(file) = &l.file
                && let Err(e) = std::fs::read_to_string(self.resolve(file))
            {
                p.error(
                    format!("list[{i}].file"),
                    format!("cannot read {}: {e}", self.resolve(file).display()),
                );
            }
        }
        for (i, e) in self.externals.iter().enumerate() {
            if let Err(err) = cc_core::Address::parse(&e.uri) {
                p.error(format!("external[{i}].uri"), err.to_string());
            }
        }
        for (i, m) in self.mailboxes.iter().enumerate() {
            if !tenant_known(m.tenant.as_str()) {
                p.error(
                    format!("mailbox[{i}].tenant"),
                    format!("unknown tenant `{}`", m.tenant),
                );
            }
        }
        let resolves = |spec: &DestinationSpec| -> Result<(), String> {
            let (kind, id) = spec.split_once(':').ok_or_else(|| {
                format!("`{spec}` is not a destination; write queue:ID, agent:ID, external:ID or flow:ID")
            })?;
            let known = match kind {
                "queue" => queues.contains(id),
                "agent" => self.agents.iter().any(|a| a.id.as_str() == id),
                "external" => externals.contains(id),
                "flow" => flows.contains(id),
                _ => {
                    return Err(format!(
                        "`{kind}` in `{spec}` is not a destination kind; use queue, agent, external or flow"
                    ));
                }
            };
            if known {
                Ok(())
            } else {
                Err(format!("unknown {kind} `{id}`"))
            }
        };
        for (i, q) in self.queues.iter().enumerate() {
            if !tenant_known(q.tenant.as_str()) {
                p.error(
                    format!("queue[{i}].tenant"),
                    format!("unknown tenant `{}`", q.tenant),
                );
            }
            let o = &q.overflow;
            for (key, spec) in [
                ("no_agents", &o.no_agents),
                ("queue_full", &o.queue_full),
                ("max_wait", &o.max_wait),
                ("long_wait", &o.long_wait),
            ] {
                if let Some(spec) = spec
                    && let Err(e) = resolves(spec)
                {
                    p.error(format!("queue[{i}].overflow.{key}"), e);
                }
            }
            if o.long_wait.is_some() != o.long_wait_after.is_some() {
                p.error(
                    format!("queue[{i}].overflow"),
                    "`long_wait` and `long_wait_after` go together",
                );
            }
            if o.max_wait.is_some() && q.max_wait.is_none() {
                p.warning(
                    format!("queue[{i}].overflow.max_wait"),
                    "never used: the queue has no `max_wait`",
                );
            }
            let mut last = None;
            for (j, step) in q.escalation.iter().enumerate() {
                let place = format!("queue[{i}].escalation[{j}]");
                match (&step.level, &step.to) {
                    (Some(_), None) => {}
                    (None, Some(spec)) => {
                        if let Err(e) = resolves(spec) {
                            p.error(format!("{place}.to"), e);
                        }
                    }
                    _ => p.error(&place, "give exactly one of `level` (widen) or `to` (leave)"),
                }
                if last.is_some_and(|l| step.after <= l) {
                    p.error(
                        format!("{place}.after"),
                        "escalation steps must come in increasing `after` order",
                    );
                }
                last = Some(step.after);
            }
            if let Err(e) =
                super::build::queue_config(self, q).and_then(|c| c.validate().map_err(|e| e.to_string()))
            {
                p.error(format!("queue[{i}]"), e);
            }
        }
        let mut sip_users = HashMap::new();
        for (i, a) in self.agents.iter().enumerate() {
            if a.tenants.is_empty() && a.supervises.is_empty() {
                p.error(
                    format!("agent[{i}].tenants"),
                    "an agent serves at least one tenant (or, as a supervisor, `supervises` one)",
                );
            }
            for t in a.tenants.keys() {
                if !tenant_known(t.as_str()) {
                    p.error(format!("agent[{i}].tenants"), format!("unknown tenant `{t}`"));
                }
            }
            for t in &a.supervises {
                if !tenant_known(t.as_str()) {
                    p.error(format!("agent[{i}].supervises"), format!("unknown tenant `{t}`"));
                }
            }
            if let Some(prev) = sip_users.insert(a.sip_user(), i) {
                p.error(
                    format!("agent[{i}].sip_user"),
                    format!("`{}` is also agent[{prev}]'s SIP user", a.sip_user()),
                );
            }
            match (&a.pstn, &a.trunk) {
                (Some(_), None) => p.error(
                    format!("agent[{i}].trunk"),
                    "a remote seat (`pstn`) needs the `trunk` that reaches it",
                ),
                (_, Some(t)) if !trunks.contains(t.as_str()) => {
                    p.error(format!("agent[{i}].trunk"), format!("unknown trunk `{t}`"));
                }
                (None, Some(_)) => p.warning(format!("agent[{i}].trunk"), "`trunk` is only used with `pstn`"),
                _ => {}
            }
            if let Some(contact) = &a.contact
                && cc_core::Address::parse(contact).is_err()
            {
                p.error(
                    format!("agent[{i}].contact"),
                    format!("`{contact}` is not a SIP URI"),
                );
            }
            if a.pstn.is_none() && a.password.is_none() && a.contact.is_none() {
                p.warning(
                    format!("agent[{i}].password"),
                    "no password: this agent's phone cannot register",
                );
            }
        }
        for (i, q) in self.recording.queues.iter().enumerate() {
            if !queues.contains(q.as_str()) {
                p.error(format!("recording.queues[{i}]"), format!("unknown queue `{q}`"));
            }
        }
        if self.recording.percent > 100 {
            p.error(
                "recording.percent",
                format!("{} is not a share; use 0 to 100", self.recording.percent),
            );
        }
        let prompts = self.prompt_names(&mut p);
        for (i, f) in self.flows.iter().enumerate() {
            if let Some(t) = &f.tenant
                && !tenant_known(t.as_str())
            {
                p.error(format!("flow[{i}].tenant"), format!("unknown tenant `{t}`"));
            }
            let env = self.flow_environment(
                f.tenant.as_ref(),
                prompts.clone(),
                &calendars,
                &lists,
                &hooks,
                &externals,
            );
            self.check_flow(&mut p, i, &f.file, &env);
        }
        p.0
    }

    fn check_network(&self, p: &mut Problems) {
        let r = &self.rtp;
        if !r.port_min.is_multiple_of(2) {
            p.error(
                "rtp.port_min",
                format!(
                    "{} is odd; RTP takes even ports (RTCP the odd one above)",
                    r.port_min
                ),
            );
        }
        if r.port_max <= r.port_min || r.port_min < 1024 {
            p.error(
                "rtp.port_max",
                format!(
                    "{}-{} is not a range above 1023 with room for a call",
                    r.port_min, r.port_max
                ),
            );
        }
        let sip = self.sip.listen;
        if sip.ip() == r.bind && (r.port_min..=r.port_max).contains(&sip.port()) {
            p.error(
                "sip.listen",
                format!(
                    "port {} lies inside the RTP range {}-{}",
                    sip.port(),
                    r.port_min,
                    r.port_max
                ),
            );
        }
    }

    /// Prompt names present in every language's folder, or `None` (unchecked) without a
    /// prompt root.
    fn prompt_names(&self, p: &mut Problems) -> Option<BTreeSet<String>> {
        let Some(root) = &self.prompts.root else {
            if !self.flows.is_empty() {
                p.warning(
                    "prompts.root",
                    "no prompt folder: prompt names in flows are not checked",
                );
            }
            return None;
        };
        if self.prompts.languages.is_empty() {
            p.error(
                "prompts.languages",
                "name the languages, each a sub-folder of `root`",
            );
        }
        let mut names: Option<BTreeSet<String>> = None;
        for (i, lang) in self.prompts.languages.iter().enumerate() {
            let dir = self.resolve(root).join(lang);
            let mut here = BTreeSet::new();
            match std::fs::read_dir(&dir) {
                Err(e) => p.error(
                    format!("prompts.languages[{i}]"),
                    format!("cannot read {}: {e}", dir.display()),
                ),
                Ok(entries) => {
                    for path in entries.flatten().map(|e| e.path()) {
                        if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("wav"))
                            && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
                        {
                            here.insert(stem.to_owned());
                        }
                    }
                }
            }
            // A prompt must exist in every language a call may be in.
            names = Some(match names {
                None => here,
                Some(all) => all.intersection(&here).cloned().collect(),
            });
        }
        if let Some(lang) = &self.prompts.default_language
            && !self.prompts.languages.contains(lang)
        {
            p.error(
                "prompts.default_language",
                format!("`{lang}` is not one of `languages`"),
            );
        }
        names
    }

    fn flow_environment(
        &self,
        tenant: Option<&cc_core::TenantId>,
        prompts: Option<BTreeSet<String>>,
        calendars: &BTreeSet<&str>,
        lists: &BTreeSet<&str>,
        hooks: &BTreeSet<&str>,
        externals: &BTreeSet<&str>,
    ) -> Environment {
        let owned = |s: &BTreeSet<&str>| Some(s.iter().map(|&x| x.to_owned()).collect());
        Environment {
            queues: Some(
                self.queues
                    .iter()
                    .filter(|q| tenant.is_none_or(|t| &q.tenant == t))
                    .map(|q| q.id.to_string())
                    .collect(),
            ),
            prompts,
            lists: owned(lists),
            calendars: owned(calendars),
            hooks: owned(hooks),
            external: owned(externals),
            mailboxes: Some(
                self.mailboxes
                    .iter()
                    .filter(|m| tenant.is_none_or(|t| &m.tenant == t))
                    .map(|m| m.id.clone())
                    .collect(),
            ),
        }
    }

    fn check_flow(&self, p: &mut Problems, i: usize, file: &Path, env: &Environment) {
        let path = self.resolve(file);
        let source = match std::fs::read_to_string(&path) {
            Ok(s) => s,
            Err(e) => {
                p.error(
                    format!("flow[{i}].file"),
                    format!("cannot read {}: {e}", path.display()),
                );
                return;
            }
        };
        let parse = cc_ivr::parse(&source);
        let mut diagnostics = parse.diagnostics;
        if let Some(flow) = &parse.flow {
            diagnostics.extend(cc_ivr::check(flow, env));
        }
        diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
        for d in diagnostics {
            let (line, col) = cc_ivr::line_col(&source, d.span.start);
            p.0.push(Problem {
                severity: d.severity,
                place: format!("{}:{line}:{col}", path.display()),
                message: d.message,
            });
        }
    }
}
