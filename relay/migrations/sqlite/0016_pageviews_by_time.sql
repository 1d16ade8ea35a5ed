-- The agents' "browsing now" list reads a site's newest page views (ORDER BY since_ms DESC
-- LIMIT 200) on every page view that opens or closes: with the time in the index that is a
-- short index walk, not a sort of all the site's open page views (bench `watch`).
DROP INDEX chat_pageviews_site;
CREATE INDEX chat_pageviews_site_since ON chat_pageviews (site_id, since_ms);
