package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
)

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
