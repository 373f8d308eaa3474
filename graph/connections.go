package graph

import (
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/graph/listing"
	"github.com/shopgraph/shopgraph/graph/model"
	"github.com/shopgraph/shopgraph/graph/relay"
)

// The builders below turn the rows a paged query returned (at most
// Limit+1, in scan order) into a connection. count is deferred: it runs only
// if the client selects totalCount.

func productConnection(p relay.Page, rows []*ent.Product, count model.Counter) *model.ProductConnection {
	nodes, cursors, info := relay.Edges(p, rows, listing.ProductKey(p.Order), listing.ProductID)
	edges := make([]*model.ProductEdge, len(nodes))
	for i, n := range nodes {
		edges[i] = &model.ProductEdge{Cursor: cursors[i], Node: n}
	}
	return model.NewProductConnection(edges, info, count)
}

func reviewConnection(p relay.Page, rows []*ent.Review, count model.Counter) *model.ReviewConnection {
	nodes, cursors, info := relay.Edges(p, rows, listing.ReviewKey(p.Order), listing.ReviewID)
	edges := make([]*model.ReviewEdge, len(nodes))
	for i, n := range nodes {
		edges[i] = &model.ReviewEdge{Cursor: cursors[i], Node: n}
	}
	return model.NewReviewConnection(edges, info, count)
}

func orderConnection(p relay.Page, rows []*ent.Order, count model.Counter) *model.OrderConnection {
	nodes, cursors, info := relay.Edges(p, rows, listing.OrderKey(p.Order), listing.OrderID)
	edges := make([]*model.OrderEdge, len(nodes))
	for i, n := range nodes {
		edges[i] = &model.OrderEdge{Cursor: cursors[i], Node: n}
	}
	return model.NewOrderConnection(edges, info, count)
}

func userConnection(p relay.Page, rows []*ent.User, count model.Counter) *model.UserConnection {
	nodes, cursors, info := relay.Edges(p, rows, listing.UserKey(p.Order), listing.UserID)
	edges := make([]*model.UserEdge, len(nodes))
	for i, n := range nodes {
		edges[i] = &model.UserEdge{Cursor: cursors[i], Node: n}
	}
	return model.NewUserConnection(edges, info, count)
}

// eagerCount starts count at once when the client selected totalCount. A
// nested connection's count would otherwise be asked for only after its page
// arrived, one level later than the page's siblings, and land in a batch of
// its own; started here, it joins the batch of this level.
func eagerCount(ctx context.Context, count model.Counter) model.Counter {
	if !selects(ctx, "totalCount") {
		return count
	}
	type result struct {
		n   int
		err error
	}
	ch := make(chan result, 1)
	go func() {
		n, err := count(ctx)
		ch <- result{n, err}
	}()
	var (
		once sync.Once
		r    result
	)
	return func(context.Context) (int, error) {
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
