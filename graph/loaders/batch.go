package loaders

import (
	"context"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/shopgraph/shopgraph/ent/keyset"
)

// byID answers lookups by primary key: a nil (zero) result for a missing row.
func byID[T any](fetch func(context.Context, []int) ([]T, error), id func(T) int) dataloader.BatchFunc[int, T] {
	return func(ctx context.Context, keys []int) []*dataloader.Result[T] {
		rows, err := fetch(ctx, keys)
		if err != nil {
			return failAll[int, T](keys, err)
		}
		found := make(map[int]T, len(rows))
		for _, r := range rows {
			found[id(r)] = r
		}
		out := make([]*dataloader.Result[T], len(keys))
		for i, k := range keys {
			out[i] = &dataloader.Result[T]{Data: found[k]}
		}
		return out
	}
}

// groupBy answers one-to-many edges: rows come back in the fetch's order,
// grouped by parent, and a parent without rows gets an empty slice.
func groupBy[T any](fetch func(context.Context, []int) ([]T, error), parent func(T) int) dataloader.BatchFunc[int, []T] {
	return func(ctx context.Context, keys []int) []*dataloader.Result[[]T] {
		rows, err := fetch(ctx, keys)
		if err != nil {
			return failAll[int, []T](keys, err)
		}
		return spread(keys, rows, parent, func(k int) int { return k })
	}
}

// aggregate answers per-parent aggregates; a parent without rows gets the
// zero value.
func aggregate[V any](fetch func(context.Context, []int) (map[int]V, error)) dataloader.BatchFunc[int, V] {
	return func(ctx context.Context, keys []int) []*dataloader.Result[V] {
		m, err := fetch(ctx, keys)
		if err != nil {
			return failAll[int, V](keys, err)
		}
		out := make([]*dataloader.Result[V], len(keys))
		for i, k := range keys {
			out[i] = &dataloader.Result[V]{Data: m[k]}
		}
		return out
	}
}

// PageKey asks for one page of a parent's nested connection. Filter is the
// canonical form of the list's filter argument (listing.FilterKey).
type PageKey struct {
	Parent int
	Page   keyset.Page
	Filter string
}

// CountKey asks for the size of a parent's nested connection.
type CountKey struct {
	Parent int
	Filter string
}

// paged answers nested connections. Keys that share page arguments and
// filter (siblings in one response) are fetched with one windowed statement;
// each parent gets at most Limit+1 rows in scan order.
func paged[T any](fetch func(ctx context.Context, parents []int, p keyset.Page, filter string) ([]T, error), parent func(T) int) dataloader.BatchFunc[PageKey, []T] {
	return func(ctx context.Context, keys []PageKey) []*dataloader.Result[[]T] {
		type group struct {
			page   keyset.Page
			filter string
		}
		idx := map[group][]int{}
		var order []group
		for i, k := range keys {
			g := group{k.Page, k.Filter}
			if _, ok := idx[g]; !ok {
				order = append(order, g)
			}
			idx[g] = append(idx[g], i)
		}
		out := make([]*dataloader.Result[[]T], len(keys))
		for _, g := range order {
			positions := idx[g]
			parents := make([]int, len(positions))
			for j, i := range positions {
				parents[j] = keys[i].Parent
			}
			rows, err := fetch(ctx, parents, g.page, g.filter)
			if err != nil {
				for _, i := range positions {
					out[i] = &dataloader.Result[[]T]{Error: err}
				}
				continue
			}
			res := spread(parents, rows, parent, func(p int) int { return p })
			for j, i := range positions {
				out[i] = res[j]
			}
		}
		return out
	}
}

// counted answers nested totalCount, one grouped statement per filter.
func counted(fetch func(ctx context.Context, parents []int, filter string) (map[int]int, error)) dataloader.BatchFunc[CountKey, int] {
	return func(ctx context.Context, keys []CountKey) []*dataloader.Result[int] {
		byFilter := map[string][]int{}
		var filters []string
		for i, k := range keys {
			if _, ok := byFilter[k.Filter]; !ok {
				filters = append(filters, k.Filter)
			}
			byFilter[k.Filter] = append(byFilter[k.Filter], i)
		}
		out := make([]*dataloader.Result[int], len(keys))
		for _, f := range filters {
			positions := byFilter[f]
			parents := make([]int, len(positions))
			for j, i := range positions {
				parents[j] = keys[i].Parent
			}
			m, err := fetch(ctx, parents, f)
			for _, i := range positions {
				out[i] = &dataloader.Result[int]{Data: m[keys[i].Parent], Error: err}
			}
		}
		return out
	}
}

func spread[K comparable, T any](keys []K, rows []T, parent func(T) int, keyParent func(K) int) []*dataloader.Result[[]T] {
	grouped := make(map[int][]T, len(keys))
	for _, r := range rows {
		p := parent(r)
		grouped[p] = append(grouped[p], r)
	}
	out := make([]*dataloader.Result[[]T], len(keys))
	for i, k := range keys {
		rows := grouped[keyParent(k)]
		if rows == nil {
			rows = []T{}
		}
		out[i] = &dataloader.Result[[]T]{Data: rows}
	}
	return out
}

func failAll[K comparable, V any](keys []K, err error) []*dataloader.Result[V] {
	out := make([]*dataloader.Result[V], len(keys))
	for i := range keys {
		out[i] = &dataloader.Result[V]{Error: err}
	}
	return out
}
