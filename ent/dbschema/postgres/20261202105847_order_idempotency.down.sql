-- reverse: create index "order_customer_id_idempotency_key" to table: "orders"
DROP INDEX "order_customer_id_idempotency_key";
-- reverse: modify "orders" table
ALTER TABLE "orders" DROP COLUMN "idempotency_fingerprint", DROP COLUMN "idempotency_key";
