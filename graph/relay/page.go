package relay

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/shopgraph/shopgraph/graph/apperr"
	"github.com/shopgraph/shopgraph/graph/model"
)

// Page size limits of every connection.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
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

// NewPage validates first/after/last/before. first and last may not both be
// given; each must be 1..100; neither means first: 20.
func NewPage(first *int, after *string, last *int, before *string, order Order) (Page, error) {
	p := Page{Order: order, Limit: DefaultPageSize}
	switch {
	case first != nil && last != nil:
		return Page{}, apperr.Invalid("first", "give first or last, not both")
	case first != nil:
		if *first < 1 || *first > MaxPageSize {
			return Page{}, apperr.Invalid("first", "must be between 1 and %d", MaxPageSize)
		}
		p.Limit = *first
	case last != nil:
		if *last < 1 || *last > MaxPageSize {
			return Page{}, apperr.Invalid("last", "must be between 1 and %d", MaxPageSize)
		}
		p.Limit, p.Backward = *last, true
	}
	var err error
	if after != nil {
		p.HasAfter = true
		if p.After, err = decodeCursor("after", *after, order); err != nil {
			return Page{}, err
		}
	}
	if before != nil {
		p.HasBefore = true
		if p.Before, err = decodeCursor("before", *before, order); err != nil {
			return Page{}, err
		}
	}
	return p, nil
}

type wireCursor struct {
	Column string `json:"c"`
	Value  string `json:"v"`
	ID     int    `json:"i"`
}

// EncodeCursor returns the opaque cursor of a row with sort value v.
func EncodeCursor(o Order, v any, id int) string {
	var s string
	switch x := v.(type) {
	case time.Time:
		s = x.UTC().Format(time.RFC3339Nano)
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
	default:
		s = fmt.Sprint(x)
	}
	b, _ := json.Marshal(wireCursor{Column: o.Column, Value: s, ID: id})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(field, raw string, o Order) (Cursor, error) {
	bad := apperr.Invalid(field, "not a valid cursor for this list and order")
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return Cursor{}, bad
	}
	var w wireCursor
	if err := json.Unmarshal(b, &w); err != nil || w.Column != o.Column || w.ID <= 0 {
		return Cursor{}, bad
	}
	var v any
	switch o.Kind {
	case KindTime:
		v, err = time.Parse(time.RFC3339Nano, w.Value)
	case KindInt:
		v, err = strconv.ParseInt(w.Value, 10, 64)
	case KindFloat:
		v, err = strconv.ParseFloat(w.Value, 64)
	default:
		v = w.Value
	}
	if err != nil {
		return Cursor{}, bad
	}
	return Cursor{Value: v, ID: w.ID}, nil
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

// Edges turns the rows a paged query returned (at most Limit+1, in scan
// order) into the page's edges in list order, with PageInfo. value returns a
// row's sort value, id its ID, and edge builds an edge from a cursor and row.
func Edges[T, E any](p Page, rows []T, value func(T) any, id func(T) int, edge func(cursor string, node T) E) ([]E, *model.PageInfo) {
	more := len(rows) > p.Limit
	if more {
		rows = rows[:p.Limit]
	}
	if p.Backward {
		rows = reversed(rows)
	}
	edges := make([]E, len(rows))
	info := &model.PageInfo{}
	for i, r := range rows {
		cursor := EncodeCursor(p.Order, value(r), id(r))
		edges[i] = edge(cursor, r)
		if i == 0 {
			info.StartCursor = &cursor
		}
		if i == len(rows)-1 {
			info.EndCursor = &cursor
		}
	}
	// "more" is known for the side the page was read from. For the other
	// side Relay lets a server answer cheaply: a page that starts after a
	// cursor has rows before it, one that ends before a cursor has rows
	// after it; both bounds can hold at once.
	info.HasNextPage, info.HasPreviousPage = p.HasBefore, p.HasAfter
	if p.Backward {
		info.HasPreviousPage = info.HasPreviousPage || more
	} else {
		info.HasNextPage = info.HasNextPage || more
	}
	return edges, info
}

func reversed[T any](in []T) []T {
	out := make([]T, len(in))
	for i, v := range in {
		out[len(in)-1-i] = v
	}
	return out
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
