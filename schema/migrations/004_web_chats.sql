-- Version 4: chats started by web visitors (SPEC §7.1). `token_hash`: the SHA-256 (hex) of the
-- chat's bearer token; the token itself is never stored. The visitor's details are as they gave
-- them, cut to fit.
CREATE TABLE web_chats (
    site_id INT UNSIGNED NOT NULL,
    chat_number INT UNSIGNED NOT NULL,
    token_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    email VARCHAR(254) NOT NULL DEFAULT '',
    page VARCHAR(2000) NOT NULL DEFAULT '',
    referrer VARCHAR(2000) NOT NULL DEFAULT '',
    lang VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT '',
    PRIMARY KEY (site_id, chat_number),
    UNIQUE KEY web_chats_token (token_hash),
    CONSTRAINT web_chats_chat FOREIGN KEY (site_id, chat_number)
        REFERENCES chats (site_id, number) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
;
