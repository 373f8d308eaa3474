package graph

import (
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/keyset"
	"github.com/shopgraph/shopgraph/graph/listing"
	"github.com/shopgraph/shopgraph/graph/loaders"
	"github.com/shopgraph/shopgraph/graph/model"
	"github.com/shopgraph/shopgraph/graph/relay"
)

// The builders below turn the rows a paged query returned (at most
// Limit+1, in scan order) into a connection. count is deferred: it runs only
// if the client selects totalCount.

// page builds any list's page; the wrappers name each list's sort
// key and ID.
func page[T any](p keyset.Page, rows []T, key func(T) any, id func(T) int, count model.Counter) *model.Connection[T] {
	edges, info := relay.Edges(p, rows, key, id, model.NewEdge[T])
	return model.NewConnection(edges, info, count)
}

func productConnection(p keyset.Page, rows []*ent.Product, count model.Counter) *model.ProductConnection {
	return page(p, rows, listing.Products.Key(p.Order), listing.Products.ID, count)
}

func reviewConnection(p keyset.Page, rows []*ent.Review, count model.Counter) *model.ReviewConnection {
	return page(p, rows, listing.Reviews.Key(p.Order), listing.Reviews.ID, count)
}

func orderConnection(p keyset.Page, rows []*ent.Order, count model.Counter) *model.OrderConnection {
	return page(p, rows, listing.Orders.Key(p.Order), listing.Orders.ID, count)
}

func userConnection(p keyset.Page, rows []*ent.User, count model.Counter) *model.UserConnection {
	return page(p, rows, listing.Users.Key(p.Order), listing.Users.ID, count)
}

// eagerCount starts a nested connection's count (a loader) at once when
// the client selected totalCount, in a goroutine the loaders' scheduler
// counts until it has queued its key, so the count joins its level's batch.
func eagerCount(ctx context.Context, count func(context.Context) (int, error)) model.Counter {
	return startCount(ctx, count, func(f func()) { loaders.Go(ctx, f) })
}

// listCount starts a top-level list's COUNT (its own statement, no loader)
// at once when the client selected totalCount, so it runs beside the page's
// subtree. Its goroutine is not the scheduler's work: it queues no key, and
// counted, it would hold every batch of the page back until the COUNT ends.
func listCount(ctx context.Context, count func(context.Context) (int, error)) model.Counter {
	return startCount(ctx, count, func(f func()) { go f() })
}

func startCount(ctx context.Context, count func(context.Context) (int, error), spawn func(func())) model.Counter {
	if !selects(ctx, "totalCount") {
		return func() (int, error) { return count(ctx) }
	}
	type result struct {
		n   int
		err error
	}
	ch := make(chan result, 1)
	spawn(func() {
		n, err := count(ctx)
		ch <- result{n, err}
	})
	var (
		once sync.Once
		r    result
	)
	return func() (int, error) {
		once.Do(func() { r = <-ch })
		return r.n, r.err
	}
}

// selects reports whether the current field's selection includes name.
func selects(ctx context.Context, name string) bool {
	if graphql.GetFieldContext(ctx) == nil {
		return false
	}
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		if f.Name == name {
			return true
		}
	}
	return false
}
