package store

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
	"github.com/shopgraph/shopgraph/ent/variant"
)

// StockError is why PlaceOrder took nothing. The lines it did reserve
// before finding out are still taken in tx: the caller must roll back.
type StockError struct {
	// Unavailable lists, ascending, the variants nobody can buy: they do
	// not exist, their product is not ACTIVE, or the row rules of ctx's
	// viewer hide them.
	Unavailable []int
	// Short lists, by ascending variant, the variants on sale that have
	// fewer units than wanted.
	Short []Shortage
}

// Shortage is one variant with fewer units on hand than an order wanted.
type Shortage struct {
	VariantID, Requested, Available int
}

func (e *StockError) Error() string {
	return fmt.Sprintf("insufficient stock: %d variants unavailable, %d short", len(e.Unavailable), len(e.Short))
}

// PlaceOrder reserves want[variant] units of each variant for customer and
// records the order in tx, with a fixed number of statements however many
// lines it has:
//
//  1. (PostgreSQL) lock the variants in ID order, so concurrent orders
//     wait for each other instead of deadlocking; SQLite's BEGIN IMMEDIATE
//     already runs one writer at a time;
//  2. one UPDATE takes every line's quantity where enough stock is left
//     and the product is on sale, returning what it took;
//  3. if any line came back short, return a *StockError (after one query
//     that tells unavailable variants from short ones);
//  4. insert the order, give it its number, insert lines (at the prices
//     the UPDATE returned) and stock movements, refresh the products' keys.
//
// Stock therefore never goes below zero and is never sold twice: the
// conditional UPDATE is atomic per row, and a competing order that took the
// last units makes this one's UPDATE miss.
func PlaceOrder(ctx context.Context, tx *ent.Tx, customer int, want map[int]int) (*ent.Order, error) {
	ids := make([]int, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	got, err := reserve(ctx, tx, ids, want)
	if err != nil {
		return nil, err
	}
	if len(got) < len(ids) {
		return nil, shortfall(ctx, tx, ids, want, got)
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
		return nil, fmt.Errorf("insert order: %w", err)
	}
	placed, err := o.Update().SetNumber(fmt.Sprintf("SG-%06d", o.ID)).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("number order %d: %w", o.ID, err)
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
		return nil, fmt.Errorf("insert order lines: %w", err)
	}
	if _, err := tx.StockMovement.CreateBulk(moves...).Save(ctx); err != nil {
		return nil, fmt.Errorf("record stock movements: %w", err)
	}
	if err := RefreshProductKeys(ctx, tx, products...); err != nil {
		return nil, err
	}
	return placed, nil
}

// reserved is a variant whose stock an order took, at its current price.
type reserved struct {
	id, productID int
	price         int64
}

// reserve takes want[id] units of each variant in ids (ascending) that has
// them and whose product is ACTIVE, in one statement, and returns what it
// took.
func reserve(ctx context.Context, tx *ent.Tx, ids []int, want map[int]int) (map[int]reserved, error) {
	d := tx.Dialect()
	ph := placeholders(d)
	args := make([]any, 0, 2*len(ids))
	values := make([]string, len(ids))
	for i, id := range ids {
		values[i] = fmt.Sprintf("(CAST(%s AS BIGINT), CAST(%s AS BIGINT))", ph(), ph())
		args = append(args, id, want[id])
	}
	if d == dialect.Postgres {
		list := make([]string, len(ids))
		lockArgs := make([]any, len(ids))
		lockPH := placeholders(d)
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
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read reserved stock: %w", err)
	}
	return got, nil
}

// shortfall explains a failed reservation as a *StockError: each variant
// reserve did not take is either unavailable (not on sale, or hidden from
// ctx's viewer) or short, with what is left.
func shortfall(ctx context.Context, tx *ent.Tx, ids []int, want map[int]int, got map[int]reserved) error {
	onSale, err := tx.Variant.Query().
		Where(variant.IDIn(ids...), variant.HasProductWith(product.StatusEQ(product.StatusACTIVE))).
		All(ctx)
	if err != nil {
		return fmt.Errorf("load variants on sale: %w", err)
	}
	stock := make(map[int]int, len(onSale))
	for _, v := range onSale {
		stock[v.ID] = v.Stock
	}
	e := &StockError{}
	for _, id := range ids {
		if _, ok := got[id]; ok {
			continue
		}
		if left, ok := stock[id]; ok {
			e.Short = append(e.Short, Shortage{VariantID: id, Requested: want[id], Available: left})
		} else {
			e.Unavailable = append(e.Unavailable, id)
		}
	}
	return e
}

// RestockOrder returns the units of order o, just cancelled in tx, to
// stock in one UPDATE, records the movements (by actor) and refreshes the
// products' keys.
func RestockOrder(ctx context.Context, tx *ent.Tx, o *ent.Order, actor int) error {
	d := tx.Dialect()
	if d == dialect.Postgres {
		// Same lock order as PlaceOrder (variant ID), or a cancel and an
		// order touching the same variants can deadlock.
		if _, err := tx.ExecContext(ctx, "SELECT id FROM variants WHERE id IN (SELECT variant_id FROM order_lines WHERE order_id = $1) ORDER BY id FOR UPDATE", o.ID); err != nil {
			return fmt.Errorf("lock variants of %s: %w", o.Number, err)
		}
	}
	ph := placeholders(d)
	query := fmt.Sprintf(`UPDATE variants SET stock = stock + (
  SELECT SUM(l.quantity) FROM order_lines l WHERE l.order_id = %s AND l.variant_id = variants.id)
WHERE id IN (SELECT variant_id FROM order_lines WHERE order_id = %s)
RETURNING product_id`, ph(), ph())
	products, err := queryInts(ctx, tx, query, o.ID, o.ID)
	if err != nil {
		return fmt.Errorf("return stock of %s: %w", o.Number, err)
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
	return RefreshProductKeys(ctx, tx, products...)
}

// queryInts runs a query that returns one integer column.
func queryInts(ctx context.Context, tx *ent.Tx, query string, args ...any) ([]int, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// placeholders numbers bind parameters the way dialect d wants them: $1,
// $2, … on PostgreSQL, ? on SQLite.
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
