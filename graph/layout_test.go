package graph_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestLayoutNoSQLInGraph keeps SQL in the data layer: no hand-written file
// under graph/ imports a database driver, database/sql or ent's dialect
// package (a dialect switch), builds SQL with ent's selector builder beyond
// predicates, or holds a string that reads like a SQL statement. The GraphQL
// layer asks ent and ent/store for data; how it is fetched is theirs.
func TestLayoutNoSQLInGraph(t *testing.T) {
	// forbidden imports: drivers, database/sql, and ent's dialect package
	// with everything under it but the selector builder (checked below).
	forbidden := func(path string) bool {
		switch {
		case path == "database/sql" || strings.HasPrefix(path, "database/sql/"):
			return true
		case path == "github.com/lib/pq" || strings.HasPrefix(path, "github.com/lib/pq/"):
			return true
		case path == "modernc.org/sqlite" || strings.HasPrefix(path, "modernc.org/sqlite/"):
			return true
		case strings.HasPrefix(path, "github.com/jackc/pgx"), strings.HasPrefix(path, "github.com/mattn/go-sqlite3"):
			return true
		case path == "entgo.io/ent/dialect/sql":
			return false // the selector builder: predicates only, below
		case path == "entgo.io/ent/dialect" || strings.HasPrefix(path, "entgo.io/ent/dialect/"):
			return true
		}
		return false
	}
	// predicates are the parts of entgo.io/ent/dialect/sql a file may use
	// anywhere: a predicate narrows an ent query, it writes no statement.
	predicates := []string{
		"Selector", "Predicate", "P", "False", "And", "Or", "Not",
		"EQ", "NEQ", "GT", "GTE", "LT", "LTE", "In", "NotIn", "IsNull", "NotNull",
		"Contains", "ContainsFold", "EqualFold", "HasPrefix", "HasSuffix",
	}
	// builderAllowed are the files that may build more than predicates with
	// the selector builder, each with its reason; there are none: the
	// recursive CTEs, windows and aggregates are ent/store's and
	// ent/keyset's. An exception no longer needed fails the test too, so
	// that the list only shrinks.
	builderAllowed := map[string]string{}
	statements := []*regexp.Regexp{
		regexp.MustCompile(`(?is)\bSELECT\b.+\bFROM\b`),
		regexp.MustCompile(`(?i)\bINSERT\s+INTO\b`),
		regexp.MustCompile(`(?is)\bUPDATE\s+\S+\s+SET\b`),
		regexp.MustCompile(`(?i)\bDELETE\s+FROM\b`),
		regexp.MustCompile(`(?i)\bLOCK\s+TABLE\b`),
	}
	// dialectNames in a string are how code would switch on the dialect
	// without importing ent's dialect package.
	dialectNames := []string{"postgres", "postgresql", "sqlite", "sqlite3"}

	var files []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			files = append(files, filepath.ToSlash(path))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk graph/: got error %v, want the files", err)
	}
	usedBuilder := map[string]bool{}
	checked := 0
	for _, path := range files {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			t.Fatalf("parse %s: got error %v, want Go", path, err)
		}
		if ast.IsGenerated(f) {
			continue
		}
		checked++
		var problems []string
		builder := "" // the name entgo.io/ent/dialect/sql is imported as
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if forbidden(p) {
				problems = append(problems, "imports "+p)
			}
			if p == "entgo.io/ent/dialect/sql" {
				builder = "sql"
				if imp.Name != nil {
					builder = imp.Name.Name
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				if id, ok := n.X.(*ast.Ident); ok && builder != "" && id.Name == builder && !slices.Contains(predicates, n.Sel.Name) {
					if _, ok := builderAllowed[path]; !ok {
						problems = append(problems, fmt.Sprintf("%s: builds SQL with %s.%s (more than a predicate)", fset.Position(n.Pos()), builder, n.Sel.Name))
					}
					usedBuilder[path] = true
				}
			case *ast.BasicLit:
				if n.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(n.Value)
				if err != nil {
					return true
				}
				for _, re := range statements {
					if re.MatchString(s) {
						problems = append(problems, fmt.Sprintf("%s: string reads like SQL (%s): %.80q", fset.Position(n.Pos()), re, s))
					}
				}
				if slices.Contains(dialectNames, strings.ToLower(s)) {
					problems = append(problems, fmt.Sprintf("%s: names a dialect (%q)", fset.Position(n.Pos()), s))
				}
			}
			return true
		})
		if len(problems) > 0 {
			t.Errorf("graph/%s: got %d SQL concerns, want none (SQL lives in ent and ent/store):\n%s", path, len(problems), strings.Join(problems, "\n"))
		}
	}
	if checked == 0 {
		t.Fatalf("got no hand-written files under graph/, want the package's files (run from graph/)")
	}
	for path, why := range builderAllowed {
		if !usedBuilder[path] {
			t.Errorf("builder exception graph/%s (%s): got no use of the selector builder beyond predicates, want the exception removed", path, why)
		}
	}
}
