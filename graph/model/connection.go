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

// Connection is a page of a list: its edges, where the page sits, and the
// whole list's size on demand. Its fields are methods without a context,
// so gqlgen resolves them inline. The schema's connection types are its
// instances (aliases below), so they share one implementation.
type Connection[T any] struct {
	edges    []*Edge[T]
	pageInfo *PageInfo
	count    Counter
}

// NewConnection returns a page; count runs only if totalCount is asked for.
func NewConnection[T any](edges []*Edge[T], info *PageInfo, count Counter) *Connection[T] {
	return &Connection[T]{edges: edges, pageInfo: info, count: count}
}

// Edges are the page's items.
func (c *Connection[T]) Edges() ([]*Edge[T], error) { return c.edges, nil }

// PageInfo says where the page sits in the list.
func (c *Connection[T]) PageInfo() (*PageInfo, error) { return c.pageInfo, nil }

// TotalCount is the number of items in the whole (filtered) list.
func (c *Connection[T]) TotalCount() (int, error) { return c.count() }

// Edge is a node with its cursor.
type Edge[T any] struct {
	Cursor string
	Node   T
}

// NewEdge returns the edge of node at cursor.
func NewEdge[T any](cursor string, node T) *Edge[T] { return &Edge[T]{Cursor: cursor, Node: node} }

// The schema's connection and edge types.
type (
	ProductConnection = Connection[*ent.Product]
	ProductEdge       = Edge[*ent.Product]
	ReviewConnection  = Connection[*ent.Review]
	ReviewEdge        = Edge[*ent.Review]
	OrderConnection   = Connection[*ent.Order]
	OrderEdge         = Edge[*ent.Order]
	UserConnection    = Connection[*ent.User]
	UserEdge          = Edge[*ent.User]
)
