package store

import (
	"strconv"
	"strings"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/lib/pq"
)

// InKeys keeps rows whose column is one of keys, for a query's Where or
// Modify (wrap it in the entity's predicate type). All keys travel as one
// array parameter, so a batch of any size stays under the databases'
// bind-parameter limits (65,535 on PostgreSQL, 32,766 on SQLite).
func InKeys(column string, keys []int) func(*sql.Selector) {
	return func(s *sql.Selector) {
		s.Where(InKeysPredicate(s.C(column), keys))
	}
}

// InKeysPredicate is InKeys for an already qualified column, for selectors
// built by hand (recursive walks, derived tables): `= ANY($1)` with a
// bigint array on PostgreSQL, `IN (SELECT value FROM json_each(?))` with a
// JSON array on SQLite.
func InKeysPredicate(qualified string, keys []int) *sql.Predicate {
	return sql.P(func(b *sql.Builder) {
		b.Ident(qualified)
		if b.Dialect() == dialect.Postgres {
			ids := make([]int64, len(keys))
			for i, k := range keys {
				ids[i] = int64(k)
			}
			b.WriteString(" = ANY(").Arg(pq.Array(ids)).WriteString(")")
			return
		}
		b.WriteString(" IN (SELECT value FROM json_each(").Arg(jsonInts(keys)).WriteString("))")
	})
}

// jsonInts writes keys as a JSON array of numbers.
func jsonInts(keys []int) string {
	var sb strings.Builder
	sb.WriteByte('[')
	for i, k := range keys {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(strconv.Itoa(k))
	}
	sb.WriteByte(']')
	return sb.String()
}
