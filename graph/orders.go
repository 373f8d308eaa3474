package graph

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/order"
	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/graph/apperr"
	"github.com/shopgraph/shopgraph/graph/auth"
	"github.com/shopgraph/shopgraph/graph/model"
	"github.com/shopgraph/shopgraph/graph/relay"
)

// placeOrder checks the input and places the order in one transaction
// (store.PlaceOrder: a fixed number of statements however many lines, stock
// never below zero nor sold twice).
func (r *Resolver) placeOrder(ctx context.Context, in model.PlaceOrderInput) (*model.OrderPayload, error) {
	if err := r.check("input", &in); err != nil {
		return nil, err
	}
	want := map[int]int{}      // variant -> units
	firstLine := map[int]int{} // variant -> its first line, for error paths
	for i, l := range in.Lines {
		id, err := relay.IDOf(fmt.Sprintf("input.lines[%d].variantId", i), "Variant", l.VariantID)
		if err != nil {
			return nil, err
		}
		if _, seen := want[id]; !seen {
			firstLine[id] = i
		}
		want[id] += l.Quantity
	}
	customer := auth.FromContext(ctx).ID
	var placed *ent.Order
	err := r.inTx(ctx, func(tx *ent.Tx) error {
		var err error
		placed, err = store.PlaceOrder(ctx, tx, customer, want)
		return stockError(err, firstLine)
	})
	if err != nil {
		return nil, err
	}
	return &model.OrderPayload{Order: placed}, nil
}

// stockError explains a failed reservation (a *store.StockError): a variant
// nobody can buy (its product is not ACTIVE) or the viewer cannot see is
// NOT_FOUND, like one that does not exist, on the first such line;
// otherwise OUT_OF_STOCK names every variant that is short, with what is
// left. Other errors pass through.
func stockError(err error, firstLine map[int]int) error {
	var se *store.StockError
	if !errors.As(err, &se) {
		return err
	}
	if len(se.Unavailable) > 0 {
		return notFound(fmt.Sprintf("input.lines[%d].variantId", firstLine[se.Unavailable[0]]), "variant")
	}
	type short struct {
		VariantID string `json:"variantId"`
		Requested int    `json:"requested"`
		Available int    `json:"available"`
	}
	shorts := make([]short, len(se.Short))
	names := make([]string, len(se.Short))
	for i, s := range se.Short {
		gid := relay.ToGlobalID("Variant", s.VariantID)
		shorts[i] = short{VariantID: gid, Requested: s.Requested, Available: s.Available}
		names[i] = gid
	}
	return &apperr.Error{
		Code:    apperr.OutOfStock,
		Message: "not enough stock for variants " + strings.Join(names, ", "),
		Details: map[string]any{"variants": shorts},
	}
}

// transitions lists, for each target status, the statuses it may follow.
var transitions = map[order.Status][]order.Status{
	order.StatusPAID:      {order.StatusPENDING},
	order.StatusSHIPPED:   {order.StatusPAID},
	order.StatusCANCELLED: {order.StatusPENDING, order.StatusPAID},
}

// moveOrder changes an order's status if it is still in one of the allowed
// ones: a single conditional UPDATE, so of two concurrent transitions only
// one wins and the other gets CONFLICT.
func moveOrder(ctx context.Context, tx *ent.Tx, o *ent.Order, to order.Status, from []order.Status) error {
	if !slices.Contains(from, o.Status) {
		return apperr.Errorf(apperr.Conflict, "order %s is %s and cannot become %s", o.Number, o.Status, to)
	}
	n, err := tx.Order.Update().Where(order.ID(o.ID), order.StatusIn(from...)).SetStatus(to).Save(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return apperr.Errorf(apperr.Conflict, "order %s changed meanwhile and cannot become %s", o.Number, to)
	}
	return nil
}

// findOrder loads an order the viewer may see (row rules apply: a customer
// finds only their own).
func findOrder(ctx context.Context, tx *ent.Tx, gid string) (*ent.Order, error) {
	id, err := relay.IDOf("input.id", "Order", gid)
	if err != nil {
		return nil, err
	}
	o, err := tx.Order.Get(ctx, id)
	return o, notFoundOr(err, "input.id", "order")
}

// changeOrder runs change on an order the viewer may see, in one
// transaction, and returns the order as it is afterwards.
func (r *Resolver) changeOrder(ctx context.Context, gid string, change func(tx *ent.Tx, o *ent.Order) error) (*model.OrderPayload, error) {
	var o *ent.Order
	err := r.inTx(ctx, func(tx *ent.Tx) error {
		var err error
		if o, err = findOrder(ctx, tx, gid); err != nil {
			return err
		}
		if err := change(tx, o); err != nil {
			return err
		}
		o, err = tx.Order.Get(ctx, o.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &model.OrderPayload{Order: o}, nil
}

func (r *Resolver) setOrderStatus(ctx context.Context, gid string, to order.Status) (*model.OrderPayload, error) {
	return r.changeOrder(ctx, gid, func(tx *ent.Tx, o *ent.Order) error {
		return moveOrder(ctx, tx, o, to, transitions[to])
	})
}

// cancelOrder cancels and returns the order's stock. Its customer may
// cancel while it is PENDING; staff also once it is PAID.
func (r *Resolver) cancelOrder(ctx context.Context, gid string) (*model.OrderPayload, error) {
	v := auth.FromContext(ctx)
	return r.changeOrder(ctx, gid, func(tx *ent.Tx, o *ent.Order) error {
		from := transitions[order.StatusCANCELLED]
		if !v.Staff() {
			if o.Status == order.StatusPAID {
				return apperr.Errorf(apperr.Forbidden, "a paid order can only be cancelled by staff")
			}
			from = []order.Status{order.StatusPENDING}
		}
		if err := moveOrder(ctx, tx, o, order.StatusCANCELLED, from); err != nil {
			return err
		}
		return store.RestockOrder(ctx, tx, o, v.ID)
	})
}
