package graph

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"entgo.io/ent/dialect"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/order"
	"github.com/shopgraph/shopgraph/ent/orderline"
	"github.com/shopgraph/shopgraph/ent/product"
	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/ent/variant"
	"github.com/shopgraph/shopgraph/graph/apperr"
	"github.com/shopgraph/shopgraph/graph/auth"
	"github.com/shopgraph/shopgraph/graph/model"
	"github.com/shopgraph/shopgraph/graph/relay"
)

// reserved is a variant whose stock an order took, at its current price.
type reserved struct {
	id, productID int
	price         int64
}

// placeOrder reserves stock and records the order in one transaction with a
// fixed number of statements, however many lines it has:
//
//  1. (PostgreSQL) lock the variants in ID order, so concurrent orders
//     wait for each other instead of deadlocking;
//  2. one UPDATE takes every line's quantity where enough stock is left
//     and the product is on sale, returning what it took;
//  3. if any line came back short, roll back and report OUT_OF_STOCK (or
//     NOT_FOUND for variants the viewer cannot buy);
//  4. insert the order, give it its number, insert lines and stock
//     movements, refresh the products' sort keys.
//
// Stock therefore never goes below zero and is never sold twice: the
// conditional UPDATE is atomic per row, and a competing order that took the
// last units makes this one's UPDATE miss.
func (r *Resolver) placeOrder(ctx context.Context, in model.PlaceOrderInput) (*model.OrderPayload, error) {
	if err := r.check("input", &in); err != nil {
		return nil, err
	}
	want := map[int]int{}      // variant -> units
	firstLine := map[int]int{} // variant -> its first line, for error paths
	var ids []int
	for i, l := range in.Lines {
		id, err := relay.IDOf(fmt.Sprintf("input.lines[%d].variantId", i), "Variant", l.VariantID)
		if err != nil {
			return nil, err
		}
		if _, seen := want[id]; !seen {
			ids = append(ids, id)
			firstLine[id] = i
		}
		want[id] += l.Quantity
	}
	slices.Sort(ids)
	customer := auth.FromContext(ctx).ID
	var placed *ent.Order
	err := r.inTx(ctx, func(tx *ent.Tx) error {
		got, err := r.reserve(ctx, tx, ids, want)
		if err != nil {
			return err
		}
		if len(got) < len(ids) {
			return r.shortfall(ctx, tx, ids, want, got, firstLine)
		}
		// The number comes from the ID, unique by construction; the row is
		// inserted with a throwaway unique placeholder first.
		placeholder := make([]byte, 8)
		rand.Read(placeholder)
		o, err := tx.Order.Create().
			SetNumber("TMP-" + hex.EncodeToString(placeholder)).
			SetCustomerID(customer).
			SetStatus(order.StatusPENDING).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("insert order: %w", err)
		}
		if placed, err = o.Update().SetNumber(fmt.Sprintf("SG-%06d", o.ID)).Save(ctx); err != nil {
			return fmt.Errorf("number order %d: %w", o.ID, err)
		}
		lines := make([]*ent.OrderLineCreate, len(ids))
		moves := make([]*ent.StockMovementCreate, len(ids))
		products := make([]int, 0, len(ids))
		for i, id := range ids {
			v := got[id]
			lines[i] = tx.OrderLine.Create().SetOrderID(o.ID).SetVariantID(id).SetQuantity(want[id]).SetUnitPrice(v.price)
			moves[i] = tx.StockMovement.Create().SetVariantID(id).SetDelta(-want[id]).
				SetReason("order " + placed.Number).SetOrderID(o.ID).SetActorID(customer)
			products = append(products, v.productID)
		}
		if _, err := tx.OrderLine.CreateBulk(lines...).Save(ctx); err != nil {
			return fmt.Errorf("insert order lines: %w", err)
		}
		if _, err := tx.StockMovement.CreateBulk(moves...).Save(ctx); err != nil {
			return fmt.Errorf("record stock movements: %w", err)
		}
		return store.RefreshProductKeys(ctx, tx, products...)
	})
	if err != nil {
		return nil, err
	}
	return &model.OrderPayload{Order: placed}, nil
}

