-- Version 9: offline feedback (SPEC §6). A site's form switch and the addresses its feedback is
-- mailed to; the feedback itself, numbered per site as chats are; and which operator was reminded
-- of which feedback over XMPP (once per operator and feedback).
ALTER TABLE sites
    ADD COLUMN feedback_form BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN feedback_emails VARCHAR(2000) NOT NULL DEFAULT ''
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
