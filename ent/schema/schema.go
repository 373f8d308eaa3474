package schema

// The entities, in the order a reader meets them: who shops, what is sold,
// what is bought. Helpers shared by several entities come last.

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"entgo.io/ent/schema/mixin"
)

// User is a shopper or a member of staff.
type User struct{ ent.Schema }

// Mixin of User.
func (User) Mixin() []ent.Mixin { return []ent.Mixin{CreatedAt{}} }

// Fields of User.
func (User) Fields() []ent.Field {
	return []ent.Field{
		field.String("email").
			Unique().
			NotEmpty().
			MaxLen(254).
			Comment("Sign-in address, stored lower-case (a CHECK constraint enforces it)."),
		field.String("name").
			NotEmpty().
			MaxLen(200),
		field.Enum("role").
			Values("CUSTOMER", "STAFF", "ADMIN").
			Default("CUSTOMER"),
		field.String("password_hash").
			Sensitive().
			Default("").
			Comment("Password hash; never exposed through the API."),
		field.Int("token_version").
			Default(0).
			NonNegative().
			Comment("Access tokens carry the version they were issued at; bumping it (sign-out, password change) revokes every earlier token. Never exposed through the API."),
	}
}

// Edges of User.
func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("orders", Order.Type),
		edge.To("reviews", Review.Type),
	}
}

// Indexes of User.
func (User) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("created_at"),
		index.Fields("role"),
	}
}

// Annotations of User.
func (User) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Checks(map[string]string{
			"user_email_lower": "email = lower(email)",
		}),
	}
}

// Category groups products into a tree (a root has no parent).
type Category struct{ ent.Schema }

// Mixin of Category.
func (Category) Mixin() []ent.Mixin { return []ent.Mixin{CreatedAt{}} }

// Fields of Category.
func (Category) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(200),
		field.String("slug").Unique().NotEmpty().MaxLen(200),
		field.Int("parent_id").
			Optional().
			Nillable().
			Comment("The parent category; nil for a root."),
	}
}

// Edges of Category.
func (Category) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("children", Category.Type).
			From("parent").
			Field("parent_id").
			Unique(),
		edge.To("products", Product.Type),
	}
}

// Indexes of Category.
func (Category) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("parent_id", "name"),
	}
}

// Product is a sellable item; what is bought is one of its variants.
type Product struct{ ent.Schema }

// Mixin of Product.
func (Product) Mixin() []ent.Mixin { return []ent.Mixin{CreatedAt{}} }

// Fields of Product.
//
// min_price, rating_avg and in_stock are denormalised sort and filter keys:
// ordering a million products by price or rating must walk an index, which a
// per-row aggregate cannot. They are written together with the variants and
// reviews they summarise (see store.RefreshProductKeys); the API's aggregate fields
// (priceRange, averageRating, inStock) are computed live from the source rows.
func (Product) Fields() []ent.Field {
	return []ent.Field{
		field.String("slug").Unique().NotEmpty().MaxLen(200),
		field.String("title").NotEmpty().MaxLen(300),
		field.Text("description").Default(""),
		field.Enum("status").
			Values("DRAFT", "ACTIVE", "ARCHIVED").
			Default("DRAFT"),
		field.Int("category_id"),
		field.Time("updated_at").
			Default(now).
			UpdateDefault(func() time.Time { return now() }),
		field.Int64("min_price").
			Default(0).
			NonNegative().
			Comment("Lowest variant price in minor units (sort/filter key)."),
		field.Float("rating_avg").
			Default(0).
			Comment("Average review rating, 0 without reviews (sort key)."),
		field.Bool("in_stock").
			Default(false).
			Comment("Whether any variant has stock (filter key)."),
	}
}

// Edges of Product.
func (Product) Edges() []ent.Edge {
	return []ent.Edge{
		belongsTo("category", Category.Type, "products"),
		edge.To("variants", Variant.Type),
		edge.To("reviews", Review.Type),
	}
}

