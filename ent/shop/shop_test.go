package shop_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/order"
	"github.com/shopgraph/shopgraph/ent/product"
	"github.com/shopgraph/shopgraph/ent/shop"
	"github.com/shopgraph/shopgraph/ent/stockmovement"
	"github.com/shopgraph/shopgraph/ent/store/storetest"
	"github.com/shopgraph/shopgraph/ent/user"
)

// These tests call the shop directly, with no HTTP or GraphQL in between,
// on every dialect; they assert counts and states, never times.

// fixture is a small shop: a customer, an admin and one ACTIVE product in
// a category, with variants made by variant.
type fixture struct {
	t        *testing.T
	client   *ent.Client
	shop     *shop.Service
	customer *ent.User
	admin    *ent.User
	product  *ent.Product
	n        int
}

func eachDialect(t *testing.T, fn func(t *testing.T, f *fixture)) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			st := storetest.Open(t, d, nil)
			fn(t, newFixture(t, st.Client))
		})
	}
}

func newFixture(t *testing.T, c *ent.Client) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{t: t, client: c, shop: shop.New(c)}
	f.customer = c.User.Create().SetEmail("casey@example.com").SetName("Casey").SaveX(ctx)
	f.admin = c.User.Create().SetEmail("ada@example.com").SetName("Ada").SetRole(user.RoleADMIN).SaveX(ctx)
	cat := c.Category.Create().SetName("Garden").SetSlug("garden").SaveX(ctx)
	f.product = c.Product.Create().SetSlug("hose").SetTitle("Hose").SetCategoryID(cat.ID).SetStatus(product.StatusACTIVE).SaveX(ctx)
	return f
}

// variant adds a variant of the fixture's product with stock units at price.
func (f *fixture) variant(stock int, price int64) *ent.Variant {
	f.t.Helper()
	f.n++
	return f.client.Variant.Create().SetProductID(f.product.ID).
		SetSku(fmt.Sprintf("SKU-%d", f.n)).SetTitle("V").SetPrice(price).SetStock(stock).
		SaveX(context.Background())
}

func (f *fixture) stock(v *ent.Variant) int {
	f.t.Helper()
	return f.client.Variant.GetX(context.Background(), v.ID).Stock
}

func (f *fixture) count(what string, n func(context.Context) (int, error)) int {
	f.t.Helper()
	got, err := n(context.Background())
	if err != nil {
		f.t.Fatalf("count %s: %v", what, err)
	}
	return got
}

func (f *fixture) orders() int    { return f.count("orders", f.client.Order.Query().Count) }
func (f *fixture) movements() int { return f.count("movements", f.client.StockMovement.Query().Count) }

func TestPlaceOrder(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		a, b := f.variant(5, 300), f.variant(2, 200)

		t.Run("ReservesStock", func(t *testing.T) {
			o, err := f.shop.PlaceOrder(ctx, f.customer.ID, []shop.Line{{a.ID, 2}, {b.ID, 1}, {a.ID, 1}}, "")
			if err != nil {
				t.Fatalf("place order: %v", err)
			}
			if o.Status != order.StatusPENDING || o.Number != fmt.Sprintf("SG-%06d", o.ID) {
				t.Errorf("got order %s %s, want PENDING SG-%06d", o.Number, o.Status, o.ID)
			}
			if got := [2]int{f.stock(a), f.stock(b)}; got != [2]int{2, 1} {
				t.Errorf("got stock %v, want [2 1]", got)
			}
			lines := f.client.OrderLine.Query().AllX(ctx)
			if len(lines) != 2 {
				t.Fatalf("got %d lines, want 2 (one per variant)", len(lines))
			}
			for _, l := range lines {
				if want := map[int]int{a.ID: 3, b.ID: 1}[l.VariantID]; l.Quantity != want {
					t.Errorf("line of variant %d: got quantity %d, want %d", l.VariantID, l.Quantity, want)
				}
			}
			if got := f.client.StockMovement.Query().Where(stockmovement.OrderID(o.ID)).CountX(ctx); got != 2 {
				t.Errorf("got %d stock movements, want 2", got)
			}
		})

		t.Run("ShortfallChangesNothing", func(t *testing.T) {
			orders, moves, stockA, stockB := f.orders(), f.movements(), f.stock(a), f.stock(b)
			_, err := f.shop.PlaceOrder(ctx, f.customer.ID, []shop.Line{{a.ID, 1}, {b.ID, 5}}, "")
			var se *shop.StockError
			if !errors.As(err, &se) {
				t.Fatalf("got %v, want a *shop.StockError", err)
			}
			want := []shop.Shortage{{VariantID: b.ID, Requested: 5, Available: stockB}}
			if fmt.Sprint(se.Short) != fmt.Sprint(want) {
				t.Errorf("got shortages %+v, want %+v", se.Short, want)
			}
			if f.orders() != orders || f.movements() != moves || f.stock(a) != stockA || f.stock(b) != stockB {
				t.Errorf("got orders %d, movements %d, stock %d/%d; want %d, %d, %d/%d: unchanged",
					f.orders(), f.movements(), f.stock(a), f.stock(b), orders, moves, stockA, stockB)
			}
		})

		t.Run("UnavailableIsNotFound", func(t *testing.T) {
			_, err := f.shop.PlaceOrder(ctx, f.customer.ID, []shop.Line{{a.ID, 1}, {999999, 1}}, "")
			var nf *shop.NotFoundError
			if !errors.As(err, &nf) || nf.Field != "lines[1].variantId" {
				t.Fatalf("got %v, want a *shop.NotFoundError on lines[1].variantId", err)
			}
		})
	})
}

