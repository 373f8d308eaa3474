package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// TestLayering enforces the import rules the packages' doc.go files state,
// so a forbidden dependency fails here rather than in a review. It asks the
// go command for every package's non-test imports; server is the one place
// that knows all packages, so the rule book lives beside it.
func TestLayering(t *testing.T) {
	const mod = "github.com/shopgraph/shopgraph"
	drivers := []string{"database/sql", "database/sql/driver", "github.com/lib/pq", "modernc.org/sqlite", "entgo.io/ent/dialect"}
	rules := []struct {
		name  string
		from  func(pkg string) bool // the packages the rule is about
		fails func(imp string) bool // an import they must not have
	}{
		{"nothing imports server", anyPackage, isPkg(mod + "/server")},
		{"the data layer knows nothing of GraphQL or HTTP", under(mod + "/ent"), anyOf(under(mod+"/graph"), under(mod+"/server"))},
		{"graph's subpackages do not import graph", strictlyUnder(mod + "/graph"), isPkg(mod + "/graph")},
		{"no database driver or dialect switch under graph", under(mod + "/graph"), anyOf(isPkgs(drivers...))},
		{"apperr, reqlog and keyset stand alone", isPkgs(mod+"/graph/apperr", mod+"/graph/reqlog", mod+"/ent/keyset"), under(mod)},
		{"directives and models run no query", isPkgs(mod+"/graph/directive", mod+"/graph/model"), anyOf(isPkgs(mod+"/graph", mod+"/graph/loaders", mod+"/ent/store"))},
		{"relay runs no query", isPkgs(mod + "/graph/relay"), anyOf(isPkgs(mod+"/graph", mod+"/graph/loaders", mod+"/ent/store"))},
		{"listing describes lists, the loaders and resolvers run them", isPkgs(mod + "/graph/listing"), anyOf(isPkgs(mod+"/graph", mod+"/graph/loaders"))},
		{"limits refuses before any work: no data layer", isPkgs(mod + "/graph/limits"), anyOf(under(mod+"/ent"), isPkg(mod+"/graph"))},
		{"inputtext refuses before any work: no data layer", isPkgs(mod + "/graph/inputtext"), anyOf(under(mod+"/ent"), isPkg(mod+"/graph"))},
		{"test-only packages are imported by tests only", anyPackage, isPkgs(mod+"/ent/store/storetest", mod+"/graph/reqlog/reqlogtest")},
		{"the load benchmark drives the binary, not the packages", under(mod + "/server/bench"), anyOf(under(mod+"/graph"), under(mod+"/ent"))},
	}

	cmd := exec.Command("go", "list", "-json", mod+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	seen := 0
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decode go list: %v", err)
		}
		seen++
		for _, r := range rules {
			if !r.from(p.ImportPath) {
				continue
			}
			for _, imp := range p.Imports {
				if r.fails(imp) {
					t.Errorf("%s: %s imports %s", r.name, p.ImportPath, imp)
				}
			}
		}
	}
	if seen < 20 {
		t.Fatalf("go list saw %d packages, want the whole module (20 or more)", seen)
	}
}

func anyPackage(string) bool { return true }

func isPkg(path string) func(string) bool { return func(p string) bool { return p == path } }

func isPkgs(paths ...string) func(string) bool {
	return func(p string) bool {
		for _, x := range paths {
			if p == x {
				return true
			}
		}
		return false
	}
}

func under(root string) func(string) bool {
	return func(p string) bool { return p == root || strings.HasPrefix(p, root+"/") }
}

func strictlyUnder(root string) func(string) bool {
	return func(p string) bool { return strings.HasPrefix(p, root+"/") }
}

func anyOf(fs ...func(string) bool) func(string) bool {
	return func(p string) bool {
		for _, f := range fs {
			if f(p) {
				return true
			}
		}
		return false
	}
}
