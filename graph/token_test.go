package graph_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/shopgraph/shopgraph/ent/user"
)

// tokenClaims are the claims the server issues at now for user id, valid
// for an hour; rows of the token tests change one thing each.
func tokenClaims(now time.Time, id int) jwt.MapClaims {
	return jwt.MapClaims{
		"iss": "shopgraph",
		"sub": strconv.Itoa(id),
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(time.Hour).Unix(),
	}
}

// signToken signs claims with method and key, failing the test on error.
func signToken(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatalf("sign %s token: got error %v, want nil", method.Alg(), err)
	}
	return s
}

// claimsWith returns a copy of claims with set applied.
func claimsWith(claims jwt.MapClaims, set func(jwt.MapClaims)) jwt.MapClaims {
	out := jwt.MapClaims{}
	for k, v := range claims {
		out[k] = v
	}
	set(out)
	return out
}

func TestTokenRejected(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	der, err := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	publicPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})

	eachDialect(t, func(t *testing.T, dialect string) {
		e := demoEnv(t, dialect)
		ctx := context.Background()
		db := e.store.Client
		casey := e.user(t, "customer@shopgraph.dev")
		admin := e.user(t, "admin@shopgraph.dev")
		now := e.clock.Now() // the server's time: it stands still in this test
		valid := tokenClaims(now, casey.ID)
		hs256 := func(claims jwt.MapClaims) string { return signToken(t, jwt.SigningMethodHS256, testKey, claims) }

		t.Run("CraftedTokenIsAccepted", func(t *testing.T) {
			// The rows below differ from this token in one thing only.
			res := e.sendRaw(t, "Bearer "+hs256(valid), `{ viewer { email } }`, nil)
			if res.status != http.StatusOK || len(res.errors) > 0 {
				t.Fatalf("got HTTP %d %s, want 200 without errors", res.status, res.body)
			}
			if got := walkJSON(res.data, []string{"viewer", "email"})[0]; got != casey.Email {
				t.Errorf("got viewer %v, want %s", got, casey.Email)
			}
		})

		// A token for a user who no longer exists.
		gone := db.User.Create().SetEmail("gone@example.com").SetName("Gone").SaveX(ctx)
		goneToken, _, err := e.tokens.Issue(gone)
		if err != nil {
			t.Fatalf("got error %v, want nil", err)
		}
		db.User.DeleteOne(gone).ExecX(ctx)

		// A genuine token whose payload is swapped for another user's.
		parts := strings.Split(hs256(valid), ".")
		forged := strings.Split(hs256(tokenClaims(now, admin.ID)), ".")
		tampered := parts[0] + "." + forged[1] + "." + parts[2]

		tests := []struct {
			name          string
			authorization string
		}{
			{"Expired", "Bearer " + hs256(claimsWith(valid, func(c jwt.MapClaims) {
				c["iat"], c["nbf"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-2*time.Hour).Unix(), now.Add(-time.Minute).Unix()
			}))},
			{"NoExpiry", "Bearer " + hs256(claimsWith(valid, func(c jwt.MapClaims) { delete(c, "exp") }))},
			{"NotYetValid", "Bearer " + hs256(claimsWith(valid, func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Hour).Unix() }))},
			{"IssuedInTheFuture", "Bearer " + hs256(claimsWith(valid, func(c jwt.MapClaims) { c["iat"] = now.Add(time.Hour).Unix() }))},
			{"OtherIssuer", "Bearer " + hs256(claimsWith(valid, func(c jwt.MapClaims) { c["iss"] = "someone-else" }))},
			{"NoIssuer", "Bearer " + hs256(claimsWith(valid, func(c jwt.MapClaims) { delete(c, "iss") }))},
			{"SubjectNotAnID", "Bearer " + hs256(claimsWith(valid, func(c jwt.MapClaims) { c["sub"] = casey.Email }))},
			{"SubjectZero", "Bearer " + hs256(claimsWith(valid, func(c jwt.MapClaims) { c["sub"] = "0" }))},
			{"NoSubject", "Bearer " + hs256(claimsWith(valid, func(c jwt.MapClaims) { delete(c, "sub") }))},
			{"UnknownUser", "Bearer " + hs256(claimsWith(valid, func(c jwt.MapClaims) { c["sub"] = "999999999" }))},
			// Issued two hours ago with a day to run: TOKEN_TTL (an hour
			// here) caps every token, whatever its exp says.
			{"OutlivesTokenTTL", "Bearer " + hs256(claimsWith(valid, func(c jwt.MapClaims) {
				c["iat"], c["nbf"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-2*time.Hour).Unix(), now.Add(24*time.Hour).Unix()
			}))},
			// Signed at another token version than the user's: revoked.
			{"RevokedVersion", "Bearer " + hs256(claimsWith(valid, func(c jwt.MapClaims) { c["ver"] = 7 }))},
			{"DeletedUser", "Bearer " + goneToken},
			{"OtherKey", "Bearer " + signToken(t, jwt.SigningMethodHS256, []byte("another-signing-key-0123456789abcdef"), valid)},
			{"HS512SameKey", "Bearer " + signToken(t, jwt.SigningMethodHS512, testKey, valid)},
			{"AlgNone", "Bearer " + signToken(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, valid)},
			{"HS256KeyedWithRSAPublicKeyPEM", "Bearer " + signToken(t, jwt.SigningMethodHS256, publicPEM, valid)},
			{"RS256", "Bearer " + signToken(t, jwt.SigningMethodRS256, rsaKey, valid)},
			{"TamperedPayload", "Bearer " + tampered},
			{"SignatureStripped", "Bearer " + parts[0] + "." + parts[1] + "."},
			{"Malformed", "Bearer not-a-jwt"},
			{"MalformedThreeParts", "Bearer a.b.c"},
			{"EmptyBearer", "Bearer "},
			{"NoScheme", hs256(valid)},
			{"BasicScheme", "Basic xyz"},
		}
		messages := map[string]bool{}
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				check := func(res rawResponse) {
					t.Helper()
					if res.status != http.StatusUnauthorized {
						t.Errorf("got HTTP %d, want 401: %s", res.status, res.body)
					}
					if len(res.errors) != 1 || gqlErrorCode(res.errors[0]) != "UNAUTHENTICATED" {
						t.Fatalf("got errors %+v, want one UNAUTHENTICATED", res.errors)
					}
					if res.data != nil || res.hasKey {
						t.Errorf("got data %s, want none", jsonText(res.data))
					}
					messages[res.errors[0].Message] = true
				}
				check(e.sendRaw(t, tc.authorization, `{ viewer { id } products(first: 1) { totalCount } }`, nil))

				// Served as anonymous, a sign-up would go through.
				email := "rejected-" + strconv.Itoa(i) + "@example.com"
				check(e.sendRaw(t, tc.authorization, `mutation($email: String!) {
					signUp(input: {email: $email, password: "correct horse battery", name: "Rejected"}) { token }
				}`, map[string]any{"email": email}))
				if n := db.User.Query().Where(user.Email(email)).CountX(ctx); n != 0 {
					t.Errorf("got %d users %s, want none: the request was served", n, email)
				}
			})
		}
		if len(messages) != 1 {
			t.Errorf("got messages %v, want one for every rejected token", messages)
		}
	})
}

