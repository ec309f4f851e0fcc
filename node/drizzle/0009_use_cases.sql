CREATE TABLE `use_cases` (
	`publisher` text NOT NULL,
	`use_case_id` text NOT NULL,
	`entry_hash` text NOT NULL,
	`seq` integer NOT NULL,
	`tombstone` integer NOT NULL,
	`title` text,
	`body` text,
	`takes_over_publisher` text,
	`takes_over_id` text,
	`issued_at` text NOT NULL,
	PRIMARY KEY(`publisher`, `use_case_id`),
	FOREIGN KEY (`entry_hash`) REFERENCES `entries`(`hash`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `use_cases_takes_over` ON `use_cases` (`takes_over_publisher`,`takes_over_id`);