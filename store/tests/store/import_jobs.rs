//! An import's job ends once, with what its ending writes.

use std::collections::HashMap;

use domain::ids::{ClientId, CustomerId};
use domain::{Change, CustomerName};
use store::{ImportStatus, JobEnding};

use crate::support::World;

#[tokio::test]
async fn a_job_ends_once_with_its_audit_entry_and_the_undone_imports_report() {
    let mut world = World::new().await;
    let root = world.viewer("root");
    // An import of one archive, kept but never pushed, and the job undoing it.
    let import = ClientId::new();
    world.store.record_import(&root, import, "old.csv", "", 0, [0; 4], &HashMap::new(), None).await.unwrap();
    let undo = ClientId::new();
    let create = Change::Create {
        fields: Box::new(domain::archive::Fields::named(CustomerName::parse("甲").unwrap())),
    };
    let mut mutation = world.mutation("root", CustomerId::new(), create);
    (mutation.client, mutation.seq) = (undo, 1);
    world.store.keep_import_batches(undo, &[mutation]).await.unwrap();
    let (undo_id, import_id) = (undo.to_string(), import.to_string());
    world
        .store
        .record_import(&root, undo, "old.csv", "", 1, [0; 4], &HashMap::new(), Some(&import_id))
        .await
        .unwrap();
    assert_eq!(world.store.import_job(&undo_id).await.unwrap().unwrap().status, ImportStatus::Running);

    let ending = |job: &store::ImportJob| JobEnding {
        by: root.clone(),
        action: "import_undo",
        detail: format!("{{\"pushed\":{}}}", job.pushed),
        undone: Some((import_id.clone(), "{\"done\":true}".to_owned())),
    };
    let ended = world.store.finish_import(&undo_id, ImportStatus::Cancelled, ending).await.unwrap();
    let ended = ended.expect("a running job ends");
    assert_eq!((ended.status, ended.pushed, ended.total), (ImportStatus::Cancelled, 0, 1));
    // Its batches are gone, the undone import has its report, the trail its entry.
    assert_eq!(world.store.import_batch(&undo_id, 0).await.unwrap(), None);
    assert_eq!(world.store.import_undone(&import_id).await.unwrap().as_deref(), Some("{\"done\":true}"));
    let undos = |entries: Vec<domain::views::AuditEntry>| {
        entries.iter().filter(|e| e.action == "import_undo").count()
    };
    assert_eq!(undos(world.store.list_audit(&root, None, 50).await.unwrap()), 1);

    // Ended again (a runner that lost its lease): nothing, and nothing written twice.
    let again = world.store.finish_import(&undo_id, ImportStatus::Done, ending).await.unwrap();
    assert!(again.is_none());
    assert_eq!(world.store.import_job(&undo_id).await.unwrap().unwrap().status, ImportStatus::Cancelled);
    assert_eq!(undos(world.store.list_audit(&root, None, 50).await.unwrap()), 1);
}
