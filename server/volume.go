package main

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// A production server on the embedded SQLite file keeps its database in
// DATA_DIR. In a container that folder must be a mounted volume: otherwise
// it is the image's writable layer, and the database goes with the
// container. The check reads /proc/self/mountinfo (Linux): DATA_DIR looks
// like a volume when the mount holding it is not the root filesystem and
// not a memory filesystem (tmpfs, ramfs). On a host without containers the
// root filesystem is durable, but a production database there belongs on
// its own mount or in PostgreSQL anyway, so the warning stands.

// mountOf returns the mount point and filesystem type holding dir, an
// absolute path with symbolic links resolved, from mountinfo's lines
// (proc(5)): the longest mount point that is dir or one of its parents.
// A later line at the same point wins: it is mounted over the earlier.
func mountOf(mountinfo io.Reader, dir string) (point, fstype string, err error) {
	dir = filepath.Clean(dir)
	sc := bufio.NewScanner(mountinfo)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		sep := -1
		for i, f := range fields {
			if f == "-" && i >= 6 {
				sep = i
				break
			}
		}
		if sep < 0 || sep+1 >= len(fields) {
			continue
		}
		mp := unescapeMount(fields[4])
		if !within(dir, mp) {
			continue
		}
		if point == "" || len(mp) >= len(point) {
			point, fstype = mp, fields[sep+1]
		}
	}
	if err := sc.Err(); err != nil {
		return "", "", fmt.Errorf("read mountinfo: %w", err)
	}
	if point == "" {
		return "", "", fmt.Errorf("no mount holds %s", dir)
	}
	return point, fstype, nil
}

// onVolume reports whether a mount at point of fstype counts as a volume.
func onVolume(point, fstype string) bool {
	return point != "/" && fstype != "tmpfs" && fstype != "ramfs"
}

// within reports whether dir is mp or below it.
func within(dir, mp string) bool {
	if mp == "/" {
		return strings.HasPrefix(dir, "/")
	}
	return dir == mp || strings.HasPrefix(dir, mp+"/")
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// mountinfoPath is where Linux lists this process's mounts.
const mountinfoPath = "/proc/self/mountinfo"

// warnDataDir logs at WARN when dataDir (production's SQLite folder) does
// not look like a mounted volume, or when that cannot be told.
func warnDataDir(logger *slog.Logger, dataDir, mountinfo string) {
	dir, err := filepath.Abs(dataDir)
	if err == nil {
		dir, err = filepath.EvalSymlinks(dir)
	}
	var point, fstype string
	if err == nil {
		var f *os.File
		if f, err = os.Open(mountinfo); err == nil {
			point, fstype, err = mountOf(f, dir)
			f.Close()
		}
	}
	switch {
	case err != nil:
		logger.Warn("production on the embedded SQLite file: cannot tell whether DATA_DIR is a mounted volume; unless it is, the database is lost with the container (mount one on DATA_DIR, or set DATABASE_URL)",
			"data_dir", dataDir, "err", err)
	case !onVolume(point, fstype):
		logger.Warn("production on the embedded SQLite file, and DATA_DIR is not a mounted volume: the database is lost with the container (mount one on DATA_DIR, or set DATABASE_URL)",
			"data_dir", dir, "mount", point, "fstype", fstype)
	}
}
