package limits_test

import (
	"context"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shopgraph/shopgraph/ent/store/storetest"
	"github.com/shopgraph/shopgraph/graph/limits"
)

// clock is the tests' time source: buckets read it, tests move it, so a
// bucket drains exactly as far as a test says and no test waits.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

// Now is the clock's reading, the limiters' limits.WithClock.
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on by d.
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// backend makes a limiter following a rule, reading the time from a clock.
type backend struct {
	name string
	new  func(t *testing.T, rule limits.Rule, clk *clock) limits.Limiter
}

func backends() []backend {
	return []backend{
		{name: "Memory", new: func(t *testing.T, rule limits.Rule, clk *clock) limits.Limiter {
			return limits.NewMemory(rule, limits.WithClock(clk.Now))
		}},
		{name: "Redis", new: func(t *testing.T, rule limits.Rule, clk *clock) limits.Limiter {
			rdb := storetest.Redis(t)
			return limits.NewRedis(rdb, storetest.RedisPrefix(t, rdb, "limits"), rule, limits.WithClock(clk.Now))
		}},
	}
}

// take calls l.Take and fails the test on an error.
func take(t *testing.T, l limits.Limiter, key string, cost float64) limits.Decision {
	t.Helper()
	d, err := l.Take(context.Background(), key, cost)
	if err != nil {
		t.Fatalf("Take(%q, %v): got error %v, want nil", key, cost, err)
	}
	return d
}

// near reports whether got is within tolerance of want.
func near(got, want, tolerance float64) bool { return math.Abs(got-want) <= tolerance }

// slow drains a unit every 1000 s: the tests whose clock does not move
// (and the Redis ones on Redis's own clock) see no drain worth measuring.
var slow = limits.Rule{Capacity: 10, PerSecond: 0.001}

func TestBucket(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()

			t.Run("AllowsUpToCapacity", func(t *testing.T) {
				l := b.new(t, slow, newClock())
				for i := 1; i <= 10; i++ {
					d := take(t, l, "client", 1)
					if !d.Allowed {
						t.Fatalf("take %d of 10 with capacity 10: got refused %+v, want allowed", i, d)
					}
					if want := float64(10 - i); !near(d.Remaining, want, 0.05) {
						t.Errorf("take %d: got remaining %v, want %v", i, d.Remaining, want)
					}
					if d.RetryAfter != 0 {
						t.Errorf("take %d allowed: got RetryAfter %v, want 0", i, d.RetryAfter)
					}
				}
			})

			t.Run("RefusesBeyondCapacityWithRetryAfter", func(t *testing.T) {
				l := b.new(t, slow, newClock())
				for i := 0; i < 10; i++ {
					take(t, l, "client", 1)
				}
				d := take(t, l, "client", 1)
				if d.Allowed {
					t.Fatalf("take 11 with capacity 10: got allowed %+v, want refused", d)
				}
				// One unit drains in 1000 s.
				if d.RetryAfter < 990*time.Second || d.RetryAfter > 1000*time.Second {
					t.Errorf("RetryAfter: got %v, want about 1000s (one unit at 0.001/s)", d.RetryAfter)
				}
				if !near(d.Remaining, 0, 0.05) {
					t.Errorf("Remaining when full: got %v, want 0", d.Remaining)
				}
			})

			t.Run("RefusalConsumesNothing", func(t *testing.T) {
				l := b.new(t, slow, newClock())
				if d := take(t, l, "client", 8); !d.Allowed {
					t.Fatalf("take 8 of 10: got refused %+v, want allowed", d)
				}
				d := take(t, l, "client", 5)
				if d.Allowed {
					t.Fatalf("take 5 with 2 left: got allowed %+v, want refused", d)
				}
				if !near(d.Remaining, 2, 0.05) {
					t.Errorf("refused take: got remaining %v, want 2 (room before it)", d.Remaining)
				}
				if d := take(t, l, "client", 2); !d.Allowed {
					t.Errorf("take 2 with 2 left after a refusal: got refused %+v, want allowed (refusals must not pour anything in)", d)
				}
			})

			t.Run("CostOverCapacityRefused", func(t *testing.T) {
				l := b.new(t, slow, newClock())
				if d := take(t, l, "client", 11); d.Allowed || d.RetryAfter <= 0 {
					t.Errorf("take 11 from an empty bucket of 10: got %+v, want refused with RetryAfter > 0", d)
				}
			})

			t.Run("KeysAreSeparateBuckets", func(t *testing.T) {
				l := b.new(t, slow, newClock())
				take(t, l, "a", 10)
				if d := take(t, l, "a", 1); d.Allowed {
					t.Fatalf("take from full bucket a: got allowed, want refused")
				}
				if d := take(t, l, "b", 10); !d.Allowed {
					t.Errorf("take 10 from bucket b while a is full: got refused %+v, want allowed", d)
				}
			})

			t.Run("RefillsOverTime", func(t *testing.T) {
				// 5 units draining at 0.01/s: one unit every 100 s of the
				// test's clock, empty after 500 s.
				clk := newClock()
				l := b.new(t, limits.Rule{Capacity: 5, PerSecond: 0.01}, clk)
				if d := take(t, l, "client", 5); !d.Allowed {
					t.Fatalf("take 5 of 5: got refused %+v, want allowed", d)
				}
				d := take(t, l, "client", 1)
				if d.Allowed {
					t.Fatalf("take 1 from a full bucket: got allowed %+v, want refused", d)
				}
				if d.RetryAfter < 100*time.Second || d.RetryAfter > 100*time.Second+time.Millisecond {
					t.Fatalf("RetryAfter: got %v, want 100s (one unit at 0.01/s)", d.RetryAfter)
				}
				clk.Advance(d.RetryAfter - time.Second)
				if d := take(t, l, "client", 1); d.Allowed {
					t.Errorf("take 1 a second before RetryAfter: got allowed %+v, want refused", d)
				}
				clk.Advance(time.Second)
				if d := take(t, l, "client", 1); !d.Allowed {
					t.Errorf("take 1 after RetryAfter: got refused %+v, want allowed", d)
				}
				clk.Advance(500 * time.Second)
				d = take(t, l, "client", 5)
				if !d.Allowed {
					t.Errorf("take 5 after the bucket drained: got refused %+v, want allowed", d)
				}
				if !near(d.Remaining, 0, 1e-6) {
					t.Errorf("remaining after taking a drained bucket's capacity: got %v, want 0", d.Remaining)
				}
			})
			t.Run("ReportsCapacityAndResetAfter", func(t *testing.T) {
				// 5 units draining at 0.01/s: a unit takes 100 s to drain.
				clk := newClock()
				l := b.new(t, limits.Rule{Capacity: 5, PerSecond: 0.01}, clk)
				checkReport := func(what string, d limits.Decision, wantReset time.Duration) {
					t.Helper()
					if d.Capacity != 5 {
						t.Errorf("%s: got capacity %v, want 5 (the rule's)", what, d.Capacity)
					}
					if d.ResetAfter < wantReset || d.ResetAfter > wantReset+time.Millisecond {
						t.Errorf("%s: got ResetAfter %v, want %v (until the bucket is empty)", what, d.ResetAfter, wantReset)
					}
				}
				checkReport("take 2 of 5", take(t, l, "client", 2), 200*time.Second)
				clk.Advance(50 * time.Second) // half a unit drains
				checkReport("take 1 more 50 s on", take(t, l, "client", 1), 250*time.Second)
				d := take(t, l, "client", 3)
				if d.Allowed {
					t.Fatalf("take 3 with 2.5 left: got allowed %+v, want refused", d)
				}
				checkReport("refused take", d, 250*time.Second) // a refusal pours nothing in
				clk.Advance(250 * time.Second)
				checkReport("take 0 once drained", take(t, l, "client", 0), 0)
			})
			t.Run("ConcurrentTakesNeverOverfill", func(t *testing.T) {
				l := b.new(t, limits.Rule{Capacity: 50, PerSecond: 0.001}, newClock())
				var (
					wg      sync.WaitGroup
					mu      sync.Mutex
					allowed int
				)
				for range 200 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						d, err := l.Take(context.Background(), "client", 1)
						if err != nil {
							t.Errorf("Take: got error %v, want nil", err)
							return
						}
						if d.Allowed {
							mu.Lock()
							allowed++
							mu.Unlock()
						}
					}()
				}
				wg.Wait()
				if allowed != 50 {
					t.Errorf("200 concurrent takes of 1 with capacity 50: got %d allowed, want 50", allowed)
				}
			})
		})
	}
}