// Indexes of Product. Each ordering has a (key, id) index so keyset pages
// are index range scans; the trigram indexes back the text search on
// PostgreSQL (ILIKE '%term%'); the migration generator leaves them out of
// the SQLite schema, where search is a plain LIKE scan.
func (Product) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("category_id", "created_at"),
		index.Fields("status", "created_at"),
		index.Fields("created_at", "id"),
		index.Fields("min_price", "id"),
		index.Fields("rating_avg", "id"),
		index.Fields("title", "id"),
		index.Fields("title").
			StorageKey("product_title_trgm").
			Annotations(
				entsql.IndexTypes(map[string]string{dialect.Postgres: "GIN"}),
				entsql.OpClass("gin_trgm_ops"),
			),
		index.Fields("description").
			StorageKey("product_description_trgm").
			Annotations(
				entsql.IndexTypes(map[string]string{dialect.Postgres: "GIN"}),
				entsql.OpClass("gin_trgm_ops"),
			),
	}
}

// Annotations of Product.
func (Product) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Checks(map[string]string{
			"product_min_price_nonneg": "min_price >= 0",
		}),
	}
}

// Variant is a buyable version of a product (a size, a colour) with its own
// SKU, price and stock.
type Variant struct{ ent.Schema }

// Fields of Variant. Money is held in minor units (cents) as integers.
func (Variant) Fields() []ent.Field {
	return []ent.Field{
		field.String("sku").Unique().NotEmpty().MaxLen(64),
		field.String("title").NotEmpty().MaxLen(200),
		field.Int64("price").NonNegative().Comment("Sale price in minor units."),
		field.Int64("cost").NonNegative().Default(0).Comment("Purchase cost in minor units (staff only)."),
		field.Int("stock").NonNegative().Default(0).Comment("Units on hand; never negative."),
		field.Int("product_id"),
	}
}

// Edges of Variant.
func (Variant) Edges() []ent.Edge {
	return []ent.Edge{
		belongsTo("product", Product.Type, "variants"),
		edge.To("order_lines", OrderLine.Type),
	}
}

// Indexes of Variant.
func (Variant) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("product_id", "price"),
		index.Fields("price"),
	}
}

// Annotations of Variant: the database refuses negative money and stock even
// if a code path forgets to validate.
func (Variant) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Checks(map[string]string{
			"variant_price_nonneg": "price >= 0",
			"variant_cost_nonneg":  "cost >= 0",
			"variant_stock_nonneg": "stock >= 0",
		}),
	}
}

// Review is a customer's rating of a product; one per author and product.
type Review struct{ ent.Schema }

// Mixin of Review.
func (Review) Mixin() []ent.Mixin { return []ent.Mixin{CreatedAt{}} }

// Fields of Review.
func (Review) Fields() []ent.Field {
	return []ent.Field{
		field.Int("rating").Range(1, 5),
		field.String("title").MaxLen(200).Default(""),
		field.Text("body").Default(""),
		field.Int("author_id"),
		field.Int("product_id"),
	}
}

// Edges of Review.
func (Review) Edges() []ent.Edge {
	return []ent.Edge{
		belongsTo("author", User.Type, "reviews"),
		belongsTo("product", Product.Type, "reviews"),
	}
}

// Indexes of Review.
func (Review) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("product_id", "author_id").Unique(),
		index.Fields("product_id", "created_at", "id"),
		index.Fields("product_id", "rating", "id"),
		index.Fields("author_id", "created_at", "id"),
	}
}

// Annotations of Review.
func (Review) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Checks(map[string]string{
			"review_rating_range": "rating BETWEEN 1 AND 5",
		}),
	}
}

// Order is a customer's purchase. Its total is derived from its lines, never
// stored, so it cannot disagree with them.
type Order struct{ ent.Schema }

// Mixin of Order.
func (Order) Mixin() []ent.Mixin { return []ent.Mixin{CreatedAt{}} }

