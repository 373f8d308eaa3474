-- create "stock_movements" table
CREATE TABLE `stock_movements` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `delta` integer NOT NULL, `reason` text NOT NULL, `variant_id` integer NOT NULL, `actor_id` integer NULL, `order_id` integer NULL, CONSTRAINT `stock_movements_variants_variant` FOREIGN KEY (`variant_id`) REFERENCES `variants` (`id`) ON DELETE NO ACTION, CONSTRAINT `stock_movements_users_actor` FOREIGN KEY (`actor_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `stock_movements_orders_order` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE SET NULL);
-- create index "stockmovement_variant_id_created_at" to table: "stock_movements"
CREATE INDEX `stockmovement_variant_id_created_at` ON `stock_movements` (`variant_id`, `created_at`);
-- create index "stockmovement_actor_id" to table: "stock_movements"
CREATE INDEX `stockmovement_actor_id` ON `stock_movements` (`actor_id`);
-- create index "stockmovement_order_id" to table: "stock_movements"
CREATE INDEX `stockmovement_order_id` ON `stock_movements` (`order_id`);
