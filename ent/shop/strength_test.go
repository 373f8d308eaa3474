package shop_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/shopgraph/shopgraph/ent/shop"
	"github.com/shopgraph/shopgraph/ent/user"
)

// The account every strength test signs up, or tries to.
const (
	strengthEmail = "jordan.baker@example.com"
	strengthName  = "Jordan Baker"
)

// TestWeakPasswordsRefused: sign-up refuses passwords an attacker guesses
// early, the account's own email and name included, with a reason that
// says why, and writes nothing; strong ones pass.
func TestWeakPasswordsRefused(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		for _, tc := range []struct {
			name, email, fullName, password string
			because                         string // in the reason
		}{
			{name: "TopTenPassword", password: "12345678", because: "top-10 common password"},
			{name: "Password", password: "password", because: "top-10 common password"},
			{name: "PasswordOne", password: "password1", because: "very common password"},
			{name: "KeyboardRow", password: "qwertyuiop", because: "common password"},
			{name: "KeyboardWalk", password: "zxcvbnm,./", because: "straight rows of keys"},
			{name: "Sequence", password: "abcdefghijk", because: "sequences like abc"},
			{name: "Repeat", password: "aaaaaaaaaaaa", because: `repeats like "aaa"`},
			{name: "Date", password: "1987-04-12", because: "dates are often easy to guess"},
			{name: "OwnEmail", password: strengthEmail, because: "your email or name"},
			{name: "OwnEmailUpperCase", password: strings.ToUpper(strengthEmail), because: "your email or name"},
			{name: "NameRepeated", password: strengthName + strengthName, because: "your email or name"},
			{name: "NameJoined", password: "jordanbaker", because: "your email or name"},
			// The words of the email's local part count one by one, so
			// they cannot be reordered into a password either.
			{name: "EmailWordsReordered", email: "xqzorin.vamplethorpe@example.com", fullName: "X. V.",
				password: "vamplethorpexqzorin", because: "your email or name"},
			// Only the first 32 characters are scored, and the reason says so.
			{name: "WeakPrefix", password: "passwordpasswordpasswordpassword" + "-kV9#qL2@xW7", because: "Only the first 32 characters are scored"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				email, name := strengthEmail, strengthName
				if tc.email != "" {
					email, name = tc.email, tc.fullName
				}
				_, err := f.shop.SignUp(ctx, shop.SignUp{Email: email, Name: name, Password: tc.password})
				var invalid *shop.InvalidError
				if !errors.As(err, &invalid) || invalid.Field != "password" {
					t.Fatalf("got %v, want an InvalidError on password", err)
				}
				if !strings.Contains(invalid.Reason, tc.because) {
					t.Errorf("got reason %q, want one saying %q", invalid.Reason, tc.because)
				}
				if n := f.client.User.Query().Where(user.Email(email)).CountX(ctx); n != 0 {
					t.Errorf("got %d accounts, want none: a refused sign-up writes nothing", n)
				}
			})
		}

		for i, pw := range []string{
			"correct horse battery",
			"mauve tractor lullaby",
			// 34 characters, 61 bytes: byte 32 falls inside a character,
			// so a prefix counted in bytes would be invalid UTF-8, which
			// zxcvbn scores 0.
			"мой кот любит зелёный чай по утрам",
			// Longer than the scored prefix, strong within it.
			"correct horse battery staple and then some more words",
		} {
			t.Run("Strong/"+pw, func(t *testing.T) {
				email := "strong" + string(rune('a'+i)) + "@example.com"
				if _, err := f.shop.SignUp(ctx, shop.SignUp{Email: email, Name: strengthName, Password: pw}); err != nil {
					t.Fatalf("got %v, want the account", err)
				}
				if _, err := f.shop.SignIn(ctx, email, pw); err != nil {
					t.Errorf("sign in with it: got %v", err)
				}
			})
		}
		if pw := "мой кот любит зелёный чай по утрам"; utf8.ValidString(pw[:32]) {
			t.Fatalf("%q: byte 32 is a character boundary; the case tests nothing", pw)
		}
	})
}

// TestWeakNewPasswordRefused: a password change to a guessable password is
// refused on newPassword, and the old password stays.
func TestWeakNewPasswordRefused(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		const current = "correct horse battery"
		u, err := f.shop.SignUp(ctx, shop.SignUp{Email: strengthEmail, Name: strengthName, Password: current})
		if err != nil {
			t.Fatalf("sign up: %v", err)
		}
		for _, weak := range []string{"12345678", "password1", strengthEmail, "jordanbaker1", strengthName + strengthName} {
			t.Run(weak, func(t *testing.T) {
				before := f.client.User.GetX(ctx, u.ID)
				_, err := f.shop.ChangePassword(ctx, u.ID, current, weak)
				var invalid *shop.InvalidError
				if !errors.As(err, &invalid) || invalid.Field != "newPassword" {
					t.Fatalf("got %v, want an InvalidError on newPassword", err)
				}
				after := f.client.User.GetX(ctx, u.ID)
				if after.PasswordHash != before.PasswordHash || after.TokenVersion != before.TokenVersion {
					t.Error("a refused password change changed the account")
				}
			})
		}
		if _, err := f.shop.ChangePassword(ctx, u.ID, current, "mauve tractor lullaby"); err != nil {
			t.Fatalf("change to a strong password: got %v", err)
		}
		if _, err := f.shop.SignIn(ctx, strengthEmail, "mauve tractor lullaby"); err != nil {
			t.Errorf("sign in with the new password: got %v", err)
		}
	})
}

// BenchmarkPasswordStrength is the estimator's CPU per sign-up: a typical
// passphrase, the longest password accepted (only its first 32 characters
// are scored), and the most expensive 32 characters found (every l33t
// character: each substitution table is matched against every
// dictionary).
func BenchmarkPasswordStrength(b *testing.B) {
	for _, bc := range []struct{ name, password string }{
		{"Passphrase", "correct horse battery"},
		{"Random128", strings.Repeat("x9!LqaB3$kP0@zW8&mN2#vC7%tR5^yH1", 4)},
		{"L33tWorstCase", "8o$5i7({t5|7|!os+{o4%@+$s[e1569$"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				shop.PasswordStrong(bc.password, strengthEmail, strengthName)
			}
		})
	}
}
