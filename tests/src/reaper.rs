//! Servers that end with the test process. A server held in a `static` (one per test file,
//! shared by its tests) is never dropped, so without this it would outlive the test run and
//! keep its port and data directory: each process started here is killed when the test
//! process exits (libtest returns from `main` or calls `exit`, which runs `atexit` handlers).

use std::sync::{Mutex, Once, PoisonError};

static RUNNING: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// Records `pid` to be killed at exit, unless [`forget`] is called first.
pub(crate) fn register(pid: u32) {
    static AT_EXIT: Once = Once::new();
    AT_EXIT.call_once(|| {
        // SAFETY: `kill_all` is a plain function that stays valid for the life of the process.
        let registered = unsafe { libc::atexit(kill_all) };
        assert_eq!(registered, 0, "atexit registers the reaper");
    });
    RUNNING.lock().unwrap_or_else(PoisonError::into_inner).push(pid);
}

/// Forgets `pid`: its owner has killed it. Called before the owner reaps it, while the
/// number cannot yet be given to another process.
pub(crate) fn forget(pid: u32) {
    RUNNING.lock().unwrap_or_else(PoisonError::into_inner).retain(|&running| running != pid);
}

extern "C" fn kill_all() {
    for pid in RUNNING.lock().unwrap_or_else(PoisonError::into_inner).drain(..) {
        // SAFETY: kill(2) with a process id this process started and has not reaped.
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
    }
}
