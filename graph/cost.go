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

// Database work beyond the rows returned is priced too, or the cheapest
// operations would be the most expensive to run: 50 aliased searches with
// a totalCount cost 100 points and held the whole pool for seconds.
const (
	// searchCost is a text search (trigram ILIKE over titles and
	// descriptions), flat per searched list: it scans candidates, not a
	// page. It makes 50 aliased searches (about 25,000) dearer than one
	// operation may be.
	searchCost = 500
	// countCost is a totalCount: a COUNT over the whole filtered set. Its
	// connection multiplies it by the page size like every field under
	// it (a default page: 100).
	countCost = 5
)

// searching is what a product filter adds to its list's price.
func searching(f *model.ProductFilter) int {
	if f != nil && f.Search != nil {
		return searchCost
	}
	return 0
}

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
	c.Query.Products = func(child int, first *int, _ *string, last *int, _ *string, f *model.ProductFilter, _ *model.ProductOrder) int {
		return connection(first, last, child) + searching(f)
	}
	c.Query.Orders = func(child int, first *int, _ *string, last *int, _ *string, _ *model.OrderFilter, _ *model.OrderOrder) int {
		return connection(first, last, child)
	}
	c.Query.Users = func(child int, first *int, _ *string, last *int, _ *string, _ *model.UserFilter, _ *model.UserOrder) int {
		return connection(first, last, child)
	}
	c.Query.Nodes = func(child int, ids []string) int { return 1 + len(ids)*child }
	c.Query.Categories = list(typicalRoots)
	c.Category.Products = func(child int, first *int, _ *string, last *int, _ *string, f *model.ProductFilter, _ *model.ProductOrder) int {
		return connection(first, last, child) + searching(f)
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
	count := func(int) int { return countCost }
	c.ProductConnection.TotalCount = count
	c.OrderConnection.TotalCount = count
	c.ReviewConnection.TotalCount = count
	c.UserConnection.TotalCount = count
	return c
}
