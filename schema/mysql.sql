-- HelperChat schema, version 16. MariaDB >= 10.5 / MySQL >= 8, utf8mb4, InnoDB.
-- Applied by `helperchat db init`; statements are separated by lines holding only ";".
-- Times are DATETIME(6) in UTC.

CREATE TABLE schema_version (
    version INT NOT NULL PRIMARY KEY,
    applied_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
;
CREATE TABLE sites (
    id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    slug VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    name VARCHAR(200) NOT NULL,
    strategy VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT 'priority',
    answer_timeout INT UNSIGNED NOT NULL DEFAULT 60,
    default_operator VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    target_operator VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    max_chats INT UNSIGNED NOT NULL DEFAULT 0,
    created_at DATETIME(6) NOT NULL,
    origins VARCHAR(4100) CHARACTER SET ascii NOT NULL DEFAULT '',
    lang VARCHAR(8) CHARACTER SET ascii NOT NULL DEFAULT 'en',
    visitor_choice BOOLEAN NOT NULL DEFAULT FALSE,
    welcome VARCHAR(500) NOT NULL DEFAULT '',
    avatar MEDIUMBLOB NULL,
    avatar_type VARCHAR(32) CHARACTER SET ascii NULL,
    avatar_etag VARCHAR(64) CHARACTER SET ascii NULL,
    api_key VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
    feedback_form BOOLEAN NOT NULL DEFAULT FALSE,
    feedback_emails VARCHAR(2000) NOT NULL DEFAULT '',
    operators_see_all BOOLEAN NOT NULL DEFAULT FALSE,
    retention_days INT UNSIGNED NOT NULL DEFAULT 0,
    UNIQUE KEY sites_slug (slug)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
;
CREATE TABLE operators (
    site_id INT UNSIGNED NOT NULL,
    jid VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    name VARCHAR(200) NOT NULL,
    priority INT NOT NULL DEFAULT 0,
    max_chats INT UNSIGNED NOT NULL DEFAULT 0,
    is_admin BOOLEAN NOT NULL DEFAULT FALSE,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    paused BOOLEAN NOT NULL DEFAULT FALSE,
    subscribed_at DATETIME(6) NULL,
    last_assigned_at DATETIME(6) NULL,
    created_at DATETIME(6) NOT NULL,
    id INT UNSIGNED NOT NULL AUTO_INCREMENT,
    PRIMARY KEY (site_id, jid),
    UNIQUE KEY operators_id (id),
    KEY operators_jid (jid),
    CONSTRAINT operators_site FOREIGN KEY (site_id) REFERENCES sites (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
;
CREATE TABLE chats (
    site_id INT UNSIGNED NOT NULL,
    number INT UNSIGNED NOT NULL,
    visitor VARCHAR(3071) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    visitor_kind VARCHAR(8) CHARACTER SET ascii NOT NULL,
    visitor_name VARCHAR(200) NOT NULL,
    state VARCHAR(16) CHARACTER SET ascii NOT NULL,
    operator_jid VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    opened_at DATETIME(6) NOT NULL,
    assigned_at DATETIME(6) NULL,
    closed_at DATETIME(6) NULL,
    route_reason TEXT NOT NULL,
    lang VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT '',
    PRIMARY KEY (site_id, number),
    KEY chats_site_time (site_id, opened_at),
    KEY chats_open (state, site_id),
    CONSTRAINT chats_site FOREIGN KEY (site_id) REFERENCES sites (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
;
CREATE TABLE messages (
    site_id INT UNSIGNED NOT NULL,
    chat_number INT UNSIGNED NOT NULL,
    seq INT UNSIGNED NOT NULL,
    at DATETIME(6) NOT NULL,
    sender VARCHAR(8) CHARACTER SET ascii NOT NULL,
    author VARCHAR(3071) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    body MEDIUMTEXT NOT NULL,
    notice VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT '',
    notice_detail VARCHAR(200) NOT NULL DEFAULT '',
    PRIMARY KEY (site_id, chat_number, seq),
    FULLTEXT KEY messages_body_text (body),
    CONSTRAINT messages_chat FOREIGN KEY (site_id, chat_number)
        REFERENCES chats (site_id, number) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
;
CREATE TABLE web_chats (
    site_id INT UNSIGNED NOT NULL,
    chat_number INT UNSIGNED NOT NULL,
    token_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    email VARCHAR(254) NOT NULL DEFAULT '',
    page VARCHAR(2000) NOT NULL DEFAULT '',
    referrer VARCHAR(2000) NOT NULL DEFAULT '',
    lang VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT '',
    verified BOOLEAN NOT NULL DEFAULT FALSE,
    target BOOLEAN NOT NULL DEFAULT FALSE,
    customer_id VARCHAR(200) NOT NULL DEFAULT '',
    chosen_operator VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    page_title VARCHAR(200) NOT NULL DEFAULT '',
    PRIMARY KEY (site_id, chat_number),
    UNIQUE KEY web_chats_token (token_hash),
    CONSTRAINT web_chats_chat FOREIGN KEY (site_id, chat_number)
        REFERENCES chats (site_id, number) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
;
CREATE TABLE feedback (
    site_id INT UNSIGNED NOT NULL,
    number INT UNSIGNED NOT NULL,
    left_at DATETIME(6) NOT NULL,
    source VARCHAR(8) CHARACTER SET ascii NOT NULL,
    name VARCHAR(200) NOT NULL DEFAULT '',
    contact VARCHAR(254) NOT NULL DEFAULT '',
    email VARCHAR(254) NOT NULL DEFAULT '',
    visitor VARCHAR(3071) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '',
    body MEDIUMTEXT NOT NULL,
    page VARCHAR(2000) NOT NULL DEFAULT '',
    lang VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT '',
    chat_number INT UNSIGNED NULL,
    done_at DATETIME(6) NULL,
    done_by VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    PRIMARY KEY (site_id, number),
    KEY feedback_open (site_id, done_at, number),
    CONSTRAINT feedback_site FOREIGN KEY (site_id) REFERENCES sites (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
;
CREATE TABLE feedback_reminders (
    site_id INT UNSIGNED NOT NULL,
    feedback_number INT UNSIGNED NOT NULL,
    operator_jid VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    reminded_at DATETIME(6) NOT NULL,
    PRIMARY KEY (site_id, feedback_number, operator_jid),
    CONSTRAINT feedback_reminders_feedback FOREIGN KEY (site_id, feedback_number)
        REFERENCES feedback (site_id, number) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
;
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
