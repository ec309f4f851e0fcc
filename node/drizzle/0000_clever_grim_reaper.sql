CREATE TABLE `blobs` (
	`sha256` text PRIMARY KEY NOT NULL,
	`byte_size` integer NOT NULL,
	`stored_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `datasets` (
	`publisher` text NOT NULL,
	`dataset_id` text NOT NULL,
	`entry_hash` text NOT NULL,
	`seq` integer NOT NULL,
	`tombstone` integer NOT NULL,
	`title` text,
	`metadata` text,
	`issued_at` text NOT NULL,
	PRIMARY KEY(`publisher`, `dataset_id`),
	FOREIGN KEY (`entry_hash`) REFERENCES `entries`(`hash`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `entries` (
	`hash` text PRIMARY KEY NOT NULL,
	`publisher` text NOT NULL,
	`seq` integer NOT NULL,
	`dataset_id` text NOT NULL,
	`tombstone` integer NOT NULL,
	`issued_at` text NOT NULL,
	`received_at` text NOT NULL,
	`jws` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `entries_publisher_seq` ON `entries` (`publisher`,`seq`);--> statement-breakpoint
CREATE INDEX `entries_publisher_dataset` ON `entries` (`publisher`,`dataset_id`);