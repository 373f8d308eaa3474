package graph

import (
	"github.com/shopgraph/shopgraph/graph/model"
	"github.com/shopgraph/shopgraph/graph/relay"
)

// Cost model: a field costs 1 plus what it selects; a list multiplies what
// it selects by how many elements it can return: its page size for
// connections (first/last, default 20, at most 100), a typical size for the
// short unpaginated lists. So an operation's cost tracks the rows it can
// touch, and limits.Extension can refuse it before any resolver runs.
const (
	typicalVariants  = 10
	typicalChildren  = 10
	typicalAncestors = 5
	typicalLines     = 10
	typicalRoots     = 20
)

func pageSize(first, last *int) int {
	n := relay.DefaultPageSize
	switch {
	case first != nil:
		n = *first
	case last != nil:
		n = *last
	}
	return min(max(n, 1), relay.MaxPageSize)
}

func list(n int) func(child int) int { return func(child int) int { return 1 + n*child } }

func connection(first, last *int, child int) int { return 1 + pageSize(first, last)*child }

// complexity prices every list field of the schema.
func complexity() ComplexityRoot {
	var c ComplexityRoot
	c.Query.Products = func(child int, first *int, _ *string, last *int, _ *string, _ *model.ProductFilter, _ *model.ProductOrder) int {
		return connection(first, last, child)
	}
	c.Query.Orders = func(child int, first *int, _ *string, last *int, _ *string, _ *model.OrderFilter, _ *model.OrderOrder) int {
		return connection(first, last, child)
	}
	c.Query.Users = func(child int, first *int, _ *string, last *int, _ *string, _ *model.UserFilter, _ *model.UserOrder) int {
		return connection(first, last, child)
	}
	c.Query.Nodes = func(child int, ids []string) int { return 1 + len(ids)*child }
	c.Query.Categories = list(typicalRoots)
	c.Category.Products = func(child int, first *int, _ *string, last *int, _ *string, _ *model.ProductFilter, _ *model.ProductOrder) int {
		return connection(first, last, child)
	}
	c.Category.Children = list(typicalChildren)
	c.Category.Ancestors = list(typicalAncestors)
	c.Product.Variants = list(typicalVariants)
	c.Product.Reviews = func(child int, first *int, _ *string, last *int, _ *string, _ *model.ReviewOrder) int {
		return connection(first, last, child)
	}
	c.Order.Lines = list(typicalLines)
	c.User.Orders = func(child int, first *int, _ *string, last *int, _ *string, _ *model.OrderOrder) int {
		return connection(first, last, child)
	}
	c.User.Reviews = func(child int, first *int, _ *string, last *int, _ *string, _ *model.ReviewOrder) int {
		return connection(first, last, child)
	}
	return c
}
