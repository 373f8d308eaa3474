-- reverse of the hand-written up migration
DROP INDEX `order_customer_id_idempotency_key`;
ALTER TABLE `orders` DROP COLUMN `idempotency_fingerprint`;
ALTER TABLE `orders` DROP COLUMN `idempotency_key`;
