-- TEST-ONLY migration: a new table and an index on it, two statements.
CREATE TABLE canned_replies (
    site_id INT UNSIGNED NOT NULL,
    shortcut VARCHAR(32) CHARACTER SET ascii NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (site_id, shortcut),
    CONSTRAINT canned_replies_site FOREIGN KEY (site_id) REFERENCES sites (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
;
CREATE INDEX canned_replies_body ON canned_replies (body(64))
;
