//! Merchant sites: the public site key in the tag and the origins allowed to use it.

use sqlx::Row;

use super::{is_unique_violation, now, Result, Store, StoreError};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    pub id: i64,
    pub key: String,
    pub name: String,
    pub origins: Vec<String>,
}

impl Store {
    pub async fn create_site(&self, key: &str, name: &str, origins: &[String]) -> Result<Site> {
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query(
            "INSERT INTO sites (site_key, name, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(key)
        .bind(name)
        .bind(now())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict(format!("a site with key '{key}' already exists"))
            } else {
                e.into()
            }
        })?;
        let id: i64 = row.try_get("id")?;
        for origin in origins {
            sqlx::query("INSERT INTO site_origins (site_id, origin) VALUES ($1, $2)")
                .bind(id)
                .bind(origin)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(Site {
            id,
            key: key.into(),
            name: name.into(),
            origins: origins.to_vec(),
        })
    }

    pub async fn add_site_origin(&self, key: &str, origin: &str) -> Result<()> {
        let site = self
            .site_by_key(key)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no site with key '{key}'")))?;
        if site.origins.iter().any(|o| o == origin) {
            return Ok(());
        }
        sqlx::query("INSERT INTO site_origins (site_id, origin) VALUES ($1, $2)")
            .bind(site.id)
            .bind(origin)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn site_by_key(&self, key: &str) -> Result<Option<Site>> {
        let Some(row) = sqlx::query("SELECT id, name FROM sites WHERE site_key = $1")
            .bind(key)
            .fetch_optional(self.pool())
            .await?
        else {
            return Ok(None);
        };
        let id: i64 = row.try_get("id")?;
        let origins =
            sqlx::query("SELECT origin FROM site_origins WHERE site_id = $1 ORDER BY origin")
                .bind(id)
                .fetch_all(self.pool())
                .await?
                .iter()
                .map(|r| r.try_get::<String, _>("origin"))
                .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(Site {
            id,
            key: key.into(),
            name: row.try_get("name")?,
            origins,
        }))
    }

    pub async fn list_sites(&self) -> Result<Vec<Site>> {
        let keys = sqlx::query("SELECT site_key FROM sites ORDER BY id")
            .fetch_all(self.pool())
            .await?;
        let mut sites = Vec::with_capacity(keys.len());
        for row in keys {
            let key: String = row.try_get("site_key")?;
            if let Some(site) = self.site_by_key(&key).await? {
                sites.push(site);
            }
        }
        Ok(sites)
    }
}
