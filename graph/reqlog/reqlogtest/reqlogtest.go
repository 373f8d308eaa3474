package reqlogtest

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// Sink collects what a logger writes. Requests write it from their own
// goroutines while the test reads it, so every access is locked.
type Sink struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced at every write
}

// Write appends p and wakes the tests waiting on the log.
func (s *Sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.buf.Write(p)
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
	return n, err
}

// String returns everything written so far.
func (s *Sink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// Lines returns the lines written so far that contain substr.
func (s *Sink) Lines(substr string) []string {
	var out []string
	for _, line := range strings.Split(s.String(), "\n") {
		if line != "" && strings.Contains(line, substr) {
			out = append(out, line)
		}
	}
	return out
}

// WaitFor blocks until cond holds for the log written so far, checking it
// at every write rather than on a timer, and fails t if timeout passes
// first. The timeout is a safety net against a hung test, never a
// measurement: what is asserted is cond.
func (s *Sink) WaitFor(t testing.TB, timeout time.Duration, what string, cond func(logs string) bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		logs := s.buf.String()
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		changed := s.changed // closed by any write after this snapshot
		s.mu.Unlock()
		if cond(logs) {
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("log after %v: got no %s, want one; log:\n%s", timeout, what, logs)
		}
	}
}
