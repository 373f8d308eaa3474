package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

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
