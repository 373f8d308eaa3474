package main

import (
	"encoding/binary"
	"strings"
	"testing"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name string
		line string
		want procStat
	}{
		{
			name: "Plain",
			line: "21243 (cat) R 21241 21241 9832 0 -1 4194304 99 0 0 0 7 3 2 1 20 0 1 0 106815 3133440 361\n",
			want: procStat{PID: 21243, PPID: 21241, UTime: 7, STime: 3, CUTime: 2, CSTime: 1},
		},
		{
			name: "NameWithSpacesAndParens",
			line: "42 (postgres: a (b) c) S 7 42 42 0 -1 4194560 1 0 0 0 120 30 0 0 20 0 1 0 5 1000 10",
			want: procStat{PID: 42, PPID: 7, UTime: 120, STime: 30},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStat([]byte(tt.line))
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	t.Run("ErrTruncated", func(t *testing.T) {
		if _, err := parseStat([]byte("1 (x) R 0 1")); err == nil {
			t.Error("got no error for a truncated line, want one")
		}
	})
}

func TestParseStatusKB(t *testing.T) {
	status := "Name:\tshopgraph\nVmPeak:\t  900 kB\nVmHWM:\t   51234 kB\nVmRSS:\t   40000 kB\n"
	got, err := parseStatusKB([]byte(status), "VmHWM")
	if err != nil || got != 51234 {
		t.Errorf("got %d, %v, want 51234, nil", got, err)
	}
	if _, err := parseStatusKB([]byte(status), "VmSwap"); err == nil {
		t.Error("got no error for a missing key, want one")
	}
}

func TestParseAuxvClockTicks(t *testing.T) {
	auxv := func(pairs ...uint64) []byte {
		b := make([]byte, 8*len(pairs))
		for i, v := range pairs {
			binary.LittleEndian.PutUint64(b[8*i:], v)
		}
		return b
	}
	if got := parseAuxvClockTicks(auxv(33, 0x7f00, 17, 250, 0, 0)); got != 250 {
		t.Errorf("got %d, want 250", got)
	}
	if got := parseAuxvClockTicks(auxv(33, 0x7f00, 0, 0)); got != 100 {
		t.Errorf("got %d without AT_CLKTCK, want the default 100", got)
	}
}

func TestIsAppBackend(t *testing.T) {
	tests := []struct {
		cmdline string
		want    bool
	}{
		{"postgres: shopgraph shopgraph 127.0.0.1(40000) idle", true},
		{"postgres: postgres postgres 127.0.0.1(40002) idle", false},
		{"postgres: checkpointer", false},
		{"postgres: shopgraph postgres 127.0.0.1(1) idle", false},
	}
	for _, tt := range tests {
		if got := isAppBackend(tt.cmdline); got != tt.want {
			t.Errorf("isAppBackend(%q): got %v, want %v", tt.cmdline, got, tt.want)
		}
	}
	if got := parseCmdline([]byte("/bin/server\x00-p\x005432\x00")); got != "/bin/server -p 5432" {
		t.Errorf("got %q, want NULs as spaces", got)
	}
}

func TestPGCPUDelta(t *testing.T) {
	tests := []struct {
		name       string
		before     pgCPU
		after      pgCPU
		wantTicks  uint64
		wantExited int
	}{
		{
			name:      "LiveBackendsGrow",
			before:    pgCPU{App: map[int]uint64{1: 10, 2: 20}, Reaped: 5},
			after:     pgCPU{App: map[int]uint64{1: 15, 2: 30}, Reaped: 5},
			wantTicks: 15,
		},
		{
			name:      "NewBackendCountsFromZero",
			before:    pgCPU{App: map[int]uint64{1: 10}},
			after:     pgCPU{App: map[int]uint64{1: 12, 3: 4}},
			wantTicks: 6,
		},
		{
			name:       "ExitedBackendThroughReaped",
			before:     pgCPU{App: map[int]uint64{1: 10, 2: 20}, Reaped: 100},
			after:      pgCPU{App: map[int]uint64{1: 11}, Reaped: 125}, // 2 ended at 25
			wantTicks:  1 + 5,
			wantExited: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ticks, exited := pgCPUDelta(tt.before, tt.after)
			if ticks != tt.wantTicks || exited != tt.wantExited {
				t.Errorf("got %d ticks, %d exited, want %d, %d", ticks, exited, tt.wantTicks, tt.wantExited)
			}
		})
	}
}

func TestDockerBuildLine(t *testing.T) {
	dockerfile := "FROM golang AS build\nRUN go mod download\nRUN CGO_ENABLED=0 GOOS=linux go build -trimpath -o /out/shopgraph ./server\n"
	got, err := dockerBuildLine(strings.NewReader(dockerfile))
	if want := "CGO_ENABLED=0 GOOS=linux go build -trimpath -o /out/shopgraph ./server"; err != nil || got != want {
		t.Errorf("got %q, %v, want %q", got, err, want)
	}
	if _, err := dockerBuildLine(strings.NewReader("FROM scratch\n")); err == nil {
		t.Error("got no error without a build line, want one")
	}
}