// reserve takes want[id] units of each variant that has them and whose
// product is ACTIVE, in one statement, and returns what it took.
func (r *Resolver) reserve(ctx context.Context, tx *ent.Tx, ids []int, want map[int]int) (map[int]reserved, error) {
	ph := placeholders(r.dialect)
	args := make([]any, 0, 2*len(ids))
	values := make([]string, len(ids))
	for i, id := range ids {
		values[i] = fmt.Sprintf("(CAST(%s AS BIGINT), CAST(%s AS BIGINT))", ph(), ph())
		args = append(args, id, want[id])
	}
	if r.dialect == dialect.Postgres {
		list := make([]string, len(ids))
		lockArgs := make([]any, len(ids))
		lockPH := placeholders(r.dialect)
		for i, id := range ids {
			list[i], lockArgs[i] = lockPH(), id
		}
		if _, err := tx.ExecContext(ctx, "SELECT id FROM variants WHERE id IN ("+strings.Join(list, ",")+") ORDER BY id FOR UPDATE", lockArgs...); err != nil {
			return nil, fmt.Errorf("lock variants: %w", err)
		}
	}
	query := `WITH wanted(id, qty) AS (VALUES ` + strings.Join(values, ", ") + `)
UPDATE variants SET stock = variants.stock - wanted.qty
FROM wanted
WHERE variants.id = wanted.id
  AND variants.stock >= wanted.qty
  AND variants.product_id IN (SELECT id FROM products WHERE status = 'ACTIVE')
RETURNING variants.id, variants.product_id, variants.price`
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("reserve stock: %w", err)
	}
	defer rows.Close()
	got := make(map[int]reserved, len(ids))
	for rows.Next() {
		var v reserved
		if err := rows.Scan(&v.id, &v.productID, &v.price); err != nil {
			return nil, fmt.Errorf("read reserved stock: %w", err)
		}
		got[v.id] = v
	}
	return got, rows.Err()
}

// placeholders numbers bind parameters the way the dialect wants them.
func placeholders(d string) func() string {
	n := 0
	return func() string {
		n++
		if d == dialect.Postgres {
			return fmt.Sprintf("$%d", n)
		}
		return "?"
	}
}

// shortfall explains a failed reservation: a variant nobody can buy (its
// product is not ACTIVE) or the viewer cannot see is NOT_FOUND, like one
// that does not exist; otherwise OUT_OF_STOCK names every variant that is
// short, with what is left.
func (r *Resolver) shortfall(ctx context.Context, tx *ent.Tx, ids []int, want map[int]int, got map[int]reserved, firstLine map[int]int) error {
	onSale, err := tx.Variant.Query().
		Where(variant.IDIn(ids...), variant.HasProductWith(product.StatusEQ(product.StatusACTIVE))).
		All(ctx)
	if err != nil {
		return err
	}
	stock := make(map[int]int, len(onSale))
	for _, v := range onSale {
		stock[v.ID] = v.Stock
	}
	type short struct {
		VariantID string `json:"variantId"`
		Requested int    `json:"requested"`
		Available int    `json:"available"`
	}
	var shorts []short
	var names []string
	for _, id := range ids {
		if _, ok := got[id]; ok {
			continue
		}
		left, ok := stock[id]
		if !ok {
			return notFound(fmt.Sprintf("input.lines[%d].variantId", firstLine[id]), "variant")
		}
		gid := relay.ToGlobalID("Variant", id)
		shorts = append(shorts, short{VariantID: gid, Requested: want[id], Available: left})
		names = append(names, gid)
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
		return r.restock(ctx, tx, o, v.ID)
	})
}

// restock returns a cancelled order's units to stock in one UPDATE, and
// records the movements.
func (r *Resolver) restock(ctx context.Context, tx *ent.Tx, o *ent.Order, actor int) error {
	if r.dialect == dialect.Postgres {
		// Same lock order as placeOrder (variant ID), or a cancel and an
		// order touching the same variants can deadlock.
		if _, err := tx.ExecContext(ctx, "SELECT id FROM variants WHERE id IN (SELECT variant_id FROM order_lines WHERE order_id = $1) ORDER BY id FOR UPDATE", o.ID); err != nil {
			return fmt.Errorf("lock variants of %s: %w", o.Number, err)
		}
	}
	ph := placeholders(r.dialect)
	query := fmt.Sprintf(`UPDATE variants SET stock = stock + (
  SELECT SUM(l.quantity) FROM order_lines l WHERE l.order_id = %s AND l.variant_id = variants.id)
WHERE id IN (SELECT variant_id FROM order_lines WHERE order_id = %s)
RETURNING product_id`, ph(), ph())
	rows, err := tx.QueryContext(ctx, query, o.ID, o.ID)
	if err != nil {
		return fmt.Errorf("return stock of %s: %w", o.Number, err)
	}
	var products []int
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		products = append(products, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	lines, err := tx.OrderLine.Query().Where(orderline.OrderID(o.ID)).All(ctx)
	if err != nil {
		return fmt.Errorf("load lines of %s: %w", o.Number, err)
	}
	moves := make([]*ent.StockMovementCreate, len(lines))
	for i, l := range lines {
		moves[i] = tx.StockMovement.Create().SetVariantID(l.VariantID).SetDelta(l.Quantity).
			SetReason("cancelled order " + o.Number).SetOrderID(o.ID).SetActorID(actor)
	}
	if _, err := tx.StockMovement.CreateBulk(moves...).Save(ctx); err != nil {
		return fmt.Errorf("record stock movements: %w", err)
	}
	return store.RefreshProductKeys(ctx, tx, products...)
}
