package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"
)

// Redis holds what instances share (rate-limit buckets, persisted
// queries), never what a request needs to be answered: every use has a
// way on without it. Limits fall back to this instance's own buckets
// (limits.WithFallback) and persisted queries read as misses (the client
// then sends the query). So Redis must never hold a request up:
//
//   - short timeouts and no retries (go-redis retries three times by
//     default): a dead Redis costs at most a dial timeout, a frozen one a
//     read timeout, instead of stalling every request for the freeze;
//   - a circuit breaker (gobreaker) in front of every command: after three
//     failures in a row it fails commands at once for five seconds, then
//     lets one through to see whether Redis is back;
//   - a Redis that is down at start is not a reason to stay down: the
//     server starts with the fallbacks and uses Redis once it answers.
//
// Each timeout is only a default: REDIS_URL's own dial_timeout,
// read_timeout, write_timeout and pool_timeout parameters win.
func openRedis(ctx context.Context, cfg config, logger *slog.Logger) (*redis.Client, error) {
	if cfg.RedisURL == "" {
		return nil, nil
	}
	opt, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	u, _ := url.Parse(cfg.RedisURL)
	set := u.Query()
	for _, d := range []struct {
		param string
		field *time.Duration
		value time.Duration
	}{
		{"dial_timeout", &opt.DialTimeout, 250 * time.Millisecond},
		{"read_timeout", &opt.ReadTimeout, 100 * time.Millisecond},
		{"write_timeout", &opt.WriteTimeout, 100 * time.Millisecond},
		{"pool_timeout", &opt.PoolTimeout, 100 * time.Millisecond},
	} {
		if !set.Has(d.param) {
			*d.field = d.value
		}
	}
	if !set.Has("max_retries") {
		opt.MaxRetries = -1 // none
	}
	rdb := redis.NewClient(opt)
	rdb.AddHook(newBreaker(logger))
	pingCtx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := rdb.Ping(pingCtx).Err(); err != nil {
		logger.Warn("redis unreachable at start: serving with per-instance limits until it answers", "err", err)
	}
	return rdb, nil
}

// breaker is a go-redis hook that runs every command and pipeline through
// one circuit breaker.
type breaker struct {
	cb *gobreaker.CircuitBreaker[struct{}]
}

func newBreaker(logger *slog.Logger) breaker {
	return breaker{gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        "redis",
		MaxRequests: 1,
		Timeout:     5 * time.Second,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 3 },
		// A reply from Redis, even an error reply (a missing key, a
		// script to load), means Redis is there.
		IsSuccessful: func(err error) bool {
			var reply redis.Error
			return err == nil || errors.As(err, &reply)
		},
		OnStateChange: func(_ string, from, to gobreaker.State) {
			logger.Warn("redis circuit breaker", "from", from.String(), "to", to.String())
		},
	})}
}

func (b breaker) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}

func (b breaker) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		_, err := b.cb.Execute(func() (struct{}, error) { return struct{}{}, next(ctx, cmd) })
		if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
			cmd.SetErr(err)
		}
		return err
	}
}

func (b breaker) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		_, err := b.cb.Execute(func() (struct{}, error) { return struct{}{}, next(ctx, cmds) })
		if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
			for _, cmd := range cmds {
				cmd.SetErr(err)
			}
		}
		return err
	}
}
