package shop_test

import (
	"context"
	"errors"
	"testing"

	"github.com/shopgraph/shopgraph/ent/order"
	"github.com/shopgraph/shopgraph/ent/shop"
	"github.com/shopgraph/shopgraph/ent/user"
)

func TestReviews(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		v := f.variant(3, 100)
		in := shop.NewReview{ProductID: f.product.ID, Rating: 4, Title: "Good"}

		t.Run("ErrNotBought", func(t *testing.T) {
			_, err := f.shop.CreateReview(ctx, f.customer.ID, in)
			var denied *shop.ForbiddenError
			if !errors.As(err, &denied) {
				t.Fatalf("got %v, want a *shop.ForbiddenError", err)
			}
		})
		o, err := f.shop.PlaceOrder(ctx, f.customer.ID, []shop.Line{{v.ID, 1}}, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.shop.SetOrderStatus(ctx, o.ID, order.StatusPAID); err != nil {
			t.Fatal(err)
		}
		rev, err := f.shop.CreateReview(ctx, f.customer.ID, in)
		if err != nil {
			t.Fatalf("review after a paid order: %v", err)
		}
		if got := f.client.Product.GetX(ctx, f.product.ID).RatingAvg; got != 4 {
			t.Errorf("got rating_avg %v, want 4", got)
		}
		t.Run("ErrSecondReview", func(t *testing.T) {
			_, err := f.shop.CreateReview(ctx, f.customer.ID, in)
			var conflict *shop.ConflictError
			if !errors.As(err, &conflict) || conflict.Field != "productId" {
				t.Fatalf("got %v, want a *shop.ConflictError on productId", err)
			}
		})
		t.Run("ErrNotTheAuthor", func(t *testing.T) {
			_, err := f.shop.DeleteReview(ctx, shop.Actor{ID: f.admin.ID + 1000, Role: user.RoleCUSTOMER}, rev.ID)
			var denied *shop.ForbiddenError
			if !errors.As(err, &denied) {
				t.Fatalf("got %v, want a *shop.ForbiddenError", err)
			}
		})
		t.Run("DeleteShowsFreshKeys", func(t *testing.T) {
			p, err := f.shop.DeleteReview(ctx, shop.Actor{ID: f.customer.ID, Role: user.RoleCUSTOMER}, rev.ID)
			if err != nil {
				t.Fatal(err)
			}
			if p.ID != f.product.ID || p.RatingAvg != 0 {
				t.Errorf("got product %d with rating_avg %v, want %d with 0", p.ID, p.RatingAvg, f.product.ID)
			}
		})
	})
}

func TestAccounts(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		u, err := f.shop.SignUp(ctx, shop.SignUp{Email: " New@Example.com ", Name: " New ", Password: "correct horse"})
		if err != nil {
			t.Fatal(err)
		}
		if u.Email != "new@example.com" || u.Name != "New" || u.Role != user.RoleCUSTOMER {
			t.Errorf("got %q %q %s, want new@example.com New CUSTOMER", u.Email, u.Name, u.Role)
		}
		t.Run("ErrEmailTaken", func(t *testing.T) {
			_, err := f.shop.SignUp(ctx, shop.SignUp{Email: "NEW@example.com", Name: "Again", Password: "correct horse"})
			var conflict *shop.ConflictError
			if !errors.As(err, &conflict) || conflict.Field != "email" {
				t.Fatalf("got %v, want a *shop.ConflictError on email", err)
			}
		})
		t.Run("SignIn", func(t *testing.T) {
			got, err := f.shop.SignIn(ctx, "new@EXAMPLE.com", "correct horse")
			if err != nil || got.ID != u.ID {
				t.Fatalf("got %v, %v; want user %d", got, err, u.ID)
			}
			for _, tc := range []struct{ name, email, password string }{
				{"ErrWrongPassword", "new@example.com", "wrong horse"},
				{"ErrUnknownEmail", "nobody@example.com", "correct horse"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					if _, err := f.shop.SignIn(ctx, tc.email, tc.password); !errors.Is(err, shop.ErrBadCredentials) {
						t.Errorf("got %v, want ErrBadCredentials", err)
					}
				})
			}
		})
		t.Run("ErrWrongCurrentPassword", func(t *testing.T) {
			_, err := f.shop.ChangePassword(ctx, u.ID, "wrong horse", "battery staple")
			var invalid *shop.InvalidError
			if !errors.As(err, &invalid) || invalid.Field != "currentPassword" {
				t.Fatalf("got %v, want a *shop.InvalidError on currentPassword", err)
			}
		})
	})
}
