-- Widget sessions are bound to the merchant site they were signed in on (#8 §1): a token minted
-- on one site is refused on another. Device tokens (phone agents) stay NULL: not site-bound.
-- Sessions from before this migration have no site and must sign in again.
ALTER TABLE tokens ADD COLUMN site_id BIGINT REFERENCES sites(id) ON DELETE CASCADE;
