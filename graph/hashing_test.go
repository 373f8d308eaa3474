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
