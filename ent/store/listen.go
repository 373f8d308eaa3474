package store

import (
	"context"
	"log/slog"
	"time"

	"entgo.io/ent/dialect"
	"github.com/lib/pq"
)

// Listen feeds the store's Hub from PostgreSQL until ctx ends: one
// listening connection per process, its own (a LISTEN cannot share a pooled
// connection, nor go through a transaction-mode pooler). lib/pq's Listener
// reconnects by itself; events committed while it was away are not
// replayed, so after every reconnect subscribers get a Resync and reload
// what they show. On SQLite there is nothing to listen to (the hooks feed
// the Hub directly): Listen returns at once.
//
// ready, if not nil, is closed once the first LISTEN is in place.
func (s *Store) Listen(ctx context.Context, logger *slog.Logger, ready chan<- struct{}) error {
	if s.Dialect != dialect.Postgres {
		if ready != nil {
			close(ready)
		}
		return nil
	}
	l := pq.NewListener(s.dsn, 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventDisconnected:
			logger.Warn("event listener lost its database connection; reconnecting", "err", err)
		case pq.ListenerEventReconnected:
			logger.Info("event listener reconnected; subscribers resync")
		case pq.ListenerEventConnectionAttemptFailed:
			logger.Warn("event listener could not reconnect yet", "err", err)
		}
	})
	// lib/pq's Close waits for a reconnect attempt in progress (up to its
	// backoff, 10 s here) to end: a stopping server need not wait with it.
	defer func() { go l.Close() }()
	// Listen waits until the listener has a connection, which may never
	// come (the database is gone): wait with ctx instead. Close wakes it.
	listening := make(chan error, 1)
	go func() { listening <- l.Listen(EventChannel) }()
	select {
	case err := <-listening:
		if err != nil {
			return err
		}
	case <-ctx.Done():
		return nil
	}
	if ready != nil {
		close(ready)
	}
	ping := time.NewTicker(30 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case n := <-l.Notify:
			if n == nil {
				// A reconnect: whatever was sent meanwhile is lost.
				s.hub.Publish(Event{Kind: Resync})
				continue
			}
			events, err := decodeEvents(n.Extra)
			if err != nil {
				logger.Error("event listener: undecodable notification", "err", err)
				s.hub.Publish(Event{Kind: Resync})
				continue
			}
			s.hub.Publish(events...)
		case <-ping.C:
			// A dead connection shows only when used: a ping finds it, so
			// the reconnect (and the resync) happens now, not at the next
			// notification that never comes.
			if err := l.Ping(); err != nil {
				logger.Warn("event listener ping failed", "err", err)
			}
		}
	}
}

// Events is the hub that change events reach in this process.
func (s *Store) Events() *Hub { return s.hub }
