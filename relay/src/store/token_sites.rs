//! Which merchant site a widget session belongs to (#8 §1): stamped once at sign-in, read back
//! on every resume. Device tokens carry no site.

use sqlx::Row;

use super::{Result, Store};

impl Store {
    /// Binds a freshly minted widget session to the site it was signed in on.
    pub async fn bind_token_to_site(&self, token_id: i64, site_id: i64) -> Result<()> {
        sqlx::query("UPDATE tokens SET site_id = $1 WHERE id = $2")
            .bind(site_id)
            .bind(token_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The site a token was minted on; `None` for device tokens and sessions older than the
    /// binding.
    pub async fn token_site(&self, token_id: i64) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT site_id FROM tokens WHERE id = $1")
            .bind(token_id)
            .fetch_optional(self.pool())
            .await?;
        Ok(match row {
            Some(r) => r.try_get::<Option<i64>, _>("site_id")?,
            None => None,
        })
    }
}
