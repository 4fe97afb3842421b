-- Version 3: a site's settings for the web side (SPEC §7). `origins`: the allowed CORS origins,
-- normalised `scheme://host[:port]`, one per line. `avatar`: the site's shared avatar (PNG, JPEG
-- or a checked SVG), its type and a SHA-256 ETag. `api_key`: the key itself (identity HMACs are
-- verified with it, so it cannot be a hash); sites that exist already get theirs from
-- `helperchat site show` or `site rotate-key`, as SQL cannot make a good random key.
ALTER TABLE sites
    ADD COLUMN origins VARCHAR(4100) CHARACTER SET ascii NOT NULL DEFAULT '',
    ADD COLUMN lang VARCHAR(8) CHARACTER SET ascii NOT NULL DEFAULT 'en',
    ADD COLUMN visitor_choice BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN welcome VARCHAR(500) NOT NULL DEFAULT '',
    ADD COLUMN avatar MEDIUMBLOB NULL,
    ADD COLUMN avatar_type VARCHAR(32) CHARACTER SET ascii NULL,
    ADD COLUMN avatar_etag VARCHAR(64) CHARACTER SET ascii NULL,
    ADD COLUMN api_key VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL
;
