package loaders

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/graph-gophers/dataloader/v7"
)

// Scheduler decides when an operation's batches run: the moment nothing of
// that operation can still add a key. It counts the operation's outstanding
// work — fields about to resolve or resolving (Track), goroutines started
// with Go, batches being fetched — and a resolver waiting on a thunk stops
// counting while it waits. When the count reaches zero every queued batch
// runs at once, each in its own goroutine.
//
// The decision depends only on the operation itself: not on timers, not on
// other requests, not on how busy the process is. A level of 1,000 rows is
// one statement because its 1,000 resolvers have all either queued their key
// or finished before the count can reach zero, however slowly the CPU lets
// them run; and a small query pays no idle wait at all.
//
// The earlier design closed a batch after an idle gap with no runnable
// goroutine in the process (runtime/metrics): process-wide state that made
// every request wait on every other, and split levels when the machine was
// busy. graph-gophers/dataloader v7's own scheduler (a fixed window from the
// first key) has the same flaw: it splits one level of 1,000 rows into
// dozens of statements (gqlgen issue 2373).
type Scheduler struct {
	active   atomic.Int64
	progress atomic.Int64 // work units ended: the operation is moving
	inflight atomic.Int64 // batches at the database: waiting, not stalled
	stall    time.Duration
	closed   atomic.Bool // the operation's context has ended

	mu     sync.Mutex
	queued []flusher

	batches, stalled atomic.Int64
}

// flusher is a loader with a batch waiting for the scheduler.
type flusher interface{ flush() }

// NewScheduler returns a scheduler for the operation of ctx, expecting work
// units of outstanding work. Once ctx ends, batches run at once (and fail
// fast with its error). stall is a guard against a count that missed some
// work: a batch also runs if its operation made no progress at all for that
// long (see Stats).
func NewScheduler(ctx context.Context, work int, stall time.Duration) *Scheduler {
	if stall <= 0 {
		stall = DefaultConfig.Stall
	}
	s := &Scheduler{stall: stall}
	s.active.Store(int64(work))
	context.AfterFunc(ctx, func() {
		s.closed.Store(true)
		s.dispatch()
	})
	return s
}

// Expect adds n units of outstanding work.
func (s *Scheduler) Expect(n int) { s.active.Add(int64(n)) }

// Done ends one unit of work that started next more (the fields of the
// objects a field returned, say). Queued batches run if nothing is left.
func (s *Scheduler) Done(next int) {
	s.progress.Add(1)
	if s.active.Add(int64(next-1)) <= 0 {
		s.dispatch()
	}
}

// Stats reports how many batches ran, and how many of them ran because
// their operation had made no progress for the stall window rather than
// because it had gone quiet. Stalled batches mean some work escaped the
// count (a field gqlgen failed before its middleware ran, say), or a
// resolver blocked that long outside the loaders: they cost latency, never
// a wrong answer.
func (s *Scheduler) Stats() (batches, stalled int64) { return s.batches.Load(), s.stalled.Load() }

func (s *Scheduler) queue(f flusher) {
	s.mu.Lock()
	s.queued = append(s.queued, f)
	s.mu.Unlock()
	// Ended, or nothing counted (an untracked scheduler: a subscription's
	// events): nothing can add to the batch, so it runs now.
	if s.closed.Load() || s.active.Load() <= 0 {
		s.dispatch()
	}
}

func (s *Scheduler) dispatch() {
	s.mu.Lock()
	q := s.queued
	s.queued = nil
	s.mu.Unlock()
	for _, f := range q {
		f.flush()
	}
}

// Go runs f in a goroutine that counts as work of ctx's operation, so that
// batches wait for the keys f queues. Without loaders in ctx it is a plain
// goroutine.
func Go(ctx context.Context, f func()) {
	l, err := From(ctx)
	if err != nil {
		go f()
		return
	}
	l.sched.Expect(1)
	go func() {
		defer l.sched.Done(0)
		f()
	}()
}

// loader is one operation's dataloader for one (entity, key). It implements
// dataloader.Interface from graph-gophers/dataloader/v7 and keeps v7's
// contract (a BatchFunc gets unique keys and returns one Result per key, in
// key order; loaded thunks are cached per key), but its batches run when the
// Scheduler says so, or at once when they reach MaxBatch keys.
type loader[K comparable, V any] struct {
	ctx      context.Context // the operation's; batches run with it
	sched    *Scheduler
	fetch    dataloader.BatchFunc[K, V]
	cache    dataloader.Cache[K, V]
	maxBatch int

	mu      sync.Mutex
	pending *batch[K, V]
}

