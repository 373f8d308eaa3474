-- modify "orders" table
ALTER TABLE "orders" ADD COLUMN "idempotency_key" character varying NULL, ADD COLUMN "idempotency_fingerprint" character varying NULL;
-- create index "order_customer_id_idempotency_key" to table: "orders"
CREATE UNIQUE INDEX "order_customer_id_idempotency_key" ON "orders" ("customer_id", "idempotency_key");
