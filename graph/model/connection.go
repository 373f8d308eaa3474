package model

import "github.com/shopgraph/shopgraph/ent"

// A connection's fields are methods without a context, which gqlgen
// resolves inline: a page costs no goroutine of its own, and nothing of a
// connection waits behind its edges (the count, if asked for, is already
// running).

// Node is any object with a global ID. The concrete types are ent entities;
// the schema's Node interface lists them.
type Node interface{}

// Counter returns the size of a whole list. Connections call it only when
// totalCount is selected, so a page costs no COUNT unless a client asks.
// It carries its operation's context (graph's eagerCount starts it as soon
// as the page is built).
type Counter func() (int, error)

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

// Edges are the page's items.
func (c *ProductConnection) Edges() ([]*ProductEdge, error) { return c.edges, nil }

// PageInfo says where the page sits in the list.
func (c *ProductConnection) PageInfo() (*PageInfo, error) { return c.pageInfo, nil }

// TotalCount is the number of products in the whole filtered list.
func (c *ProductConnection) TotalCount() (int, error) { return c.count() }

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

// Edges are the page's items.
func (c *ReviewConnection) Edges() ([]*ReviewEdge, error) { return c.edges, nil }

// PageInfo says where the page sits in the list.
func (c *ReviewConnection) PageInfo() (*PageInfo, error) { return c.pageInfo, nil }

// TotalCount is the number of reviews in the whole list.
func (c *ReviewConnection) TotalCount() (int, error) { return c.count() }

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

// Edges are the page's items.
func (c *OrderConnection) Edges() ([]*OrderEdge, error) { return c.edges, nil }

// PageInfo says where the page sits in the list.
func (c *OrderConnection) PageInfo() (*PageInfo, error) { return c.pageInfo, nil }

// TotalCount is the number of orders in the whole filtered list.
func (c *OrderConnection) TotalCount() (int, error) { return c.count() }

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

// Edges are the page's items.
func (c *UserConnection) Edges() ([]*UserEdge, error) { return c.edges, nil }

// PageInfo says where the page sits in the list.
func (c *UserConnection) PageInfo() (*PageInfo, error) { return c.pageInfo, nil }

// TotalCount is the number of users in the whole filtered list.
func (c *UserConnection) TotalCount() (int, error) { return c.count() }

// UserEdge is a user with its cursor.
type UserEdge struct {
	Cursor string
	Node   *ent.User
}
