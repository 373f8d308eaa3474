package storetest_test

import (
	"context"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/shopgraph/shopgraph/ent/store/storetest"
)

// TestCounterSeesTransactions: statements sent inside a transaction are
// counted and marked as such, beside those sent outside one.
func TestCounterSeesTransactions(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			counter := &storetest.Counter{}
			st := storetest.Open(t, d, counter.Wrap)
			ctx := context.Background()
			counter.Reset()

			tx, err := st.Client.Tx(ctx)
			if err != nil {
				t.Fatalf("begin: got error %v, want nil", err)
			}
			if _, err := tx.User.Create().SetEmail("in-tx@example.com").SetName("In Tx").Save(ctx); err != nil {
				t.Fatalf("create in transaction: got error %v, want nil", err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatalf("commit: got error %v, want nil", err)
			}
			if _, err := st.Client.User.Query().Count(ctx); err != nil {
				t.Fatalf("count outside: got error %v, want nil", err)
			}

			stmts := counter.Statements()
			if len(stmts) != 2 || !stmts[0].InTx || stmts[1].InTx {
				t.Errorf("got statements %+v, want the insert inside the transaction, then the count outside\n%s", stmts, counter)
			}
			if got := counter.Transactions(); got != 1 {
				t.Errorf("transactions: got %d, want 1", got)
			}
			if got := counter.Count(); got != 2 {
				t.Errorf("count: got %d, want 2", got)
			}
		})
	}
}

// TestCounterWaitFor: WaitFor returns once a statement it waits for has
// been sent, woken by the statement itself.
func TestCounterWaitFor(t *testing.T) {
	counter := &storetest.Counter{}
	st := storetest.Open(t, dialect.SQLite, counter.Wrap)
	counter.Reset()
	done := make(chan error, 1)
	go func() {
		_, err := st.Client.User.Query().Count(context.Background())
		done <- err
	}()
	counter.WaitFor(t, 30*time.Second, "one statement", func(stmts []storetest.Statement) bool { return len(stmts) == 1 })
	if err := <-done; err != nil {
		t.Fatalf("count: got error %v, want nil", err)
	}
}
