package graph

import (
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
	return &model.ProductConnection{Edges: edges, PageInfo: info, Count: count}
}

func reviewConnection(p relay.Page, rows []*ent.Review, count model.Counter) *model.ReviewConnection {
	nodes, cursors, info := relay.Edges(p, rows, listing.ReviewKey(p.Order), listing.ReviewID)
	edges := make([]*model.ReviewEdge, len(nodes))
	for i, n := range nodes {
		edges[i] = &model.ReviewEdge{Cursor: cursors[i], Node: n}
	}
	return &model.ReviewConnection{Edges: edges, PageInfo: info, Count: count}
}

func orderConnection(p relay.Page, rows []*ent.Order, count model.Counter) *model.OrderConnection {
	nodes, cursors, info := relay.Edges(p, rows, listing.OrderKey(p.Order), listing.OrderID)
	edges := make([]*model.OrderEdge, len(nodes))
	for i, n := range nodes {
		edges[i] = &model.OrderEdge{Cursor: cursors[i], Node: n}
	}
	return &model.OrderConnection{Edges: edges, PageInfo: info, Count: count}
}

func userConnection(p relay.Page, rows []*ent.User, count model.Counter) *model.UserConnection {
	nodes, cursors, info := relay.Edges(p, rows, listing.UserKey(p.Order), listing.UserID)
	edges := make([]*model.UserEdge, len(nodes))
	for i, n := range nodes {
		edges[i] = &model.UserEdge{Cursor: cursors[i], Node: n}
	}
	return &model.UserConnection{Edges: edges, PageInfo: info, Count: count}
}
