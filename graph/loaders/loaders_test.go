package loaders_test

import (
	"context"
	"testing"

	"github.com/shopgraph/shopgraph/ent/store/storetest"
	"github.com/shopgraph/shopgraph/graph/loaders"
)

// TestLargeKeySets loads 70,000 keys through one loader, more than
// PostgreSQL's 65,535 and SQLite's 32,766 bind parameters: keys travel as one
// array parameter, and MaxBatch splits them into a known number of
// statements.
func TestLargeKeySets(t *testing.T) {
	const keys, maxBatch = 70000, 30000
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			counter := &storetest.Counter{}
			st := storetest.Open(t, d, counter.Wrap)
			ctx := context.Background()
			cat := st.Client.Category.Create().SetName("Root").SetSlug("root").SaveX(ctx)
			var ids []int
			for _, slug := range []string{"a", "b", "c"} {
				ids = append(ids, st.Client.Product.Create().SetSlug(slug).SetTitle(slug).SetCategoryID(cat.ID).SaveX(ctx).ID)
			}
			refs := make([]loaders.NodeRef, keys)
			for i := range refs {
				refs[i] = loaders.NodeRef{Type: "Product", ID: i + 1}
			}
			ctx = loaders.With(ctx, loaders.New(ctx, st.Client, loaders.Config{MaxBatch: maxBatch}, nil))
			counter.Reset()
			nodes, err := loaders.Nodes(ctx, refs)
			if err != nil {
				t.Fatalf("load %d keys: got error %v, want nil", keys, err)
			}
			found := 0
			for _, n := range nodes {
				if n != nil {
					found++
				}
			}
			if found != len(ids) {
				t.Errorf("got %d products, want %d", found, len(ids))
			}
			if got, want := counter.Count(), (keys+maxBatch-1)/maxBatch; got != want {
				t.Errorf("got %d statements, want %d\n%s", got, want, counter.String()[:min(500, len(counter.String()))])
			}
		})
	}
}
