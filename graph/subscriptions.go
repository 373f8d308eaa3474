package graph

import (
	"context"
	"slices"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/order"
	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/ent/variant"
	"github.com/shopgraph/shopgraph/graph/apperr"
	"github.com/shopgraph/shopgraph/graph/relay"
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

// live runs a subscription until ctx ends: for each event of sub (and for
// each resync it is owed) it sends what load returns. With initial, it
// first sends the current state (load of a Resync): the client then knows
// the subscription is in place, and nothing that happened between its
// query and its subscription is lost. A load error ends it: gqlgen then
// completes the operation.
func live[T any](ctx context.Context, sub *store.Subscription, initial bool, load func(ctx context.Context, e store.Event) ([]T, error)) <-chan T {
	out := make(chan T)
	go func() {
		defer close(out)
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
				case out <- o:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
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
	return live(ctx, sub, true, func(ctx context.Context, _ store.Event) ([]*ent.Order, error) {
		o, err := r.client.Order.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		return []*ent.Order{o}, nil
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
		q := r.client.Variant.Query()
		if e.Kind == store.Resync {
			q = q.Where(variant.ProductIDIn(ids...)).Order(ent.Asc(variant.FieldID))
		} else {
			q = q.Where(variant.ID(e.ID))
		}
		// A variant the viewer may not see (its product is not on sale)
		// is simply not sent.
		return q.All(ctx)
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
		q := r.client.Order.Query()
		if e.Kind == store.Resync {
			q = q.Where(order.IDGT(last)).Order(ent.Asc(order.FieldID)).Limit(maxResyncOrders)
		} else {
			if e.ID <= last {
				return nil, nil // sent already by a resync
			}
			q = q.Where(order.ID(e.ID))
		}
		orders, err := q.All(ctx)
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
