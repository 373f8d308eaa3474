package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// A client that sends its headers a byte at a time (slowloris) holds a
// connection and a goroutine; READ_HEADER_TIMEOUT cuts it off, and other
// clients are served meanwhile.
func TestSlowHeadersCutOff(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"DATA_DIR": t.TempDir(), "READ_HEADER_TIMEOUT": "300ms"})

	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatalf("dial %s: got error %v, want nil", s.addr, err)
	}
	defer conn.Close()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		head := "GET /healthz HTTP/1.1\r\nHost: " + s.addr + "\r\nX-Slow: " + strings.Repeat("a", 200)
		for i := range len(head) {
			if _, err := conn.Write([]byte{head[i]}); err != nil {
				return // closed by the server
			}
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()

	t.Run("OthersServedMeanwhile", func(t *testing.T) {
		if res := s.get(t, "/healthz", nil); res.StatusCode != http.StatusOK {
			t.Errorf("GET /healthz beside a slow client: got %d, want 200", res.StatusCode)
		}
		var data productsData
		s.query(t, `{ products(first: 1) { totalCount } }`, &data)
		if data.Products.TotalCount <= 0 {
			t.Errorf("products totalCount beside a slow client: got %d, want > 0", data.Products.TotalCount)
		}
	})

	// The slow client would need over 20 s to finish its headers; a read
	// deadline well short of that tells "cut off" from "still open".
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(conn) // returns once the server closes the connection
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		t.Fatalf("slow client's connection: got still open after 5s, want it closed after READ_HEADER_TIMEOUT=300ms")
	}
	if strings.Contains(string(got), " 200 ") {
		t.Errorf("slow client: got %q, want no response to an unfinished request", got)
	}
}

// With REDIS_URL, instances share persisted queries and rate-limit buckets:
// a query registered through one is known to the other, and both charge
// one budget.
func TestRedisSharedAcrossInstances(t *testing.T) {
	t.Parallel()
	redisURL := testRedisURL(t)
	vars := func() map[string]string {
		return map[string]string{
			"DATA_DIR":  t.TempDir(),
			"REDIS_URL": redisURL,
			// A budget that cannot run out nor visibly refill during the
			// test, so remaining budgets can be compared.
			"RATE_LIMIT_CAPACITY":   "1000000000",
			"RATE_LIMIT_PER_SECOND": "0.001",
		}
	}
	a := startServer(t, vars())
	b := startServer(t, vars())

	nonce := make([]byte, 8)
	rand.Read(nonce)
	query := "# " + hex.EncodeToString(nonce) + "\n{ products(first: 2) { totalCount } }"
	sum := sha256.Sum256([]byte(query))
	hash := hex.EncodeToString(sum[:])
	t.Cleanup(func() {
		opt, _ := redis.ParseURL(redisURL)
		rdb := redis.NewClient(opt)
		defer rdb.Close()
		rdb.Del(context.Background(), "shopgraph:apq:"+hash)
	})

	t.Run("PersistedQueryShared", func(t *testing.T) {
		if g := postPayload(t, b, map[string]any{"extensions": persisted(hash)}); len(g.Errors) != 1 || g.Errors[0].Message != "PersistedQueryNotFound" {
			t.Fatalf("hash on the second server before registering: got %+v, want PersistedQueryNotFound", g)
		}
		registered := postPayload(t, a, map[string]any{"query": query, "extensions": persisted(hash)})
		if len(registered.Errors) > 0 || len(registered.Data) == 0 {
			t.Fatalf("register on the first server: got %+v, want data", registered)
		}
		ext, _ := json.Marshal(persisted(hash))
		res := b.get(t, "/graphql?"+url.Values{"extensions": {string(ext)}}.Encode(), nil)
		got := decodeReply(t, res)
		if res.StatusCode != http.StatusOK || len(got.Errors) > 0 {
			t.Fatalf("GET by hash on the second server: got %d %s, want data", res.StatusCode, res.Body)
		}
		if string(got.Data) != string(registered.Data) {
			t.Errorf("data by hash on the second server: got %s, want %s", got.Data, registered.Data)
		}
	})

	t.Run("BudgetShared", func(t *testing.T) {
		const q = `{ products(first: 2) { totalCount } }`
		first := postRaw(t, a, map[string]any{"query": q})
		second := postRaw(t, b, map[string]any{"query": q})
		ra, errA := strconv.Atoi(first.Header.Get("X-RateLimit-Remaining"))
		rb, errB := strconv.Atoi(second.Header.Get("X-RateLimit-Remaining"))
		if errA != nil || errB != nil {
			t.Fatalf("X-RateLimit-Remaining: got %q and %q, want both reported", first.Header.Get("X-RateLimit-Remaining"), second.Header.Get("X-RateLimit-Remaining"))
		}
		// Other tests may share this Redis and this client's address, so
		// the second may be lower by more than this request's cost; never
		// by less.
		used, err := strconv.Atoi(second.Header.Get("X-RateLimit-Used"))
		if err != nil || used <= 0 {
			t.Fatalf("X-RateLimit-Used: got %q, want the query's cost", second.Header.Get("X-RateLimit-Used"))
		}
		if ra-rb < used {
			t.Errorf("remaining budget: got %v on the first server, then %v on the second, want the second lower by at least its cost %d (one shared bucket)", ra, rb, used)
		}
		for _, res := range []response{first, second} {
			if got := res.Header.Get("X-RateLimit-Limit"); got != "1000000000" {
				t.Errorf("X-RateLimit-Limit: got %q, want RATE_LIMIT_CAPACITY 1000000000", got)
			}
			if got := res.Header.Get("X-RateLimit-Used"); got != strconv.Itoa(used) {
				t.Errorf("X-RateLimit-Used of the same query on both servers: got %q and %d, want equal", got, used)
			}
		}
	})
	a.stop(t)
	b.stop(t)
}

