CREATE TABLE `equivocations` (
	`publisher` text NOT NULL,
	`seq` integer NOT NULL,
	`kind` text NOT NULL,
	`jws_a` text NOT NULL,
	`jws_b` text NOT NULL,
	`detected_at` text NOT NULL,
	PRIMARY KEY(`publisher`, `seq`, `kind`)
);
--> statement-breakpoint
ALTER TABLE `publishers` ADD `entry_count` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `publishers` ADD `entry_bytes` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
UPDATE `publishers` SET
	`entry_count` = (SELECT COUNT(*) FROM `entries` WHERE `entries`.`publisher` = `publishers`.`peer_id`),
	`entry_bytes` = (SELECT COALESCE(SUM(LENGTH(`jws`)), 0) FROM `entries` WHERE `entries`.`publisher` = `publishers`.`peer_id`);
