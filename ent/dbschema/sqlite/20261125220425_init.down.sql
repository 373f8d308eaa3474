-- reverse: create index "variant_price" to table: "variants"
DROP INDEX `variant_price`;
-- reverse: create index "variant_product_id_price" to table: "variants"
DROP INDEX `variant_product_id_price`;
-- reverse: create index "variants_sku_key" to table: "variants"
DROP INDEX `variants_sku_key`;
-- reverse: create "variants" table
DROP TABLE `variants`;
-- reverse: create index "user_role" to table: "users"
DROP INDEX `user_role`;
-- reverse: create index "user_created_at" to table: "users"
DROP INDEX `user_created_at`;
-- reverse: create index "users_email_key" to table: "users"
DROP INDEX `users_email_key`;
-- reverse: create "users" table
DROP TABLE `users`;
-- reverse: create index "review_author_id_created_at_id" to table: "reviews"
DROP INDEX `review_author_id_created_at_id`;
-- reverse: create index "review_product_id_rating_id" to table: "reviews"
DROP INDEX `review_product_id_rating_id`;
-- reverse: create index "review_product_id_created_at_id" to table: "reviews"
DROP INDEX `review_product_id_created_at_id`;
-- reverse: create index "review_product_id_author_id" to table: "reviews"
DROP INDEX `review_product_id_author_id`;
-- reverse: create "reviews" table
DROP TABLE `reviews`;
-- reverse: create index "product_title_id" to table: "products"
DROP INDEX `product_title_id`;
-- reverse: create index "product_rating_avg_id" to table: "products"
DROP INDEX `product_rating_avg_id`;
-- reverse: create index "product_min_price_id" to table: "products"
DROP INDEX `product_min_price_id`;
-- reverse: create index "product_created_at_id" to table: "products"
DROP INDEX `product_created_at_id`;
-- reverse: create index "product_status_created_at" to table: "products"
DROP INDEX `product_status_created_at`;
-- reverse: create index "product_category_id_created_at" to table: "products"
DROP INDEX `product_category_id_created_at`;
-- reverse: create index "products_slug_key" to table: "products"
DROP INDEX `products_slug_key`;
-- reverse: create "products" table
DROP TABLE `products`;
-- reverse: create index "orderline_variant_id" to table: "order_lines"
DROP INDEX `orderline_variant_id`;
-- reverse: create index "orderline_order_id_variant_id" to table: "order_lines"
DROP INDEX `orderline_order_id_variant_id`;
-- reverse: create "order_lines" table
DROP TABLE `order_lines`;
-- reverse: create index "order_status_created_at" to table: "orders"
DROP INDEX `order_status_created_at`;
-- reverse: create index "order_created_at_id" to table: "orders"
DROP INDEX `order_created_at_id`;
-- reverse: create index "order_customer_id_created_at_id" to table: "orders"
DROP INDEX `order_customer_id_created_at_id`;
-- reverse: create index "orders_number_key" to table: "orders"
DROP INDEX `orders_number_key`;
-- reverse: create "orders" table
DROP TABLE `orders`;
-- reverse: create index "category_parent_id_name" to table: "categories"
DROP INDEX `category_parent_id_name`;
-- reverse: create index "categories_slug_key" to table: "categories"
DROP INDEX `categories_slug_key`;
-- reverse: create "categories" table
DROP TABLE `categories`;
