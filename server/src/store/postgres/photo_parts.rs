//! The photos of a cluster: each photo's parts (original, public copy, thumbnail, metadata)
//! in one row, addressed by the SHA-256 of its original bytes, as a folder keeps them for
//! one server (see [`crate::photos`]). Called from blocking threads, as file reads are:
//! each call takes a pooled connection of its own and commits at once.

use tokio::runtime::Handle;

use super::Postgres;
use crate::photos::PhotoPart;
use crate::store::StoreError;

impl Postgres {
    /// Part `part` of photo `sha256`, if it is stored.
    pub fn photo_part(&self, sha256: &str, part: PhotoPart) -> Result<Option<Vec<u8>>, StoreError> {
        let column = match part {
            PhotoPart::Original => "original",
            PhotoPart::Public => "public",
            PhotoPart::Thumb => "thumb",
            PhotoPart::Meta => "meta",
        };
        Handle::current().block_on(async {
            let client = self.pool.get().await?;
            let query = format!("SELECT {column} FROM photo_parts WHERE sha256 = $1");
            let statement = client.prepare_cached(&query).await?;
            Ok(client.query_opt(&statement, &[&sha256]).await?.map(|row| row.get(0)))
        })
    }

    /// Stores photo `sha256`'s parts (original, public, thumb, meta), unless they are stored
    /// already: an upload of the same bytes on another node at the same moment stores the
    /// same parts.
    pub fn put_photo(
        &self,
        sha256: &str,
        [original, public, thumb, meta]: [&[u8]; 4],
    ) -> Result<(), StoreError> {
        Handle::current().block_on(async {
            let client = self.pool.get().await?;
            let statement = client
                .prepare_cached(
                    "INSERT INTO photo_parts (sha256, original, public, thumb, meta) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (sha256) DO NOTHING",
                )
                .await?;
            client.execute(&statement, &[&sha256, &original, &public, &thumb, &meta]).await?;
            Ok(())
        })
    }

    /// Removes photo `sha256`'s parts (when nothing refers to them any more).
    pub fn remove_photo(&self, sha256: &str) -> Result<(), StoreError> {
        Handle::current().block_on(async {
            let client = self.pool.get().await?;
            let statement = client.prepare_cached("DELETE FROM photo_parts WHERE sha256 = $1").await?;
            client.execute(&statement, &[&sha256]).await?;
            Ok(())
        })
    }
}
