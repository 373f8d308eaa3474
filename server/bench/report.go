package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// jsonMarshal is json.Marshal without HTML escaping, so a query's "<" or
// "&" stays readable in the request body and the results file.
func jsonMarshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func writeJSON(path string, rep report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// statementsCell is the mean statements per request, with the range seen
// over the sequential calibration requests when it is not a single value.
func statementsCell(r runResult) string {
	mean := fmt.Sprintf("%.2f", r.StatementsPerReq)
	switch {
	case r.StatementsMax == 0:
		return mean
	case r.StatementsMin == r.StatementsMax:
		return fmt.Sprintf("%s (seq %d)", mean, r.StatementsMin)
	default:
		return fmt.Sprintf("%s (seq %d-%d)", mean, r.StatementsMin, r.StatementsMax)
	}
}

// writeTable prints the runs as a Markdown table, with the conditions
// (commit, load average) as a footer.
func writeTable(w io.Writer, rep report) {
	fmt.Fprintln(w, "| scenario | target | conns | req/s | p50 ms | p90 ms | p99 ms | server CPU ms/req | PG CPU ms/req | peak RSS MB | statements/req | errors |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range rep.Runs {
		fmt.Fprintf(w, "| %s | %s | %s | %.1f | %.2f | %.2f | %.2f | %.3f | %.3f | %.1f | %s | %d |\n",
			r.Title, r.Target, r.load(), r.ReqPerSec, r.P50MS, r.P90MS, r.P99MS,
			r.ServerCPUMSPerReq, r.PGCPUMSPerReq, r.PeakRSSMB, statementsCell(r), r.Errors)
	}
	fmt.Fprintln(w)
	commit := rep.Commit
	if commit == "" {
		commit = "unknown"
	}
	if rep.Dirty {
		commit += " (with local changes)"
	}
	fmt.Fprintf(w, "Source %s at %s; scale %d; %s per run after %s warm-up; %d CPUs; %s; gzip %v.\n",
		rep.Source, commit, rep.Scale, rep.Duration, rep.Warmup, rep.CPUs, rep.GoVersion, rep.Gzip)
	if len(rep.ServerEnv) > 0 {
		fmt.Fprintf(w, "Server environment added: %s.\n", strings.Join(rep.ServerEnv, " "))
	}
	var loads []string
	for _, r := range rep.Runs {
		loads = append(loads, fmt.Sprintf("%s/%s/%s %.2f→%.2f", r.Scenario, r.Target, r.load(), r.LoadStart[0], r.LoadEnd[0]))
	}
	fmt.Fprintf(w, "Load average (1 min) at start→end of each run: %s.\n", strings.Join(loads, "; "))
	exited := 0
	for _, r := range rep.Runs {
		exited += r.PGBackendsExited
	}
	if exited > 0 {
		fmt.Fprintf(w, "%d PostgreSQL backends exited during runs; their CPU is counted through the postmaster's reaped-children time.\n", exited)
	}
	for _, m := range rep.Mismatches {
		fmt.Fprintf(w, "\n**MISMATCH**: %s\n", m)
	}
}