// TestCheckoutNeverOversells: twenty checkouts for one unit each of a
// variant with five: exactly five succeed, and the ledger agrees.
func TestCheckoutNeverOversells(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		v := f.variant(5, 100)
		const buyers = 20
		var (
			wg            sync.WaitGroup
			mu            sync.Mutex
			placed, short int
			otherFailures []error
		)
		for range buyers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.shop.PlaceOrder(ctx, f.customer.ID, []shop.Line{{v.ID, 1}}, "")
				var se *shop.StockError
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					placed++
				case errors.As(err, &se):
					short++
				default:
					otherFailures = append(otherFailures, err)
				}
			}()
		}
		wg.Wait()
		if len(otherFailures) > 0 {
			t.Fatalf("got %d unexpected failures, first: %v", len(otherFailures), otherFailures[0])
		}
		if placed != 5 || short != buyers-5 {
			t.Errorf("got %d placed and %d short, want 5 and %d", placed, short, buyers-5)
		}
		if got := f.stock(v); got != 0 {
			t.Errorf("got stock %d, want 0", got)
		}
		if got := f.client.StockMovement.Query().Where(stockmovement.VariantID(v.ID), stockmovement.OrderIDNotNil()).CountX(ctx); got != 5 {
			t.Errorf("got %d order stock movements, want 5", got)
		}
		if got := f.orders(); got != 5 {
			t.Errorf("got %d orders, want 5", got)
		}
		if p := f.client.Product.GetX(ctx, f.product.ID); p.InStock {
			t.Errorf("got in_stock true, want false: the last units are sold")
		}
	})
}

func TestCancelOrder(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		v := f.variant(4, 100)
		customer := shop.Actor{ID: f.customer.ID, Role: user.RoleCUSTOMER}

		t.Run("Restocks", func(t *testing.T) {
			o, err := f.shop.PlaceOrder(ctx, f.customer.ID, []shop.Line{{v.ID, 3}}, "")
			if err != nil {
				t.Fatal(err)
			}
			got, err := f.shop.CancelOrder(ctx, customer, o.ID)
			if err != nil {
				t.Fatalf("cancel: %v", err)
			}
			if got.Status != order.StatusCANCELLED {
				t.Errorf("got status %s, want CANCELLED", got.Status)
			}
			if s := f.stock(v); s != 4 {
				t.Errorf("got stock %d, want 4 (restocked)", s)
			}
			if n := f.client.StockMovement.Query().Where(stockmovement.OrderID(o.ID)).CountX(ctx); n != 2 {
				t.Errorf("got %d movements for the order, want 2 (taken, returned)", n)
			}
			_, err = f.shop.CancelOrder(ctx, customer, o.ID)
			var conflict *shop.ConflictError
			if !errors.As(err, &conflict) {
				t.Errorf("cancel twice: got %v, want a *shop.ConflictError", err)
			}
			if s := f.stock(v); s != 4 {
				t.Errorf("got stock %d after a second cancel, want 4 (returned once)", s)
			}
		})

		t.Run("ErrPaidNeedsStaff", func(t *testing.T) {
			o, err := f.shop.PlaceOrder(ctx, f.customer.ID, []shop.Line{{v.ID, 1}}, "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.shop.SetOrderStatus(ctx, o.ID, order.StatusPAID); err != nil {
				t.Fatal(err)
			}
			_, err = f.shop.CancelOrder(ctx, customer, o.ID)
			var denied *shop.ForbiddenError
			if !errors.As(err, &denied) {
				t.Fatalf("got %v, want a *shop.ForbiddenError", err)
			}
			if _, err := f.shop.CancelOrder(ctx, shop.Actor{ID: f.admin.ID, Role: user.RoleADMIN}, o.ID); err != nil {
				t.Fatalf("staff cancel: %v", err)
			}
			if s := f.stock(v); s != 4 {
				t.Errorf("got stock %d, want 4", s)
			}
		})
	})
}

