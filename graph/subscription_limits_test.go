package graph_test

import (
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/shopgraph/shopgraph/graph/limits"
)

// TestSubscriptionDocumentsMeetQueryLimits: over a WebSocket, a
// subscription document is checked like any query before anything runs
// (depth, aliases, fields, cost, at the production limits), refused with the
// same code, and the socket stays usable.
func TestSubscriptionDocumentsMeetQueryLimits(t *testing.T) {
	e := newEnv(t, dialect.Postgres, productionEdge)
	vars := map[string]any{"p": []string{gid("Product", 1)}}
	deep := "id"
	for range 16 {
		deep = "product { variants { " + deep + " } }"
	}
	var aliases, fields strings.Builder
	for i := range 60 {
		aliases.WriteString(" a" + strings.Repeat("x", i) + ": id")
	}
	for range 1001 {
		fields.WriteString(" id")
	}
	// 100 reviews of 100 authors' 100 reviews each: a million rows, 14
	// levels deep.
	reviews := "product { reviews(first: 100) { edges { node { author { reviews(first: 100) { edges { node { author { reviews(first: 100) { edges { node { id } } } } } } } } } } } }"
	w := dialWS(t, e, nil)
	for i, tc := range []struct{ name, selection, code string }{
		{"depth", deep, limits.CodeDepth},
		{"aliases", aliases.String(), limits.CodeAliases},
		{"fields", fields.String(), limits.CodeFields},
		{"cost", reviews, limits.CodeComplexity},
	} {
		id := tc.name
		w.subscribe(id, `subscription($p: [ID!]!) { inventoryChanged(productIds: $p) { `+tc.selection+` } }`, vars)
		if code := w.refusal(id); code != tc.code {
			t.Errorf("%d %s: got %s, want %s", i, tc.name, code, tc.code)
		}
	}
	// Still open, and a reasonable document runs: no product 1 exists, so
	// the initial state is empty and nothing is refused.
	w.subscribe("ok", `subscription($p: [ID!]!) { inventoryChanged(productIds: $p) { id } }`, vars)
	w.send(map[string]any{"id": "ok", "type": "complete"})
	w.send(map[string]any{"type": "ping"})
	if m := w.read(); m["type"] != "pong" {
		t.Fatalf("after the refusals: got %v, want pong", m)
	}
}
