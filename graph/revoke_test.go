package graph_test

import (
	"net/http"
	"testing"
	"time"
)

// Sessions end when the account says so: signOut and a password change
// revoke every token issued before, on every device, on both databases.

// checkRevoked asserts that token is refused as a bad token (401).
func checkRevoked(t *testing.T, e *env, token, what string) {
	t.Helper()
	res := e.withToken(token).query(t, `{ viewer { id } }`, nil)
	if res.Status != http.StatusUnauthorized || res.code(t) != "UNAUTHENTICATED" {
		t.Fatalf("%s: got HTTP %d %+v, want 401 UNAUTHENTICATED", what, res.Status, res.Errors)
	}
}

func TestSignOutRevokesEveryToken(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect)
		var up struct{ SignUp authPayloadJSON }
		e.mustQuery(t, signUpMutation, inputVars(map[string]any{"email": "leaving@example.com", "password": "correct horse battery", "name": "Leaving"}), &up)
		laptop := up.SignUp.Token
		e.clock.Advance(time.Second) // a second device, signed in later
		var in struct{ SignIn authPayloadJSON }
		e.mustQuery(t, signInMutation, inputVars(map[string]any{"email": "leaving@example.com", "password": "correct horse battery"}), &in)
		phone := in.SignIn.Token
		viewerOf(t, e, laptop)
		viewerOf(t, e, phone)

		var out struct{ SignOut struct{ SignedOut bool } }
		e.withToken(phone).mustQuery(t, `mutation { signOut { signedOut } }`, nil, &out)
		if !out.SignOut.SignedOut {
			t.Fatal("signOut: got signedOut false")
		}
		checkRevoked(t, e, phone, "the token that signed out")
		checkRevoked(t, e, laptop, "the other device's token")

		// Signing in again starts a session that works.
		e.mustQuery(t, signInMutation, inputVars(map[string]any{"email": "leaving@example.com", "password": "correct horse battery"}), &in)
		viewerOf(t, e, in.SignIn.Token)

		// Anonymous callers cannot sign anyone out.
		if res := e.anonymous().query(t, `mutation { signOut { signedOut } }`, nil); res.code(t) != "UNAUTHENTICATED" {
			t.Fatalf("anonymous signOut: got %+v, want UNAUTHENTICATED", res.Errors)
		}
	})
}

func TestChangePasswordRevokesOldTokens(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect)
		var up struct{ SignUp authPayloadJSON }
		e.mustQuery(t, signUpMutation, inputVars(map[string]any{"email": "owner@example.com", "password": "correct horse battery", "name": "Owner"}), &up)
		mine := up.SignUp.Token
		e.clock.Advance(time.Second)
		var in struct{ SignIn authPayloadJSON }
		e.mustQuery(t, signInMutation, inputVars(map[string]any{"email": "owner@example.com", "password": "correct horse battery"}), &in)
		stolen := in.SignIn.Token

		e.clock.Advance(time.Second)
		var changed struct {
			ChangePassword struct {
				User      accountUserJSON
				Token     *string
				ExpiresAt *time.Time
			}
		}
		e.withToken(mine).mustQuery(t, `mutation($input: ChangePasswordInput!) { changePassword(input: $input) { user { id } token expiresAt } }`,
			inputVars(map[string]any{"currentPassword": "correct horse battery", "newPassword": "staple battery horse correct"}), &changed)
		p := changed.ChangePassword
		if p.Token == nil || p.ExpiresAt == nil {
			t.Fatalf("changePassword: got token %v, expiresAt %v, want a new session", p.Token, p.ExpiresAt)
		}
		checkRevoked(t, e, stolen, "a token issued before the password change")
		checkRevoked(t, e, mine, "the token that changed the password")
		if got := viewerOf(t, e, *p.Token); got.ID != p.User.ID {
			t.Fatalf("new token: got viewer %s, want %s", got.ID, p.User.ID)
		}
		// A refused change (wrong current password) revokes nothing.
		res := e.withToken(*p.Token).query(t, `mutation($input: ChangePasswordInput!) { changePassword(input: $input) { token } }`,
			inputVars(map[string]any{"currentPassword": "wrong wrong wrong", "newPassword": "another long passphrase"}))
		if res.code(t) != "BAD_USER_INPUT" {
			t.Fatalf("wrong current password: got %+v, want BAD_USER_INPUT", res.Errors)
		}
		viewerOf(t, e, *p.Token)
	})
}

// TestWeakPasswordsRefusedOverHTTP: a guessable password is BAD_USER_INPUT
// on the field that carried it, and nothing changes.
func TestWeakPasswordsRefusedOverHTTP(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect)
		e.expectInvalid(t, signUpMutation, inputVars(map[string]any{"email": "weak@example.com", "password": "password1", "name": "Weak"}), "input.password")
		if n := e.store.Client.User.Query().CountX(t.Context()); n != 0 {
			t.Fatalf("a weak sign-up created %d accounts", n)
		}
		var up struct{ SignUp authPayloadJSON }
		e.mustQuery(t, signUpMutation, inputVars(map[string]any{"email": "weak@example.com", "password": "correct horse battery", "name": "Weak"}), &up)
		e.withToken(up.SignUp.Token).expectInvalid(t, `mutation($input: ChangePasswordInput!) { changePassword(input: $input) { token } }`,
			inputVars(map[string]any{"currentPassword": "correct horse battery", "newPassword": "weak@example.com"}), "input.newPassword")
		viewerOf(t, e, up.SignUp.Token) // refused: the session was not revoked
	})
}
