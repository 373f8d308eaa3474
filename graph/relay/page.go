package relay

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/shopgraph/shopgraph/ent/keyset"
	"github.com/shopgraph/shopgraph/graph/apperr"
	"github.com/shopgraph/shopgraph/graph/inputtext"
	"github.com/shopgraph/shopgraph/graph/model"
)

// Page size limits of every connection.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// NewPage validates first/after/last/before. first and last may not both be
// given; each must be 1..100; neither means first: 20.
func NewPage(first *int, after *string, last *int, before *string, order keyset.Order) (keyset.Page, error) {
	p := keyset.Page{Order: order, Limit: DefaultPageSize}
	switch {
	case first != nil && last != nil:
		return keyset.Page{}, apperr.Invalid("first", "give first or last, not both")
	case first != nil:
		if *first < 1 || *first > MaxPageSize {
			return keyset.Page{}, apperr.Invalid("first", "must be between 1 and %d", MaxPageSize)
		}
		p.Limit = *first
	case last != nil:
		if *last < 1 || *last > MaxPageSize {
			return keyset.Page{}, apperr.Invalid("last", "must be between 1 and %d", MaxPageSize)
		}
		p.Limit, p.Backward = *last, true
	}
	var err error
	if after != nil {
		p.HasAfter = true
		if p.After, err = decodeCursor("after", *after, order); err != nil {
			return keyset.Page{}, err
		}
	}
	if before != nil {
		p.HasBefore = true
		if p.Before, err = decodeCursor("before", *before, order); err != nil {
			return keyset.Page{}, err
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
func EncodeCursor(o keyset.Order, v any, id int) string {
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

func decodeCursor(field, raw string, o keyset.Order) (keyset.Cursor, error) {
	bad := apperr.Invalid(field, "not a valid cursor for this list and order")
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return keyset.Cursor{}, bad
	}
	var w wireCursor
	if err := json.Unmarshal(b, &w); err != nil || w.Column != o.Column || w.ID <= 0 {
		return keyset.Cursor{}, bad
	}
	var v any
	switch o.Kind {
	case keyset.KindTime:
		v, err = time.Parse(time.RFC3339Nano, w.Value)
	case keyset.KindInt:
		v, err = strconv.ParseInt(w.Value, 10, 64)
	case keyset.KindFloat:
		v, err = strconv.ParseFloat(w.Value, 64)
	default:
		// A string sort value goes to the database as it is: it must be
		// text this API could have stored (inputtext), or PostgreSQL
		// fails on a NUL where SQLite would compare it. Values the API
		// stored itself may hold tabs and line breaks.
		if inputtext.Problem(w.Value, inputtext.Lines) != "" {
			return keyset.Cursor{}, bad
		}
		v = w.Value
	}
	if err != nil {
		return keyset.Cursor{}, bad
	}
	return keyset.Cursor{Value: v, ID: w.ID}, nil
}

// Edges turns the rows a paged query returned (at most Limit+1, in scan
// order) into the page's edges in list order, with PageInfo. value returns a
// row's sort value, id its ID, and edge builds an edge from a cursor and row.
func Edges[T, E any](p keyset.Page, rows []T, value func(T) any, id func(T) int, edge func(cursor string, node T) E) ([]E, *model.PageInfo) {
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