// Two Redis limiters with their own connections are two server instances:
// with one prefix they draw on one bucket, so a client cannot multiply its
// budget by spreading requests over instances.
func TestRedisInstancesShareBuckets(t *testing.T) {
	t.Parallel()
	rdb := storetest.Redis(t)
	prefix := storetest.RedisPrefix(t, rdb, "limits")
	a := limits.NewRedis(storetest.Redis(t), prefix, slow)
	b := limits.NewRedis(storetest.Redis(t), prefix, slow)

	for i := 1; i <= 10; i++ {
		l, name := a, "a"
		if i%2 == 0 {
			l, name = b, "b"
		}
		d := take(t, l, "client", 1)
		if !d.Allowed {
			t.Fatalf("take %d (instance %s) of 10 with capacity 10: got refused %+v, want allowed", i, name, d)
		}
		if want := float64(10 - i); !near(d.Remaining, want, 0.05) {
			t.Errorf("take %d (instance %s): got remaining %v, want %v (one bucket for both)", i, name, d.Remaining, want)
		}
	}
	for name, l := range map[string]limits.Limiter{"a": a, "b": b} {
		if d := take(t, l, "client", 1); d.Allowed {
			t.Errorf("take 11 on instance %s: got allowed, want refused (the shared bucket is full)", name)
		}
	}

	t.Run("OtherPrefixIsOtherBucket", func(t *testing.T) {
		c := limits.NewRedis(storetest.Redis(t), storetest.RedisPrefix(t, rdb, "limits"), slow)
		if d := take(t, c, "client", 10); !d.Allowed {
			t.Errorf("take 10 under another prefix: got refused %+v, want allowed", d)
		}
	})
}

// Buckets expire once drained, so idle clients leave nothing in Redis.
func TestRedisBucketExpires(t *testing.T) {
	t.Parallel()
	rdb := storetest.Redis(t)
	prefix := storetest.RedisPrefix(t, rdb, "limits")
	l := limits.NewRedis(rdb, prefix, limits.Rule{Capacity: 10, PerSecond: 5})
	take(t, l, "client", 5) // drains in 1 s
	ttl, err := rdb.PTTL(context.Background(), prefix+"client").Result()
	if err != nil {
		t.Fatalf("PTTL: got error %v, want nil", err)
	}
	if ttl <= 0 || ttl > 2*time.Second+100*time.Millisecond {
		t.Errorf("TTL of a bucket that drains in 1s: got %v, want in (0, 2s]", ttl)
	}
}

func TestRedisUnreachableIsAnError(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: time.Second})
	defer rdb.Close()
	l := limits.NewRedis(rdb, "shopgraph:test:down:", slow)
	if d, err := l.Take(context.Background(), "client", 1); err == nil {
		t.Errorf("Take with Redis down: got %+v and nil error, want an error (the extension then lets the request through)", d)
	}
}
