package keyset

import (
	"fmt"
	"strconv"

	"entgo.io/ent/dialect/sql"
)

// Kind is the type of a sort column, needed to read a cursor's value back.
type Kind int

// Sort column kinds.
const (
	KindTime Kind = iota
	KindInt
	KindFloat
	KindString
)

// Order is a sort column and direction; ties are broken by the id column in
// the same direction, so every order is total and every cursor unambiguous.
type Order struct {
	Column string
	Kind   Kind
	Desc   bool
}

// Cursor is a row's position: its sort value and ID.
type Cursor struct {
	Value any
	ID    int
}

// Page is a validated set of connection arguments under one order. It is
// comparable, so it can be part of a dataloader key.
type Page struct {
	Order     Order
	Limit     int
	Backward  bool // last/before: scan from the end
	HasAfter  bool
	After     Cursor
	HasBefore bool
	Before    Cursor
}

// bounds adds the keyset conditions for after and before.
func (p Page) bounds(s *sql.Selector) {
	cols := []string{s.C(p.Order.Column), s.C("id")}
	// after means "later in the list's order", which is "smaller" when the
	// list is descending.
	if p.HasAfter {
		if p.Order.Desc {
			s.Where(sql.CompositeLT(cols, p.After.Value, p.After.ID))
		} else {
			s.Where(sql.CompositeGT(cols, p.After.Value, p.After.ID))
		}
	}
	if p.HasBefore {
		if p.Order.Desc {
			s.Where(sql.CompositeGT(cols, p.Before.Value, p.Before.ID))
		} else {
			s.Where(sql.CompositeLT(cols, p.Before.Value, p.Before.ID))
		}
	}
}

// scanDesc is the direction rows are read in: the list's order, reversed
// for last/before.
func (p Page) scanDesc() bool { return p.Order.Desc != p.Backward }

// orderTerms is the scan order: the sort column, then id, both in the scan
// direction. qualify names a column where the terms are used (a table's
// C method, or the identity for an unqualified compound select).
func (p Page) orderTerms(qualify func(string) string) []string {
	dir := sql.Asc
	if p.scanDesc() {
		dir = sql.Desc
	}
	return []string{dir(qualify(p.Order.Column)), dir(qualify("id"))}
}

func unqualified(column string) string { return column }

// Apply restricts a top-level query to the page: keyset bounds, order, and
// one row more than the limit to learn whether another page follows. Use it
// as an ent query modifier.
func (p Page) Apply(s *sql.Selector) {
	p.bounds(s)
	s.OrderBy(p.orderTerms(s.C)...).Limit(p.Limit + 1)
}

// Window restricts a query over many parents to the page of each parent in
// one statement: rows are numbered per partition column with ROW_NUMBER()
// and at most Limit+1 are kept for each. Use it as an ent query modifier;
// the result is ordered by partition, then page order.
func (p Page) Window(partition string) func(*sql.Selector) {
	return func(s *sql.Selector) {
		p.bounds(s)
		d := sql.Dialect(s.Dialect())
		inner := d.Table("src_query")
		terms := p.orderTerms(inner.C)
		// A shallow copy, not s.Clone(): Clone drops WITH prefixes of joined
		// subqueries, and s itself is replaced below.
		src := *s
		with := d.With("src_query").
			As(&src).
			With("limited_query").
			As(d.Select("*").
				AppendSelectExprAs(
					sql.RowNumber().PartitionBy(inner.C(partition)).OrderBy(terms...),
					"row_number",
				).
				From(inner))
		t := d.Table("limited_query").As(src.TableName())
		*s = *d.Select(src.UnqualifiedColumns()...).
			From(t).
			Where(sql.LTE(t.C("row_number"), p.Limit+1)).
			OrderBy(t.C(partition), t.C("row_number")).
			Prefix(with)
	}
}

// Union restricts a query over many parents to the page of each parent in
// one statement made of one branch per parent, each with its own ORDER BY
// and LIMIT: a parent with a million children then costs an index scan of
// about Limit+1 rows, where Window would number all of them. Each branch
// reads the query through its own single-use CTE (which PostgreSQL and
// SQLite inline back into a plain indexed scan) narrowed by restrict to one
// parent; rows
// carry their parent as column partition; the result is ordered by
// partition, then page order. Use it as an ent query modifier, for parents
// whose child lists can be large.
func (p Page) Union(parents []int, partition string, restrict func(s *sql.Selector, parent int)) func(*sql.Selector) {
	return func(s *sql.Selector) {
		if len(parents) == 0 {
			s.Where(sql.False())
			return
		}
		d := sql.Dialect(s.Dialect())
		// A shallow copy, not s.Clone(): Clone breaks ent predicates that
		// write their operator through the original (ent 0.14.5), and s
		// itself is replaced below. Rendering base once per branch is fine.
		base := *s
		var union *sql.Selector
		for i, parent := range parents {
			t := d.Table("base").As(base.TableName())
			b := d.Select(t.C("*")).From(t).Prefix(d.With("base").As(&base))
			b.AppendSelectExprAs(sql.Expr(strconv.Itoa(parent)), partition)
			restrict(b, parent)
			p.Apply(b)
			branch := d.Select("*").From(b.As(fmt.Sprintf("branch_%d", i)))
			if union == nil {
				union = branch
			} else {
				union.UnionAll(branch)
			}
		}
		*s = *union.OrderBy(append([]string{sql.Asc(partition)}, p.orderTerms(unqualified)...)...)
	}
}
