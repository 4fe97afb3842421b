-- Version 14: whether every operator of a site reads every chat of its archive (`recent`,
-- `transcript`), not only the chats they handled; site admins always do.
ALTER TABLE sites
    ADD COLUMN operators_see_all BOOLEAN NOT NULL DEFAULT FALSE
;
