//! Servers that end with the test process. A server held in a `static` (one per test file,
//! shared by its tests) is never dropped, so without this it would outlive the test run and
//! keep its port and its temporary data directory: each process started here is killed, and
//! the directory it was given removed, when the test process exits (libtest returns from
//! `main` or calls `exit`, which runs `atexit` handlers).

use std::path::PathBuf;
use std::sync::{Mutex, Once, PoisonError};

/// The servers running, each with the signal that ends it and the temporary directory to
/// remove after it.
static RUNNING: Mutex<Vec<(u32, libc::c_int, Option<PathBuf>)>> = Mutex::new(Vec::new());

/// Records `pid` to be killed at exit (and `temporary` removed), unless [`forget`] is called
/// first.
pub(crate) fn register(pid: u32, temporary: Option<PathBuf>) {
    register_ending(pid, libc::SIGKILL, temporary);
}

/// Records `pid` to be sent `signal` at exit, waited for, and `temporary` removed, unless
/// [`forget`] is called first. For a server that must end its own children (PostgreSQL's
/// immediate shutdown, SIGQUIT, ends its backends and frees its shared memory).
pub(crate) fn register_ending(pid: u32, signal: libc::c_int, temporary: Option<PathBuf>) {
    static AT_EXIT: Once = Once::new();
    AT_EXIT.call_once(|| {
        // SAFETY: `kill_all` is a plain function that stays valid for the life of the process.
        let registered = unsafe { libc::atexit(kill_all) };
        assert_eq!(registered, 0, "atexit registers the reaper");
    });
    RUNNING.lock().unwrap_or_else(PoisonError::into_inner).push((pid, signal, temporary));
}

/// Forgets `pid`: its owner has killed it. Called before the owner reaps it, while the
/// number cannot yet be given to another process.
pub(crate) fn forget(pid: u32) {
    RUNNING.lock().unwrap_or_else(PoisonError::into_inner).retain(|(running, _, _)| *running != pid);
}

extern "C" fn kill_all() {
    for (pid, signal, temporary) in RUNNING.lock().unwrap_or_else(PoisonError::into_inner).drain(..) {
        let pid = pid as libc::pid_t;
        // SAFETY: kill(2) and waitpid(2) on a child this process started and has not reaped;
        // waiting makes sure it no longer writes into the directory removed next.
        unsafe {
            libc::kill(pid, signal);
            libc::waitpid(pid, std::ptr::null_mut(), 0);
        }
        if let Some(directory) = temporary {
            let _ = std::fs::remove_dir_all(directory);
        }
    }
}
