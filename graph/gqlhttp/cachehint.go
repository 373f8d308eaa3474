package gqlhttp

import (
	"strconv"

	"github.com/vektah/gqlparser/v2/ast"
)

// scope says who may cache a response.
type scope string

// Scopes of @cacheControl.
const (
	scopePublic  scope = "PUBLIC"
	scopePrivate scope = "PRIVATE"
)

// hint is an operation's cache policy: the smallest maxAge of the fields it
// selects, PRIVATE if any of them is.
type hint struct {
	maxAge int
	scope  scope
}

// cacheHints derives a query's hint from the schema's
// @cacheControl(maxAge:, scope:) directives, Apollo style: a field takes
// its own hint, else its type's, else (below the root) its parent's; a
// root field without one is not cacheable (maxAge 0). Mutations are never
// cacheable. The hint is static: it depends on the query, not on the data.
type cacheHints struct{ schema *ast.Schema }

// of returns op's hint.
func (c cacheHints) of(op *ast.OperationDefinition) hint {
	if op == nil || op.Operation != ast.Query || c.schema == nil {
		return hint{}
	}
	h := hint{maxAge: -1, scope: scopePublic}
	c.walk(op.SelectionSet, c.schema.Query, 0, true, &h, map[string]bool{})
	if h.maxAge < 0 {
		h.maxAge = 0
	}
	return h
}

func (c cacheHints) walk(set ast.SelectionSet, parent *ast.Definition, inherited int, root bool, h *hint, inPath map[string]bool) {
	for _, sel := range set {
		switch f := sel.(type) {
		case *ast.Field:
			if f.Name == "__typename" {
				continue
			}
			var fd *ast.FieldDefinition
			if parent != nil {
				fd = parent.Fields.ForName(f.Name)
			}
			if fd == nil { // introspection and the like: never cached
				h.maxAge = 0
				continue
			}
			typ := c.schema.Types[fd.Type.Name()]
			age, sc, ok := hintOf(fd.Directives)
			if !ok && typ != nil {
				age, sc, ok = hintOf(typ.Directives)
			}
			if !ok {
				age = inherited
				if root {
					age = 0
				}
			}
			if h.maxAge < 0 || age < h.maxAge {
				h.maxAge = age
			}
			if sc == scopePrivate {
				h.scope = scopePrivate
			}
			c.walk(f.SelectionSet, typ, age, false, h, inPath)
		case *ast.InlineFragment:
			c.walk(f.SelectionSet, c.typeOr(f.TypeCondition, parent), inherited, root, h, inPath)
		case *ast.FragmentSpread:
			if f.Definition == nil || inPath[f.Name] {
				continue
			}
			inPath[f.Name] = true
			c.walk(f.Definition.SelectionSet, c.typeOr(f.Definition.TypeCondition, parent), inherited, root, h, inPath)
			delete(inPath, f.Name)
		}
	}
}

func (c cacheHints) typeOr(name string, fallback *ast.Definition) *ast.Definition {
	if t := c.schema.Types[name]; t != nil {
		return t
	}
	return fallback
}

// hintOf reads @cacheControl(maxAge:, scope:) from a directive list.
func hintOf(ds ast.DirectiveList) (int, scope, bool) {
	d := ds.ForName("cacheControl")
	if d == nil {
		return 0, "", false
	}
	age, sc, hasAge := 0, scopePublic, false
	for _, a := range d.Arguments {
		switch a.Name {
		case "maxAge":
			if n, err := strconv.Atoi(a.Value.Raw); err == nil {
				age, hasAge = n, true
			}
		case "scope":
			sc = scope(a.Value.Raw)
		}
	}
	return age, sc, hasAge || sc == scopePrivate
}
