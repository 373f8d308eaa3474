package store

import (
	"entgo.io/ent/dialect/sql"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/category"
	"github.com/shopgraph/shopgraph/ent/orderline"
	"github.com/shopgraph/shopgraph/ent/product"
)

// The category tree is walked with recursive CTEs, which ent's query
// builders cannot express; these modifiers build them once for the lists
// and loaders above.

// Column names the tree modifiers add to the rows they return.
const (
	// StartColumn is, on a row of CategoryAncestors, the category whose
	// ancestor the row is.
	StartColumn = "start_id"
	// RootColumn is, on a row of CategoryRoots, the requested category the
	// product falls under.
	RootColumn = "root_id"
)

// UnderCategorySlug keeps products filed under the category with the given
// slug or under any category below it.
func UnderCategorySlug(slug string) func(*sql.Selector) {
	return underCategory(sql.EQ(category.FieldSlug, slug))
}

// UnderCategory is UnderCategorySlug for a category ID.
func UnderCategory(id int) func(*sql.Selector) {
	return underCategory(sql.EQ(category.FieldID, id))
}

func underCategory(root *sql.Predicate) func(*sql.Selector) {
	return func(s *sql.Selector) {
		d := sql.Dialect(s.Dialect())
		c, tree := d.Table(category.Table).As("c"), d.Table("tree").As("tree")
		start := d.Select(category.FieldID).From(d.Table(category.Table)).Where(root)
		step := d.Select(c.C(category.FieldID)).From(c).Join(tree).On(c.C(category.FieldParentID), tree.C(category.FieldID))
		with := sql.WithRecursive("tree", category.FieldID).As(start.UnionAll(step))
		with.SetDialect(s.Dialect())
		s.Where(sql.In(s.C(product.FieldCategoryID), d.Select(tree.C(category.FieldID)).From(tree).Prefix(with)))
	}
}

// CategoryAncestors turns a category query into the ancestors of every
// category in ids, in one recursive statement: each row carries the
// category it belongs to (StartColumn), and rows come per start category,
// root first.
func CategoryAncestors(ids []int) func(*sql.Selector) {
	return func(s *sql.Selector) {
		d := sql.Dialect(s.Dialect())
		c, up := d.Table(category.Table).As("c"), d.Table("up").As("up")
		base := d.Select(sql.As(c.C(category.FieldID), StartColumn), sql.As(c.C(category.FieldParentID), "ancestor_id")).
			AppendSelectExpr(sql.Expr("1")).
			From(c).
			Where(sql.And(InKeysPredicate(c.C(category.FieldID), ids), sql.NotNull(c.C(category.FieldParentID))))
		p := d.Table(category.Table).As("p")
		step := d.Select(up.C(StartColumn), p.C(category.FieldParentID), up.C("depth")+" + 1").
			From(p).
			Join(up).On(p.C(category.FieldID), up.C("ancestor_id")).
			Where(sql.NotNull(p.C(category.FieldParentID)))
		with := sql.WithRecursive("up", StartColumn, "ancestor_id", "depth").As(base.UnionAll(step))
		with.SetDialect(s.Dialect())
		s.Prefix(with).
			Join(up).On(s.C(category.FieldID), up.C("ancestor_id")).
			AppendSelect(up.C(StartColumn)).
			OrderBy(up.C(StartColumn), sql.Desc(up.C("depth")))
	}
}

// CategoryRoots joins each product to every category in parents it falls
// under (its own category or an ancestor of it), exposing that category as
// RootColumn. The recursive walk is a derived table rather than a WITH
// prefix so that keyset.Page.Window, which wraps the query, keeps it.
func CategoryRoots(parents []int) func(*sql.Selector) {
	return func(s *sql.Selector) {
		d := sql.Dialect(s.Dialect())
		c, tree := d.Table(category.Table).As("c"), d.Table("tree").As("tree")
		base := d.Select(sql.As(c.C(category.FieldID), RootColumn), sql.As(c.C(category.FieldID), "cat_id")).
			From(c).
			Where(InKeysPredicate(c.C(category.FieldID), parents))
		k := d.Table(category.Table).As("k")
		step := d.Select(tree.C(RootColumn), k.C(category.FieldID)).
			From(k).
			Join(tree).On(k.C(category.FieldParentID), tree.C("cat_id"))
		with := sql.WithRecursive("tree", RootColumn, "cat_id").As(base.UnionAll(step))
		with.SetDialect(s.Dialect())
		walk := d.Select(tree.C(RootColumn), tree.C("cat_id")).From(tree).Prefix(with).As("roots")
		s.Join(walk).On(s.C(product.FieldCategoryID), walk.C("cat_id")).
			AppendSelect(walk.C(RootColumn))
	}
}

// ParentCount is a row of CountPer or CountPerRoot: how many rows a parent has.
type ParentCount struct {
	Parent int `json:"parent"`
	Count  int `json:"count"`
}

// CountPer turns a query into one ParentCount row per value of column.
func CountPer(column string) func(*sql.Selector) {
	return func(s *sql.Selector) {
		s.Select(sql.As(s.C(column), "parent"), sql.As(sql.Count("*"), "count")).GroupBy(s.C(column))
	}
}

// CountPerRoot turns a CategoryRoots query into one ParentCount row per
// requested category.
func CountPerRoot(s *sql.Selector) {
	root := sql.Dialect(s.Dialect()).Table("roots").C(RootColumn)
	s.Select(sql.As(root, "parent"), sql.As(sql.Count("*"), "count")).GroupBy(root)
}

// LineTotal is the aggregate "total" of order lines: the sum of quantity
// times unit price, in minor units.
func LineTotal(s *sql.Selector) string {
	return sql.As(sql.Sum(s.C(orderline.FieldQuantity)+" * "+s.C(orderline.FieldUnitPrice)), "total")
}

// InCategory restricts a product query to products under category parent:
// keyset.Page.Union's restrict for per-category pages.
func InCategory(s *sql.Selector, parent int) { UnderCategory(parent)(s) }

// The per-key aggregates of the loaders, each under its own name (ent's
// Min, Max and Mean name every result alike, so two of a kind would clash).

// MinAs is MIN(column) AS name.
func MinAs(column, name string) ent.AggregateFunc { return aggregateAs(sql.Min, column, name) }

// MaxAs is MAX(column) AS name.
func MaxAs(column, name string) ent.AggregateFunc { return aggregateAs(sql.Max, column, name) }

// MeanAs is AVG(column) AS name.
func MeanAs(column, name string) ent.AggregateFunc { return aggregateAs(sql.Avg, column, name) }

func aggregateAs(fn func(string) string, column, name string) ent.AggregateFunc {
	return func(s *sql.Selector) string { return sql.As(fn(s.C(column)), name) }
}
