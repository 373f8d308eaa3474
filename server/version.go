package main

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// versionText is what "shopgraph version" prints: the module version, the
// VCS revision (and whether the tree had uncommitted changes) and the Go
// version and platform, from the binary's build information.
func versionText(bi *debug.BuildInfo, ok bool) string {
	if !ok || bi == nil {
		return "shopgraph (no build information)\n"
	}
	setting := map[string]string{}
	for _, s := range bi.Settings {
		setting[s.Key] = s.Value
	}
	version := bi.Main.Version
	if version == "" {
		version = "(devel)"
	}
	revision := "unknown (built without VCS information)"
	if r := setting["vcs.revision"]; r != "" {
		revision = r
		if setting["vcs.modified"] == "true" {
			revision += " (modified)"
		}
		if t := setting["vcs.time"]; t != "" {
			revision += ", committed " + t
		}
	}
	platform := strings.TrimSpace(setting["GOOS"] + "/" + setting["GOARCH"])
	if platform == "/" {
		platform = ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "shopgraph %s\n", version)
	fmt.Fprintf(&b, "revision: %s\n", revision)
	fmt.Fprintf(&b, "go: %s %s\n", bi.GoVersion, platform)
	return strings.ReplaceAll(b.String(), " \n", "\n")
}
