package graph_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/order"
	"github.com/shopgraph/shopgraph/ent/product"
	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/ent/user"
)

// catalog builds `roots` root categories, each with one subcategory holding
// perRoot ACTIVE products; every product has 2 variants and 3 reviews by
// distinct authors. The shape is the same whatever the size, so statement
// counts can be compared across sizes.
func catalog(t testing.TB, client *ent.Client, roots, perRoot int) {
	t.Helper()
	ctx := context.Background()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	authors, err := client.User.CreateBulk(
		client.User.Create().SetEmail("a1@example.com").SetName("Author One"),
		client.User.Create().SetEmail("a2@example.com").SetName("Author Two"),
		client.User.Create().SetEmail("a3@example.com").SetName("Author Three"),
	).Save(ctx)
	if err != nil {
		t.Fatalf("create authors: %v", err)
	}
	var products []*ent.ProductCreate
	for r := 0; r < roots; r++ {
		root := client.Category.Create().SetName(fmt.Sprintf("Root %d", r)).SetSlug(fmt.Sprintf("root-%d", r)).SaveX(ctx)
		leaf := client.Category.Create().SetName(fmt.Sprintf("Leaf %d", r)).SetSlug(fmt.Sprintf("leaf-%d", r)).SetParentID(root.ID).SaveX(ctx)
		for i := 0; i < perRoot; i++ {
			n := r*perRoot + i
			products = append(products, client.Product.Create().
				SetSlug(fmt.Sprintf("p-%d", n)).
				SetTitle(fmt.Sprintf("Product %d", n)).
				SetStatus(product.StatusACTIVE).
				SetCategoryID(leaf.ID).
				SetCreatedAt(base.Add(time.Duration(n)*time.Minute)))
		}
	}
	created := bulk(t, ctx, products, func(b []*ent.ProductCreate) ([]*ent.Product, error) {
		return client.Product.CreateBulk(b...).Save(ctx)
	})
	var variants []*ent.VariantCreate
	var reviews []*ent.ReviewCreate
	for _, p := range created {
		for v := 0; v < 2; v++ {
			variants = append(variants, client.Variant.Create().
				SetProductID(p.ID).
				SetSku(fmt.Sprintf("SKU-%d-%d", p.ID, v)).
				SetTitle(fmt.Sprintf("Option %d", v)).
				SetPrice(int64(1000+p.ID%50*100+v*250)).
				SetCost(500).
				SetStock((p.ID+v)%4))
		}
		for a, author := range authors {
			reviews = append(reviews, client.Review.Create().
				SetProductID(p.ID).
				SetAuthorID(author.ID).
				SetRating(1+(p.ID+a)%5).
				SetTitle("Review").
				SetCreatedAt(base.Add(time.Duration(p.ID*3+a)*time.Second)))
		}
	}
	bulk(t, ctx, variants, func(b []*ent.VariantCreate) ([]*ent.Variant, error) {
		return client.Variant.CreateBulk(b...).Save(ctx)
	})
	bulk(t, ctx, reviews, func(b []*ent.ReviewCreate) ([]*ent.Review, error) {
		return client.Review.CreateBulk(b...).Save(ctx)
	})
	if err := store.RefreshProductKeys(ctx, client); err != nil {
		t.Fatal(err)
	}
}

// orders builds `customers` customers with perCustomer orders of 2 lines
// each, over the variants catalog created.
func orders(t testing.TB, client *ent.Client, customers, perCustomer int) {
	t.Helper()
	ctx := context.Background()
	variants := client.Variant.Query().Limit(50).AllX(ctx)
	if len(variants) < 2 {
		t.Fatal("orders needs a catalog")
	}
	var users []*ent.UserCreate
	for c := 0; c < customers; c++ {
		users = append(users, client.User.Create().SetEmail(fmt.Sprintf("c%d@example.com", c)).SetName(fmt.Sprintf("Customer %d", c)).SetRole(user.RoleCUSTOMER))
	}
	custs := bulk(t, ctx, users, func(b []*ent.UserCreate) ([]*ent.User, error) { return client.User.CreateBulk(b...).Save(ctx) })
	var os []*ent.OrderCreate
	n := 0
	for _, c := range custs {
		for i := 0; i < perCustomer; i++ {
			n++
			os = append(os, client.Order.Create().SetNumber(fmt.Sprintf("T-%06d", n)).SetCustomerID(c.ID).SetStatus(order.StatusPAID))
		}
	}
	created := bulk(t, ctx, os, func(b []*ent.OrderCreate) ([]*ent.Order, error) { return client.Order.CreateBulk(b...).Save(ctx) })
	var lines []*ent.OrderLineCreate
	for i, o := range created {
		for l := 0; l < 2; l++ {
			v := variants[(i*2+l)%len(variants)]
			lines = append(lines, client.OrderLine.Create().SetOrderID(o.ID).SetVariantID(v.ID).SetQuantity(1+l).SetUnitPrice(v.Price))
		}
	}
	bulk(t, ctx, lines, func(b []*ent.OrderLineCreate) ([]*ent.OrderLine, error) {
		return client.OrderLine.CreateBulk(b...).Save(ctx)
	})
}

// bulk saves builders in chunks that stay under bind-parameter limits.
func bulk[B any, T any](t testing.TB, ctx context.Context, builders []B, save func([]B) ([]T, error)) []T {
	t.Helper()
	var out []T
	for start := 0; start < len(builders); start += 1000 {
		rows, err := save(builders[start:min(start+1000, len(builders))])
		if err != nil {
			t.Fatalf("bulk insert: %v", err)
		}
		out = append(out, rows...)
	}
	return out
}
