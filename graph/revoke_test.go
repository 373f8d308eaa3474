package graph_test

import (
	"net/http"
	"strings"
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
// on the input that carried it, with a message saying why, and nothing
// changes: no account is created, and a refused change keeps the old
// password and the session.
func TestWeakPasswordsRefusedOverHTTP(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect)
		const email, strong = "pat.weakley@example.com", "correct horse battery"
		for _, tc := range []struct{ password, because string }{
			{"12345678", "top-10 common password"},
			{"password1", "very common password"},
			{email, "your email or name"},
		} {
			t.Run("SignUp/"+tc.password, func(t *testing.T) {
				res := e.query(t, signUpMutation, inputVars(map[string]any{"email": email, "password": tc.password, "name": "Pat Weakley"}))
				expectFieldMessage(t, res, "input.password", tc.because)
				if n := e.store.Client.User.Query().CountX(t.Context()); n != 0 {
					t.Errorf("got %d accounts, want none", n)
				}
			})
		}

		var up struct{ SignUp authPayloadJSON }
		e.mustQuery(t, signUpMutation, inputVars(map[string]any{"email": email, "password": strong, "name": "Pat Weakley"}), &up)
		for _, weak := range []string{"qwertyuiop", "patweakley"} {
			t.Run("ChangePassword/"+weak, func(t *testing.T) {
				res := e.withToken(up.SignUp.Token).query(t, `mutation($input: ChangePasswordInput!) { changePassword(input: $input) { token } }`,
					inputVars(map[string]any{"currentPassword": strong, "newPassword": weak}))
				expectFieldMessage(t, res, "input.newPassword", "easy to guess")
				viewerOf(t, e, up.SignUp.Token) // the session was not revoked
				e.expectCode(t, signInMutation, inputVars(map[string]any{"email": email, "password": weak}), "UNAUTHENTICATED")
				var in struct{ SignIn authPayloadJSON }
				e.mustQuery(t, signInMutation, inputVars(map[string]any{"email": email, "password": strong}), &in)
			})
		}
	})
}

// expectFieldMessage asserts res is one BAD_USER_INPUT whose
// extensions.fields has field with a message containing because.
func expectFieldMessage(t *testing.T, res response, field, because string) {
	t.Helper()
	if len(res.Errors) != 1 || res.code(t) != "BAD_USER_INPUT" {
		t.Fatalf("got %+v, want one BAD_USER_INPUT", res.Errors)
	}
	list, _ := res.Errors[0].Extensions["fields"].([]any)
	for _, item := range list {
		m, _ := item.(map[string]any)
		if m["field"] != field {
			continue
		}
		if msg, _ := m["message"].(string); !strings.Contains(msg, because) {
			t.Errorf("got message %q on %s, want one saying %q", msg, field, because)
		}
		return
	}
	t.Errorf("got extensions.fields %v, want %s", list, field)
}
