package shop

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
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

// Line is one line of an order: units of a variant. Several lines may name
// the same variant; their quantities add up.
type Line struct {
	VariantID, Quantity int
}

// PlaceOrder reserves the lines' units for customer and records the order,
// in one transaction with a fixed number of statements however many lines
// it has:
//
//  1. (PostgreSQL) lock the variants in ID order, so concurrent orders
//     wait for each other instead of deadlocking; SQLite's BEGIN IMMEDIATE
//     already runs one writer at a time;
//  2. one UPDATE takes every variant's quantity where enough stock is left
//     and the product is on sale, returning what it took;
//  3. if any variant came back short, roll back and explain (one query);
//  4. insert the order, give it its number, insert lines (at the prices
//     the UPDATE returned) and stock movements.
//
// Stock therefore never goes below zero and is never sold twice: the
// conditional UPDATE is atomic per row, and a competing order that took the
// last units makes this one's UPDATE miss.
//
// A variant nobody can buy (it does not exist, its product is not ACTIVE,
// or the client's row rules hide it) is a *NotFoundError on the first line
// naming it ("lines[i].variantId", the lowest such variant's); otherwise
// variants with too few units are a *StockError listing every one of them.
// Either way nothing changes.
//
// With a non-empty key (the client's idempotency key) the order is placed
// at most once per customer and key: a retry with the same key and lines
// gets the order the first call placed, with no second reservation or
// stock movement, whether the first call has committed already or is
// still running (a unique index on customer and key decides the race); the
// same key with other lines is a *ConflictError on "idempotencyKey".
func (s *Service) PlaceOrder(ctx context.Context, customer int, lines []Line, key string) (*ent.Order, error) {
	want := map[int]int{}      // variant -> units
	firstLine := map[int]int{} // variant -> its first line, for errors
	for i, l := range lines {
		if _, seen := want[l.VariantID]; !seen {
			firstLine[l.VariantID] = i
		}
		want[l.VariantID] += l.Quantity
	}
	ids := make([]int, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	fp := fingerprint(ids, want)
	if key != "" {
		if o, err := s.placedBefore(ctx, customer, key, fp); o != nil || err != nil {
			return o, err
		}
	}
	o, err := inTx(ctx, s, func(tx *ent.Tx) (*ent.Order, error) {
		got, err := reserve(ctx, tx, ids, want)
		if err != nil {
			return nil, err
		}
		if len(got) < len(ids) {
			return nil, shortfall(ctx, tx, ids, want, got, firstLine)
		}
		return record(ctx, tx, customer, ids, want, got, key, fp)
	})
	if err != nil && key != "" {
		// A twin with the same key committed while this one ran: its
		// order took the key (this insert hit the unique index) or the
		// stock (this reservation came back short). Either way the
		// client's order exists; answer with it.
		if o, perr := s.placedBefore(ctx, customer, key, fp); o != nil || perr != nil {
			return o, perr
		}
	}
	return o, err
}

// placedBefore returns customer's order placed with key, nil if none; the
// key with other lines than fp describes is a *ConflictError.
func (s *Service) placedBefore(ctx context.Context, customer int, key, fp string) (*ent.Order, error) {
	o, err := s.client.Order.Query().Where(order.CustomerID(customer), order.IdempotencyKey(key)).Only(ctx)
	switch {
	case ent.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("look up idempotency key: %w", err)
	case o.IdempotencyFingerprint != fp:
		return nil, &ConflictError{Field: "idempotencyKey", Reason: fmt.Sprintf("was used for order %s with other lines; use a new key for a new order", o.Number)}
	}
	return o, nil
}

// fingerprint identifies an order's lines as asked, after adding up lines
// of the same variant (ids sorted): the same request in another line order
// is the same order.
func fingerprint(ids []int, want map[int]int) string {
	h := sha256.New()
	for _, id := range ids {
		fmt.Fprintf(h, "%d:%d;", id, want[id])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// reserved is a variant whose stock an order took, at its current price.
type reserved struct {
	id    int
	price int64
}

// reserve takes want[id] units of each variant in ids (ascending) that has
// them and whose product is ACTIVE, in one statement, and returns what it
// took.
func reserve(ctx context.Context, tx *ent.Tx, ids []int, want map[int]int) (map[int]reserved, error) {
	d := tx.Dialect()
	if d == dialect.Postgres {
		lockPH := placeholders(d)
		list := make([]string, len(ids))
		lockArgs := make([]any, len(ids))
		for i, id := range ids {
			list[i], lockArgs[i] = lockPH(), id
		}
		if _, err := tx.ExecContext(ctx, "SELECT id FROM variants WHERE id IN ("+strings.Join(list, ",")+") ORDER BY id FOR UPDATE", lockArgs...); err != nil {
			return nil, fmt.Errorf("lock variants: %w", err)
		}
	}
	ph := placeholders(d)
	args := make([]any, 0, 2*len(ids))
	values := make([]string, len(ids))
	for i, id := range ids {
		values[i] = fmt.Sprintf("(CAST(%s AS BIGINT), CAST(%s AS BIGINT))", ph(), ph())
		args = append(args, id, want[id])
	}
	query := `WITH wanted(id, qty) AS (VALUES ` + strings.Join(values, ", ") + `)
UPDATE variants SET stock = variants.stock - wanted.qty
FROM wanted
WHERE variants.id = wanted.id
  AND variants.stock >= wanted.qty
  AND variants.product_id IN (SELECT id FROM products WHERE status = 'ACTIVE')
RETURNING variants.id, variants.price`
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("reserve stock: %w", err)
	}
	defer rows.Close()
	got := make(map[int]reserved, len(ids))
	for rows.Next() {
		var v reserved
		if err := rows.Scan(&v.id, &v.price); err != nil {
			return nil, fmt.Errorf("read reserved stock: %w", err)
		}
		got[v.id] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read reserved stock: %w", err)
	}
	return got, nil
}

// shortfall explains a failed reservation: each variant reserve did not
// take is either unavailable (not on sale, or hidden from ctx's viewer:
// a *NotFoundError) or short, with what is left (a *StockError).
func shortfall(ctx context.Context, tx *ent.Tx, ids []int, want map[int]int, got map[int]reserved, firstLine map[int]int) error {
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
		left, ok := stock[id]
		if !ok {
			return &NotFoundError{Field: fmt.Sprintf("lines[%d].variantId", firstLine[id]), What: "variant"}
		}
		e.Short = append(e.Short, Shortage{VariantID: id, Requested: want[id], Available: left})
	}
	return e
}

// record inserts the order whose stock reserve took, its lines and its
// stock movements.
func record(ctx context.Context, tx *ent.Tx, customer int, ids []int, want map[int]int, got map[int]reserved, key, fp string) (*ent.Order, error) {
	// The number comes from the ID, unique by construction; the row is
	// inserted with a throwaway unique placeholder first.
	placeholder := make([]byte, 8)
	rand.Read(placeholder)
	create := tx.Order.Create().
		SetNumber("TMP-" + hex.EncodeToString(placeholder)).
		SetCustomerID(customer).
		SetStatus(order.StatusPENDING).
		SetIdempotencyFingerprint(fp)
	if key != "" {
		create.SetIdempotencyKey(key)
	}
	o, err := create.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("insert order: %w", err)
	}
	placed, err := o.Update().SetNumber(fmt.Sprintf("SG-%06d", o.ID)).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("number order %d: %w", o.ID, err)
	}
	lines := make([]*ent.OrderLineCreate, len(ids))
	moves := make([]*ent.StockMovementCreate, len(ids))
	for i, id := range ids {
		lines[i] = tx.OrderLine.Create().SetOrderID(o.ID).SetVariantID(id).SetQuantity(want[id]).SetUnitPrice(got[id].price)
		moves[i] = tx.StockMovement.Create().SetVariantID(id).SetDelta(-want[id]).
			SetReason("order " + placed.Number).SetOrderID(o.ID).SetActorID(customer)
	}
	if _, err := tx.OrderLine.CreateBulk(lines...).Save(ctx); err != nil {
		return nil, fmt.Errorf("insert order lines: %w", err)
	}
	if _, err := tx.StockMovement.CreateBulk(moves...).Save(ctx); err != nil {
		return nil, fmt.Errorf("record stock movements: %w", err)
	}
	return placed, nil
}

