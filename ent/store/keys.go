package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/review"
	"github.com/shopgraph/shopgraph/ent/variant"
)

// A product's sort and filter keys (min_price, rating_avg, in_stock) are
// copies of what its variants and reviews say. They are kept fresh by ent
// hooks that every client from Open and NewClient carries (keepProductKeys),
// not by each write path remembering to refresh them:
//
//   - a mutation of a variant (price, stock, product) or a review (rating,
//     product), or a stock movement, notes the products it touches;
//   - in a transaction, the notes are gathered and the keys of every
//     touched product refreshed by one statement just before COMMIT, so
//     the keys commit with the change, and a checkout of fifty lines costs
//     one refresh like a checkout of one;
//   - outside a transaction, the refresh follows the mutation at once.
//
// Stock movements count because the checkout and its cancellation change
// stock with SQL of their own that hooks never see; every stock change is
// recorded as a movement (through ent), and that record names the variant.
// A write that bypasses ent altogether (raw SQL, no movement) is not seen:
// it must call RefreshProductKeys itself.

// precomputedKey marks a context whose writes set the keys themselves.
type precomputedKey struct{}

// KeysPrecomputed returns a context whose writes do not refresh the product
// keys: for bulk loads that write the products with their keys already
// computed from the variants and reviews they insert (ent/seed's Scale),
// where a refresh would rewrite every product once more.
func KeysPrecomputed(ctx context.Context) context.Context {
	return context.WithValue(ctx, precomputedKey{}, true)
}

func keysPrecomputed(ctx context.Context) bool {
	v, _ := ctx.Value(precomputedKey{}).(bool)
	return v
}

// touched lists what a write changed that product keys derive from:
// products by ID, and variants and reviews (whose products are looked up
// when the keys are refreshed, so an update needs no query to learn them).
type touched struct {
	products, variants, reviews []int
}

func (t touched) empty() bool {
	return len(t.products) == 0 && len(t.variants) == 0 && len(t.reviews) == 0
}

func (t touched) plus(u touched) touched {
	return touched{
		products: append(slices.Clip(t.products), u.products...),
		variants: append(slices.Clip(t.variants), u.variants...),
		reviews:  append(slices.Clip(t.reviews), u.reviews...),
	}
}

// keepProductKeys installs the hooks on c.
func keepProductKeys(c *ent.Client) {
	c.Variant.Use(childHook(variant.Table, variant.FieldPrice, variant.FieldStock))
	c.Review.Use(childHook(review.Table, review.FieldRating))
	c.StockMovement.Use(movementHook)
}

// productChild is the mutation of a variant or a review: rows that belong
// to a product and feed its keys.
type productChild interface {
	ent.Mutation
	ProductID() (int, bool)
	IDs(context.Context) ([]int, error)
	Tx() (*ent.Tx, error)
	Client() *ent.Client
}

// childHook notes the products touched by a mutation of table's rows (the
// variants or reviews table) that creates or deletes rows, moves them to
// another product or changes one of the key fields.
func childHook(table string, keyFields ...string) ent.Hook {
	const productField = "product_id" // variant.FieldProductID, review.FieldProductID
	watched := append(slices.Clone(keyFields), productField)
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			c, ok := m.(productChild)
			if !ok {
				return nil, fmt.Errorf("product keys: unexpected mutation %T", m)
			}
			if keysPrecomputed(ctx) || !(m.Op().Is(ent.OpCreate|ent.OpDelete|ent.OpDeleteOne) || changes(m, watched)) {
				return next.Mutate(ctx, m)
			}
			var t touched
			if pid, ok := c.ProductID(); ok {
				t.products = append(t.products, pid)
			}
			if !m.Op().Is(ent.OpCreate) {
				// The rows are chosen before the mutation runs: an update's
				// predicates may no longer match afterwards, and deleted
				// or moved rows no longer name the product they left. A
				// bulk mutation's rows are found by a query, which the
				// client's interceptors (row rules) see like any other.
				ids, err := c.IDs(ctx)
				if err != nil {
					return nil, fmt.Errorf("product keys: rows of %s: %w", table, err)
				}
				if m.Op().Is(ent.OpDelete|ent.OpDeleteOne) || changes(m, []string{productField}) {
					products, err := productsOf(ctx, c.Client(), table, ids)
					if err != nil {
						return nil, err
					}
					t.products = append(t.products, products...)
				} else if table == variant.Table {
					t.variants = ids
				} else {
					t.reviews = ids
				}
			}
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return nil, err
			}
			if err := note(ctx, c, t); err != nil {
				return nil, err
			}
			return v, nil
		})
	}
}

// movementHook notes the variant of each stock movement recorded.
func movementHook(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		sm, ok := m.(*ent.StockMovementMutation)
		if !ok {
			return nil, fmt.Errorf("product keys: unexpected mutation %T", m)
		}
		v, err := next.Mutate(ctx, m)
		if err != nil || keysPrecomputed(ctx) || !m.Op().Is(ent.OpCreate) {
			return v, err
		}
		id, ok := sm.VariantID()
		if !ok {
			return v, nil
		}
		if err := note(ctx, sm, touched{variants: []int{id}}); err != nil {
			return nil, err
		}
		return v, nil
	})
}

// changes reports whether m sets, adds to or clears one of fields.
func changes(m ent.Mutation, fields []string) bool {
	for _, list := range [][]string{m.Fields(), m.AddedFields(), m.ClearedFields()} {
		for _, f := range list {
			if slices.Contains(fields, f) {
				return true
			}
		}
	}
	return false
}

// mutationTx is what note needs of a mutation.
type mutationTx interface {
	Tx() (*ent.Tx, error)
	Client() *ent.Client
}

