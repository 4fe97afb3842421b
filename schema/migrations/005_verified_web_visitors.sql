-- Version 5: what a web chat's card needs beyond what its visitor typed (SPEC §7.1): whether the
-- site's server vouched for the visitor (a signed identity), its own customer id for them, the
-- target flag only such an identity can set, and the operator the visitor picked (their JID), so
-- that a chat restored after a restart is shown and routed as before.
ALTER TABLE web_chats
    ADD COLUMN verified BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN target BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN customer_id VARCHAR(200) NOT NULL DEFAULT '',
    ADD COLUMN chosen_operator VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL
;
