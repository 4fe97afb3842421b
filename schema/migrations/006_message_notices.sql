-- Version 6: what a system message is to the chat's visitor (SPEC §7.1 events), so a web chat's
-- event log can be rebuilt from the archive after a restart exactly as it was. `notice`: '' (not
-- for the visitor: notes for operators, visitor and operator words), 'text' (told in words),
-- 'queue' (their place in the queue; `notice_detail` the position), 'assigned' (the chat was
-- assigned or moved; `notice_detail` the operator's name, a web `operator` event), or
-- 'new_operator' (the words telling a plain-text visitor the same).
ALTER TABLE messages
    ADD COLUMN notice VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT '',
    ADD COLUMN notice_detail VARCHAR(200) NOT NULL DEFAULT ''
;
