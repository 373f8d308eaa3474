package store_test

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/product"
	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/ent/store/storetest"
	"github.com/shopgraph/shopgraph/ent/variant"
)

// keys are a product's stored sort keys.
type keys struct {
	MinPrice  int64
	RatingAvg float64
	InStock   bool
}

// TestProductKeysFollowPlainEntWrites: writes of variants and reviews made
// with plain ent calls (no shop, no store function) refresh the keys of
// the products they touch, in their transaction, with one statement per
// transaction however many rows it writes.
func TestProductKeysFollowPlainEntWrites(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			counter := &refreshCounter{}
			st := storetest.Open(t, d, counter.wrap)
			c := st.Client
			ctx := context.Background()
			buyer := c.User.Create().SetEmail("b@example.com").SetName("B").SaveX(ctx)
			other := c.User.Create().SetEmail("o@example.com").SetName("O").SaveX(ctx)
			cat := c.Category.Create().SetName("C").SetSlug("c").SaveX(ctx)
			p := c.Product.Create().SetSlug("p").SetTitle("P").SetCategoryID(cat.ID).SetStatus(product.StatusACTIVE).SaveX(ctx)
			q := c.Product.Create().SetSlug("q").SetTitle("Q").SetCategoryID(cat.ID).SaveX(ctx)

			// inTx runs fn in a transaction and returns the refreshes it sent.
			inTx := func(t *testing.T, fn func(tx *ent.Tx)) int {
				t.Helper()
				tx, err := c.Tx(ctx)
				if err != nil {
					t.Fatal(err)
				}
				counter.reset()
				fn(tx)
				if err := tx.Commit(); err != nil {
					t.Fatalf("commit: %v", err)
				}
				return counter.count()
			}
			check := func(t *testing.T, p *ent.Product, want keys) {
				t.Helper()
				got := c.Product.GetX(ctx, p.ID)
				if k := (keys{got.MinPrice, got.RatingAvg, got.InStock}); k != want {
					t.Errorf("product %s: got keys %+v, want %+v", got.Slug, k, want)
				}
			}
			var v1, v2 *ent.Variant

			t.Run("CreateVariants", func(t *testing.T) {
				n := inTx(t, func(tx *ent.Tx) {
					v1 = tx.Variant.Create().SetProductID(p.ID).SetSku("A").SetTitle("A").SetPrice(500).SaveX(ctx)
					v2 = tx.Variant.CreateBulk(
						tx.Variant.Create().SetProductID(p.ID).SetSku("B").SetTitle("B").SetPrice(700).SetStock(2),
						tx.Variant.Create().SetProductID(q.ID).SetSku("C").SetTitle("C").SetPrice(90),
					).SaveX(ctx)[0]
				})
				if n != 1 {
					t.Errorf("got %d refreshes, want 1 for the transaction", n)
				}
				check(t, p, keys{MinPrice: 500, InStock: true})
				check(t, q, keys{MinPrice: 90})
			})
			t.Run("UpdatePriceAndStock", func(t *testing.T) {
				inTx(t, func(tx *ent.Tx) {
					tx.Variant.UpdateOneID(v1.ID).SetPrice(300).SetStock(1).ExecX(ctx)
					tx.Variant.Update().Where(variant.ID(v2.ID)).SetStock(0).ExecX(ctx)
				})
				check(t, p, keys{MinPrice: 300, InStock: true})
			})
			t.Run("TitleOnlyRefreshesNothing", func(t *testing.T) {
				if n := inTx(t, func(tx *ent.Tx) { tx.Variant.UpdateOneID(v1.ID).SetTitle("A2").ExecX(ctx) }); n != 0 {
					t.Errorf("got %d refreshes, want 0", n)
				}
			})
			t.Run("StockMovement", func(t *testing.T) {
				// The checkout changes stock with its own SQL and records a
				// movement through ent: the movement refreshes the keys.
				inTx(t, func(tx *ent.Tx) {
					if _, err := tx.ExecContext(ctx, "UPDATE variants SET stock = 0"); err != nil {
						t.Fatal(err)
					}
					tx.StockMovement.Create().SetVariantID(v1.ID).SetDelta(-1).SetReason("sold").SaveX(ctx)
				})
				check(t, p, keys{MinPrice: 300, InStock: false})
			})
			var r1 *ent.Review
			t.Run("Reviews", func(t *testing.T) {
				inTx(t, func(tx *ent.Tx) {
					r1 = tx.Review.Create().SetProductID(p.ID).SetAuthorID(buyer.ID).SetRating(5).SaveX(ctx)
					tx.Review.Create().SetProductID(p.ID).SetAuthorID(other.ID).SetRating(2).SaveX(ctx)
				})
				check(t, p, keys{MinPrice: 300, RatingAvg: 3.5})
				inTx(t, func(tx *ent.Tx) { tx.Review.UpdateOneID(r1.ID).SetRating(4).ExecX(ctx) })
				check(t, p, keys{MinPrice: 300, RatingAvg: 3})
				inTx(t, func(tx *ent.Tx) { tx.Review.DeleteOneID(r1.ID).ExecX(ctx) })
				check(t, p, keys{MinPrice: 300, RatingAvg: 2})
			})
			t.Run("MoveVariant", func(t *testing.T) {
				inTx(t, func(tx *ent.Tx) { tx.Variant.UpdateOneID(v1.ID).SetProductID(q.ID).ExecX(ctx) })
				check(t, p, keys{MinPrice: 700, RatingAvg: 2})
				check(t, q, keys{MinPrice: 90})
			})
			t.Run("DeleteVariants", func(t *testing.T) {
				inTx(t, func(tx *ent.Tx) {
					tx.Variant.Create().SetProductID(q.ID).SetSku("D").SetTitle("D").SetPrice(50).ExecX(ctx)
				})
				check(t, q, keys{MinPrice: 50})
				inTx(t, func(tx *ent.Tx) { tx.Variant.Delete().Where(variant.Sku("D")).ExecX(ctx) })
				check(t, q, keys{MinPrice: 90})
			})
			t.Run("RollbackRefreshesNothing", func(t *testing.T) {
				tx, err := c.Tx(ctx)
				if err != nil {
					t.Fatal(err)
				}
				counter.reset()
				tx.Variant.UpdateOneID(v2.ID).SetPrice(1).ExecX(ctx)
				if err := tx.Rollback(); err != nil {
					t.Fatal(err)
				}
				if n := counter.count(); n != 0 {
					t.Errorf("got %d refreshes, want 0", n)
				}
				check(t, p, keys{MinPrice: 700, RatingAvg: 2})
			})
			t.Run("OutsideTransaction", func(t *testing.T) {
				c.Variant.UpdateOneID(v2.ID).SetStock(4).ExecX(ctx)
				check(t, p, keys{MinPrice: 700, RatingAvg: 2, InStock: true})
			})
			t.Run("KeysPrecomputed", func(t *testing.T) {
				counter.reset()
				c.Variant.UpdateOneID(v2.ID).SetPrice(800).ExecX(store.KeysPrecomputed(ctx))
				if n := counter.count(); n != 0 {
					t.Errorf("got %d refreshes, want 0", n)
				}
				check(t, p, keys{MinPrice: 700, RatingAvg: 2, InStock: true})
			})
		})
	}
}

