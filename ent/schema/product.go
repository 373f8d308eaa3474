package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

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
