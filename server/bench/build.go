package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// dockerBuildLine returns the Dockerfile's "RUN CGO_ENABLED=0 ... go build
// ..." command without RUN, as .ci/run finds it, so the benchmark measures
// the binary that ships rather than a build with other flags.
func dockerBuildLine(dockerfile io.Reader) (string, error) {
	sc := bufio.NewScanner(dockerfile)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		cmd, ok := strings.CutPrefix(line, "RUN ")
		if ok && strings.HasPrefix(cmd, "CGO_ENABLED=0 ") && strings.Contains(cmd, " go build ") {
			if !strings.Contains(cmd, "/out/") {
				return "", fmt.Errorf("the Dockerfile's build line has no /out/ to redirect: %s", cmd)
			}
			return cmd, nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", errors.New("no 'RUN CGO_ENABLED=0 ... go build ...' line in the Dockerfile")
}

// buildServer runs the Dockerfile's build line in src with /out/ swapped
// for outDir, and returns the binary's path.
func buildServer(ctx context.Context, src, outDir string, log io.Writer) (string, error) {
	f, err := os.Open(filepath.Join(src, "Dockerfile"))
	if err != nil {
		return "", err
	}
	line, err := dockerBuildLine(f)
	f.Close()
	if err != nil {
		return "", err
	}
	line = strings.ReplaceAll(line, "/out/", strings.TrimSuffix(outDir, "/")+"/")
	fmt.Fprintf(log, "bench: building in %s: %s\n", src, line)
	cmd := exec.CommandContext(ctx, "sh", "-c", line)
	cmd.Dir = src
	// The line builds for BuildKit's TARGETOS/TARGETARCH: here, this
	// machine's platform, as .ci/run does.
	cmd.Env = os.Environ()
	for name, v := range map[string]string{"TARGETOS": runtime.GOOS, "TARGETARCH": runtime.GOARCH} {
		if os.Getenv(name) == "" {
			cmd.Env = append(cmd.Env, name+"="+v)
		}
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build the server: %w", err)
	}
	// The build line names its output; the Dockerfile copies /out/shopgraph.
	bin := filepath.Join(outDir, "shopgraph")
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("the build line did not produce %s: %w", bin, err)
	}
	return bin, nil
}
