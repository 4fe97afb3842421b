-- Version 7: each operator membership gets a number of its own, the id `helperchat operator list`
-- shows and visitors pick an operator by (GET /api/v1/sites/{slug} lists it), so no operator's
-- JID is ever shown to a website's visitors. Rows already stored are numbered in place.
ALTER TABLE operators
    ADD COLUMN id INT UNSIGNED NOT NULL AUTO_INCREMENT,
    ADD UNIQUE KEY operators_id (id)
;
