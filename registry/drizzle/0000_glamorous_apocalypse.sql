CREATE TABLE `participants` (
	`id` text PRIMARY KEY NOT NULL,
	`kommune` text NOT NULL,
	`ags` text NOT NULL,
	`peer_id` text NOT NULL,
	`public_key_jwk` text NOT NULL,
	`addresses` text NOT NULL,
	`status` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `participants_peer_id` ON `participants` (`peer_id`);--> statement-breakpoint
CREATE TABLE `signed_list` (
	`id` text PRIMARY KEY NOT NULL,
	`serial` integer NOT NULL,
	`jws` text NOT NULL
);