// transitions lists, for each target status, the statuses it may follow.
var transitions = map[order.Status][]order.Status{
	order.StatusPAID:      {order.StatusPENDING},
	order.StatusSHIPPED:   {order.StatusPAID},
	order.StatusCANCELLED: {order.StatusPENDING, order.StatusPAID},
}

// SetOrderStatus moves order id to PAID or SHIPPED. The order must be one
// the client may see ("id"), in the status the target follows (a
// *ConflictError otherwise, also when a concurrent change got there
// first).
func (s *Service) SetOrderStatus(ctx context.Context, id int, to order.Status) (*ent.Order, error) {
	return s.changeOrder(ctx, id, func(tx *ent.Tx, o *ent.Order) error {
		return moveOrder(ctx, tx, o, to, transitions[to])
	})
}

// CancelOrder cancels order id and returns its units to stock. Its
// customer may cancel it while it is PENDING; staff also once it is PAID
// (a *ForbiddenError for the customer then).
func (s *Service) CancelOrder(ctx context.Context, actor Actor, id int) (*ent.Order, error) {
	return s.changeOrder(ctx, id, func(tx *ent.Tx, o *ent.Order) error {
		from := transitions[order.StatusCANCELLED]
		if !actor.Staff() {
			if o.Status == order.StatusPAID {
				return &ForbiddenError{Reason: "a paid order can only be cancelled by staff"}
			}
			from = []order.Status{order.StatusPENDING}
		}
		if err := moveOrder(ctx, tx, o, order.StatusCANCELLED, from); err != nil {
			return err
		}
		return restock(ctx, tx, o, actor.ID)
	})
}

