-- reverse of the hand-written up migration
ALTER TABLE `users` DROP COLUMN `token_version`;
