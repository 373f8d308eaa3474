package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

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
	}
}
