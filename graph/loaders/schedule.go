package loaders

import (
	"context"
	"fmt"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/graph-gophers/dataloader/v7"
)

// loader is one operation's dataloader for one (entity, key). It implements
// dataloader.Interface from graph-gophers/dataloader/v7 and keeps v7's
// contract (a BatchFunc gets unique keys and returns one Result per key, in
// key order; loaded thunks are cached per key), but schedules batches
// differently.
//
// v7 closes a batch a fixed time after its first key. gqlgen resolves every
// list element in its own goroutine, so at 1,000 rows the keys of one level
// arrive over tens of milliseconds and a fixed window cuts them into many
// statements (measured: 111 statements instead of 10 for the catalog query;
// see gqlgen issue 2373). This loader closes a batch when keys have stopped
// arriving for Config.Wait and no goroutine is waiting for a CPU (a resolver
// that is runnable but not yet running may be about to add a key), or
// Config.MaxWait after its first key, or at Config.MaxBatch keys. The keys
// of a level land in one statement whatever its size, and a small query
// waits only one short idle gap per level.
type loader[K comparable, V any] struct {
	ctx      context.Context // the operation's; batches run with it
	fetch    dataloader.BatchFunc[K, V]
	cache    dataloader.Cache[K, V]
	idle     time.Duration
	maxWait  time.Duration
	maxBatch int

	mu          sync.Mutex
	pending     []request[K, V]
	gen         int // invalidates timers of batches already taken
	first, last time.Time
	armed       bool
}

type request[K comparable, V any] struct {
	key K
	ch  chan *dataloader.Result[V]
}

var _ dataloader.Interface[int, int] = (*loader[int, int])(nil)

func newLoader[K comparable, V any](ctx context.Context, cfg Config, fetch dataloader.BatchFunc[K, V]) *loader[K, V] {
	return &loader[K, V]{
		ctx:      ctx,
		fetch:    fetch,
		cache:    dataloader.NewCache[K, V](),
		idle:     cfg.Wait,
		maxWait:  cfg.MaxWait,
		maxBatch: cfg.MaxBatch,
	}
}

// Load returns a thunk for key's value, queueing key for the next batch
// unless it is cached.
func (l *loader[K, V]) Load(ctx context.Context, key K) dataloader.Thunk[V] {
	l.mu.Lock()
	now := time.Now()
	if t, ok := l.cache.Get(ctx, key); ok {
		// A repeated key is activity of the level too: keys that are new
		// may still follow it, so it keeps an open batch waiting.
		if l.armed {
			l.last = now
		}
		l.mu.Unlock()
		return t
	}
	ch := make(chan *dataloader.Result[V], 1)
	var (
		once sync.Once
		res  *dataloader.Result[V]
	)
	thunk := func() (V, error) {
		once.Do(func() { res = <-ch })
		return res.Data, res.Error
	}
	l.cache.Set(ctx, key, thunk)
	l.pending = append(l.pending, request[K, V]{key, ch})
	l.last = now
	if !l.armed {
		l.armed, l.first = true, now
		gen := l.gen
		time.AfterFunc(l.idle, func() { l.tick(gen) })
	}
	var batch []request[K, V]
	if len(l.pending) >= l.maxBatch {
		batch = l.take()
	}
	l.mu.Unlock()
	if batch != nil {
		go l.run(batch)
	}
	return thunk
}

// tick runs the pending batch once keys have stopped arriving.
func (l *loader[K, V]) tick(gen int) {
	l.mu.Lock()
	if gen != l.gen {
		l.mu.Unlock()
		return
	}
	if time.Since(l.first) < l.maxWait {
		if quiet := time.Since(l.last); quiet < l.idle {
			time.AfterFunc(l.idle-quiet, func() { l.tick(gen) })
			l.mu.Unlock()
			return
		}
		// Quiet, but other goroutines are running or queued for a CPU:
		// they may be this level's resolvers, delayed by other work
		// (marshalling, SQLite scanning), and about to add keys.
		if cpuBusy() {
			time.AfterFunc(l.idle, func() { l.tick(gen) })
			l.mu.Unlock()
			return
		}
	}
	batch := l.take()
	l.mu.Unlock()
	l.run(batch)
}

// cpuBusy reports whether other goroutines are running or waiting for a
// CPU; the caller itself is one running goroutine.
func cpuBusy() bool {
	sample := []metrics.Sample{
		{Name: "/sched/goroutines/runnable:goroutines"},
		{Name: "/sched/goroutines/running:goroutines"},
	}
	metrics.Read(sample)
	count := func(s metrics.Sample) uint64 {
		if s.Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return s.Value.Uint64()
	}
	return count(sample[0]) > 0 || count(sample[1]) > 1
}

// take empties the queue; l.mu must be held.
func (l *loader[K, V]) take() []request[K, V] {
	batch := l.pending
	l.pending, l.armed = nil, false
	l.gen++
	return batch
}

// run calls the batch function and hands each waiter its result. A batch
// function that panics or breaks the one-result-per-key contract fails its
// keys instead of the process.
func (l *loader[K, V]) run(batch []request[K, V]) {
	if len(batch) == 0 {
		return
	}
	keys := make([]K, len(batch))
	for i, r := range batch {
		keys[i] = r.key
	}
	results := l.call(keys)
	for i, r := range batch {
		r.ch <- results[i]
	}
}

func (l *loader[K, V]) call(keys []K) (results []*dataloader.Result[V]) {
	fail := func(err error) []*dataloader.Result[V] {
		out := make([]*dataloader.Result[V], len(keys))
		for i := range out {
			out[i] = &dataloader.Result[V]{Error: err}
		}
		return out
	}
	defer func() {
		if p := recover(); p != nil {
			results = fail(fmt.Errorf("batch function panicked: %v", p))
		}
	}()
	results = l.fetch(l.ctx, keys)
	if len(results) != len(keys) {
		return fail(fmt.Errorf("batch function returned %d results for %d keys", len(results), len(keys)))
	}
	for i, r := range results {
		if r == nil {
			results[i] = &dataloader.Result[V]{Error: fmt.Errorf("batch function returned no result for key %v", keys[i])}
		}
	}
	return results
}

// LoadMany loads several keys into the same batch.
func (l *loader[K, V]) LoadMany(ctx context.Context, keys []K) dataloader.ThunkMany[V] {
	thunks := make([]dataloader.Thunk[V], len(keys))
	for i, k := range keys {
		thunks[i] = l.Load(ctx, k)
	}
	return func() ([]V, []error) {
		vals, errs := make([]V, len(keys)), make([]error, len(keys))
		for i, t := range thunks {
			vals[i], errs[i] = t()
		}
		return vals, errs
	}
}

// Prime caches a value already known, unless key is cached.
func (l *loader[K, V]) Prime(ctx context.Context, key K, value V) dataloader.Interface[K, V] {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.cache.Get(ctx, key); !ok {
		l.cache.Set(ctx, key, func() (V, error) { return value, nil })
	}
	return l
}

// Clear forgets key.
func (l *loader[K, V]) Clear(ctx context.Context, key K) dataloader.Interface[K, V] {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cache.Delete(ctx, key)
	return l
}

// ClearAll forgets every key.
func (l *loader[K, V]) ClearAll() dataloader.Interface[K, V] {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cache.Clear()
	return l
}
