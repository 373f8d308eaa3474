package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

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
