CREATE TABLE `dataset_index` (
	`publisher` text NOT NULL,
	`dataset_id` text NOT NULL,
	`ags` text,
	`license` text,
	`modified` text,
	`min_lon` real,
	`min_lat` real,
	`max_lon` real,
	`max_lat` real,
	PRIMARY KEY(`publisher`, `dataset_id`)
);
--> statement-breakpoint
CREATE INDEX `dataset_index_bbox` ON `dataset_index` (`min_lon`,`max_lon`);--> statement-breakpoint
CREATE TABLE `dataset_terms` (
	`publisher` text NOT NULL,
	`dataset_id` text NOT NULL,
	`kind` text NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `dataset_terms_kind_value` ON `dataset_terms` (`kind`,`value`,`publisher`,`dataset_id`);--> statement-breakpoint
CREATE INDEX `dataset_terms_dataset` ON `dataset_terms` (`publisher`,`dataset_id`);