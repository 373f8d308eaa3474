-- Hand-written: atlas would rebuild the users table, and with foreign keys
-- on (golang-migrate runs each file in a transaction, where PRAGMA
-- foreign_keys is a no-op) dropping it would touch every order and review.
-- A column with a constant default is a plain ADD COLUMN in SQLite.
ALTER TABLE `users` ADD COLUMN `token_version` integer NOT NULL DEFAULT (0);
