package graph

import (
	"context"
	"slices"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/order"
	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/ent/variant"
	"github.com/shopgraph/shopgraph/graph/apperr"
	"github.com/shopgraph/shopgraph/graph/loaders"
	"github.com/shopgraph/shopgraph/graph/relay"
	"github.com/shopgraph/shopgraph/graph/rowrules"
)

// Subscriptions turn the store's change events (IDs only) into objects:
// each event is loaded here under the subscriber's own viewer (the row
// rules of the API's client apply), so a subscriber only ever receives an
// object it could query at that moment; its fields are then resolved by
// gqlgen with fresh loaders per event (NewHandler), as a query would be.

// maxInventoryProducts caps inventoryChanged's productIds.
const maxInventoryProducts = 20

// maxResyncOrders caps the orders one resync of orderPlaced sends.
const maxResyncOrders = 100

// feed hands a subscription's objects, one per response, to the
// AroundResponses handler that sends them (NewHandler), with the event each
// came from: the handler installs that event's loaders before gqlgen
// resolves the object's fields. gqlgen's own per-event context
// (@subscriptionContext) reaches AroundResponses only after the fields
// have been resolved, too late for their loaders.
type feed struct {
	events *loaders.Events
	// next, set by the subscription's resolver, waits for the next object
	// and puts it where gqlgen reads it; ok false: the stream has ended.
	next func(ctx context.Context) (obj any, shared *store.Shared, ok bool)
}

type feedKey struct{}

func withFeed(ctx context.Context, f *feed) context.Context {
	return context.WithValue(ctx, feedKey{}, f)
}

func feedOf(ctx context.Context) *feed {
	f, _ := ctx.Value(feedKey{}).(*feed)
	return f
}

// delivery is one object of a subscription and the event it came from.
type delivery[T any] struct {
	obj    T
	shared *store.Shared
}

