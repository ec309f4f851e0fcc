ALTER TABLE `participants` ADD `pending_change` text;--> statement-breakpoint
UPDATE `participants` SET `id` = `peer_id` WHERE `status` != 'active';
