-- Full-text index of live datasets. Text is stored folded (ä→ae, ß→ss, …) so that
-- "Straße" and "strasse" meet; the tokenizer folds case and other diacritics.
CREATE VIRTUAL TABLE `dataset_fts` USING fts5(
  title, description, keywords, publisher UNINDEXED, dataset_id UNINDEXED,
  tokenize = 'unicode61 remove_diacritics 2'
);
--> statement-breakpoint
-- The search index follows `datasets` through triggers: own publications, synced
-- entries and purges alike, inside the same transaction. Tombstones are not indexed.
CREATE TRIGGER `datasets_search_ai` AFTER INSERT ON `datasets` BEGIN
  INSERT INTO dataset_fts (title, description, keywords, publisher, dataset_id) SELECT
    replace(replace(replace(replace(replace(replace(replace(replace(coalesce(new.title, ''), 'ä', 'ae'), 'Ä', 'Ae'), 'ö', 'oe'), 'Ö', 'Oe'), 'ü', 'ue'), 'Ü', 'Ue'), 'ß', 'ss'), 'ẞ', 'SS'),
    replace(replace(replace(replace(replace(replace(replace(replace(coalesce(json_extract(new.metadata, '$.description'), ''), 'ä', 'ae'), 'Ä', 'Ae'), 'ö', 'oe'), 'Ö', 'Oe'), 'ü', 'ue'), 'Ü', 'Ue'), 'ß', 'ss'), 'ẞ', 'SS'),
    replace(replace(replace(replace(replace(replace(replace(replace(coalesce((SELECT group_concat(value, ' ') FROM json_each(new.metadata, '$.keywords')), ''), 'ä', 'ae'), 'Ä', 'Ae'), 'ö', 'oe'), 'Ö', 'Oe'), 'ü', 'ue'), 'Ü', 'Ue'), 'ß', 'ss'), 'ẞ', 'SS'),
    new.publisher, new.dataset_id
    WHERE new.tombstone = 0;
  INSERT INTO dataset_index (publisher, dataset_id, ags, license, modified, min_lon, min_lat, max_lon, max_lat) SELECT
    new.publisher, new.dataset_id, json_extract(new.metadata, '$.spatial.ags'), json_extract(new.metadata, '$.license'), json_extract(new.metadata, '$.modified'),
    json_extract(new.metadata, '$.spatial.bbox[0]'), json_extract(new.metadata, '$.spatial.bbox[1]'), json_extract(new.metadata, '$.spatial.bbox[2]'), json_extract(new.metadata, '$.spatial.bbox[3]')
    WHERE new.tombstone = 0;
  INSERT INTO dataset_terms (publisher, dataset_id, kind, value)
    SELECT DISTINCT new.publisher, new.dataset_id, 'theme', value FROM json_each(new.metadata, '$.themes') WHERE new.tombstone = 0;
  INSERT INTO dataset_terms (publisher, dataset_id, kind, value)
    SELECT DISTINCT new.publisher, new.dataset_id, 'keyword', lower(replace(replace(replace(replace(replace(replace(replace(replace(value, 'ä', 'ae'), 'Ä', 'Ae'), 'ö', 'oe'), 'Ö', 'Oe'), 'ü', 'ue'), 'Ü', 'Ue'), 'ß', 'ss'), 'ẞ', 'SS')) FROM json_each(new.metadata, '$.keywords') WHERE new.tombstone = 0;
  INSERT INTO dataset_terms (publisher, dataset_id, kind, value)
    SELECT new.publisher, new.dataset_id, 'license', json_extract(new.metadata, '$.license') WHERE new.tombstone = 0 AND json_extract(new.metadata, '$.license') IS NOT NULL;
  INSERT INTO dataset_terms (publisher, dataset_id, kind, value)
    SELECT DISTINCT new.publisher, new.dataset_id, 'format', json_extract(value, '$.format') FROM json_each(new.metadata, '$.distributions')
    WHERE new.tombstone = 0 AND json_extract(value, '$.format') IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `datasets_search_au` AFTER UPDATE ON `datasets` BEGIN
  DELETE FROM dataset_fts WHERE rowid IN (SELECT rowid FROM dataset_fts WHERE publisher = old.publisher AND dataset_id = old.dataset_id);
  DELETE FROM dataset_index WHERE publisher = old.publisher AND dataset_id = old.dataset_id;
  DELETE FROM dataset_terms WHERE publisher = old.publisher AND dataset_id = old.dataset_id;
  INSERT INTO dataset_fts (title, description, keywords, publisher, dataset_id) SELECT
    replace(replace(replace(replace(replace(replace(replace(replace(coalesce(new.title, ''), 'ä', 'ae'), 'Ä', 'Ae'), 'ö', 'oe'), 'Ö', 'Oe'), 'ü', 'ue'), 'Ü', 'Ue'), 'ß', 'ss'), 'ẞ', 'SS'),
    replace(replace(replace(replace(replace(replace(replace(replace(coalesce(json_extract(new.metadata, '$.description'), ''), 'ä', 'ae'), 'Ä', 'Ae'), 'ö', 'oe'), 'Ö', 'Oe'), 'ü', 'ue'), 'Ü', 'Ue'), 'ß', 'ss'), 'ẞ', 'SS'),
    replace(replace(replace(replace(replace(replace(replace(replace(coalesce((SELECT group_concat(value, ' ') FROM json_each(new.metadata, '$.keywords')), ''), 'ä', 'ae'), 'Ä', 'Ae'), 'ö', 'oe'), 'Ö', 'Oe'), 'ü', 'ue'), 'Ü', 'Ue'), 'ß', 'ss'), 'ẞ', 'SS'),
    new.publisher, new.dataset_id
    WHERE new.tombstone = 0;
  INSERT INTO dataset_index (publisher, dataset_id, ags, license, modified, min_lon, min_lat, max_lon, max_lat) SELECT
    new.publisher, new.dataset_id, json_extract(new.metadata, '$.spatial.ags'), json_extract(new.metadata, '$.license'), json_extract(new.metadata, '$.modified'),
    json_extract(new.metadata, '$.spatial.bbox[0]'), json_extract(new.metadata, '$.spatial.bbox[1]'), json_extract(new.metadata, '$.spatial.bbox[2]'), json_extract(new.metadata, '$.spatial.bbox[3]')
    WHERE new.tombstone = 0;
  INSERT INTO dataset_terms (publisher, dataset_id, kind, value)
    SELECT DISTINCT new.publisher, new.dataset_id, 'theme', value FROM json_each(new.metadata, '$.themes') WHERE new.tombstone = 0;
  INSERT INTO dataset_terms (publisher, dataset_id, kind, value)
    SELECT DISTINCT new.publisher, new.dataset_id, 'keyword', lower(replace(replace(replace(replace(replace(replace(replace(replace(value, 'ä', 'ae'), 'Ä', 'Ae'), 'ö', 'oe'), 'Ö', 'Oe'), 'ü', 'ue'), 'Ü', 'Ue'), 'ß', 'ss'), 'ẞ', 'SS')) FROM json_each(new.metadata, '$.keywords') WHERE new.tombstone = 0;
  INSERT INTO dataset_terms (publisher, dataset_id, kind, value)
    SELECT new.publisher, new.dataset_id, 'license', json_extract(new.metadata, '$.license') WHERE new.tombstone = 0 AND json_extract(new.metadata, '$.license') IS NOT NULL;
  INSERT INTO dataset_terms (publisher, dataset_id, kind, value)
    SELECT DISTINCT new.publisher, new.dataset_id, 'format', json_extract(value, '$.format') FROM json_each(new.metadata, '$.distributions')
    WHERE new.tombstone = 0 AND json_extract(value, '$.format') IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `datasets_search_ad` AFTER DELETE ON `datasets` BEGIN
  DELETE FROM dataset_fts WHERE rowid IN (SELECT rowid FROM dataset_fts WHERE publisher = old.publisher AND dataset_id = old.dataset_id);
  DELETE FROM dataset_index WHERE publisher = old.publisher AND dataset_id = old.dataset_id;
  DELETE FROM dataset_terms WHERE publisher = old.publisher AND dataset_id = old.dataset_id;
END;
--> statement-breakpoint
-- Index what data directories from before this migration already hold.
UPDATE `datasets` SET `seq` = `seq` WHERE `tombstone` = 0;
