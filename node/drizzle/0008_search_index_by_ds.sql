-- The search index keyed by datasets.ds, an integer: FTS5 rowids are dataset keys, so a
-- match needs no lookup of text keys, and the node's in-memory facet bitsets use the same
-- key. The FTS table is contentless (it stores the index, not the text again); text is
-- stored folded (ä→ae, ß→ss, …) so that "Straße" and "strasse" meet. search_log names
-- every dataset that changed, for the in-memory index to read. Tombstones are not indexed.
DROP TABLE IF EXISTS `dataset_fts`;
--> statement-breakpoint
CREATE VIRTUAL TABLE `dataset_fts` USING fts5(
  title, description, keywords,
  content = '', contentless_delete = 1,
  tokenize = 'unicode61 remove_diacritics 2'
);
--> statement-breakpoint
CREATE TRIGGER `datasets_search_ai` AFTER INSERT ON `datasets` BEGIN
  INSERT INTO search_log (ds) VALUES (new.ds);
  INSERT INTO dataset_fts (rowid, title, description, keywords) SELECT
    new.ds,
    replace(replace(replace(replace(replace(replace(replace(replace(coalesce(new.title, ''), 'ä', 'ae'), 'Ä', 'Ae'), 'ö', 'oe'), 'Ö', 'Oe'), 'ü', 'ue'), 'Ü', 'Ue'), 'ß', 'ss'), 'ẞ', 'SS'),
    replace(replace(replace(replace(replace(replace(replace(replace(coalesce(json_extract(new.metadata, '$.description'), ''), 'ä', 'ae'), 'Ä', 'Ae'), 'ö', 'oe'), 'Ö', 'Oe'), 'ü', 'ue'), 'Ü', 'Ue'), 'ß', 'ss'), 'ẞ', 'SS'),
    replace(replace(replace(replace(replace(replace(replace(replace(coalesce((SELECT group_concat(value, ' ') FROM json_each(new.metadata, '$.keywords')), ''), 'ä', 'ae'), 'Ä', 'Ae'), 'ö', 'oe'), 'Ö', 'Oe'), 'ü', 'ue'), 'Ü', 'Ue'), 'ß', 'ss'), 'ẞ', 'SS')
    WHERE new.tombstone = 0;
  INSERT INTO dataset_index (ds, publisher, dataset_id, ags, license, modified, min_lon, min_lat, max_lon, max_lat) SELECT
    new.ds, new.publisher, new.dataset_id, json_extract(new.metadata, '$.spatial.ags'), json_extract(new.metadata, '$.license'), json_extract(new.metadata, '$.modified'),
    json_extract(new.metadata, '$.spatial.bbox[0]'), json_extract(new.metadata, '$.spatial.bbox[1]'), json_extract(new.metadata, '$.spatial.bbox[2]'), json_extract(new.metadata, '$.spatial.bbox[3]')
    WHERE new.tombstone = 0;
  INSERT INTO dataset_terms (ds, publisher, dataset_id, kind, value)
    SELECT DISTINCT new.ds, new.publisher, new.dataset_id, 'theme', value FROM json_each(new.metadata, '$.themes') WHERE new.tombstone = 0;
  INSERT INTO dataset_terms (ds, publisher, dataset_id, kind, value)
    SELECT DISTINCT new.ds, new.publisher, new.dataset_id, 'keyword', lower(replace(replace(replace(replace(replace(replace(replace(replace(value, 'ä', 'ae'), 'Ä', 'Ae'), 'ö', 'oe'), 'Ö', 'Oe'), 'ü', 'ue'), 'Ü', 'Ue'), 'ß', 'ss'), 'ẞ', 'SS')) FROM json_each(new.metadata, '$.keywords') WHERE new.tombstone = 0;
  INSERT INTO dataset_terms (ds, publisher, dataset_id, kind, value)
    SELECT new.ds, new.publisher, new.dataset_id, 'license', json_extract(new.metadata, '$.license') WHERE new.tombstone = 0 AND json_extract(new.metadata, '$.license') IS NOT NULL;
  INSERT INTO dataset_terms (ds, publisher, dataset_id, kind, value)
    SELECT DISTINCT new.ds, new.publisher, new.dataset_id, 'format', json_extract(value, '$.format') FROM json_each(new.metadata, '$.distributions')
    WHERE new.tombstone = 0 AND json_extract(value, '$.format') IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `datasets_search_au` AFTER UPDATE ON `datasets` BEGIN
  INSERT INTO search_log (ds) VALUES (new.ds);
  DELETE FROM dataset_fts WHERE rowid = old.ds;
  DELETE FROM dataset_index WHERE publisher = old.publisher AND dataset_id = old.dataset_id;
  DELETE FROM dataset_terms WHERE publisher = old.publisher AND dataset_id = old.dataset_id;
  INSERT INTO dataset_fts (rowid, title, description, keywords) SELECT
    new.ds,
    replace(replace(replace(replace(replace(replace(replace(replace(coalesce(new.title, ''), 'ä', 'ae'), 'Ä', 'Ae'), 'ö', 'oe'), 'Ö', 'Oe'), 'ü', 'ue'), 'Ü', 'Ue'), 'ß', 'ss'), 'ẞ', 'SS'),
    replace(replace(replace(replace(replace(replace(replace(replace(coalesce(json_extract(new.metadata, '$.description'), ''), 'ä', 'ae'), 'Ä', 'Ae'), 'ö', 'oe'), 'Ö', 'Oe'), 'ü', 'ue'), 'Ü', 'Ue'), 'ß', 'ss'), 'ẞ', 'SS'),
    replace(replace(replace(replace(replace(replace(replace(replace(coalesce((SELECT group_concat(value, ' ') FROM json_each(new.metadata, '$.keywords')), ''), 'ä', 'ae'), 'Ä', 'Ae'), 'ö', 'oe'), 'Ö', 'Oe'), 'ü', 'ue'), 'Ü', 'Ue'), 'ß', 'ss'), 'ẞ', 'SS')
    WHERE new.tombstone = 0;
  INSERT INTO dataset_index (ds, publisher, dataset_id, ags, license, modified, min_lon, min_lat, max_lon, max_lat) SELECT
    new.ds, new.publisher, new.dataset_id, json_extract(new.metadata, '$.spatial.ags'), json_extract(new.metadata, '$.license'), json_extract(new.metadata, '$.modified'),
    json_extract(new.metadata, '$.spatial.bbox[0]'), json_extract(new.metadata, '$.spatial.bbox[1]'), json_extract(new.metadata, '$.spatial.bbox[2]'), json_extract(new.metadata, '$.spatial.bbox[3]')
    WHERE new.tombstone = 0;
  INSERT INTO dataset_terms (ds, publisher, dataset_id, kind, value)
    SELECT DISTINCT new.ds, new.publisher, new.dataset_id, 'theme', value FROM json_each(new.metadata, '$.themes') WHERE new.tombstone = 0;
  INSERT INTO dataset_terms (ds, publisher, dataset_id, kind, value)
    SELECT DISTINCT new.ds, new.publisher, new.dataset_id, 'keyword', lower(replace(replace(replace(replace(replace(replace(replace(replace(value, 'ä', 'ae'), 'Ä', 'Ae'), 'ö', 'oe'), 'Ö', 'Oe'), 'ü', 'ue'), 'Ü', 'Ue'), 'ß', 'ss'), 'ẞ', 'SS')) FROM json_each(new.metadata, '$.keywords') WHERE new.tombstone = 0;
  INSERT INTO dataset_terms (ds, publisher, dataset_id, kind, value)
    SELECT new.ds, new.publisher, new.dataset_id, 'license', json_extract(new.metadata, '$.license') WHERE new.tombstone = 0 AND json_extract(new.metadata, '$.license') IS NOT NULL;
  INSERT INTO dataset_terms (ds, publisher, dataset_id, kind, value)
    SELECT DISTINCT new.ds, new.publisher, new.dataset_id, 'format', json_extract(value, '$.format') FROM json_each(new.metadata, '$.distributions')
    WHERE new.tombstone = 0 AND json_extract(value, '$.format') IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `datasets_search_ad` AFTER DELETE ON `datasets` BEGIN
  INSERT INTO search_log (ds) VALUES (old.ds);
  DELETE FROM dataset_fts WHERE rowid = old.ds;
  DELETE FROM dataset_index WHERE publisher = old.publisher AND dataset_id = old.dataset_id;
  DELETE FROM dataset_terms WHERE publisher = old.publisher AND dataset_id = old.dataset_id;