// batch is one statement's worth of keys and, once fetched, their results.
type batch[K comparable, V any] struct {
	keys    []K
	results []*dataloader.Result[V]
	timer   *time.Timer // the stall guard

	mu      sync.Mutex
	done    bool
	waiters int // resolvers blocked on this batch, handed back to the count when it is done
	ready   chan struct{}
}

var _ dataloader.Interface[int, int] = (*loader[int, int])(nil)

func newLoader[K comparable, V any](ctx context.Context, s *Scheduler, cfg Config, fetch dataloader.BatchFunc[K, V]) *loader[K, V] {
	return &loader[K, V]{
		ctx:      ctx,
		sched:    s,
		fetch:    fetch,
		cache:    dataloader.NewCache[K, V](),
		maxBatch: cfg.MaxBatch,
	}
}

// Load returns a thunk for key's value, queueing key for the next batch
// unless it is cached.
func (l *loader[K, V]) Load(ctx context.Context, key K) dataloader.Thunk[V] {
	l.mu.Lock()
	if t, ok := l.cache.Get(ctx, key); ok {
		l.mu.Unlock()
		return t
	}
	b := l.pending
	fresh := b == nil
	if fresh {
		b = &batch[K, V]{ready: make(chan struct{})}
		l.pending = b
	}
	i := len(b.keys)
	b.keys = append(b.keys, key)
	t := b.thunk(l.sched, i)
	l.cache.Set(ctx, key, t)
	full := len(b.keys) >= l.maxBatch
	if full {
		l.pending = nil
	}
	if fresh {
		l.watch(b, l.sched.progress.Load())
	}
	l.mu.Unlock()
	if fresh {
		// Queued before this goroutine can block or finish, so the
		// dispatch its doing so may cause sees the key.
		l.sched.queue(l)
	}
	if full {
		l.start(b)
	}
	return t
}

// flush runs the pending batch; the scheduler calls it.
func (l *loader[K, V]) flush() {
	l.mu.Lock()
	b := l.pending
	l.pending = nil
	l.mu.Unlock()
	if b != nil {
		l.start(b)
	}
}

// watch runs b if it is still pending after a stall window in which the
// operation made no progress (progress was seen when the window began) and
// had no batch at the database (a busy pool is slow, not stalled).
func (l *loader[K, V]) watch(b *batch[K, V], seen int64) {
	b.timer = time.AfterFunc(l.sched.stall, func() {
		l.mu.Lock()
		if l.pending != b {
			l.mu.Unlock()
			return
		}
		if now := l.sched.progress.Load(); now != seen || l.sched.inflight.Load() > 0 {
			l.watch(b, now)
			l.mu.Unlock()
			return
		}
		l.pending = nil
		l.mu.Unlock()
		l.sched.stalled.Add(1)
		l.start(b)
	})
}

// start fetches b in a goroutine that counts as work of the operation.
func (l *loader[K, V]) start(b *batch[K, V]) {
	b.timer.Stop()
	l.sched.batches.Add(1)
	l.sched.inflight.Add(1)
	l.sched.Expect(1)
	go l.run(b)
}

// run calls the batch function and wakes the resolvers waiting on b, having
// handed their work back to the count as its own ends, so the operation
// cannot look quiet in between.
func (l *loader[K, V]) run(b *batch[K, V]) {
	b.results = l.call(b.keys)
	l.sched.inflight.Add(-1)
	b.mu.Lock()
	b.done = true
	n := b.waiters
	b.mu.Unlock()
	l.sched.Done(n)
	close(b.ready)
}

// thunk waits for key i of b. While it waits, its goroutine does not count
// as work of the operation.
func (b *batch[K, V]) thunk(s *Scheduler, i int) dataloader.Thunk[V] {
	return func() (V, error) {
		b.mu.Lock()
		if !b.done {
			b.waiters++
			b.mu.Unlock()
			s.Done(0)
			<-b.ready
		} else {
			b.mu.Unlock()
		}
		r := b.results[i]
		return r.Data, r.Error
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