// changeOrder runs change on order id, which the client must see (row
// rules: a customer finds only their own), in one transaction, and returns
// the order as it is afterwards.
func (s *Service) changeOrder(ctx context.Context, id int, change func(tx *ent.Tx, o *ent.Order) error) (*ent.Order, error) {
	return inTx(ctx, s, func(tx *ent.Tx) (*ent.Order, error) {
		o, err := tx.Order.Get(ctx, id)
		if err != nil {
			return nil, notFoundOr(err, "id", "order")
		}
		if err := change(tx, o); err != nil {
			return nil, err
		}
		return tx.Order.Get(ctx, o.ID)
	})
}

// moveOrder changes an order's status if it is still in one of the allowed
// ones: a single conditional UPDATE, so of two concurrent transitions only
// one wins and the other gets a *ConflictError.
func moveOrder(ctx context.Context, tx *ent.Tx, o *ent.Order, to order.Status, from []order.Status) error {
	if !slices.Contains(from, o.Status) {
		return &ConflictError{Reason: fmt.Sprintf("order %s is %s and cannot become %s", o.Number, o.Status, to)}
	}
	n, err := tx.Order.Update().Where(order.ID(o.ID), order.StatusIn(from...)).SetStatus(to).Save(ctx)
	if err != nil {
		return fmt.Errorf("move order %s to %s: %w", o.Number, to, err)
	}
	if n == 0 {
		return &ConflictError{Reason: fmt.Sprintf("order %s changed meanwhile and cannot become %s", o.Number, to)}
	}
	return nil
}

// restock returns the units of order o, just cancelled in tx, to stock in
// one UPDATE and records the movements (by actor).
func restock(ctx context.Context, tx *ent.Tx, o *ent.Order, actor int) error {
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
WHERE id IN (SELECT variant_id FROM order_lines WHERE order_id = %s)`, ph(), ph())
	if _, err := tx.ExecContext(ctx, query, o.ID, o.ID); err != nil {
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
	return nil
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
