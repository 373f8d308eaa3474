package graph_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/shopgraph/shopgraph/graph"
	"github.com/shopgraph/shopgraph/graph/limits"
)

// TestEdgeAliasedSignUpsAreRationed: one request of many aliased signUps
// draws on the per-IP ration once per alias, so it cannot create accounts
// (and hash passwords) faster than the ration: over it, the whole
// operation is refused with 429 before any of them runs.
func TestEdgeAliasedSignUpsAreRationed(t *testing.T) {
	e := edgeEnv(t, func(o *envConfig) {
		o.Limits.Fields = map[string]limits.FieldRule{
			"signUp": {Limiter: limits.NewMemory(limits.Rule{Capacity: 3, PerSecond: 0.0001}), Key: graph.ByClientIP},
		}
	})
	ctx := context.Background()
	before := e.store.Client.User.Query().CountX(ctx)
	var b strings.Builder
	b.WriteString("mutation {")
	for i := range 5 {
		fmt.Fprintf(&b, ` u%d: signUp(input: {email: "u%d@example.com", password: "correct horse battery %d", name: "U%d"}) { token }`, i, i, i, i)
	}
	b.WriteString(" }")
	r := edgePost(t, e, b.String())
	if r.status != 429 || r.code(t) != "RATE_LIMITED" {
		t.Fatalf("five aliased signUps with a ration of 3: got %d %.300s, want 429 RATE_LIMITED", r.status, r.body)
	}
	if n := e.store.Client.User.Query().CountX(ctx); n != before {
		t.Fatalf("got %d new accounts, want none", n-before)
	}
}

// TestEachMutationReportsItsCommit: mutations of one operation commit one
// by one; when one fails, the others' payloads still come back (before,
// a failed non-null signUp nulled all of "data", hiding the sign-ups that
// had committed).
func TestEachMutationReportsItsCommit(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect)
		e.store.Client.User.Create().SetEmail("taken@example.com").SetName("Taken").SaveX(context.Background())
		res := e.query(t, `mutation {
			a: signUp(input: {email: "first@example.com", password: "correct horse battery", name: "First"}) { user { name } }
			b: signUp(input: {email: "taken@example.com", password: "correct horse battery", name: "Again"}) { user { name } }
			c: signUp(input: {email: "third@example.com", password: "correct horse battery", name: "Third"}) { user { name } }
		}`, nil)
		var data struct {
			A, B, C *struct{ User struct{ Name string } }
		}
		decodeJSON(t, res.Data, &data)
		if data.A == nil || data.A.User.Name != "First" || data.C == nil || data.C.User.Name != "Third" {
			t.Fatalf("committed sign-ups: got data %s, want a and c reported", res.Data)
		}
		if data.B != nil || len(res.Errors) != 1 || gqlErrorPath(res.Errors[0]) != "b" || gqlErrorCode(res.Errors[0]) != "CONFLICT" {
			t.Fatalf("the failed one: got b %v and errors %+v, want null and one CONFLICT at b", data.B, res.Errors)
		}
		if n := e.store.Client.User.Query().CountX(context.Background()); n != 3 {
			t.Fatalf("got %d users, want 3 (taken, first, third)", n)
		}
	})
}
