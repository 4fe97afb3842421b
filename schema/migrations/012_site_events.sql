-- Version 12: the notification API (SPEC §6). Each notification a site's server sent is archived
-- as a site event; an Idempotency-Key is kept (24 h) with the answer it got, so the same key
-- again gets the same answer and sends nothing twice.
CREATE TABLE site_events (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    event_key VARCHAR(100) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    site_id INT UNSIGNED NOT NULL,
    at DATETIME(6) NOT NULL,
    category VARCHAR(32) CHARACTER SET ascii NOT NULL,
    body TEXT NOT NULL,
    url VARCHAR(2000) NOT NULL DEFAULT '',
    audience VARCHAR(8) CHARACTER SET ascii NOT NULL DEFAULT '',
    delivered_to INT UNSIGNED NOT NULL DEFAULT 0,
    UNIQUE KEY site_events_key (event_key),
    KEY site_events_site_time (site_id, at),
    CONSTRAINT site_events_site FOREIGN KEY (site_id) REFERENCES sites (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
;
CREATE TABLE notify_requests (
    site_id INT UNSIGNED NOT NULL,
    idempotency_key VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    request_hash CHAR(64) CHARACTER SET ascii NOT NULL,
    answer VARCHAR(1000) CHARACTER SET ascii NOT NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (site_id, idempotency_key),
    KEY notify_requests_time (created_at),
    CONSTRAINT notify_requests_site FOREIGN KEY (site_id) REFERENCES sites (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
;
