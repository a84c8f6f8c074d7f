//! Files uploaded for import. A file is sent once, as it is, and kept here
//! by id: the preview, the check, the commit and the failed rows name it
//! instead of carrying it again, and whichever app server answers reads
//! the same bytes. It is kept for a day, for a check and a commit later on.

use domain::ids::UserId;
use serde::Deserialize;
use sha2::Digest as _;
use surrealdb::types::{Bytes, SurrealValue};

use crate::query::take_one;
use crate::{Store, StoreError};

/// Bytes per stored chunk: a big file is several moderate records rather
/// than one huge one.
const CHUNK_BYTES: usize = 1 << 20;
/// How long an uploaded file is kept.
pub const IMPORT_FILE_KEPT_MS: i64 = 24 * 3_600_000;

/// A file as it was uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportFile {
    /// Its id.
    pub id: String,
    /// Its name as the person's computer called it.
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Its SHA-256 in hex, for the audit trail.
    pub sha256: String,
}

#[derive(Deserialize)]
struct FileRow {
    user: String,
    name: String,
    sha256: String,
    chunks: i64,
}

#[derive(SurrealValue)]
struct ChunkRow {
    n: i64,
    data: Bytes,
}

impl Store {
    /// Keeps a file `user` uploaded, and forgets the files kept longer than
    /// a day. Gives back its id.
    pub async fn save_import_file(
        &self,
        user: &UserId,
        name: &str,
        bytes: &[u8],
    ) -> Result<String, StoreError> {
        let id = uuid::Uuid::now_v7().to_string();
        let sha256 = hex::encode(sha2::Sha256::digest(bytes));
        let now = crate::now_millis();
        let chunks: Vec<&[u8]> = bytes.chunks(CHUNK_BYTES).collect();
        let mut text = String::from(
            "BEGIN TRANSACTION;
             LET $old = SELECT VALUE record::id(id) FROM import_file WHERE at < $cutoff;
             DELETE import_file_chunk WHERE file IN $old;
             DELETE import_file WHERE at < $cutoff;
             CREATE type::record('import_file', $id) CONTENT $row;\n",
        );
        for n in 0..chunks.len() {
            text.push_str(&format!("CREATE import_file_chunk SET file = $id, n = {n}, data = $chunk{n};\n"));
        }
        text.push_str("COMMIT TRANSACTION;");
        let row = serde_json::json!({
            "user": user.0, "name": name, "size": bytes.len(), "sha256": sha256, "at": now,
            "chunks": chunks.len(),
        });
        let mut query = self
            .db
            .query(text)
            .bind(("cutoff", now - IMPORT_FILE_KEPT_MS))
            .bind(("id", id.clone()))
            .bind(("row", row));
        for (n, chunk) in chunks.into_iter().enumerate() {
            query = query.bind((format!("chunk{n}"), Bytes::from(chunk.to_vec())));
        }
        query.await.and_then(crate::error::explain).map_err(StoreError::from_db)?;
        Ok(id)
    }

    /// The file `id`, if `user` uploaded it and it is still kept.
    pub async fn import_file(&self, user: &UserId, id: &str) -> Result<Option<ImportFile>, StoreError> {
        let mut response = self
            .db
            .query(
                "SELECT user, name, sha256, chunks FROM type::record('import_file', $id) WHERE at >= $cutoff;
                 SELECT n, data FROM import_file_chunk WHERE file = $id;",
            )
            .bind(("id", id.to_owned()))
            .bind(("cutoff", crate::now_millis() - IMPORT_FILE_KEPT_MS))
            .await
            .map_err(StoreError::from_db)?;
        let Some(file) = take_one::<FileRow>(&mut response, 0)? else { return Ok(None) };
        if file.user != user.0 {
            return Ok(None);
        }
        let mut chunks: Vec<ChunkRow> = response.take(1).map_err(StoreError::from_db)?;
        chunks.sort_by_key(|c| c.n);
        if chunks.len() as i64 != file.chunks {
            tracing::error!(file = id, "an uploaded file is missing chunks");
            return Err(StoreError::Other);
        }
        let bytes = chunks.into_iter().flat_map(|c| c.data.into_inner()).collect();
        Ok(Some(ImportFile { id: id.to_owned(), name: file.name, bytes, sha256: file.sha256 }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_file_of_several_chunks_comes_back_whole_and_only_to_whoever_uploaded_it() {
        let (store, _) = Store::open("mem://", None).await.unwrap();
        let bytes: Vec<u8> = (0..CHUNK_BYTES * 2 + 12_345).map(|i| (i % 251) as u8).collect();
        let me = UserId("m".into());
        let id = store.save_import_file(&me, "客户.xlsx", &bytes).await.unwrap();
        let file = store.import_file(&me, &id).await.unwrap().expect("kept");
        assert_eq!(file.name, "客户.xlsx");
        assert!(file.bytes == bytes, "the same bytes, in order");
        assert_eq!(file.sha256, hex::encode(sha2::Sha256::digest(&bytes)));
        assert_eq!(store.import_file(&UserId("b".into()), &id).await.unwrap(), None);
        assert_eq!(store.import_file(&me, "no-such-file").await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_file_older_than_a_day_is_forgotten_when_the_next_one_comes() {
        let (store, _) = Store::open("mem://", None).await.unwrap();
        let me = UserId("m".into());
        let old = store.save_import_file(&me, "old.csv", b"a,b\n1,2\n").await.unwrap();
        store
            .db
            .query("UPDATE type::record('import_file', $id) SET at -= $kept + 1")
            .bind(("id", old.clone()))
            .bind(("kept", IMPORT_FILE_KEPT_MS))
            .await
            .unwrap();
        assert_eq!(store.import_file(&me, &old).await.unwrap(), None, "past its day");
        let new = store.save_import_file(&me, "new.csv", b"c\n3\n").await.unwrap();
        let mut left = store.db.query("SELECT count() FROM import_file_chunk GROUP ALL").await.unwrap();
        let count: Option<serde_json::Value> = left.take(0).unwrap();
        assert_eq!(count.unwrap()["count"], 1, "only the new file's chunk is left");
        assert!(store.import_file(&me, &new).await.unwrap().is_some());
    }
}
