-- Version 8: the title of the page a web visitor is on, next to its URL, so that the card a
-- restart gives back shows "Page: URL (title)" as it did before.
ALTER TABLE web_chats
    ADD COLUMN page_title VARCHAR(200) NOT NULL DEFAULT ''
;
