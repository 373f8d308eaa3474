package graph_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/ent/store/storetest"
	"github.com/shopgraph/shopgraph/ent/user"
)

// eventDoc reaches five edges below the event's variant: its product, the
// product's category, variants and first reviews, and their authors (one
// level of three rows).
const eventDoc = `subscription($p: [ID!]!) { inventoryChanged(productIds: $p) {
	id sku inStock price { amount }
	product { title category { name } variants { sku }
		reviews(first: 3) { edges { node { rating author { name } } } } } } }`

// TestEventStatementsDoNotGrowWithSubscribers: what one event costs is its
// shape's statements (the variant, then one per edge: a level of three
// reviews' authors is one statement, batched within the event), the same
// for one subscriber as for thirty. Anonymous and signed-in storefront
// subscribers share the rows the catalog's rules show them alike; staff,
// who see more, cost one shape more, however many of them.
func TestEventStatementsDoNotGrowWithSubscribers(t *testing.T) {
	const shape = 6 // variant, product, category, variants, reviews, authors
	eachDialect(t, func(t *testing.T, d string) {
		e := newEnv(t, d)
		storetest.Listen(t, e.store)
		ctx := context.Background()
		catalog(t, e.store.Client, 1, 1)
		p := e.store.Client.Product.Query().OnlyX(ctx)
		variants := p.QueryVariants().AllX(ctx)
		vars := map[string]any{"p": []string{gid("Product", p.ID)}}
		staff := e.store.Client.User.Create().SetEmail("staff@example.com").SetName("S").SetRole(user.RoleSTAFF).SaveX(ctx)

		// statements subscribes one socket per payload, then counts the
		// statements of one event delivered to all of them.
		statements := func(t *testing.T, payloads []map[string]any) int {
			t.Helper()
			// Each socket's subscription, and a signed-in one's watch on its
			// token (socketViewer); the last call's sockets gone first.
			waitFor(t, func() bool { return e.store.Events().Subscribers() == 0 })
			want := 0
			var socks []*wsClient
			for _, payload := range payloads {
				w := connectWS(t, e, payload)
				defer w.c.CloseNow()
				w.subscribe("inv", eventDoc, vars)
				for range variants { // the initial state, one per variant
					w.next("inv")
				}
				socks = append(socks, w)
				want++
				if payload != nil {
					want++
				}
			}
			waitFor(t, func() bool { return e.store.Events().Subscribers() == want })
			e.counter.Reset()
			e.store.Events().Publish(store.Event{Kind: store.VariantChanged, ID: variants[0].ID, Product: p.ID})
			for _, w := range socks {
				got := w.next("inv")["inventoryChanged"].(map[string]any)
				if got["id"] != gid("Variant", variants[0].ID) {
					t.Fatalf("event: got %v, want variant %d", got, variants[0].ID)
				}
				if rs := got["product"].(map[string]any)["reviews"].(map[string]any)["edges"].([]any); len(rs) != 3 {
					t.Fatalf("event: got %d reviews, want 3", len(rs))
				}
			}
			n := e.counter.Count()
			checkNoStall(t, e)
			return n
		}
		var crowd []map[string]any
		for i := range 30 {
			switch i % 3 {
			case 0:
				crowd = append(crowd, nil) // anonymous
			default:
				u := e.store.Client.User.Create().SetEmail(fmt.Sprintf("c%d@example.com", i)).SetName("C").SaveX(ctx)
				crowd = append(crowd, e.bearer(t, u))
			}
		}
		if got := statements(t, []map[string]any{nil}); got != shape {
			t.Errorf("one subscriber: got %d statements, want %d\n%s", got, shape, e.counter)
		}
		if got := statements(t, crowd); got != shape {
			t.Errorf("30 storefront subscribers, 20 signed in: got %d statements, want %d\n%s", got, shape, e.counter)
		}
		withStaff := append(crowd[:10:10], e.bearer(t, staff), e.bearer(t, staff))
		if got := statements(t, withStaff); got != 2*shape {
			t.Errorf("10 storefront and 2 staff subscribers: got %d statements, want %d\n%s", got, 2*shape, e.counter)
		}
	})
}
