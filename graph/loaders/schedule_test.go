package loaders

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/graph-gophers/dataloader/v7"
)

// recorder is a batch function that records the key sets it was given.
type recorder struct {
	mu      sync.Mutex
	batches [][]int
	answer  func(keys []int) []*dataloader.Result[int]
}

func (r *recorder) fetch(_ context.Context, keys []int) []*dataloader.Result[int] {
	r.mu.Lock()
	r.batches = append(r.batches, slices.Clone(keys))
	r.mu.Unlock()
	return r.answer(keys)
}

func doubled(keys []int) []*dataloader.Result[int] {
	out := make([]*dataloader.Result[int], len(keys))
	for i, k := range keys {
		out[i] = &dataloader.Result[int]{Data: 2 * k}
	}
	return out
}

var testCfg = Config{Stall: time.Minute, MaxBatch: 100}

// solo is the scheduler of a caller that loads from its own goroutine.
func solo() *Scheduler { return NewScheduler(context.Background(), 1, testCfg.Stall) }

func TestLoaderBatchesAndCaches(t *testing.T) {
	rec := &recorder{answer: doubled}
	l := newLoader(context.Background(), solo(), testCfg, rec.fetch)
	l.Prime(context.Background(), 7, 70)
	thunks := l.LoadMany(context.Background(), []int{1, 2, 2, 3, 7})
	vals, errs := thunks()
	if want := []int{2, 4, 4, 6, 70}; !slices.Equal(vals, want) {
		t.Errorf("got %v, want %v", vals, want)
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	if len(rec.batches) != 1 || !slices.Equal(rec.batches[0], []int{1, 2, 3}) {
		t.Errorf("got batches %v, want one batch of the unique, unprimed keys [1 2 3]", rec.batches)
	}
}

func TestLoaderCapsBatches(t *testing.T) {
	rec := &recorder{answer: doubled}
	cfg := testCfg
	cfg.MaxBatch = 2
	l := newLoader(context.Background(), solo(), cfg, rec.fetch)
	if _, errs := l.LoadMany(context.Background(), []int{1, 2, 3, 4, 5})(); errors.Join(errs...) != nil {
		t.Fatalf("got error %v, want nil", errors.Join(errs...))
	}
	if len(rec.batches) != 3 {
		t.Errorf("got %d batches %v, want 3 of at most 2 keys", len(rec.batches), rec.batches)
	}
}

func TestLoaderFailsKeysOfABrokenBatch(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer func(keys []int) []*dataloader.Result[int]
	}{
		{"ErrTooFewResults", func(keys []int) []*dataloader.Result[int] { return doubled(keys)[:1] }},
		{"ErrNilResult", func(keys []int) []*dataloader.Result[int] { return make([]*dataloader.Result[int], len(keys)) }},
		{"ErrPanic", func([]int) []*dataloader.Result[int] { panic("boom") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLoader(context.Background(), solo(), testCfg, (&recorder{answer: tc.answer}).fetch)
			_, errs := l.LoadMany(context.Background(), []int{1, 2})()
			for i, err := range errs {
				if err == nil {
					t.Errorf("key %d: got no error, want the batch's failure", i)
				}
			}
		})
	}
}

// TestSchedulerWaitsForTheWholeOperation: 200 resolvers of one operation
// queue their keys at scattered moments, while CPU-burning goroutines
// compete for the processors; the batch runs once, with every key, as soon
// as the last of them waits, and never because of a timer.
func TestSchedulerWaitsForTheWholeOperation(t *testing.T) {
	// CPU burners: they spin on purpose, checking only whether to stop.
	var stop atomic.Bool
	defer stop.Store(true)
	for range 4 {
		go func() {
			for !stop.Load() {
			}
		}()
	}
	const resolvers = 200
	rec := &recorder{answer: doubled}
	s := NewScheduler(context.Background(), resolvers, time.Minute)
	l := newLoader(context.Background(), s, testCfg.withMaxBatch(1000), rec.fetch)
	var wg sync.WaitGroup
	errs := make(chan error, resolvers)
	for i := range resolvers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Keys arrive at scattered moments: each resolver yields the
			// processor a different number of times first.
			for range i % 7 {
				runtime.Gosched()
			}
			v, err := l.Load(context.Background(), i)()
			if err == nil && v != 2*i {
				err = fmt.Errorf("key %d: got %d, want %d", i, v, 2*i)
			}
			errs <- err
			s.Done(0) // the resolver returns
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("got error %v, want nil", err)
		}
	}
	if len(rec.batches) != 1 || len(rec.batches[0]) != resolvers {
		t.Errorf("got %d batches, want 1 with all %d keys", len(rec.batches), resolvers)
	}
	if batches, stalled := s.Stats(); batches != 1 || stalled != 0 {
		t.Errorf("got %d batches, %d of them after a stall; want 1, 0", batches, stalled)
	}
}

