-- Version 11: outgoing webhooks (SPEC §6, mod_eventful's role). A site's webhooks, numbered per
-- site, with their signing secret and the events they take; and each delivery, stored before it
-- is attempted, with the id its receiver sees (X-HelperChat-Delivery) and its retry state (when it
-- was last tried and what came of it). A removed webhook stays, without its secret, so that its
-- number is never given again and a delivery made while it was being removed has a parent (and
-- is deleted, not sent); its deliveries are deleted with it.
CREATE TABLE webhooks (
    site_id INT UNSIGNED NOT NULL,
    number INT UNSIGNED NOT NULL,
    url VARCHAR(2000) NOT NULL,
    secret VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    events VARCHAR(500) CHARACTER SET ascii NOT NULL,
    created_at DATETIME(6) NOT NULL,
    removed_at DATETIME(6) NULL,
    PRIMARY KEY (site_id, number),
    CONSTRAINT webhooks_site FOREIGN KEY (site_id) REFERENCES sites (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
;
CREATE TABLE webhook_deliveries (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    delivery_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    site_id INT UNSIGNED NOT NULL,
    webhook_number INT UNSIGNED NOT NULL,
    event VARCHAR(32) CHARACTER SET ascii NOT NULL,
    body MEDIUMTEXT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    attempts INT UNSIGNED NOT NULL DEFAULT 0,
    next_attempt_at DATETIME(6) NOT NULL,
    last_attempt_at DATETIME(6) NULL,
    delivered_at DATETIME(6) NULL,
    failed_at DATETIME(6) NULL,
    last_status VARCHAR(200) NOT NULL DEFAULT '',
    UNIQUE KEY webhook_deliveries_id (delivery_id),
    KEY webhook_deliveries_due (delivered_at, failed_at, next_attempt_at),
    CONSTRAINT webhook_deliveries_webhook FOREIGN KEY (site_id, webhook_number)
        REFERENCES webhooks (site_id, number) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
;
