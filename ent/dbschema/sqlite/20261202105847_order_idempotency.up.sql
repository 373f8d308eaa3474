-- Hand-written: atlas would rebuild the orders table, and inside
-- golang-migrate's transaction PRAGMA foreign_keys is a no-op, so dropping
-- it would touch every order line and stock movement. Nullable columns
-- are plain ADD COLUMNs in SQLite.
ALTER TABLE `orders` ADD COLUMN `idempotency_key` text NULL;
ALTER TABLE `orders` ADD COLUMN `idempotency_fingerprint` text NULL;
CREATE UNIQUE INDEX `order_customer_id_idempotency_key` ON `orders` (`customer_id`, `idempotency_key`);
