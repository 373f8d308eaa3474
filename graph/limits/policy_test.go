package limits_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/shopgraph/shopgraph/ent/store/storetest"
	"github.com/shopgraph/shopgraph/graph/limits"
)

// defaultPolicy is the server's default policy (the README's limits table).
func defaultPolicy() limits.Policy {
	return limits.Policy{
		MaxCost: 20000, MaxDepth: 15, MaxAliases: 50, MaxFields: 1000,
		Budget:          limits.Rule{Capacity: 60000, PerSecond: 2000},
		SignInPerMinute: 10, CheckoutPerMinute: 30,
	}
}

type callerKey struct{}

// testKeys tell the identity from the client IP, so a test sees which one
// a rule is keyed by.
func testKeys() limits.Keys {
	caller := func(ctx context.Context) string {
		c, _ := ctx.Value(callerKey{}).(string)
		return c
	}
	return limits.Keys{
		Identity: func(ctx context.Context) string { return "user:" + caller(ctx) },
		ClientIP: func(ctx context.Context) string { return "ip:" + caller(ctx) },
	}
}

func TestPolicyConfig(t *testing.T) {
	ctx := context.WithValue(context.Background(), callerKey{}, "7")
	cfg := defaultPolicy().Config(limits.InMemory, testKeys())
	if cfg.MaxCost != 20000 || cfg.MaxDepth != 15 || cfg.MaxAliases != 50 || cfg.MaxFields != 1000 {
		t.Errorf("shape limits: got %+v, want the policy's", cfg)
	}
	if got := cfg.Identity(ctx); got != "user:7" {
		t.Errorf("budget key: got %q, want the identity user:7", got)
	}

	// Each rule is a burst of its size, then refused: n allowed, n+1 not.
	tests := []struct {
		name    string
		limiter limits.Limiter
		key     func(context.Context) string
		wantKey string
		burst   int
		cost    float64
	}{
		{name: "Budget", limiter: cfg.Budget, key: cfg.Identity, wantKey: "user:7", burst: 3, cost: 20000},
		{name: "SignInPerClientIP", limiter: cfg.Fields["signIn"].Limiter, key: cfg.Fields["signIn"].Key, wantKey: "ip:7", burst: 10, cost: 1},
		{name: "SignUpPerClientIP", limiter: cfg.Fields["signUp"].Limiter, key: cfg.Fields["signUp"].Key, wantKey: "ip:7", burst: 10, cost: 1},
		{name: "ChangePasswordPerIdentity", limiter: cfg.Fields["changePassword"].Limiter, key: cfg.Fields["changePassword"].Key, wantKey: "user:7", burst: 10, cost: 1},
		{name: "CheckoutPerIdentity", limiter: cfg.Fields["placeOrder"].Limiter, key: cfg.Fields["placeOrder"].Key, wantKey: "user:7", burst: 30, cost: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.limiter == nil || tt.key == nil {
				t.Fatalf("rule: got limiter %v, key func set %v, want both", tt.limiter, tt.key != nil)
			}
			if got := tt.key(ctx); got != tt.wantKey {
				t.Errorf("key: got %q, want %q", got, tt.wantKey)
			}
			for i := range tt.burst {
				d, err := tt.limiter.Take(ctx, "k", tt.cost)
				if err != nil || !d.Allowed {
					t.Fatalf("take %d of %d: got %+v, %v, want allowed", i+1, tt.burst, d, err)
				}
				// Each rule's bucket holds exactly its burst.
				if want := float64(tt.burst) * tt.cost; d.Capacity != want {
					t.Fatalf("take %d: got capacity %v, want %v", i+1, d.Capacity, want)
				}
			}
			if d, err := tt.limiter.Take(ctx, "k", tt.cost); err != nil || d.Allowed {
				t.Errorf("take %d past a burst of %d: got %+v, %v, want refused", tt.burst+1, tt.burst, d, err)
			}
		})
	}
	if len(cfg.Fields) != 4 {
		t.Errorf("field rules: got %v, want signIn, signUp, changePassword and placeOrder only", cfg.Fields)
	}
}

// InRedis keeps each rule's buckets under shopgraph:rl:<name>:, the names
// running instances share: renaming them would split budgets during a
// rolling deploy.
func TestPolicyRedisKeys(t *testing.T) {
	rdb := storetest.Redis(t)
	ctx := context.Background()
	buf := make([]byte, 6)
	rand.Read(buf)
	key := "test:" + hex.EncodeToString(buf)
	cfg := defaultPolicy().Config(limits.InRedis(rdb), testKeys())
	rules := map[string]limits.Limiter{
		"shopgraph:rl:cost:":     cfg.Budget,
		"shopgraph:rl:signin:":   cfg.Fields["signIn"].Limiter,
		"shopgraph:rl:checkout:": cfg.Fields["placeOrder"].Limiter,
	}
	for prefix, l := range rules {
		t.Cleanup(func() { rdb.Del(context.Background(), prefix+key) })
		if _, err := l.Take(ctx, key, 1); err != nil {
			t.Fatalf("take from %s: %v", prefix, err)
		}
		if n, err := rdb.Exists(ctx, prefix+key).Result(); err != nil || n != 1 {
			t.Errorf("redis key %s: got exists=%d (%v), want the bucket there", prefix+key, n, err)
		}
	}
}
