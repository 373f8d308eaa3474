package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

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
