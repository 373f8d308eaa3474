package main

import (
	"strings"
	"testing"
)

func TestWriteTable(t *testing.T) {
	rep := report{
		Source: "/src", Commit: "abc", Scale: 10, Duration: "1s", Warmup: "0s", CPUs: 2, GoVersion: "go1.26",
		Runs: []runResult{
			{Scenario: "nested", Title: "a nested 50", Target: "server", Conns: 16, ReqPerSec: 123.45,
				P50MS: 1, P90MS: 2, P99MS: 3, ServerCPUMSPerReq: 4.5, PGCPUMSPerReq: 0.25, PeakRSSMB: 40,
				StatementsPerReq: 5.01, StatementsMin: 5, StatementsMax: 5, Errors: 0,
				LoadStart: [3]float64{1, 0, 0}, LoadEnd: [3]float64{2, 0, 0}},
			{Scenario: "nested", Title: "a nested 50", Target: "plain", Rate: 100, ReqPerSec: 99.9,
				StatementsPerReq: 5, StatementsMin: 5, StatementsMax: 6, PGBackendsExited: 2},
		},
		Mismatches: []string{"nested: differs"},
	}
	var sb strings.Builder
	writeTable(&sb, rep)
	got := sb.String()
	for _, want := range []string{
		"| scenario | target | conns | req/s |",
		"| a nested 50 | server | 16 | 123.5 | 1.00 | 2.00 | 3.00 | 4.500 | 0.250 | 40.0 | 5.01 (seq 5) | 0 |",
		"| a nested 50 | plain | open 100/s | 99.9 |",
		"5.00 (seq 5-6)",
		"nested/server/16 1.00→2.00",
		"2 PostgreSQL backends exited",
		"**MISMATCH**: nested: differs",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q; got:\n%s", want, got)
		}
	}
}

func TestSelectScenarios(t *testing.T) {
	got, err := selectScenarios("a,lookup")
	if err != nil || len(got) != 2 || got[0].Name != "nested" || got[1].Name != "lookup" {
		t.Errorf("got %v, %v, want nested and lookup", got, err)
	}
	if _, err := selectScenarios("nested,bogus"); err == nil {
		t.Error("got no error for an unknown scenario, want one")
	}
}
