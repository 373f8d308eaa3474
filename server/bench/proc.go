package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// procStat is what the benchmark reads from /proc/<pid>/stat: CPU in clock
// ticks (user and system, of the process itself and of children it has
// reaped) and the parent pid.
type procStat struct {
	PID, PPID      int
	UTime, STime   uint64 // fields 14 and 15
	CUTime, CSTime uint64 // fields 16 and 17: reaped children
}

// parseStat parses the contents of /proc/<pid>/stat. The command name (field
// 2) is in parentheses and may itself contain spaces and parentheses, so the
// fields are counted from the last ')'.
func parseStat(b []byte) (procStat, error) {
	var st procStat
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 1 || end < open {
		return st, fmt.Errorf("malformed stat line %q", b)
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b[:open])))
	if err != nil {
		return st, fmt.Errorf("malformed pid in stat line: %w", err)
	}
	st.PID = pid
	// After ")": field 3 (state) is rest[0], so field n is rest[n-3].
	rest := strings.Fields(string(b[end+1:]))
	if len(rest) < 15 {
		return st, fmt.Errorf("stat line of pid %d has %d fields after the name, want at least 15", pid, len(rest))
	}
	nums := make([]uint64, 0, 5)
	for _, f := range []int{4, 14, 15, 16, 17} {
		n, err := strconv.ParseInt(rest[f-3], 10, 64)
		if err != nil {
			return st, fmt.Errorf("stat field %d of pid %d: %w", f, pid, err)
		}
		nums = append(nums, uint64(max(n, 0)))
	}
	st.PPID = int(nums[0])
	st.UTime, st.STime, st.CUTime, st.CSTime = nums[1], nums[2], nums[3], nums[4]
	return st, nil
}

func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	return parseStat(b)
}

// cpuTicks is the process's own CPU (all threads), without reaped children.
func (s procStat) cpuTicks() uint64 { return s.UTime + s.STime }

// childTicks is the CPU of the children the process has waited for.
func (s procStat) childTicks() uint64 { return s.CUTime + s.CSTime }

// parseStatusKB returns a "Name:   123 kB" value of /proc/<pid>/status.
func parseStatusKB(b []byte, name string) (int64, error) {
	for _, line := range strings.Split(string(b), "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok || key != name {
			continue
		}
		f := strings.Fields(val)
		if len(f) == 0 {
			break
		}
		return strconv.ParseInt(f[0], 10, 64)
	}
	return 0, fmt.Errorf("no %s in status", name)
}

// peakRSSKB is VmHWM, the resident set's high-water mark.
func peakRSSKB(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseStatusKB(b, "VmHWM")
}

// currentRSSKB is the resident set of process pid now (VmRSS).
func currentRSSKB(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseStatusKB(b, "VmRSS")
}

// resetPeakRSS sets VmHWM back to the current RSS (Linux >= 4.0), so the
// next reading is the peak of what follows.
func resetPeakRSS(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// parseCmdline turns a NUL-separated /proc/<pid>/cmdline into one string.
// PostgreSQL backends rewrite theirs as a single string ("postgres: user db
// 127.0.0.1(5432) idle"), so both forms end up space-separated.
func parseCmdline(b []byte) string {
	return strings.TrimSpace(string(bytes.ReplaceAll(b, []byte{0}, []byte{' '})))
}

// procSnapshot is the stat of every process whose parent is ppid, with its
// command line, keyed by pid.
type procSnapshot map[int]procEntry

type procEntry struct {
	Stat    procStat
	Cmdline string
}

// childrenOf scans /proc for the children of ppid. Processes that exit
// during the scan are skipped.
func childrenOf(ppid int) (procSnapshot, error) {
	dirs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		return nil, err
	}
	snap := procSnapshot{}
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		st, err := readStat(pid)
		if err != nil || st.PPID != ppid {
			continue
		}
		cmd, _ := os.ReadFile(filepath.Join(d, "cmdline"))
		snap[pid] = procEntry{Stat: st, Cmdline: parseCmdline(cmd)}
	}
	return snap, nil
}

// loadAvg is the first three fields of /proc/loadavg.
func loadAvg() [3]float64 {
	var l [3]float64
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return l
	}
	for i, f := range strings.Fields(string(b)) {
		if i == 3 {
			break
		}
		l[i], _ = strconv.ParseFloat(f, 64)
	}
	return l
}

// clockTicks returns the kernel's USER_HZ, the unit of the stat CPU fields,
// from the AT_CLKTCK entry of the auxiliary vector (what sysconf reads,
// without cgo); 100, the value on every mainstream Linux, if it is absent.
func clockTicks() int64 {
	b, err := os.ReadFile("/proc/self/auxv")
	if err != nil {
		return 100
	}
	return parseAuxvClockTicks(b)
}

// parseAuxvClockTicks reads AT_CLKTCK (17) from a 64-bit little-endian
// auxiliary vector of (type, value) pairs.
func parseAuxvClockTicks(b []byte) int64 {
	const atClkTck = 17
	for len(b) >= 16 {
		typ, val := binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])
		b = b[16:]
		if typ == 0 {
			break
		}
		if typ == atClkTck && val > 0 {
			return int64(val)
		}
	}
	return 100
}
