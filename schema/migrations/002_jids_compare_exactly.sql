-- Version 2: JID columns compare byte for byte (utf8mb4_bin), as XMPP compares JIDs in their
-- normal form. Under utf8mb4_unicode_ci `rené@x` and `rene@x` were one operator to the database
-- (removing one removed the other; adding the second was refused as a duplicate).
ALTER TABLE operators
    MODIFY jid VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL
;
ALTER TABLE sites
    MODIFY default_operator VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    MODIFY target_operator VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL
;
ALTER TABLE chats
    MODIFY visitor VARCHAR(3071) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    MODIFY operator_jid VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL
;
ALTER TABLE messages
    MODIFY author VARCHAR(3071) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL
;
