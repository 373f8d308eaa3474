-- create "categories" table
CREATE TABLE `categories` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `name` text NOT NULL, `slug` text NOT NULL, `parent_id` integer NULL, CONSTRAINT `categories_categories_children` FOREIGN KEY (`parent_id`) REFERENCES `categories` (`id`) ON DELETE SET NULL);
-- create index "categories_slug_key" to table: "categories"
CREATE UNIQUE INDEX `categories_slug_key` ON `categories` (`slug`);
-- create index "category_parent_id_name" to table: "categories"
CREATE INDEX `category_parent_id_name` ON `categories` (`parent_id`, `name`);
-- create "orders" table
CREATE TABLE `orders` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `number` text NOT NULL, `status` text NOT NULL DEFAULT ('PENDING'), `customer_id` integer NOT NULL, CONSTRAINT `orders_users_orders` FOREIGN KEY (`customer_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- create index "orders_number_key" to table: "orders"
CREATE UNIQUE INDEX `orders_number_key` ON `orders` (`number`);
-- create index "order_customer_id_created_at_id" to table: "orders"
CREATE INDEX `order_customer_id_created_at_id` ON `orders` (`customer_id`, `created_at`, `id`);
-- create index "order_created_at_id" to table: "orders"
CREATE INDEX `order_created_at_id` ON `orders` (`created_at`, `id`);
-- create index "order_status_created_at" to table: "orders"
CREATE INDEX `order_status_created_at` ON `orders` (`status`, `created_at`);
-- create "order_lines" table
CREATE TABLE `order_lines` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `quantity` integer NOT NULL, `unit_price` integer NOT NULL, `order_id` integer NOT NULL, `variant_id` integer NOT NULL, CONSTRAINT `order_lines_orders_lines` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE NO ACTION, CONSTRAINT `order_lines_variants_order_lines` FOREIGN KEY (`variant_id`) REFERENCES `variants` (`id`) ON DELETE NO ACTION, CONSTRAINT `order_line_quantity_pos` CHECK (quantity > 0), CONSTRAINT `order_line_unit_price_nonneg` CHECK (unit_price >= 0));
-- create index "orderline_order_id_variant_id" to table: "order_lines"
CREATE UNIQUE INDEX `orderline_order_id_variant_id` ON `order_lines` (`order_id`, `variant_id`);
-- create index "orderline_variant_id" to table: "order_lines"
CREATE INDEX `orderline_variant_id` ON `order_lines` (`variant_id`);
-- create "products" table
CREATE TABLE `products` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `slug` text NOT NULL, `title` text NOT NULL, `description` text NOT NULL DEFAULT (''), `status` text NOT NULL DEFAULT ('DRAFT'), `updated_at` datetime NOT NULL, `min_price` integer NOT NULL DEFAULT (0), `rating_avg` real NOT NULL DEFAULT (0), `in_stock` bool NOT NULL DEFAULT (false), `category_id` integer NOT NULL, CONSTRAINT `products_categories_products` FOREIGN KEY (`category_id`) REFERENCES `categories` (`id`) ON DELETE NO ACTION, CONSTRAINT `product_min_price_nonneg` CHECK (min_price >= 0));
-- create index "products_slug_key" to table: "products"
CREATE UNIQUE INDEX `products_slug_key` ON `products` (`slug`);
-- create index "product_category_id_created_at" to table: "products"
CREATE INDEX `product_category_id_created_at` ON `products` (`category_id`, `created_at`);
-- create index "product_status_created_at" to table: "products"
CREATE INDEX `product_status_created_at` ON `products` (`status`, `created_at`);
-- create index "product_created_at_id" to table: "products"
CREATE INDEX `product_created_at_id` ON `products` (`created_at`, `id`);
-- create index "product_min_price_id" to table: "products"
CREATE INDEX `product_min_price_id` ON `products` (`min_price`, `id`);
-- create index "product_rating_avg_id" to table: "products"
CREATE INDEX `product_rating_avg_id` ON `products` (`rating_avg`, `id`);
-- create index "product_title_id" to table: "products"
CREATE INDEX `product_title_id` ON `products` (`title`, `id`);
-- create "reviews" table
CREATE TABLE `reviews` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `rating` integer NOT NULL, `title` text NOT NULL DEFAULT (''), `body` text NOT NULL DEFAULT (''), `product_id` integer NOT NULL, `author_id` integer NOT NULL, CONSTRAINT `reviews_products_reviews` FOREIGN KEY (`product_id`) REFERENCES `products` (`id`) ON DELETE NO ACTION, CONSTRAINT `reviews_users_reviews` FOREIGN KEY (`author_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION, CONSTRAINT `review_rating_range` CHECK (rating BETWEEN 1 AND 5));
-- create index "review_product_id_author_id" to table: "reviews"
CREATE UNIQUE INDEX `review_product_id_author_id` ON `reviews` (`product_id`, `author_id`);
-- create index "review_product_id_created_at_id" to table: "reviews"
CREATE INDEX `review_product_id_created_at_id` ON `reviews` (`product_id`, `created_at`, `id`);
-- create index "review_product_id_rating_id" to table: "reviews"
CREATE INDEX `review_product_id_rating_id` ON `reviews` (`product_id`, `rating`, `id`);
-- create index "review_author_id_created_at_id" to table: "reviews"
CREATE INDEX `review_author_id_created_at_id` ON `reviews` (`author_id`, `created_at`, `id`);
-- create "users" table
CREATE TABLE `users` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `email` text NOT NULL, `name` text NOT NULL, `role` text NOT NULL DEFAULT ('CUSTOMER'), `password_hash` text NOT NULL DEFAULT (''), CONSTRAINT `user_email_lower` CHECK (email = lower(email)));
-- create index "users_email_key" to table: "users"
CREATE UNIQUE INDEX `users_email_key` ON `users` (`email`);
-- create index "user_created_at" to table: "users"
CREATE INDEX `user_created_at` ON `users` (`created_at`);
-- create index "user_role" to table: "users"
CREATE INDEX `user_role` ON `users` (`role`);
-- create "variants" table
CREATE TABLE `variants` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `sku` text NOT NULL, `title` text NOT NULL, `price` integer NOT NULL, `cost` integer NOT NULL DEFAULT (0), `stock` integer NOT NULL DEFAULT (0), `product_id` integer NOT NULL, CONSTRAINT `variants_products_variants` FOREIGN KEY (`product_id`) REFERENCES `products` (`id`) ON DELETE NO ACTION, CONSTRAINT `variant_cost_nonneg` CHECK (cost >= 0), CONSTRAINT `variant_price_nonneg` CHECK (price >= 0), CONSTRAINT `variant_stock_nonneg` CHECK (stock >= 0));
-- create index "variants_sku_key" to table: "variants"
CREATE UNIQUE INDEX `variants_sku_key` ON `variants` (`sku`);
-- create index "variant_product_id_price" to table: "variants"
CREATE INDEX `variant_product_id_price` ON `variants` (`product_id`, `price`);
-- create index "variant_price" to table: "variants"
CREATE INDEX `variant_price` ON `variants` (`price`);
