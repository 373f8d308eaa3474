package store_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/order"
	"github.com/shopgraph/shopgraph/ent/product"
	"github.com/shopgraph/shopgraph/ent/shop"
	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/ent/store/storetest"
)

// listening opens a store of dialectName whose hub is fed.
func listening(t *testing.T, dialectName string) *store.Store {
	t.Helper()
	st := storetest.Open(t, dialectName, nil)
	storetest.Listen(t, st)
	return st
}

// next waits for the subscription's next event or resync; the event's
// Shared (the hub's, not the change's) is left out so events compare.
func next(t *testing.T, s *store.Subscription) store.Event {
	t.Helper()
	select {
	case e := <-s.C:
		e.Shared = nil
		return e
	case e := <-s.Resyncs():
		return e
	case <-time.After(30 * time.Second):
		t.Fatal("no event within 30 s")
		return store.Event{}
	}
}

// stocked creates an ACTIVE product with one variant of stock units.
func stocked(t *testing.T, c *ent.Client, slug string, stock int) (*ent.Product, *ent.Variant) {
	t.Helper()
	ctx := context.Background()
	cat := c.Category.Create().SetName("Cat " + slug).SetSlug("cat-" + slug).SaveX(ctx)
	p := c.Product.Create().SetSlug(slug).SetTitle(slug).SetStatus(product.StatusACTIVE).SetCategoryID(cat.ID).SaveX(ctx)
	v := c.Variant.Create().SetProductID(p.ID).SetSku(slug + "-1").SetTitle("One").SetPrice(1000).SetStock(stock).SaveX(ctx)
	return p, v
}

// TestEventsOnCommitOnly: on both databases a committed change reaches
// the subscribers of its topics, with IDs only, and a rolled-back one
// reaches nobody: the next event after it is the next committed change.
// Stock changed by the checkout's own SQL is seen (through its stock
// movements), as are order placement and status changes.
func TestEventsOnCommitOnly(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			st := listening(t, d)
			p, v := stocked(t, st.Client, "tee", 5)
			customer := st.Client.User.Create().SetEmail("c@example.com").SetName("C").SaveX(ctx)
			products := st.Events().Subscribe(store.ProductTopic(p.ID))
			defer products.Close()
			orders := st.Events().Subscribe(store.NewOrdersTopic)
			defer orders.Close()

			// Rolled back: nothing.
			tx, err := st.Client.Tx(ctx)
			if err != nil {
				t.Fatal(err)
			}
			tx.Variant.UpdateOneID(v.ID).SetPrice(999).ExecX(ctx)
			if err := tx.Rollback(); err != nil {
				t.Fatal(err)
			}

			svc := shop.New(st.Client)
			o, err := svc.PlaceOrder(ctx, customer.ID, []shop.Line{{VariantID: v.ID, Quantity: 2}}, "")
			if err != nil {
				t.Fatal(err)
			}
			if e := next(t, products); e != (store.Event{Kind: store.VariantChanged, ID: v.ID, Product: p.ID}) {
				t.Fatalf("after a rollback and a checkout: got %+v, want the checkout's variant change", e)
			}
			if e := next(t, orders); e != (store.Event{Kind: store.OrderPlaced, ID: o.ID}) {
				t.Fatalf("new orders: got %+v, want order %d placed", e, o.ID)
			}
			mine := st.Events().Subscribe(store.OrderTopic(o.ID))
			defer mine.Close()
			if _, err := svc.SetOrderStatus(ctx, o.ID, order.StatusPAID); err != nil {
				t.Fatal(err)
			}
			if e := next(t, mine); e != (store.Event{Kind: store.OrderUpdated, ID: o.ID}) {
				t.Fatalf("order %d paid: got %+v, want OrderUpdated", o.ID, e)
			}
			select {
			case e := <-orders.C:
				t.Fatalf("new orders after a status change: got %+v, want nothing", e)
			default:
			}
		})
	}
}

// TestListenerReconnectResyncs: when the listening connection is killed,
// the listener reconnects and tells every subscriber to resync (what was
// committed meanwhile was not delivered); events flow again afterwards.
func TestListenerReconnectResyncs(t *testing.T) {
	ctx := context.Background()
	st := listening(t, dialect.Postgres)
	p, v := stocked(t, st.Client, "mug", 5)
	staff := st.Client.User.Create().SetEmail("s@example.com").SetName("S").SaveX(ctx)
	sub := st.Events().Subscribe(store.ProductTopic(p.ID))
	defer sub.Close()
	if _, err := st.DB.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN %'`); err != nil {
		t.Fatal(err)
	}
	if e := next(t, sub); e.Kind != store.Resync {
		t.Fatalf("after the listener's connection was killed: got %+v, want Resync", e)
	}
	if _, err := shop.New(st.Client).AdjustStock(ctx, staff.ID, v.ID, 3, "delivery"); err != nil {
		t.Fatal(err)
	}
	if e := next(t, sub); e != (store.Event{Kind: store.VariantChanged, ID: v.ID, Product: p.ID}) {
		t.Fatalf("after the reconnect: got %+v, want the variant change", e)
	}
}

// TestSlowSubscriberResyncs: a subscriber that does not keep up is owed
// one Resync instead of the events it missed; the publisher never blocks.
func TestSlowSubscriberResyncs(t *testing.T) {
	h := store.NewHub()
	s := h.Subscribe(store.ProductTopic(1))
	defer s.Close()
	for i := range 1000 {
		h.Publish(store.Event{Kind: store.VariantChanged, ID: i, Product: 1})
	}
	n := 0
	for len(s.C) > 0 {
		<-s.C
		n++
	}
	if n == 0 || n >= 1000 {
		t.Fatalf("buffered events: got %d, want some but not all 1000", n)
	}
	select {
	case e := <-s.Resyncs():
		if e.Kind != store.Resync {
			t.Fatalf("got %+v, want Resync", e)
		}
	default:
		t.Fatal("no Resync owed after missed events")
	}
	if h.Subscribers() != 1 {
		t.Fatalf("subscribers: got %d, want 1", h.Subscribers())
	}
}

func TestSubscribersOfOneEventShareIt(t *testing.T) {
	h := store.NewHub()
	a, b := h.Subscribe(store.ProductTopic(1)), h.Subscribe(store.ProductTopic(1), store.ProductTopic(2))
	defer a.Close()
	defer b.Close()
	h.Publish(store.Event{Kind: store.VariantChanged, ID: 7, Product: 1}, store.Event{Kind: store.VariantChanged, ID: 8, Product: 1})
	ea1, ea2, eb1, eb2 := <-a.C, <-a.C, <-b.C, <-b.C
	if ea1.Shared == nil || ea1.Shared != eb1.Shared || ea2.Shared != eb2.Shared || ea1.Shared == ea2.Shared {
		t.Fatalf("shared: a %p %p, b %p %p; want one per event, the same for every subscriber", ea1.Shared, ea2.Shared, eb1.Shared, eb2.Shared)
	}
	var made atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v := eb1.Shared.Once("variant", func() any { made.Add(1); return 42 }); v != 42 {
				t.Errorf("Once: got %v, want 42", v)
			}
		}()
	}
	wg.Wait()
	if made.Load() != 1 {
		t.Fatalf("made %d times, want once", made.Load())
	}
	// Nothing is shared without a hub's event.
	var none *store.Shared
	if none.Once("k", func() any { return 1 }) != 1 || none.Once("k", func() any { return 2 }) != 2 {
		t.Fatal("a nil Shared must make every time")
	}
}
