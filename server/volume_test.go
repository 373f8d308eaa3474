package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopgraph/shopgraph/graph/reqlog/reqlogtest"
)

// A container's mounts: the image's overlay at /, a volume on the data
// folder, a tmpfs, and a mount point with a space (escaped as \040).
const containerMountinfo = `1078 977 0:120 / / rw,relatime master:481 - overlay overlay rw,lowerdir=/var/lib/docker/l1,upperdir=/var/lib/docker/u,workdir=/var/lib/docker/w
1079 1078 0:123 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
1085 1078 254:1 /docker/volumes/shop/_data /home/nonroot/data rw,relatime - ext4 /dev/vda1 rw
1086 1078 0:130 / /run rw,nosuid,nodev - tmpfs tmpfs rw,size=65536k
1087 1078 254:1 /srv /mnt/my\040disk rw,relatime shared:1 - xfs /dev/vdb rw
`

func TestMountOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		dir        string
		wantPoint  string
		wantVolume bool
	}{
		{name: "VolumeItself", dir: "/home/nonroot/data", wantPoint: "/home/nonroot/data", wantVolume: true},
		{name: "BelowVolume", dir: "/home/nonroot/data/shop", wantPoint: "/home/nonroot/data", wantVolume: true},
		{name: "ImageLayer", dir: "/home/nonroot", wantPoint: "/", wantVolume: false},
		{name: "NamePrefixIsNotParent", dir: "/home/nonroot/database", wantPoint: "/", wantVolume: false},
		{name: "Tmpfs", dir: "/run/shop", wantPoint: "/run", wantVolume: false},
		{name: "EscapedSpace", dir: "/mnt/my disk/shop", wantPoint: "/mnt/my disk", wantVolume: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			point, fstype, err := mountOf(strings.NewReader(containerMountinfo), tt.dir)
			if err != nil {
				t.Fatalf("mountOf(%s): got error %v, want nil", tt.dir, err)
			}
			if point != tt.wantPoint || onVolume(point, fstype) != tt.wantVolume {
				t.Errorf("mountOf(%s): got %s (%s, volume %v), want %s (volume %v)", tt.dir, point, fstype, onVolume(point, fstype), tt.wantPoint, tt.wantVolume)
			}
		})
	}
}

// TestWarnDataDir: production on SQLite warns unless DATA_DIR is a mount
// of its own, and when the mounts cannot be read.
func TestWarnDataDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	resolved, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	mountinfo := func(t *testing.T, lines string) string {
		t.Helper()
		p := filepath.Join(t.TempDir(), "mountinfo")
		if err := os.WriteFile(p, []byte(lines), 0o600); err != nil {
			t.Fatalf("got error %v, want nil", err)
		}
		return p
	}
	rootOnly := "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
	tests := []struct {
		name      string
		mountinfo string
		want      string // in the log; "" for no line
	}{
		{name: "WarnsOnRootFilesystem", mountinfo: mountinfo(t, rootOnly), want: "DATA_DIR is not a mounted volume"},
		{name: "QuietOnVolume", mountinfo: mountinfo(t, rootOnly+"90 27 254:1 / "+resolved+" rw - ext4 /dev/vdb rw\n"), want: ""},
		{name: "WarnsWhenUnreadable", mountinfo: filepath.Join(dir, "missing"), want: "cannot tell whether DATA_DIR is a mounted volume"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out reqlogtest.Sink
			warnDataDir(newLogger(config{LogFormat: "text"}, &out), dir, tt.mountinfo)
			got := out.String()
			if tt.want == "" && got != "" || tt.want != "" && !(strings.Contains(got, "level=WARN") && strings.Contains(got, tt.want)) {
				t.Errorf("log: got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestRunWarnsAboutDataDir: run checks the data folder in production on
// SQLite only, against this machine's real mounts.
func TestRunWarnsAboutDataDir(t *testing.T) {
	t.Parallel()
	const warning = "DATA_DIR is not a mounted volume"
	t.Run("Production", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		out, err := runCommand(t, map[string]string{"DATA_DIR": dir, "APP_ENV": "production", "JWT_SECRET": testSecret}, "server", "migrate")
		if err != nil {
			t.Fatalf("migrate: got error %v, want nil", err)
		}
		f, err := os.Open(mountinfoPath)
		if err != nil {
			t.Skipf("no %s on this system: %v", mountinfoPath, err)
		}
		defer f.Close()
		resolved, _ := filepath.EvalSymlinks(dir)
		point, fstype, err := mountOf(f, resolved)
		if err != nil {
			t.Fatalf("mountOf(%s): got error %v, want nil", resolved, err)
		}
		if got, want := strings.Contains(out, warning), !onVolume(point, fstype); got != want {
			t.Errorf("warning for %s on %s (%s): got %v, want %v; log:\n%s", dir, point, fstype, got, want, out)
		}
	})
	t.Run("QuietInDevelopment", func(t *testing.T) {
		t.Parallel()
		out, err := runCommand(t, map[string]string{"DATA_DIR": t.TempDir()}, "server", "migrate")
		if err != nil {
			t.Fatalf("migrate: got error %v, want nil", err)
		}
		if strings.Contains(out, "DATA_DIR") {
			t.Errorf("development log: got %q, want no DATA_DIR warning", out)
		}
	})
}
