package shop_test

import (
	"context"
	"errors"
	"testing"

	"github.com/shopgraph/shopgraph/ent/shop"
	"github.com/shopgraph/shopgraph/ent/user"
)

// TestWeakPasswordsRefused: sign-up and password change refuse passwords
// an attacker guesses early, the account's own email and name included,
// and write nothing; strong ones pass.
func TestWeakPasswordsRefused(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		weak := []string{"12345678", "password", "password1", "qwertyuiop", "jordan.baker@example.com", "jordanbaker", "iloveyou2", "aaaaaaaaaaaa"}
		for _, pw := range weak {
			_, err := f.shop.SignUp(ctx, shop.SignUp{Email: "jordan.baker@example.com", Name: "Jordan Baker", Password: pw})
			var invalid *shop.InvalidError
			if !errors.As(err, &invalid) || invalid.Field != "password" {
				t.Errorf("sign-up with %q: got %v, want an InvalidError on password", pw, err)
			}
		}
		if n := f.client.User.Query().Where(user.Email("jordan.baker@example.com")).CountX(ctx); n != 0 {
			t.Fatalf("weak sign-ups created %d accounts", n)
		}
		u, err := f.shop.SignUp(ctx, shop.SignUp{Email: "jordan.baker@example.com", Name: "Jordan Baker", Password: "correct horse battery"})
		if err != nil {
			t.Fatalf("a strong password: got %v", err)
		}
		before := f.client.User.GetX(ctx, u.ID).PasswordHash
		_, err = f.shop.ChangePassword(ctx, u.ID, "correct horse battery", "jordanbaker1")
		var invalid *shop.InvalidError
		if !errors.As(err, &invalid) || invalid.Field != "newPassword" {
			t.Fatalf("change to a weak password: got %v, want an InvalidError on newPassword", err)
		}
		if after := f.client.User.GetX(ctx, u.ID).PasswordHash; after != before {
			t.Fatal("a refused password change changed the hash")
		}
	})
}

// BenchmarkPasswordStrength is the estimator's CPU per sign-up, for a
// typical passphrase and for the longest password accepted.
func BenchmarkPasswordStrength(b *testing.B) {
	for _, pw := range []string{"correct horse battery", "x9!LqaB3$kP0@zW8&mN2#vC7%tR5^yH1*uJ4(iK6)oLpQ9-sD3+fG5=hJ7~kL1" + "x9!LqaB3$kP0@zW8&mN2#vC7%tR5^yH1*uJ4(iK6)oLpQ9-sD3+fG5=hJ7~kL1"[:4]} {
		b.Run(pw[:5], func(b *testing.B) {
			for b.Loop() {
				shop.PasswordStrong(pw, "jordan.baker@example.com", "Jordan Baker")
			}
		})
	}
}
