package loaders

import (
	"context"
	"errors"
	"slices"
	"sync"
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

var testCfg = Config{Wait: time.Millisecond, MaxWait: time.Second, MaxBatch: 100}

func TestLoaderBatchesAndCaches(t *testing.T) {
	rec := &recorder{answer: doubled}
	l := newLoader(context.Background(), testCfg, rec.fetch)
	l.Prime(context.Background(), 7, 70)
	thunks := l.LoadMany(context.Background(), []int{1, 2, 2, 3, 7})
	vals, errs := thunks()
	if want := []int{2, 4, 4, 6, 70}; !slices.Equal(vals, want) {
		t.Errorf("got %v, want %v", vals, want)
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if len(rec.batches) != 1 || !slices.Equal(rec.batches[0], []int{1, 2, 3}) {
		t.Errorf("got batches %v, want one batch of the unique, unprimed keys [1 2 3]", rec.batches)
	}
}

func TestLoaderCapsBatches(t *testing.T) {
	rec := &recorder{answer: doubled}
	cfg := testCfg
	cfg.MaxBatch = 2
	l := newLoader(context.Background(), cfg, rec.fetch)
	if _, errs := l.LoadMany(context.Background(), []int{1, 2, 3, 4, 5})(); errors.Join(errs...) != nil {
		t.Fatal(errors.Join(errs...))
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
			l := newLoader(context.Background(), testCfg, (&recorder{answer: tc.answer}).fetch)
			_, errs := l.LoadMany(context.Background(), []int{1, 2})()
			for i, err := range errs {
				if err == nil {
					t.Errorf("key %d: got no error, want the batch's failure", i)
				}
			}
		})
	}
}
