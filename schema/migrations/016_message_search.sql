-- Version 16: full-text search over the archive's messages (the desk's `search` command).
-- InnoDB's own parser: words are split at spaces and punctuation, any script (Cyrillic too);
-- words shorter than innodb_ft_min_token_size (3 by default) and InnoDB's stopwords are not
-- indexed. Building it on a large archive takes a while (a table rebuild, once).
ALTER TABLE messages
    ADD FULLTEXT KEY messages_body_text (body)
;