// Fields of Order.
func (Order) Fields() []ent.Field {
	return []ent.Field{
		field.String("number").
			Unique().
			NotEmpty().
			MaxLen(32).
			Comment("Human-readable order number, e.g. SG-000123."),
		field.Enum("status").
			Values("PENDING", "PAID", "SHIPPED", "CANCELLED").
			Default("PENDING"),
		field.Int("customer_id"),
		field.String("idempotency_key").
			Optional().
			Nillable().
			NotEmpty().
			MaxLen(255).
			Comment("The client's key for placing this order once: a retry with the same key (same customer) gets this order back."),
		field.String("idempotency_fingerprint").
			Optional().
			MaxLen(64).
			Comment("SHA-256 of the order's lines as asked, so a reused key with other lines is told apart from a retry."),
	}
}

// Edges of Order.
func (Order) Edges() []ent.Edge {
	return []ent.Edge{
		belongsTo("customer", User.Type, "orders"),
		edge.To("lines", OrderLine.Type),
	}
}

// Indexes of Order.
func (Order) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("customer_id", "created_at", "id"),
		index.Fields("created_at", "id"),
		index.Fields("status", "created_at"),
		// One order per key and customer; orders without a key (NULL)
		// are not constrained.
		index.Fields("customer_id", "idempotency_key").Unique(),
	}
}

// OrderLine is one variant in an order, at the price paid when it was placed.
type OrderLine struct{ ent.Schema }

// Fields of OrderLine.
func (OrderLine) Fields() []ent.Field {
	return []ent.Field{
		field.Int("quantity").Positive(),
		field.Int64("unit_price").NonNegative().Comment("Price per unit at purchase time, minor units."),
		field.Int("order_id"),
		field.Int("variant_id"),
	}
}

// Edges of OrderLine.
func (OrderLine) Edges() []ent.Edge {
	return []ent.Edge{
		belongsTo("order", Order.Type, "lines"),
		belongsTo("variant", Variant.Type, "order_lines"),
	}
}

// Indexes of OrderLine.
func (OrderLine) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("order_id", "variant_id").Unique(),
		index.Fields("variant_id"),
	}
}

// Annotations of OrderLine.
func (OrderLine) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Checks(map[string]string{
			"order_line_quantity_pos":      "quantity > 0",
			"order_line_unit_price_nonneg": "unit_price >= 0",
		}),
	}
}

// StockMovement records one change of a variant's stock and why: staff
// adjustments, orders placed and orders cancelled. The variant's stock
// column is the running total; this is its audit trail.
type StockMovement struct{ ent.Schema }

// Mixin of StockMovement.
func (StockMovement) Mixin() []ent.Mixin { return []ent.Mixin{CreatedAt{}} }

// Fields of StockMovement.
func (StockMovement) Fields() []ent.Field {
	return []ent.Field{
		field.Int("delta").Comment("Units added (positive) or removed (negative)."),
		field.String("reason").NotEmpty().MaxLen(500),
		field.Int("variant_id"),
		field.Int("actor_id").Optional().Nillable().Comment("Who made the change; nil for the system."),
		field.Int("order_id").Optional().Nillable().Comment("The order that caused it, if any."),
	}
}

// Edges of StockMovement.
func (StockMovement) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("variant", Variant.Type).Field("variant_id").Unique().Required(),
		edge.To("actor", User.Type).Field("actor_id").Unique(),
		edge.To("order", Order.Type).Field("order_id").Unique(),
	}
}

// Indexes of StockMovement.
func (StockMovement) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("variant_id", "created_at"),
		index.Fields("actor_id"),
		index.Fields("order_id"),
	}
}

// CreatedAt adds an immutable creation timestamp, set by the application so
// SQLite and PostgreSQL agree on its precision and zone (UTC).
type CreatedAt struct{ mixin.Schema }

// Fields of the CreatedAt mixin.
func (CreatedAt) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").
			Immutable().
			Default(now).
			Comment("When the row was created (UTC)."),
	}
}

func now() time.Time { return time.Now().UTC() }

// belongsTo is the required many-to-one edge every child entity has: the
// edge name, its foreign-key field name+"_id" (declared in Fields, so
// loaders and predicates read the key without a join) and the parent's
// back-reference ref.
func belongsTo(name string, parent any, ref string) ent.Edge {
	return edge.From(name, parent).Ref(ref).Field(name + "_id").Unique().Required()
}
