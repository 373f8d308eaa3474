package graph

import "github.com/shopgraph/shopgraph/graph/model"

// money wraps an amount in minor units with the store's currency.
func (r *Resolver) money(amount int64) *model.Money {
	return &model.Money{Amount: int(amount), CurrencyCode: r.currency}
}