END;
--> statement-breakpoint
-- Index what the data directory already holds.
UPDATE `dataset_index` SET `ds` = (SELECT d.ds FROM datasets d WHERE d.publisher = dataset_index.publisher AND d.dataset_id = dataset_index.dataset_id);
--> statement-breakpoint
UPDATE `dataset_terms` SET `ds` = (SELECT d.ds FROM datasets d WHERE d.publisher = dataset_terms.publisher AND d.dataset_id = dataset_terms.dataset_id);
--> statement-breakpoint
INSERT INTO dataset_fts (rowid, title, description, keywords) SELECT
    ds,
    replace(replace(replace(replace(replace(replace(replace(replace(coalesce(title, ''), 'ä', 'ae'), 'Ä', 'Ae'), 'ö', 'oe'), 'Ö', 'Oe'), 'ü', 'ue'), 'Ü', 'Ue'), 'ß', 'ss'), 'ẞ', 'SS'),
    replace(replace(replace(replace(replace(replace(replace(replace(coalesce(json_extract(metadata, '$.description'), ''), 'ä', 'ae'), 'Ä', 'Ae'), 'ö', 'oe'), 'Ö', 'Oe'), 'ü', 'ue'), 'Ü', 'Ue'), 'ß', 'ss'), 'ẞ', 'SS'),
    replace(replace(replace(replace(replace(replace(replace(replace(coalesce((SELECT group_concat(value, ' ') FROM json_each(metadata, '$.keywords')), ''), 'ä', 'ae'), 'Ä', 'Ae'), 'ö', 'oe'), 'Ö', 'Oe'), 'ü', 'ue'), 'Ü', 'Ue'), 'ß', 'ss'), 'ẞ', 'SS')
    FROM datasets WHERE tombstone = 0;
