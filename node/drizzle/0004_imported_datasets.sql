CREATE TABLE `imported_datasets` (
	`dataset_id` text PRIMARY KEY NOT NULL,
	`source` text NOT NULL,
	`source_iri` text NOT NULL,
	`imported_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `imported_datasets_source` ON `imported_datasets` (`source`);