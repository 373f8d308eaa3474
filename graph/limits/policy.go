package limits

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// Policy is the API's demand control in one place: the shape and cost
// limits of an operation, the cost budget every caller draws on, and the
// root fields rationed on their own. Policy.Config turns it into the
// extension's Config.
type Policy struct {
	MaxCost, MaxDepth, MaxAliases, MaxFields int
	// Budget is each caller's (user, else client IP) bucket of cost.
	Budget Rule
	// SignInPerMinute rations signIn and signUp attempts per client IP,
	// and changePassword per user, so passwords cannot be guessed (nor
	// hashed) at the speed of the budget.
	SignInPerMinute float64
	// CheckoutPerMinute rations placeOrder calls per caller (user, else
	// client IP), which reserve stock.
	CheckoutPerMinute float64
	// RegistrationsPerHour rations new persisted queries per caller: a
	// client's operations are a few dozen, each registered once.
	RegistrationsPerHour float64
}

// Keys say who is calling; the HTTP layer knows (graph.ByIdentity,
// graph.ByClientIP).
type Keys struct {
	// Identity is the signed-in user, else the client's address.
	Identity func(ctx context.Context) string
	// ClientIP is the client's address, signed in or not.
	ClientIP func(ctx context.Context) string
}

// Buckets makes the limiter that keeps the buckets of the rule named name.
type Buckets func(name string, rule Rule) Limiter

// InMemory keeps buckets in this process: right for one instance.
func InMemory(_ string, rule Rule) Limiter { return NewMemory(rule) }

// InRedis keeps buckets in rdb, under shopgraph:rl:<name>:, so every
// instance draws on the same ones. While Redis cannot answer, each
// instance rations with buckets of its own (WithFallback): limits stay
// on, per instance, rather than failing open for everyone or refusing
// everyone.
func InRedis(rdb redis.Scripter) Buckets {
	return func(name string, rule Rule) Limiter {
		return WithFallback(NewRedis(rdb, "shopgraph:rl:"+name+":", rule), NewMemory(rule))
	}
}

// WithFallback is primary, or fallback when primary fails.
func WithFallback(primary, fallback Limiter) Limiter { return fallbackLimiter{primary, fallback} }

type fallbackLimiter struct{ primary, fallback Limiter }

func (f fallbackLimiter) Take(ctx context.Context, key string, cost float64) (Decision, error) {
	d, err := f.primary.Take(ctx, key, cost)
	if err != nil {
		return f.fallback.Take(ctx, key, cost)
	}
	return d, nil
}

// Config returns the extension's Config for the policy, each rule's
// buckets made by buckets. The caller adds the 429 hook and the logger.
func (p Policy) Config(buckets Buckets, keys Keys) Config {
	return Config{
		MaxCost:    p.MaxCost,
		MaxDepth:   p.MaxDepth,
		MaxAliases: p.MaxAliases,
		MaxFields:  p.MaxFields,
		Budget:     buckets("cost", p.Budget),
		// What refusing the worst document the precheck lets through
		// costs (validation of 100 fields in pairwise conflict, about
		// 8 ms of CPU) is several times a storefront page's; charged at
		// a small page's price, a caller can send 20 a second at the
		// default refill rate (large requests also pay for their size,
		// AdmitDocument).
		RefusedCost: 100,
		Identity:    keys.Identity,
		Registrations: &FieldRule{
			Limiter: buckets("apq", Rule{Capacity: p.RegistrationsPerHour, PerSecond: p.RegistrationsPerHour / 3600}),
			Key:     keys.Identity,
		},
		Fields: map[string]FieldRule{
			// Every mutation that hashes or checks a password is rationed
			// like signIn, aliases counted: each costs argon2id's CPU and
			// memory, and changePassword checks a guess at the current
			// password (per user, so a stolen token cannot guess fast).
			"signIn":         {Limiter: buckets("signin", perMinute(p.SignInPerMinute)), Key: keys.ClientIP},
			"signUp":         {Limiter: buckets("signup", perMinute(p.SignInPerMinute)), Key: keys.ClientIP},
			"changePassword": {Limiter: buckets("password", perMinute(p.SignInPerMinute)), Key: keys.Identity},
			"placeOrder":     {Limiter: buckets("checkout", perMinute(p.CheckoutPerMinute)), Key: keys.Identity},
		},
	}
}

// perMinute is a bucket of n that refills n a minute: a burst of n, then
// one every 60/n seconds.
func perMinute(n float64) Rule { return Rule{Capacity: n, PerSecond: n / 60} }
