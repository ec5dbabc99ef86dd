//! The process's resident memory, read from `/proc/self/status` (Linux): the current
//! RSS, the peak (high-water mark), and a reset of the peak so a phase can be
//! measured on its own.

/// Current resident set size in bytes (`VmRSS`), or 0 where `/proc` is unavailable.
pub fn current_bytes() -> u64 {
    status_kib("VmRSS:") * 1024
}

/// Peak resident set size in bytes since start or the last [`reset_peak`] (`VmHWM`).
pub fn peak_bytes() -> u64 {
    status_kib("VmHWM:") * 1024
}

/// Resets the peak to the current RSS (writes 5 to `/proc/self/clear_refs`); false
/// when the kernel does not allow it.
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Peak resident set size in bytes of another process of ours (`VmHWM` of
/// `/proc/PID/status`), or 0 when it is gone or `/proc` is unavailable. A high-water
/// mark: read late, it still holds the peak.
pub fn peak_bytes_of(pid: u32) -> u64 {
    status_kib_of(&format!("/proc/{pid}/status"), "VmHWM:") * 1024
}

/// Current resident set size in bytes of another process of ours (`VmRSS`), or 0
/// when it is gone.
pub fn current_bytes_of(pid: u32) -> u64 {
    status_kib_of(&format!("/proc/{pid}/status"), "VmRSS:") * 1024
}

fn status_kib(field: &str) -> u64 {
    status_kib_of("/proc/self/status", field)
}

fn status_kib_of(path: &str, field: &str) -> u64 {
    let Ok(status) = std::fs::read_to_string(path) else {
        return 0;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_this_process() {
        if std::path::Path::new("/proc/self/status").exists() {
            assert!(super::current_bytes() > 0);
            assert!(super::peak_bytes() >= super::current_bytes() / 2);
            assert_eq!(
                super::peak_bytes_of(std::process::id()) / 1024,
                super::peak_bytes() / 1024
            );
        }
    }
}
