package graph

import "github.com/shopgraph/shopgraph/ent"

// money wraps an amount in minor units with the store's currency, the one
// the API client was made with (ent.Currency), as the money fields bound to
// entity methods are.
func (r *Resolver) money(amount int64) *ent.Money { return r.client.Money(amount) }
