//! What a run reports as it goes. The engine never prints: the CLI renders these (plan text, a progress bar on a
//! terminal, a line per step otherwise), and a test may collect them.

use std::time::Duration;

use jwtstack_core::plan::{Plan, Step};

#[derive(Debug)]
pub enum Event<'a> {
    /// A part of the run is about to be applied: the plan as it now stands, whose first `part` steps are
    /// applied now (a run is applied in parts where its plan has a barrier: what follows is planned again).
    Applying { plan: &'a Plan, part: usize },
    /// A step starts. `line` is the number of its first plan line, of `total` lines in this part.
    Started { step: &'a Step, line: usize, total: usize },
    /// A step is done.
    Finished { step: &'a Step },
    /// Waiting for AWS to finish something that takes time; said again, with how long so far, while it lasts.
    Waiting { what: String, waited: Duration },
    /// Done waiting.
    Waited { what: String, took: Duration },
    /// Something worth a line that is not a change: a check's findings, what `--no-wait` did not check.
    Note { text: String },
    /// Ctrl-C: the steps in flight finish and no other starts.
    Stopping,
    /// A step failed; the steps before it were applied.
    Failed,
}

/// Where a run's events go.
pub type Report<'r> = &'r (dyn Fn(Event<'_>) + Sync);

/// A report that drops everything (tests, and callers that show nothing).
pub fn quiet(_: Event<'_>) {}
