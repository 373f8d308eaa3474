package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

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