func TestSetUserRole(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		t.Run("ErrLastAdmin", func(t *testing.T) {
			_, err := f.shop.SetUserRole(ctx, f.admin.ID, user.RoleSTAFF)
			var conflict *shop.ConflictError
			if !errors.As(err, &conflict) {
				t.Fatalf("got %v, want a *shop.ConflictError", err)
			}
			if got := f.client.User.GetX(ctx, f.admin.ID).Role; got != user.RoleADMIN {
				t.Errorf("got role %s, want ADMIN", got)
			}
		})
		t.Run("ConcurrentDemotionsLeaveOne", func(t *testing.T) {
			other, err := f.shop.SetUserRole(ctx, f.customer.ID, user.RoleADMIN)
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, id := range []int{f.admin.ID, other.ID} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = f.shop.SetUserRole(ctx, id, user.RoleCUSTOMER)
				}()
			}
			wg.Wait()
			ok := 0
			for _, err := range errs {
				var conflict *shop.ConflictError
				switch {
				case err == nil:
					ok++
				case !errors.As(err, &conflict):
					t.Errorf("got %v, want success or a *shop.ConflictError", err)
				}
			}
			admins := f.client.User.Query().Where(user.RoleEQ(user.RoleADMIN)).CountX(ctx)
			if ok != 1 || admins != 1 {
				t.Errorf("got %d demotions and %d admins, want 1 and 1", ok, admins)
			}
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := f.shop.SetUserRole(ctx, 999999, user.RoleSTAFF)
			var nf *shop.NotFoundError
			if !errors.As(err, &nf) || nf.Field != "" || nf.What != "user" {
				t.Errorf("got %v, want a *shop.NotFoundError for the user", err)
			}
		})
	})
}

func TestMoveCategory(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		top, err := f.shop.CreateCategory(ctx, shop.NewCategory{Name: "Top", Slug: "top"})
		if err != nil {
			t.Fatal(err)
		}
		mid, err := f.shop.CreateCategory(ctx, shop.NewCategory{Name: "Mid", Slug: "mid", ParentID: &top.ID})
		if err != nil {
			t.Fatal(err)
		}
		low, err := f.shop.CreateCategory(ctx, shop.NewCategory{Name: "Low", Slug: "low", ParentID: &mid.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name   string
			parent int
		}{
			{"ErrBelowItself", top.ID},
			{"ErrBelowChild", mid.ID},
			{"ErrBelowGrandchild", low.ID},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := f.shop.MoveCategory(ctx, top.ID, &tc.parent)
				var invalid *shop.InvalidError
				if !errors.As(err, &invalid) || invalid.Field != "parentId" {
					t.Fatalf("got %v, want a *shop.InvalidError on parentId", err)
				}
				if got := f.client.Category.GetX(ctx, top.ID).ParentID; got != nil {
					t.Errorf("got parent %d, want none (unchanged)", *got)
				}
			})
		}
		t.Run("MovesToTop", func(t *testing.T) {
			c, err := f.shop.MoveCategory(ctx, low.ID, nil)
			if err != nil {
				t.Fatal(err)
			}
			if c.ParentID != nil {
				t.Errorf("got parent %d, want none", *c.ParentID)
			}
		})
		t.Run("ErrSlugTaken", func(t *testing.T) {
			_, err := f.shop.CreateCategory(ctx, shop.NewCategory{Name: "Again", Slug: "top"})
			var conflict *shop.ConflictError
			if !errors.As(err, &conflict) || conflict.Field != "slug" {
				t.Errorf("got %v, want a *shop.ConflictError on slug", err)
			}
		})
	})
}

func TestAdjustStock(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		v := f.variant(2, 100)
		got, err := f.shop.AdjustStock(ctx, f.admin.ID, v.ID, 3, "delivery")
		if err != nil {
			t.Fatal(err)
		}
		if got.Stock != 5 {
			t.Errorf("got stock %d, want 5", got.Stock)
		}
		_, err = f.shop.AdjustStock(ctx, f.admin.ID, v.ID, -6, "loss")
		var negative *shop.NegativeStockError
		if !errors.As(err, &negative) || negative.OnHand != 5 {
			t.Fatalf("got %v, want a *shop.NegativeStockError with 5 on hand", err)
		}
		if f.stock(v) != 5 || f.movements() != 1 {
			t.Errorf("got stock %d and %d movements, want 5 and 1", f.stock(v), f.movements())
		}
		_, err = f.shop.AdjustStock(ctx, f.admin.ID, 999999, 1, "delivery")
		var nf *shop.NotFoundError
		if !errors.As(err, &nf) || nf.Field != "variantId" {
			t.Errorf("got %v, want a *shop.NotFoundError on variantId", err)
		}
	})
}
