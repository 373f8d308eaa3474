package model

import (
	"context"

	"github.com/shopgraph/shopgraph/ent"
)

// Node is any object with a global ID. The concrete types are ent entities;
// the schema's Node interface lists them.
type Node interface{}

// Counter returns the size of a whole list. Connections call it only when
// totalCount is selected, so a page costs no COUNT unless a client asks.
type Counter func(ctx context.Context) (int, error)

// ProductConnection is a page of products.
type ProductConnection struct {
	edges    []*ProductEdge
	pageInfo *PageInfo
	count    Counter
}

// NewProductConnection returns a page; count runs only if totalCount is asked for.
func NewProductConnection(edges []*ProductEdge, info *PageInfo, count Counter) *ProductConnection {
	return &ProductConnection{edges: edges, pageInfo: info, count: count}
}

// Edges are the page's items. It takes a context only so that gqlgen
// resolves it concurrently with TotalCount: a plain field is marshalled
// inline before the concurrent ones, so the count of every parent would wait
// for the whole edges subtree and land in a batch of its own.
func (c *ProductConnection) Edges(context.Context) ([]*ProductEdge, error) { return c.edges, nil }

// PageInfo says where the page sits in the list.
func (c *ProductConnection) PageInfo(context.Context) (*PageInfo, error) { return c.pageInfo, nil }

// TotalCount is the number of products in the whole filtered list.
func (c *ProductConnection) TotalCount(ctx context.Context) (int, error) { return c.count(ctx) }

// ProductEdge is a product with its cursor.
type ProductEdge struct {
	Cursor string
	Node   *ent.Product
}

// ReviewConnection is a page of reviews.
type ReviewConnection struct {
	edges    []*ReviewEdge
	pageInfo *PageInfo
	count    Counter
}

// NewReviewConnection returns a page; count runs only if totalCount is asked for.
func NewReviewConnection(edges []*ReviewEdge, info *PageInfo, count Counter) *ReviewConnection {
	return &ReviewConnection{edges: edges, pageInfo: info, count: count}
}

// Edges are the page's items. It takes a context only so that gqlgen
// resolves it concurrently with TotalCount: a plain field is marshalled
// inline before the concurrent ones, so the count of every parent would wait
// for the whole edges subtree and land in a batch of its own.
func (c *ReviewConnection) Edges(context.Context) ([]*ReviewEdge, error) { return c.edges, nil }

// PageInfo says where the page sits in the list.
func (c *ReviewConnection) PageInfo(context.Context) (*PageInfo, error) { return c.pageInfo, nil }

// TotalCount is the number of reviews in the whole list.
func (c *ReviewConnection) TotalCount(ctx context.Context) (int, error) { return c.count(ctx) }

// ReviewEdge is a review with its cursor.
type ReviewEdge struct {
	Cursor string
	Node   *ent.Review
}

// OrderConnection is a page of orders.
type OrderConnection struct {
	edges    []*OrderEdge
	pageInfo *PageInfo
	count    Counter
}

// NewOrderConnection returns a page; count runs only if totalCount is asked for.
func NewOrderConnection(edges []*OrderEdge, info *PageInfo, count Counter) *OrderConnection {
	return &OrderConnection{edges: edges, pageInfo: info, count: count}
}

// Edges are the page's items. It takes a context only so that gqlgen
// resolves it concurrently with TotalCount: a plain field is marshalled
// inline before the concurrent ones, so the count of every parent would wait
// for the whole edges subtree and land in a batch of its own.
func (c *OrderConnection) Edges(context.Context) ([]*OrderEdge, error) { return c.edges, nil }

// PageInfo says where the page sits in the list.
func (c *OrderConnection) PageInfo(context.Context) (*PageInfo, error) { return c.pageInfo, nil }

// TotalCount is the number of orders in the whole filtered list.
func (c *OrderConnection) TotalCount(ctx context.Context) (int, error) { return c.count(ctx) }

// OrderEdge is an order with its cursor.
type OrderEdge struct {
	Cursor string
	Node   *ent.Order
}

// UserConnection is a page of users.
type UserConnection struct {
	edges    []*UserEdge
	pageInfo *PageInfo
	count    Counter
}

// NewUserConnection returns a page; count runs only if totalCount is asked for.
func NewUserConnection(edges []*UserEdge, info *PageInfo, count Counter) *UserConnection {
	return &UserConnection{edges: edges, pageInfo: info, count: count}
}

// Edges are the page's items. It takes a context only so that gqlgen
// resolves it concurrently with TotalCount: a plain field is marshalled
// inline before the concurrent ones, so the count of every parent would wait
// for the whole edges subtree and land in a batch of its own.
func (c *UserConnection) Edges(context.Context) ([]*UserEdge, error) { return c.edges, nil }

// PageInfo says where the page sits in the list.
func (c *UserConnection) PageInfo(context.Context) (*PageInfo, error) { return c.pageInfo, nil }

// TotalCount is the number of users in the whole filtered list.
func (c *UserConnection) TotalCount(ctx context.Context) (int, error) { return c.count(ctx) }

// UserEdge is a user with its cursor.
type UserEdge struct {
	Cursor string
	Node   *ent.User
}