// refreshCounter is a driver that counts the key refreshes sent through
// it, in transactions too (raw statements: ent's execquery feature).
type refreshCounter struct {
	dialect.Driver
	mu sync.Mutex
	n  int
}

type execQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (c *refreshCounter) wrap(d dialect.Driver) dialect.Driver {
	c.Driver = d
	return c
}

func (c *refreshCounter) seen(query string) {
	if strings.HasPrefix(query, "UPDATE products SET\n  min_price") {
		c.mu.Lock()
		c.n++
		c.mu.Unlock()
	}
}

func (c *refreshCounter) reset() { c.mu.Lock(); c.n = 0; c.mu.Unlock() }

func (c *refreshCounter) count() int { c.mu.Lock(); defer c.mu.Unlock(); return c.n }

func (c *refreshCounter) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	c.seen(query)
	return c.Driver.(execQuerier).ExecContext(ctx, query, args...)
}

func (c *refreshCounter) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.Driver.(execQuerier).QueryContext(ctx, query, args...)
}

func (c *refreshCounter) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := c.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &countedTx{Tx: tx, c: c}, nil
}

type countedTx struct {
	dialect.Tx
	c *refreshCounter
}

func (t *countedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	t.c.seen(query)
	return t.Tx.(execQuerier).ExecContext(ctx, query, args...)
}

func (t *countedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.Tx.(execQuerier).QueryContext(ctx, query, args...)
}