// afterWaiting calls f once n work units of s have ended (a resolver
// blocking on a thunk ends its unit first): the order a test needs comes
// from the scheduler's own count, not from sleeping. The loop only yields,
// so it ends as soon as the count moves.
func afterWaiting(s *Scheduler, n int64, f func()) {
	go func() {
		for s.progress.Load() < n {
			runtime.Gosched()
		}
		f()
	}()
}

// TestSchedulerCountsGoroutines: a goroutine started with Go holds the
// batch open until its key is queued, even when it queues it only after
// every other resolver is waiting.
func TestSchedulerCountsGoroutines(t *testing.T) {
	rec := &recorder{answer: doubled}
	s := NewScheduler(context.Background(), 1, time.Minute)
	ls := &Loaders{sched: s}
	ctx := With(context.Background(), ls)
	l := newLoader(ctx, s, testCfg, rec.fetch)
	second := make(chan dataloader.Thunk[int], 1)
	late := make(chan struct{})
	afterWaiting(s, 1, func() { close(late) }) // the Load(1) below is waiting
	Go(ctx, func() {
		<-late
		second <- l.Load(ctx, 2)
	})
	if v, err := l.Load(ctx, 1)(); err != nil || v != 2 {
		t.Fatalf("got %d, %v; want 2", v, err)
	}
	if v, err := (<-second)(); err != nil || v != 4 {
		t.Fatalf("got %d, %v; want 4", v, err)
	}
	if len(rec.batches) != 1 || !slices.Equal(rec.batches[0], []int{1, 2}) {
		t.Errorf("got batches %v, want [[1 2]]", rec.batches)
	}
}

// TestSchedulerStallGuard: work the count never hears of delays a batch by
// the stall window, and is reported.
func TestSchedulerStallGuard(t *testing.T) {
	rec := &recorder{answer: doubled}
	s := NewScheduler(context.Background(), 2, 10*time.Millisecond) // one unit never ends
	l := newLoader(context.Background(), s, testCfg, rec.fetch)
	if v, err := l.Load(context.Background(), 1)(); err != nil || v != 2 {
		t.Fatalf("got %d, %v; want 2", v, err)
	}
	if _, stalled := s.Stats(); stalled != 1 {
		t.Errorf("got %d stalled batches, want 1", stalled)
	}
}

// TestSchedulerEndsWithItsContext: once the operation's context ends, its
// batches run at once, whatever the count says.
func TestSchedulerEndsWithItsContext(t *testing.T) {
	rec := &recorder{answer: doubled}
	ctx, cancel := context.WithCancel(context.Background())
	s := NewScheduler(ctx, 2, time.Hour) // one unit never ends
	l := newLoader(ctx, s, testCfg, rec.fetch)
	afterWaiting(s, 1, cancel) // once the Load(1) below is waiting
	if v, err := l.Load(ctx, 1)(); err != nil || v != 2 {
		t.Fatalf("got %d, %v; want 2", v, err)
	}
	if v, err := l.Load(ctx, 2)(); err != nil || v != 4 {
		t.Fatalf("after the end: got %d, %v; want 4", v, err)
	}
}

func (c Config) withMaxBatch(n int) Config { c.MaxBatch = n; return c }
