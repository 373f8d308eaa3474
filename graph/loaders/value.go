package loaders

import (
	"encoding/json"
	"strconv"
	"strings"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/lib/pq"
)

// inKeys keeps rows whose column is one of keys, passing all keys as one
// array parameter.
func inKeys(column string, keys []int) func(*sql.Selector) {
	return func(s *sql.Selector) {
		s.Where(keysPredicate(s.C(column), keys))
	}
}

func keysPredicate(qualified string, keys []int) *sql.Predicate {
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

// valueInt reads an extra selected column (ent's Value) as an int.
func valueInt(v any, err error) int {
	if err != nil {
		return 0
	}
	switch x := v.(type) {
	case int64:
		return int(x)
	case int:
		return x
	case float64:
		return int(x)
	case []byte:
		n, _ := strconv.Atoi(string(x))
		return n
	case string:
		n, _ := strconv.Atoi(x)
		return n
	case json.Number:
		n, _ := x.Int64()
		return int(n)
	}
	return 0
}
