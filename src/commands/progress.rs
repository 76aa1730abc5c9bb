//! How a changing command shows its run on stderr, from the engine's events: the plan of each part (deploy
//! and rotate show it before applying), one line per plan line as its step starts (with a spinner on a
//! terminal), waits, notes, and how a run that stopped early stands.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use jwtstack_aws::event::Event;
use jwtstack_core::plan::{KindStep, render_text};
use jwtstack_core::text::neutralize;

pub(crate) struct Progress {
    /// Deploy and rotate show each part's plan before applying it (teardown showed its plan to confirm it).
    show_plans: bool,
    /// On a terminal: the spinner of the part being applied.
    bar: Mutex<Option<indicatif::ProgressBar>>,
    /// Plan lines started in this run, and the run's total as last shown.
    started: AtomicUsize,
    total: AtomicUsize,
    /// The plan lines shown and not started yet: a part planned again after a barrier that matches them is
    /// not shown again, and its lines go on being numbered from the first part's.
    shown: Mutex<Vec<String>>,
}

impl Progress {
    pub(crate) fn new(show_plans: bool) -> Progress {
        Progress {
            show_plans,
            bar: Mutex::new(None),
            started: AtomicUsize::new(0),
            total: AtomicUsize::new(0),
            shown: Mutex::new(Vec::new()),
        }
    }

    /// One line on stderr, above the spinner when there is one.
    fn say(&self, line: &str) {
        let line = &*neutralize(line);
        match self.bar.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            Some(b) => b.println(line),
            None => crate::errln!("{line}"),
        }
    }

    pub(crate) fn report(&self, event: Event<'_>) {
        match event {
            Event::Applying { plan, part } => {
                self.finish();
                let mut lines: Vec<String> = plan.steps.iter().flat_map(KindStep::lines).map(|ch| line_of(&ch)).collect();
                let started = self.started.load(Ordering::SeqCst);
                let mut shown = self.shown.lock().unwrap_or_else(|p| p.into_inner());
                if *shown != lines {
                    if self.show_plans {
                        crate::err!("{}", render_text(plan, false));
                    }
                    self.total.store(started + lines.len(), Ordering::SeqCst);
                }
                *shown = lines.split_off(plan.lines_before(part).min(lines.len()));
                let total = self.total.load(Ordering::SeqCst);
                if std::io::stderr().is_terminal() {
                    let bar = indicatif::ProgressBar::new(total as u64);
                    bar.set_position(started as u64);
                    bar.set_style(
                        indicatif::ProgressStyle::with_template("{spinner} [{pos}/{len}] {wide_msg} {elapsed}")
                            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
                    );
                    bar.enable_steady_tick(Duration::from_millis(100));
                    *self.bar.lock().unwrap_or_else(|p| p.into_inner()) = Some(bar);
                }
            }
            Event::Started { step, .. } => {
                let total = self.total.load(Ordering::SeqCst);
                for ch in step.lines() {
                    let n = self.started.fetch_add(1, Ordering::SeqCst) + 1;
                    let line = neutralize(&line_of(&ch)).into_owned();
                    match self.bar.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
                        Some(b) => {
                            b.set_position(n as u64 - 1);
                            b.println(format!("[{n}/{total}] {line}"));
                            b.set_message(line);
                        }
                        None => crate::errln!("[{n}/{total}] {line}"),
                    }
                }
            }
            Event::Finished { .. } => {}
            Event::Waiting { what, waited } if waited.is_zero() => self.say(&format!("waiting for {what}")),
            Event::Waiting { what, waited } => self.say(&format!(
                "  waiting for {what}: {}m{:02}s",
                waited.as_secs() / 60,
                waited.as_secs() % 60
            )),
            Event::Waited { what, took } => self.say(&format!("{what} ({}s)", took.as_secs())),
            Event::Note { text } => {
                let text = text.trim_end();
                if !text.is_empty() {
                    self.say(text);
                }
            }
            Event::Stopping => self.say("Ctrl-C: stopping after the step in flight"),
            Event::Failed => {
                self.finish();
                crate::errln!("stopped: the steps before the failing one were applied; run the command again to continue");
            }
        }
    }

    /// Clears the spinner (the lines above it stay).
    pub(crate) fn finish(&self) {
        if let Some(b) = self.bar.lock().unwrap_or_else(|p| p.into_inner()).take() {
            b.finish_and_clear();
        }
    }
}

/// A plan line as progress shows it: `+ apigw_route GET /items`.
fn line_of(ch: &jwtstack_core::plan::ChangeJson) -> String {
    format!("{} {} {}", ch.action.sign(), ch.resource, ch.name)
}
