package loaders

import (
	"context"
	"fmt"
	"sync"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/shopgraph/shopgraph/ent/store"
)

// ForEvent returns the loaders of one event of l's subscription: empty (a
// long-lived subscription never shows rows cached for an earlier event),
// batching when s says so (the event's own count, see Shape.TrackEvents),
// and reading through shared, the event's rows that every subscriber of it
// shares: the subscribers whose viewers the row rules treat alike
// (rowrules.CatalogClass, CustomerClass) load each key once between them,
// so a thousand subscribers to one event cost the statements of one. A nil
// shared (a resync owed to this subscriber alone) shares nothing.
func (l *Loaders) ForEvent(ctx context.Context, s *Scheduler, shared *store.Shared) *Loaders {
	n := New(ctx, l.client, l.cfg, s)
	n.event = shared
	if shared == nil {
		// Shared rows serve documents of every shape, so they have every
		// column; rows of this subscriber alone may be narrowed.
		n.productColumns = l.productColumns
	}
	return n
}

// share makes fetch read through the event's shared rows when l has an
// event (ForEvent), keyed by name and by class, what the rules of fetch's
// rows make of the batch's context. Without an event it is fetch.
func share[K comparable, V any](l *Loaders, name string, class func(context.Context) string, fetch dataloader.BatchFunc[K, V]) dataloader.BatchFunc[K, V] {
	if l.event == nil {
		return fetch
	}
	type tableKey struct{ name, class string }
	return func(ctx context.Context, keys []K) []*dataloader.Result[V] {
		t := l.event.Once(tableKey{name, class(ctx)}, func() any {
			return &sharedRows[K, V]{cells: map[K]*sharedCell[V]{}}
		}).(*sharedRows[K, V])
		return t.load(ctx, keys, fetch)
	}
}

// sharedRows are one loader's results for one event and class.
type sharedRows[K comparable, V any] struct {
	mu    sync.Mutex
	cells map[K]*sharedCell[V]
}

type sharedCell[V any] struct {
	ready chan struct{}
	res   *dataloader.Result[V]
}

// load answers keys: the ones no subscriber asked for yet with one fetch,
// the others by waiting for whichever batch claimed them. Keys are claimed
// under one lock, so two batches never fetch the same key, and a batch
// waiting for another's keys counts as at the database, as it would be.
func (t *sharedRows[K, V]) load(ctx context.Context, keys []K, fetch dataloader.BatchFunc[K, V]) []*dataloader.Result[V] {
	cells := make([]*sharedCell[V], len(keys))
	var mine []K
	var at []int
	t.mu.Lock()
	for i, k := range keys {
		c, ok := t.cells[k]
		if !ok {
			c = &sharedCell[V]{ready: make(chan struct{})}
			t.cells[k] = c
			mine = append(mine, k)
			at = append(at, i)
		}
		cells[i] = c
	}
	t.mu.Unlock()
	if len(mine) > 0 {
		fill(ctx, mine, at, cells, fetch)
	}
	out := make([]*dataloader.Result[V], len(keys))
	for i, c := range cells {
		select {
		case <-c.ready:
			out[i] = c.res
		case <-ctx.Done():
			out[i] = &dataloader.Result[V]{Error: ctx.Err()}
		}
	}
	return out
}

// fill fetches the claimed keys mine (at their positions at in cells) and
// wakes everyone waiting for them, whatever happens: a panic or a short
// result becomes those keys' error, never a wait without end.
func fill[K comparable, V any](ctx context.Context, mine []K, at []int, cells []*sharedCell[V], fetch dataloader.BatchFunc[K, V]) {
	var res []*dataloader.Result[V]
	defer func() {
		p := recover()
		for j, i := range at {
			c := cells[i]
			if j < len(res) && res[j] != nil {
				c.res = res[j]
			} else {
				c.res = &dataloader.Result[V]{Error: fmt.Errorf("shared batch gave no result for key %v (panic: %v)", mine[j], p)}
			}
			close(c.ready)
		}
		if p != nil {
			panic(p) // loader.call reports it for this subscriber
		}
	}()
	// Other subscribers wait for these rows: this one leaving (its context
	// ending) must not fail them. statement_timeout still bounds it.
	res = fetch(context.WithoutCancel(ctx), mine)
}
