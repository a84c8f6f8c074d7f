//! localStorage as the replica's shelf.

use domain::replica::{Shelf, ShelfFull};
use gloo_storage::{LocalStorage, Storage};

/// How many characters the cached archives may take. Browsers give an origin
/// about 5 million characters of localStorage; the rest stays free for the
/// outbox, which is never evicted.
pub const RECORD_BUDGET: usize = 4_000_000;

/// The browser's localStorage.
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalShelf;

impl Shelf for LocalShelf {
    fn read(&self, key: &str) -> Option<String> {
        LocalStorage::raw().get_item(key).ok().flatten()
    }

    fn write(&mut self, key: &str, value: &str) -> Result<(), ShelfFull> {
        // The only error localStorage raises on write is QuotaExceededError.
        LocalStorage::raw().set_item(key, value).map_err(|_| ShelfFull)
    }

    fn delete(&mut self, key: &str) {
        let _ = LocalStorage::raw().remove_item(key);
    }

    fn keys(&self, prefix: &str) -> Vec<String> {
        let storage = LocalStorage::raw();
        let count = storage.length().unwrap_or(0);
        (0..count).filter_map(|i| storage.key(i).ok().flatten()).filter(|k| k.starts_with(prefix)).collect()
    }
}
