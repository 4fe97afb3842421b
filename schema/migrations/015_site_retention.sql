-- Version 15: how many days a site's closed chats are kept after their last activity, then
-- purged with their messages (`helperchat archive purge` and the daily task); 0 keeps them for
-- ever.
ALTER TABLE sites
    ADD COLUMN retention_days INT UNSIGNED NOT NULL DEFAULT 0
;
