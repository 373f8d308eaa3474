package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// load is how a run drives its target: a closed loop of Conns workers,
// each sending its next request when the previous one is answered, or an
// open loop at Rate requests per second whatever the latency.
type load struct {
	Conns int // closed loop: the number of workers (and connections)
	Rate  int // open loop: requests per second; 0 for a closed loop
}

func (l load) String() string {
	if l.Rate > 0 {
		return "open " + itoa(l.Rate) + "/s"
	}
	return itoa(l.Conns)
}

// maxOpenWorkers caps an open-loop run's workers: vegeta starts one more
// whenever all are busy, so a target slower than the rate would otherwise
// grow the client without bound.
const maxOpenWorkers = 256

// attackOutcome is what one vegeta attack measured from the client side.
type attackOutcome struct {
	Requests    int
	Elapsed     time.Duration // first request sent to last response received
	Latency     vegeta.LatencyMetrics
	HTTPErrors  int // transport errors and non-200 statuses
	GQLErrors   int // 200 with an "errors" entry or null data
	BodyDiffers int // 200 with data, but not the reference bytes
	Samples     []string
}

func (a attackOutcome) errors() int { return a.HTTPErrors + a.GQLErrors + a.BodyDiffers }

// attack runs one vegeta attack of target for d and checks every response
// against reference: the answer the scenario gives when all is well. The
// scenarios are deterministic reads of fixed data, so comparing bytes is
// an exact check of every response at memcmp cost; a response that differs
// is decoded to tell a GraphQL error from a different (wrong) body.
func attack(tgt vegeta.Target, l load, d time.Duration, reference []byte) attackOutcome {
	return attackWith(vegeta.NewStaticTargeter(tgt), l, d, reference)
}

// attackWith is attack with any targeter (requests that differ by header).
func attackWith(targeter vegeta.Targeter, l load, d time.Duration, reference []byte) attackOutcome {
	opts := []func(*vegeta.Attacker){
		vegeta.Timeout(30 * time.Second),
		vegeta.KeepAlive(true),
		vegeta.Redirects(vegeta.NoFollow),
	}
	pacer := vegeta.Rate{Freq: 0} // zero rate: workers send back to back
	if l.Rate > 0 {
		pacer = vegeta.Rate{Freq: l.Rate, Per: time.Second}
		opts = append(opts, vegeta.Workers(uint64(max(l.Conns, 1))), vegeta.MaxWorkers(maxOpenWorkers),
			vegeta.Connections(maxOpenWorkers))
	} else {
		opts = append(opts, vegeta.Workers(uint64(l.Conns)), vegeta.MaxWorkers(uint64(l.Conns)),
			vegeta.Connections(l.Conns))
	}
	atk := vegeta.NewAttacker(opts...)
	var (
		m   vegeta.Metrics
		out attackOutcome
	)
	sample := func(s string) {
		if len(out.Samples) < 5 {
			out.Samples = append(out.Samples, s)
		}
	}
	for res := range atk.Attack(targeter, pacer, d, "bench") {
		m.Add(res)
		switch {
		case res.Error != "" || res.Code != http.StatusOK:
			out.HTTPErrors++
			sample(itoa(int(res.Code)) + " " + res.Error + " " + truncate(res.Body, 200))
		case bytes.Equal(res.Body, reference):
		case hasGraphQLError(res.Body):
			out.GQLErrors++
			sample(truncate(res.Body, 300))
		default:
			out.BodyDiffers++
			sample("body differs from the reference: " + truncate(res.Body, 200))
		}
		res.Body = nil // vegeta's Metrics keeps no bodies; let them go now
	}
	m.Close()
	out.Requests = int(m.Requests)
	out.Elapsed = m.End.Sub(m.Earliest)
	out.Latency = m.Latencies
	return out
}

// hasGraphQLError reports a response with an errors entry, no data, or a
// null root field: what a client would see as a failure.
func hasGraphQLError(body []byte) bool {
	var env struct {
		Errors []json.RawMessage           `json:"errors"`
		Data   map[string]*json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil || len(env.Errors) > 0 || len(env.Data) == 0 {
		return true
	}
	for _, v := range env.Data {
		if v == nil || string(*v) == "null" {
			return true
		}
	}
	return false
}
