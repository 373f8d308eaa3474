package graph

import (
	"reflect"
	"strings"
	"testing"
)

// TestEveryDirectiveIsWired fails when schema.graphqls declares a runtime
// directive that newConfig does not implement: gqlgen compiles such a schema
// and fails only when a query reaches the field.
func TestEveryDirectiveIsWired(t *testing.T) {
	cfg := newConfig(&Resolver{})
	schema := NewExecutableSchema(cfg).Schema()
	root := reflect.ValueOf(cfg.Directives)
	implemented := map[string]bool{}
	for i := 0; i < root.NumField(); i++ {
		name := strings.ToLower(root.Type().Field(i).Name)
		implemented[name] = !root.Field(i).IsNil()
		if root.Field(i).IsNil() {
			t.Errorf("directive %s: got no implementation in newConfig, want one", root.Type().Field(i).Name)
		}
	}
	// Codegen directives, cacheControl and multiline, static marks read
	// from the schema (skip_runtime in gqlgen.yml; multiline by
	// graph/inputtext), have nothing to run.
	codegenOnly := map[string]bool{"goModel": true, "goField": true, "goTag": true, "cacheControl": true, "multiline": true}
	used := 0
	for name, def := range schema.Directives {
		if def.Position == nil || def.Position.Src.BuiltIn || codegenOnly[name] {
			continue
		}
		used++
		if !implemented[strings.ToLower(name)] {
			t.Errorf("schema directive @%s: got it unwired, want an implementation", name)
		}
	}
	if used == 0 {
		t.Fatal("got no runtime directives in the schema, want some: the test is not looking at the right thing")
	}
}
