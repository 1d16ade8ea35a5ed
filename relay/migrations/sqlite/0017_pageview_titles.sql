-- CHAT-9: the page's title as the watcher reports it (`document.title`, 200 characters at most),
-- so agents see "Blue teapot · Demo shop", not only its URL.
ALTER TABLE chat_pageviews ADD COLUMN title TEXT;
