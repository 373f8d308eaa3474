package shop_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/shopgraph/shopgraph/ent/shop"
)

// TestPlaceOrderIdempotencyKey: five identical checkouts with one key sent
// at once, as a mobile client retrying on a flaky network does, place one
// order: one reservation, one stock movement, the same order for all five.
// The key with other lines is a conflict; another customer's same key is
// another order; no key, no deduplication.
func TestPlaceOrderIdempotencyKey(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		v := f.variant(10, 100)
		w := f.variant(10, 100)
		const key = "3f2b8c1e-retry-key"
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			ids  = map[int]int{}
			errs []error
		)
		for range 5 {
			wg.Go(func() {
				o, err := f.shop.PlaceOrder(ctx, f.customer.ID, []shop.Line{{v.ID, 2}, {w.ID, 1}}, key)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				ids[o.ID]++
			})
		}
		wg.Wait()
		if len(errs) > 0 || len(ids) != 1 {
			t.Fatalf("five retries with one key: got orders %v and errors %v, want one order for all five", ids, errs)
		}
		if got := f.orders(); got != 1 {
			t.Fatalf("got %d orders, want 1", got)
		}
		if got := f.movements(); got != 2 {
			t.Fatalf("got %d stock movements, want 2 (one per variant, once)", got)
		}
		if got := f.stock(v); got != 8 {
			t.Fatalf("got stock %d, want 8: reserved once", got)
		}

		// The same lines in another order, split differently: a retry.
		if _, err := f.shop.PlaceOrder(ctx, f.customer.ID, []shop.Line{{w.ID, 1}, {v.ID, 1}, {v.ID, 1}}, key); err != nil {
			t.Fatalf("same lines, other line order: got %v, want the first order", err)
		}
		// Other lines with the key: refused, nothing taken.
		_, err := f.shop.PlaceOrder(ctx, f.customer.ID, []shop.Line{{v.ID, 3}}, key)
		var conflict *shop.ConflictError
		if !errors.As(err, &conflict) || conflict.Field != "idempotencyKey" {
			t.Fatalf("same key, other lines: got %v, want a ConflictError on idempotencyKey", err)
		}
		if got := f.stock(v); got != 8 || f.orders() != 1 {
			t.Fatalf("after the conflict: stock %d and %d orders, want 8 and 1", got, f.orders())
		}

		// Keys belong to their customer.
		other := f.client.User.Create().SetEmail("other@example.com").SetName("Other").SaveX(ctx)
		if o, err := f.shop.PlaceOrder(ctx, other.ID, []shop.Line{{v.ID, 2}, {w.ID, 1}}, key); err != nil || ids[o.ID] != 0 {
			t.Fatalf("another customer, same key: got %v, %v, want a new order", o, err)
		}
		// Without a key every call is an order.
		for range 2 {
			if _, err := f.shop.PlaceOrder(ctx, f.customer.ID, []shop.Line{{v.ID, 1}}, ""); err != nil {
				t.Fatal(err)
			}
		}
		if got := f.orders(); got != 4 {
			t.Fatalf("got %d orders, want 4", got)
		}
	})
}

// TestPlaceOrderIdempotencyLastUnits: the retry of a checkout that took
// the last units is answered with that order, not OUT_OF_STOCK.
func TestPlaceOrderIdempotencyLastUnits(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		v := f.variant(1, 100)
		first, err := f.shop.PlaceOrder(ctx, f.customer.ID, []shop.Line{{v.ID, 1}}, "last-unit")
		if err != nil {
			t.Fatal(err)
		}
		again, err := f.shop.PlaceOrder(ctx, f.customer.ID, []shop.Line{{v.ID, 1}}, "last-unit")
		if err != nil || again.ID != first.ID {
			t.Fatalf("retry after the last unit sold: got %v, %v, want order %d", again, err, first.ID)
		}
	})
}
