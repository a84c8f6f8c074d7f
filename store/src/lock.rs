//! One server per data directory.
//!
//! SurrealKV holds an OS lock on `LOCK` inside its directory while it is
//! open. Probing that lock before connecting turns "another server has this
//! directory" into a typed [`StoreError::Locked`] instead of an engine error,
//! and waiting for it after the last handle is dropped tells when the engine
//! has finished shutting down (it flushes, then releases the lock).

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::StoreError;

/// The lock file SurrealKV keeps in its directory.
const ENGINE_LOCK_FILE: &str = "LOCK";

/// Creates `dir` if needed and checks that no one holds it.
pub(crate) fn ensure_available(dir: &Path) -> Result<(), StoreError> {
    std::fs::create_dir_all(dir).map_err(|e| {
        StoreError::Unavailable(format!("cannot create the data directory {}: {e}", dir.display()))
    })?;
    let lock = dir.join(ENGINE_LOCK_FILE);
    let file = open(&lock)?;
    match file.try_lock() {
        // Dropping the file releases the probe's lock for the engine to take.
        Ok(()) => Ok(()),
        Err(TryLockError::WouldBlock) => Err(StoreError::Locked { dir: dir.to_owned(), lock }),
        Err(TryLockError::Error(e)) => {
            Err(StoreError::Unavailable(format!("cannot lock {}: {e}", lock.display())))
        }
    }
}

/// Waits until the engine has released `dir`, at most `timeout`.
pub(crate) async fn wait_released(dir: &Path, timeout: Duration) -> Result<(), StoreError> {
    let lock = dir.join(ENGINE_LOCK_FILE);
    let deadline = Instant::now() + timeout;
    loop {
        match open(&lock)?.try_lock() {
            Ok(()) => return Ok(()),
            Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(TryLockError::WouldBlock) => {
                return Err(StoreError::Unavailable(format!(
                    "the database at {} did not close within {} s",
                    dir.display(),
                    timeout.as_secs()
                )));
            }
            Err(TryLockError::Error(e)) => {
                return Err(StoreError::Unavailable(format!("cannot lock {}: {e}", lock.display())));
            }
        }
    }
}

fn open(lock: &Path) -> Result<File, StoreError> {
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lock)
        .map_err(|e| StoreError::Unavailable(format!("cannot open the lock file {}: {e}", lock.display())))
}
