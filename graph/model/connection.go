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
	Edges    []*ProductEdge
	PageInfo *PageInfo
	Count    Counter
}

// TotalCount is the number of products in the whole filtered list.
func (c *ProductConnection) TotalCount(ctx context.Context) (int, error) { return c.Count(ctx) }

// ProductEdge is a product with its cursor.
type ProductEdge struct {
	Cursor string
	Node   *ent.Product
}

// ReviewConnection is a page of reviews.
type ReviewConnection struct {
	Edges    []*ReviewEdge
	PageInfo *PageInfo
	Count    Counter
}

// TotalCount is the number of reviews in the whole list.
func (c *ReviewConnection) TotalCount(ctx context.Context) (int, error) { return c.Count(ctx) }

// ReviewEdge is a review with its cursor.
type ReviewEdge struct {
	Cursor string
	Node   *ent.Review
}

// OrderConnection is a page of orders.
type OrderConnection struct {
	Edges    []*OrderEdge
	PageInfo *PageInfo
	Count    Counter
}

// TotalCount is the number of orders in the whole filtered list.
func (c *OrderConnection) TotalCount(ctx context.Context) (int, error) { return c.Count(ctx) }

// OrderEdge is an order with its cursor.
type OrderEdge struct {
	Cursor string
	Node   *ent.Order
}

// UserConnection is a page of users.
type UserConnection struct {
	Edges    []*UserEdge
	PageInfo *PageInfo
	Count    Counter
}

// TotalCount is the number of users in the whole filtered list.
func (c *UserConnection) TotalCount(ctx context.Context) (int, error) { return c.Count(ctx) }

// UserEdge is a user with its cursor.
type UserEdge struct {
	Cursor string
	Node   *ent.User
}
