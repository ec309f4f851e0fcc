CREATE TABLE `search_log` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`ds` integer NOT NULL
);
--> statement-breakpoint
DROP INDEX `dataset_terms_kind_value`;--> statement-breakpoint
ALTER TABLE `dataset_terms` ADD `ds` integer;--> statement-breakpoint
CREATE INDEX `dataset_terms_kind_value` ON `dataset_terms` (`kind`,`value`,`ds`);--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_datasets` (
	`ds` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`publisher` text NOT NULL,
	`dataset_id` text NOT NULL,
	`entry_hash` text NOT NULL,
	`seq` integer NOT NULL,
	`tombstone` integer NOT NULL,
	`title` text,
	`metadata` text,
	`issued_at` text NOT NULL,
	FOREIGN KEY (`entry_hash`) REFERENCES `entries`(`hash`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_datasets`("ds", "publisher", "dataset_id", "entry_hash", "seq", "tombstone", "title", "metadata", "issued_at") -- (edited: the old table had no ds column; its rowid becomes the key)
SELECT rowid, "publisher", "dataset_id", "entry_hash", "seq", "tombstone", "title", "metadata", "issued_at" FROM `datasets`;--> statement-breakpoint
DROP TABLE `datasets`;--> statement-breakpoint
ALTER TABLE `__new_datasets` RENAME TO `datasets`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `datasets_key` ON `datasets` (`publisher`,`dataset_id`);--> statement-breakpoint
CREATE INDEX `datasets_live_issued` ON `datasets` (`tombstone`,`issued_at`,`publisher`,`dataset_id`);--> statement-breakpoint
ALTER TABLE `dataset_index` ADD `ds` integer;