// live runs a subscription until ctx ends: for each event of sub (and for
// each resync it is owed) it sends what load returns. With initial, it
// first sends the current state (load of a Resync): the client then knows
// the subscription is in place, and nothing that happened between its
// query and its subscription is lost. A load error ends it: gqlgen then
// completes the operation.
//
// Objects go out through ctx's feed: the channel gqlgen reads is filled
// one object at a time by the response that sends it.
func live[T any](ctx context.Context, sub *store.Subscription, initial bool, load func(ctx context.Context, e store.Event) ([]T, error)) <-chan T {
	deliveries := make(chan delivery[T])
	go func() {
		defer close(deliveries)
		defer sub.Close()
		for first := initial; ; first = false {
			var e store.Event
			if first {
				e = store.Event{Kind: store.Resync}
			} else {
				select {
				case <-ctx.Done():
					return
				case e = <-sub.C:
				case e = <-sub.Resyncs():
				}
			}
			objs, err := load(ctx, e)
			if err != nil {
				return
			}
			for _, o := range objs {
				select {
				case deliveries <- delivery[T]{o, e.Shared}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	out := make(chan T, 1)
	f := feedOf(ctx)
	if f == nil { // outside NewHandler's middleware: a plain stream
		go func() {
			defer close(out)
			for d := range deliveries {
				select {
				case out <- d.obj:
				case <-ctx.Done():
					return
				}
			}
		}()
		return out
	}
	f.next = func(ctx context.Context) (any, *store.Shared, bool) {
		select {
		case d, ok := <-deliveries:
			if !ok {
				close(out)
				f.next = nil
				return nil, nil, false
			}
			out <- d.obj // empty: the last one was read by its response
			return d.obj, d.shared, true
		case <-ctx.Done():
			return nil, nil, false
		}
	}
	return out
}

// shareable loads what an event shows, once for all the subscribers of the
// event whose viewers the row rules treat alike: key names the rows and the
// class of ctx's viewer. A resync (no Shared) loads for this subscriber.
func shareable[T any](ctx context.Context, e store.Event, key any, load func(ctx context.Context) ([]T, error)) ([]T, error) {
	r := e.Shared.Once(key, func() any {
		// The others wait for these rows: this subscriber leaving must not
		// fail them.
		rows, err := load(context.WithoutCancel(ctx))
		return loaded[T]{rows, err}
	}).(loaded[T])
	return r.rows, r.err
}

type loaded[T any] struct {
	rows []T
	err  error
}

// sharedKey names the rows of one event under one class of viewers.
type sharedKey struct {
	what  string
	id    int
	class string
}

func (r *subscriptionResolver) orderUpdated(ctx context.Context, gid string) (<-chan *ent.Order, error) {
	id, err := relay.IDOf("id", "Order", gid)
	if err != nil {
		return nil, err
	}
	// Visible now (the customer's own, or staff), or NOT_FOUND as in a
	// query: another customer's order does not even exist for them.
	if _, err := r.client.Order.Get(ctx, id); err != nil {
		return nil, notFoundOr(err, "order")
	}
	sub := r.events.Subscribe(store.OrderTopic(id))
	return live(ctx, sub, true, func(ctx context.Context, e store.Event) ([]*ent.Order, error) {
		return shareable(ctx, e, sharedKey{"order", id, rowrules.CustomerClass(ctx)}, func(ctx context.Context) ([]*ent.Order, error) {
			o, err := r.client.Order.Get(ctx, id)
			if err != nil {
				return nil, err
			}
			return []*ent.Order{o}, nil
		})
	}), nil
}

func (r *subscriptionResolver) inventoryChanged(ctx context.Context, gids []string) (<-chan *ent.Variant, error) {
	if len(gids) == 0 || len(gids) > maxInventoryProducts {
		return nil, apperr.Invalid("productIds", "give 1 to %d product IDs", maxInventoryProducts)
	}
	var ids []int
	for _, gid := range gids {
		id, err := relay.IDOf("productIds", "Product", gid)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	topics := make([]string, len(ids))
	for i, id := range ids {
		topics[i] = store.ProductTopic(id)
	}
	sub := r.events.Subscribe(topics...)
	return live(ctx, sub, true, func(ctx context.Context, e store.Event) ([]*ent.Variant, error) {
		// A variant the viewer may not see (its product is not on sale)
		// is simply not sent.
		if e.Kind == store.Resync {
			return r.client.Variant.Query().Where(variant.ProductIDIn(ids...)).Order(ent.Asc(variant.FieldID)).All(ctx)
		}
		return shareable(ctx, e, sharedKey{"variant", e.ID, rowrules.CatalogClass(ctx)}, func(ctx context.Context) ([]*ent.Variant, error) {
			return r.client.Variant.Query().Where(variant.ID(e.ID)).All(ctx)
		})
	}), nil
}

func (r *subscriptionResolver) orderPlaced(ctx context.Context) (<-chan *ent.Order, error) {
	// The newest order now: a resync sends what came after the last one
	// sent, so none is lost while events were not arriving.
	last, err := r.client.Order.Query().Order(ent.Desc(order.FieldID)).FirstID(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, err
	}
	sub := r.events.Subscribe(store.NewOrdersTopic)
	return live(ctx, sub, false, func(ctx context.Context, e store.Event) ([]*ent.Order, error) {
		var orders []*ent.Order
		var err error
		switch {
		case e.Kind == store.Resync:
			orders, err = r.client.Order.Query().Where(order.IDGT(last)).Order(ent.Asc(order.FieldID)).Limit(maxResyncOrders).All(ctx)
		case e.ID <= last:
			return nil, nil // sent already by a resync
		default:
			orders, err = shareable(ctx, e, sharedKey{"order", e.ID, rowrules.CustomerClass(ctx)}, func(ctx context.Context) ([]*ent.Order, error) {
				return r.client.Order.Query().Where(order.ID(e.ID)).All(ctx)
			})
		}
		if err != nil {
			return nil, err
		}
		for _, o := range orders {
			last = max(last, o.ID)
		}
		return orders, nil
	}), nil
}

// notFoundOr reports a row the viewer cannot see as NOT_FOUND.
func notFoundOr(err error, what string) error {
	if ent.IsNotFound(err) {
		return apperr.Errorf(apperr.NotFound, "%s not found", what)
	}
	return err
}
