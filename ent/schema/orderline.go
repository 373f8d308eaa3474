package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

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
