-- Version 10: the persistent mail outbox (SPEC §6). A mail is stored whole, as it is to be sent,
-- under a key of its own (written again after a lost commit, it is stored once), and a drainer
-- sends it, marks it sent, or retries it with back-off; a permanent refusal marks it failed.
CREATE TABLE mail_outbox (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    site_id INT UNSIGNED NOT NULL,
    mail_key VARCHAR(100) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    message_id VARCHAR(255) CHARACTER SET ascii NOT NULL,
    recipients VARCHAR(2000) NOT NULL,
    subject VARCHAR(500) NOT NULL,
    reply_to VARCHAR(254) NOT NULL DEFAULT '',
    body_text MEDIUMTEXT NOT NULL,
    body_html MEDIUMTEXT NOT NULL,
    feedback_number INT UNSIGNED NULL,
    created_at DATETIME(6) NOT NULL,
    attempts INT UNSIGNED NOT NULL DEFAULT 0,
    next_attempt_at DATETIME(6) NOT NULL,
    sent_at DATETIME(6) NULL,
    failed_at DATETIME(6) NULL,
    last_error VARCHAR(500) NOT NULL DEFAULT '',
    UNIQUE KEY mail_outbox_key (mail_key),
    KEY mail_outbox_due (sent_at, failed_at, next_attempt_at),
    KEY mail_outbox_feedback (site_id, feedback_number),
    CONSTRAINT mail_outbox_site FOREIGN KEY (site_id) REFERENCES sites (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
;
