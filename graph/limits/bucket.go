package limits

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Rule is a leaky bucket: it holds at most Capacity units, every request
// pours its cost in, and it drains at PerSecond units a second. A request
// that would overflow it is refused, and told how long until it would fit.
type Rule struct {
	Capacity  float64
	PerSecond float64
}

// Decision is a bucket's answer to one request. Capacity and ResetAfter
// come from the bucket's own rule, so what clients are told about their
// budget (X-RateLimit-Limit, X-RateLimit-Reset) cannot disagree with the
// bucket that rations them.
type Decision struct {
	Allowed    bool
	Remaining  float64       // room left after this request (before it, if refused)
	RetryAfter time.Duration // when refused: wait at least this long
	Capacity   float64       // the bucket's size
	// ResetAfter is how long the bucket takes, from this decision, to
	// drain empty (all of Capacity free again) if nothing more is poured.
	ResetAfter time.Duration
}

// Limiter keeps one bucket per key.
type Limiter interface {
	Take(ctx context.Context, key string, cost float64) (Decision, error)
}

// decide applies a rule to a bucket holding level units.
func (r Rule) decide(level, cost float64) (Decision, float64) {
	if level+cost > r.Capacity {
		return r.decision(false, r.Capacity-level, r.drainTime(level+cost-r.Capacity)), level
	}
	level += cost
	return r.decision(true, r.Capacity-level, 0), level
}

// decision is the answer of a bucket left with remaining units of room.
func (r Rule) decision(allowed bool, remaining float64, retryAfter time.Duration) Decision {
	return Decision{
		Allowed:    allowed,
		Remaining:  remaining,
		RetryAfter: retryAfter,
		Capacity:   r.Capacity,
		ResetAfter: r.drainTime(r.Capacity - remaining),
	}
}

// drainTime is how long the bucket takes to drain units, rounded up to the
// millisecond.
func (r Rule) drainTime(units float64) time.Duration {
	if units <= 0 {
		return 0
	}
	return time.Duration(math.Ceil(units/r.PerSecond*1000)) * time.Millisecond
}

// Option configures a Memory or Redis limiter.
type Option func(*options)

type options struct {
	now func() time.Time // nil: the backend's own clock
}

// WithClock makes a limiter read the time from now: a test drains a bucket
// by moving the clock instead of waiting. A Memory limiter otherwise uses
// time.Now; a Redis limiter otherwise uses Redis's clock, and with now it
// sends now's reading with each request instead, so every instance sharing
// its buckets must then be given the same clock.
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

func newOptions(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// Memory keeps buckets in this process: the default, right for one
// instance. Several instances must share Redis buckets instead.
type Memory struct {
	rule  Rule
	now   func() time.Time
	mu    sync.Mutex
	state map[string]memBucket
	calls int
}

type memBucket struct {
	level float64
	at    time.Time
}

// NewMemory returns in-process buckets following rule.
func NewMemory(rule Rule, opts ...Option) *Memory {
	o := newOptions(opts)
	if o.now == nil {
		o.now = time.Now
	}
	return &Memory{rule: rule, now: o.now, state: map[string]memBucket{}}
}

// Take pours cost into key's bucket if it fits.
func (m *Memory) Take(_ context.Context, key string, cost float64) (Decision, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	b := m.state[key]
	level := math.Max(0, b.level-now.Sub(b.at).Seconds()*m.rule.PerSecond)
	d, level := m.rule.decide(level, cost)
	m.state[key] = memBucket{level: level, at: now}
	if m.calls++; m.calls%4096 == 0 {
		m.sweep(now)
	}
	return d, nil
}

// sweep forgets buckets that have drained, so idle clients cost no memory.
func (m *Memory) sweep(now time.Time) {
	for k, b := range m.state {
		if b.level-now.Sub(b.at).Seconds()*m.rule.PerSecond <= 0 {
			delete(m.state, k)
		}
	}
}

// Redis keeps buckets in Redis so every instance of the server draws on the
// same budget. The level is updated by one Lua script, atomically, using
// Redis's clock so instances' clocks need not agree.
type Redis struct {
	client redis.Scripter
	rule   Rule
	prefix string
	now    func() time.Time // nil: Redis's clock
}

// NewRedis returns Redis-backed buckets under key prefix.
func NewRedis(client redis.Scripter, prefix string, rule Rule, opts ...Option) *Redis {
	return &Redis{client: client, rule: rule, prefix: prefix, now: newOptions(opts).now}
}

// leaky takes the time from ARGV[4] when a clock was given (WithClock),
// else from Redis.
var leaky = redis.NewScript(`
local capacity, rate, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local now = tonumber(ARGV[4])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1e6
end
local v = redis.call('HMGET', KEYS[1], 'level', 'at')
local level, at = tonumber(v[1]) or 0, tonumber(v[2]) or now
level = math.max(0, level - (now - at) * rate)
if level + cost > capacity then
  return {0, tostring(capacity - level), tostring((level + cost - capacity) / rate)}
end
level = level + cost
redis.call('HSET', KEYS[1], 'level', tostring(level), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(level / rate * 1000) + 1000)
return {1, tostring(capacity - level), '0'}
`)

// Take pours cost into key's bucket if it fits.
func (r *Redis) Take(ctx context.Context, key string, cost float64) (Decision, error) {
	args := []any{r.rule.Capacity, r.rule.PerSecond, cost}
	if r.now != nil {
		args = append(args, strconv.FormatFloat(float64(r.now().UnixMicro())/1e6, 'f', 6, 64))
	}
	res, err := leaky.Run(ctx, r.client, []string{r.prefix + key}, args...).Slice()
	if err != nil {
		return Decision{}, fmt.Errorf("rate limit bucket %q: %w", key, err)
	}
	if len(res) != 3 {
		return Decision{}, fmt.Errorf("rate limit bucket %q: unexpected reply %v", key, res)
	}
	allowed, _ := res[0].(int64)
	remaining, _ := strconv.ParseFloat(fmt.Sprint(res[1]), 64)
	wait, _ := strconv.ParseFloat(fmt.Sprint(res[2]), 64)
	return r.rule.decision(allowed == 1, remaining, time.Duration(math.Ceil(wait*1000))*time.Millisecond), nil
}