// note refreshes the keys t touched before the mutation's transaction
// commits, or now if it runs in none.
func note(ctx context.Context, m mutationTx, t touched) error {
	if t.empty() {
		return nil
	}
	tx, err := m.Tx()
	if err != nil { // not in a transaction: the write is already committed
		return refreshTouched(ctx, m.Client(), t)
	}
	addCommitWork(tx, nil, t, pendingEvents{})
	return nil
}

// addCommitWork adds to what tx does when it commits: refresh the product
// keys t touched, send the events p (with em). Hooks wrap one another from
// the last added to the first: the work found right inside absorbs into
// this one, so however many mutations a transaction makes, one statement
// refreshes their products and one sends their events. (Keys and events
// share the one committer: two kinds added in turn would never be
// adjacent, and could not absorb.)
func addCommitWork(tx *ent.Tx, em *emitter, t touched, p pendingEvents) {
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		if inner, ok := next.(*commitWork); ok {
			if em == nil {
				em = inner.em
			}
			return &commitWork{next: inner.next, em: em, t: t.plus(inner.t), p: p.plus(inner.p)}
		}
		return &commitWork{next: next, em: em, t: t, p: p}
	})
}

// commitWork refreshes the keys of what its transaction touched and sends
// its events, then commits.
type commitWork struct {
	next ent.Committer
	em   *emitter // nil until an event is noted
	t    touched
	p    pendingEvents
}

func (w *commitWork) Commit(ctx context.Context, tx *ent.Tx) error {
	if !w.t.empty() {
		if err := refreshTouched(ctx, tx, w.t); err != nil {
			return err
		}
	}
	if w.em == nil || w.p.empty() {
		return w.next.Commit(ctx, tx)
	}
	return w.em.commit(ctx, tx, w.p, w.next)
}

// Execer runs a statement: an *ent.Client or an *ent.Tx.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// querier runs a query: an *ent.Client or an *ent.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// keysUpdate recomputes the keys of the products its WHERE clause keeps;
// this is what the keys are defined to be.
const keysUpdate = `UPDATE products SET
  min_price = COALESCE((SELECT MIN(v.price) FROM variants v WHERE v.product_id = products.id), 0),
  rating_avg = COALESCE((SELECT AVG(r.rating) FROM reviews r WHERE r.product_id = products.id), 0),
  in_stock = EXISTS (SELECT 1 FROM variants v WHERE v.product_id = products.id AND v.stock > 0)`

// inlineBatch caps the IDs inlined in one statement. IDs are integers,
// inlined rather than bound, which keeps any number of them under the
// databases' bind-parameter limits.
const inlineBatch = 5000

// RefreshProductKeys recomputes the denormalised sort and filter keys
// (min_price, rating_avg, in_stock) of the given products, or of all products
// when ids is empty. Writes through ent do not need it (the hooks above
// refresh what they touch); it is for data written around ent, and for
// checking that stored keys agree with their definition.
func RefreshProductKeys(ctx context.Context, db Execer, ids ...int) error {
	if len(ids) == 0 {
		if _, err := db.ExecContext(ctx, keysUpdate); err != nil {
			return fmt.Errorf("refresh product keys: %w", err)
		}
		return nil
	}
	return refreshTouched(ctx, db, touched{products: ids})
}

// refreshTouched refreshes the keys of the products t touched: one
// statement unless t lists more than inlineBatch IDs.
func refreshTouched(ctx context.Context, db Execer, t touched) error {
	var conds []string
	n := 0
	flush := func() error {
		if len(conds) == 0 {
			return nil
		}
		if _, err := db.ExecContext(ctx, keysUpdate+"\nWHERE "+strings.Join(conds, " OR ")); err != nil {
			return fmt.Errorf("refresh product keys: %w", err)
		}
		conds, n = conds[:0], 0
		return nil
	}
	kinds := []struct {
		ids    []int
		format string
	}{
		{t.products, "id IN (%s)"},
		{t.variants, "id IN (SELECT product_id FROM variants WHERE id IN (%s))"},
		{t.reviews, "id IN (SELECT product_id FROM reviews WHERE id IN (%s))"},
	}
	for _, k := range kinds {
		ids := unique(k.ids)
		for start := 0; start < len(ids); start += inlineBatch {
			if n >= inlineBatch {
				if err := flush(); err != nil {
					return err
				}
			}
			end := min(start+inlineBatch, len(ids))
			conds = append(conds, fmt.Sprintf(k.format, intList(ids[start:end])))
			n += end - start
		}
	}
	return flush()
}

// productsOf returns the products that rows ids of table (variants or
// reviews) belong to. It reads with raw SQL, so no query interceptor (row
// rules) hides a row the mutation is about to change.
func productsOf(ctx context.Context, db querier, table string, ids []int) ([]int, error) {
	var out []int
	ids = unique(ids)
	for start := 0; start < len(ids); start += inlineBatch {
		end := min(start+inlineBatch, len(ids))
		rows, err := db.QueryContext(ctx, fmt.Sprintf("SELECT DISTINCT product_id FROM %s WHERE id IN (%s)", table, intList(ids[start:end])))
		if err != nil {
			return nil, fmt.Errorf("product keys: products of %s: %w", table, err)
		}
		for rows.Next() {
			var id int
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("product keys: products of %s: %w", table, err)
			}
			out = append(out, id)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("product keys: products of %s: %w", table, err)
		}
	}
	return out, nil
}

// unique returns ids sorted, without repeats.
func unique(ids []int) []int {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// intList writes ids as a comma-separated SQL list.
func intList(ids []int) string {
	var sb strings.Builder
	for i, id := range ids {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprint(&sb, id)
	}
	return sb.String()
}
