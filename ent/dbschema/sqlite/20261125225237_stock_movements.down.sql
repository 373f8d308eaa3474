-- reverse: create index "stockmovement_order_id" to table: "stock_movements"
DROP INDEX `stockmovement_order_id`;
-- reverse: create index "stockmovement_actor_id" to table: "stock_movements"
DROP INDEX `stockmovement_actor_id`;
-- reverse: create index "stockmovement_variant_id_created_at" to table: "stock_movements"
DROP INDEX `stockmovement_variant_id_created_at`;
-- reverse: create "stock_movements" table
DROP TABLE `stock_movements`;