// Redis only shares limits and persisted queries between instances: when
// it is down at start, dead, or frozen, the server serves anyway, limits
// still hold (per instance), and no request waits on it for long.

func TestRedisDownAtStartIsNotFatal(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"DATA_DIR": t.TempDir(), "REDIS_URL": "redis://127.0.0.1:1/0", "SIGNIN_PER_MINUTE": "3"})
	var data struct{ Products struct{ TotalCount int } }
	s.query(t, `{ products(first: 1) { totalCount } }`, &data)
	if data.Products.TotalCount == 0 {
		t.Fatal("got no products, want the demo catalog")
	}
	checkSignInRationed(t, s, 3)
}

// checkSignInRationed: the (n+1)th wrong sign-in within a minute is 429.
func checkSignInRationed(t *testing.T, s *server, n int) {
	t.Helper()
	for i := range n + 1 {
		body, _ := json.Marshal(map[string]string{"query": `mutation { signIn(input: {email: "nobody@example.com", password: "wrong password"}) { token } }`})
		req, _ := http.NewRequest(http.MethodPost, "http://"+s.addr+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		res := s.do(t, req)
		if i < n && res.StatusCode == http.StatusTooManyRequests {
			t.Fatalf("sign-in %d of a ration of %d: got 429", i+1, n)
		}
		if i == n && res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("sign-in %d past a ration of %d with Redis unusable: got %d %s, want 429 (per-instance buckets)", i+1, n, res.StatusCode, res.Body)
		}
	}
}

// frozenRedis accepts connections and never answers, as a Redis stuck in
// a long command or behind a dead network path does; it counts them.
type frozenRedis struct {
	ln       net.Listener
	mu       sync.Mutex
	accepted int
	conns    []net.Conn
}

func startFrozenRedis(t *testing.T) *frozenRedis {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &frozenRedis{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			f.accepted++
			f.conns = append(f.conns, c)
			f.mu.Unlock()
			go io.Copy(io.Discard, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		f.mu.Lock()
		for _, c := range f.conns {
			c.Close()
		}
		f.mu.Unlock()
	})
	return f
}

func TestRedisFrozenIsBypassed(t *testing.T) {
	t.Parallel()
	frozen := startFrozenRedis(t)
	s := startServer(t, map[string]string{"DATA_DIR": t.TempDir(), "REDIS_URL": "redis://" + frozen.ln.Addr().String() + "/0", "SIGNIN_PER_MINUTE": "3"})
	const requests = 30
	for range requests {
		var data struct{ Products struct{ TotalCount int } }
		s.query(t, `{ products(first: 1) { totalCount } }`, &data)
	}
	checkSignInRationed(t, s, 3)
	frozen.mu.Lock()
	accepted := frozen.accepted
	frozen.mu.Unlock()
	// Start-up's ping, three failures to open the breaker, and a probe or
	// two if the test outlives its five seconds; not one per request.
	if accepted > 8 {
		t.Fatalf("a frozen Redis saw %d connections for %d requests, want the circuit breaker to stop trying after a few", accepted, requests+4)
	}
	if !strings.Contains(s.out.String(), "redis circuit breaker") {
		t.Fatalf("no breaker state change logged:\n%s", s.out)
	}
}
