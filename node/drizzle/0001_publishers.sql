CREATE TABLE `publishers` (
	`peer_id` text PRIMARY KEY NOT NULL,
	`contiguous_seq` integer NOT NULL,
	`max_seq` integer NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
-- Data directories from before this migration hold only their own entries, which are gap-free.
INSERT INTO `publishers` (`peer_id`, `contiguous_seq`, `max_seq`, `updated_at`)
SELECT `publisher`, MAX(`seq`), MAX(`seq`), strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM `entries` GROUP BY `publisher`;