// TestTokenExpires: a token the server issued works until its expiry on the
// server's clock and is refused from then on, without anyone waiting an
// hour: the test moves the clock.
func TestTokenExpires(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect)
		u := e.store.Client.User.Create().SetEmail("expiring@example.com").SetName("Expiring").SaveX(context.Background())
		token, exp, err := e.tokens.Issue(u)
		if err != nil {
			t.Fatalf("issue: got error %v, want a token", err)
		}
		if want := e.clock.Now().Add(time.Hour); !exp.Equal(want) {
			t.Errorf("expiry: got %s, want %s (issued now, valid for the hour)", exp, want)
		}
		const q = `{ viewer { email } }`
		for _, tc := range []struct {
			name   string
			at     time.Duration // after issue
			status int
		}{
			{"ValidAtIssue", 0, http.StatusOK},
			{"ValidASecondBeforeExpiry", time.Hour - time.Second, http.StatusOK},
			{"RefusedASecondAfterExpiry", time.Hour + time.Second, http.StatusUnauthorized},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e.clock.Advance(exp.Add(-time.Hour + tc.at).Sub(e.clock.Now()))
				res := e.sendRaw(t, "Bearer "+token, q, nil)
				if res.status != tc.status {
					t.Fatalf("got HTTP %d %s, want %d", res.status, res.body, tc.status)
				}
				if tc.status == http.StatusUnauthorized {
					if len(res.errors) != 1 || gqlErrorCode(res.errors[0]) != "UNAUTHENTICATED" {
						t.Errorf("got errors %+v, want one UNAUTHENTICATED", res.errors)
					}
					return
				}
				if got := walkJSON(res.data, []string{"viewer", "email"})[0]; got != u.Email {
					t.Errorf("got viewer %v, want %s", got, u.Email)
				}
			})
		}
	})
}
