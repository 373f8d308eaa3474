package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
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
