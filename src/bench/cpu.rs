//! Where the CPU went during a benchmark (Linux `/proc`): the machine's busy share and
//! the CPU seconds of each role (our workers, the database server, the simulators,
//! the bench itself). On a machine with few cores this is what tells "the database
//! saturated" from "the cores saturated" when adding workers stops helping.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

/// Clock ticks per second of `/proc` CPU times: `USER_HZ`, fixed at 100 by the Linux
/// user-space ABI on every architecture we build for.
const TICKS_PER_S: f64 = 100.0;

/// CPU counters at one instant.
#[derive(Debug, Clone, Default)]
pub struct CpuSnapshot {
    /// Machine-wide (busy, total) ticks over all cores.
    machine: (u64, u64),
    /// Each process's (command name, user + system ticks).
    processes: HashMap<u32, (String, u64)>,
}

/// The CPU used between two snapshots.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CpuUsage {
    /// Cores of the machine.
    pub cores: usize,
    /// Busy share of all cores, 0–100.
    pub busy_percent: f64,
    /// CPU seconds per role (a process alive at both snapshots; a killed one is missed).
    pub seconds_by_role: BTreeMap<String, f64>,
}

impl CpuSnapshot {
    /// Reads the machine's and every process's counters (empty where `/proc` is absent).
    pub fn take() -> Self {
        let machine = std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|s| s.lines().next().map(machine_ticks))
            .unwrap_or_default();
        let mut processes = HashMap::new();
        if let Ok(dir) = std::fs::read_dir("/proc") {
            for entry in dir.flatten() {
                let Some(pid) = entry
                    .file_name()
                    .to_str()
                    .and_then(|n| n.parse::<u32>().ok())
                else {
                    continue;
                };
                if let Some(p) = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .ok()
                    .and_then(|s| process_ticks(&s))
                {
                    processes.insert(pid, p);
                }
            }
        }
        Self { machine, processes }
    }

    /// The CPU used from `self` to `later`, each process put in the role `role_of`
    /// gives its pid and command name (`None`: not counted).
    pub fn usage_until(
        &self,
        later: &Self,
        role_of: impl Fn(u32, &str) -> Option<String>,
    ) -> CpuUsage {
        let busy = later.machine.0.saturating_sub(self.machine.0) as f64;
        let total = later.machine.1.saturating_sub(self.machine.1) as f64;
        let mut seconds_by_role: BTreeMap<String, f64> = BTreeMap::new();
        for (pid, (comm, ticks)) in &later.processes {
            let Some((_, before)) = self.processes.get(pid) else {
                continue;
            };
            if let Some(role) = role_of(*pid, comm) {
                *seconds_by_role.entry(role).or_default() +=
                    ticks.saturating_sub(*before) as f64 / TICKS_PER_S;
            }
        }
        CpuUsage {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            busy_percent: if total > 0.0 {
                100.0 * busy / total
            } else {
                0.0
            },
            seconds_by_role,
        }
    }
}

/// (busy, total) ticks from `/proc/stat`'s `cpu` line; idle and iowait are not busy.
fn machine_ticks(line: &str) -> (u64, u64) {
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal [guest guest_nice: inside user]
    let total: u64 = fields.iter().take(8).sum();
    let idle = fields.get(3).copied().unwrap_or(0) + fields.get(4).copied().unwrap_or(0);
    (total.saturating_sub(idle), total)
}

/// (command name, utime + stime) from `/proc/PID/stat`; the name is in parentheses
/// and may hold spaces, so fields are counted after its closing one.
fn process_ticks(stat: &str) -> Option<(String, u64)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?.to_owned();
    let rest: Vec<&str> = stat.get(close + 1..)?.split_whitespace().collect();
    // After the name: state(0) ppid(1) ... utime(11) stime(12).
    let utime: u64 = rest.get(11)?.parse().ok()?;
    let stime: u64 = rest.get(12)?.parse().ok()?;
    Some((comm, utime + stime))
}

#[cfg(test)]
mod tests {
    use super::{machine_ticks, process_ticks};

    #[test]
    fn the_machine_line_splits_busy_from_idle_and_iowait() {
        assert_eq!(machine_ticks("cpu  100 5 50 800 40 1 2 3 0 0"), (161, 1001));
        assert_eq!(machine_ticks("cpu"), (0, 0));
    }

    #[test]
    fn a_process_line_is_read_after_its_parenthesised_name() {
        let stat =
            "4242 (polycart w) S 1 4242 4242 0 -1 4194560 500 0 0 0 700 35 0 0 20 0 9 0 123 0 0";
        assert_eq!(process_ticks(stat), Some(("polycart w".to_owned(), 735)));
        assert_eq!(process_ticks("garbage"), None);
    }
}
