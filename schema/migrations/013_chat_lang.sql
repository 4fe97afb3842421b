-- Version 13: the language a chat's visitor is spoken to in (an XMPP visitor's xml:lang, a web
-- visitor's lang, else the site's), so a restarted component goes on in it. Empty: the site's.
ALTER TABLE chats
    ADD COLUMN lang VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT ''
;
