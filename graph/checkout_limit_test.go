package graph_test

import (
	"net/http"
	"testing"

	"github.com/shopgraph/shopgraph/graph"
	"github.com/shopgraph/shopgraph/graph/limits"
)

// TestCheckoutBusinessLimit: placeOrder is rationed per user, tighter than
// the cost budget. A customer's fourth order within the window is refused
// with 429 before anything is written; another customer is unaffected.
func TestCheckoutBusinessLimit(t *testing.T) {
	e := edgeEnv(t, func(o *envConfig) {
		o.Limits.Fields = map[string]limits.FieldRule{"placeOrder": {
			Limiter: limits.NewMemory(limits.Rule{Capacity: 3, PerSecond: 0.001}),
			Key:     graph.ByIdentity,
		}}
	})
	var data struct {
		Products struct {
			Edges []struct {
				Node struct{ Variants []struct{ ID string } }
			}
		}
	}
	e.mustQuery(t, `{ products(first: 1, filter: { inStock: true }) { edges { node { variants { id } } } } }`, nil, &data)
	variant := data.Products.Edges[0].Node.Variants[0].ID
	place := `mutation($v: ID!) { placeOrder(input: { lines: [{ variantId: $v, quantity: 1 }] }) { order { number } } }`
	vars := map[string]any{"v": variant}

	customer := e.as(t, e.user(t, "customer@shopgraph.dev"))
	for i := range 3 {
		if res := customer.sendRaw(t, "Bearer "+customer.token, place, vars); res.status != http.StatusOK || len(res.errors) > 0 {
			t.Fatalf("order %d: got status %d, errors %+v, want it placed", i+1, res.status, res.errors)
		}
	}
	orders := func() int { return e.store.Client.Order.Query().CountX(t.Context()) }
	before := orders()
	customer.counter.Reset()
	res := customer.sendRaw(t, "Bearer "+customer.token, place, vars)
	if res.status != http.StatusTooManyRequests || len(res.errors) != 1 || res.errors[0].Extensions["code"] != limits.CodeRateLimited {
		t.Fatalf("fourth order: got status %d, errors %+v, want 429 RATE_LIMITED", res.status, res.errors)
	}
	// Only the token's viewer was loaded: the refusal came before execution.
	if got := customer.counter.Count(); got != 1 {
		t.Errorf("fourth order: got %d statements, want 1 (the viewer lookup)\n%s", got, customer.counter)
	}
	if got := orders(); got != before {
		t.Errorf("fourth order: got %d orders, want %d (nothing written)", got, before)
	}

	other := e.as(t, e.user(t, "staff@shopgraph.dev"))
	if res := other.sendRaw(t, "Bearer "+other.token, place, vars); res.status != http.StatusOK || len(res.errors) > 0 {
		t.Errorf("another user's order: got status %d, errors %+v, want it placed", res.status, res.errors)
	}
}
