//! Counters for `/metrics` (Prometheus text format). Atomics only: counting costs nothing
//! measurable on the hot paths, and no label ever carries user data.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
pub struct Metrics {
    pub sign_in_success: AtomicU64,
    pub sign_in_failure: AtomicU64,
    pub refresh_success: AtomicU64,
    pub refresh_failure: AtomicU64,
    pub query_success: AtomicU64,
    pub query_failure: AtomicU64,
}

impl Metrics {
    pub fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut family = |name: &str, help: &str, rows: &[(&str, u64)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for (outcome, n) in rows {
                let _ = writeln!(out, "{name}{{outcome=\"{outcome}\"}} {n}");
            }
        };
        family(
            "lowkey_sign_ins_total",
            "Password sign-ins by outcome.",
            &[
                ("success", get(&self.sign_in_success)),
                ("failure", get(&self.sign_in_failure)),
            ],
        );
        family(
            "lowkey_refreshes_total",
            "Refresh-token grants by outcome.",
            &[
                ("success", get(&self.refresh_success)),
                ("failure", get(&self.refresh_failure)),
            ],
        );
        family(
            "lowkey_query_runs_total",
            "Query executions by outcome (success: lowkey got an upstream answer, whatever its status).",
            &[("success", get(&self.query_success)), ("failure", get(&self.query_failure))],
        );
        let _ = writeln!(
            out,
            "# HELP lowkey_info Build information.\n# TYPE lowkey_info gauge"
        );
        let _ = writeln!(
            out,
            "lowkey_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        out
    }
}
