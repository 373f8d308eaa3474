package graph

import (
	"context"
	"fmt"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/order"
	"github.com/shopgraph/shopgraph/ent/shop"
	"github.com/shopgraph/shopgraph/graph/auth"
	"github.com/shopgraph/shopgraph/graph/model"
	"github.com/shopgraph/shopgraph/graph/relay"
)

// Order mutations: checkout, transitions and cancellation are ent/shop's
// (shop.Service.PlaceOrder: a fixed number of statements however many
// lines, stock never below zero nor sold twice).

func (r *Resolver) placeOrder(ctx context.Context, in model.PlaceOrderInput) (*model.OrderPayload, error) {
	if err := r.check("input", &in); err != nil {
		return nil, err
	}
	lines := make([]shop.Line, len(in.Lines))
	for i, l := range in.Lines {
		id, err := relay.IDOf(fmt.Sprintf("input.lines[%d].variantId", i), "Variant", l.VariantID)
		if err != nil {
			return nil, err
		}
		lines[i] = shop.Line{VariantID: id, Quantity: l.Quantity}
	}
	var key string
	if in.IdempotencyKey != nil {
		key = *in.IdempotencyKey
	}
	o, err := r.shop().PlaceOrder(ctx, auth.FromContext(ctx).ID, lines, key)
	return reply(o, err, orderPayload)
}

// setOrderStatus moves an order the viewer may see to PAID or SHIPPED.
func (r *Resolver) setOrderStatus(ctx context.Context, gid string, to order.Status) (*model.OrderPayload, error) {
	id, err := relay.IDOf("input.id", "Order", gid)
	if err != nil {
		return nil, err
	}
	o, err := r.shop().SetOrderStatus(ctx, id, to)
	return reply(o, err, orderPayload)
}

// cancelOrder cancels and restocks an order: its customer while it is
// PENDING, staff also once it is PAID.
func (r *Resolver) cancelOrder(ctx context.Context, gid string) (*model.OrderPayload, error) {
	id, err := relay.IDOf("input.id", "Order", gid)
	if err != nil {
		return nil, err
	}
	o, err := r.shop().CancelOrder(ctx, actor(auth.FromContext(ctx)), id)
	return reply(o, err, orderPayload)
}

func orderPayload(o *ent.Order) *model.OrderPayload { return &model.OrderPayload{Order: o} }
