package gqlhttp

import (
	"context"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Scope says who may cache a response.
type Scope string

// Scopes of @cacheControl.
const (
	ScopePublic  Scope = "PUBLIC"
	ScopePrivate Scope = "PRIVATE"
)

// Hint is an operation's cache policy: the smallest maxAge of the fields it
// selects, PRIVATE if any of them is.
type Hint struct {
	MaxAge int
	Scope  Scope
}

// CacheHints is a gqlgen extension that derives each query's Hint from the
// schema's @cacheControl(maxAge:, scope:) directives, Apollo style: a field
// takes its own hint, else its type's, else (below the root) its parent's;
// a root field without one is not cacheable (maxAge 0). Mutations are never
// cacheable. The hint is static: it depends on the query, not on the data.
type CacheHints struct{ schema *ast.Schema }

var (
	_ graphql.HandlerExtension        = (*CacheHints)(nil)
	_ graphql.OperationContextMutator = (*CacheHints)(nil)
)

// ExtensionName names the extension in gqlgen's stats.
func (*CacheHints) ExtensionName() string { return "CacheHints" }

// Validate keeps the schema.
func (c *CacheHints) Validate(es graphql.ExecutableSchema) error {
	c.schema = es.Schema()
	return nil
}

// MutateOperationContext computes the hint and hands it to the HTTP layer.
func (c *CacheHints) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	op := opCtx.Doc.Operations.ForName(opCtx.OperationName)
	if op == nil || op.Operation != ast.Query {
		return nil
	}
	h := Hint{MaxAge: -1, Scope: ScopePublic}
	c.walk(op.SelectionSet, c.schema.Query, 0, true, &h, map[string]bool{})
	if h.MaxAge < 0 {
		h.MaxAge = 0
	}
	setHint(ctx, h)
	return nil
}

func (c *CacheHints) walk(set ast.SelectionSet, parent *ast.Definition, inherited int, root bool, h *Hint, inPath map[string]bool) {
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
				h.MaxAge = 0
				continue
			}
			typ := c.schema.Types[fd.Type.Name()]
			age, scope, ok := hintOf(fd.Directives)
			if !ok && typ != nil {
				age, scope, ok = hintOf(typ.Directives)
			}
			if !ok {
				age = inherited
				if root {
					age = 0
				}
			}
			if h.MaxAge < 0 || age < h.MaxAge {
				h.MaxAge = age
			}
			if scope == ScopePrivate {
				h.Scope = ScopePrivate
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

func (c *CacheHints) typeOr(name string, fallback *ast.Definition) *ast.Definition {
	if t := c.schema.Types[name]; t != nil {
		return t
	}
	return fallback
}

// hintOf reads @cacheControl(maxAge:, scope:) from a directive list.
func hintOf(ds ast.DirectiveList) (int, Scope, bool) {
	d := ds.ForName("cacheControl")
	if d == nil {
		return 0, "", false
	}
	age, scope, hasAge := 0, ScopePublic, false
	for _, a := range d.Arguments {
		switch a.Name {
		case "maxAge":
			if n, err := strconv.Atoi(a.Value.Raw); err == nil {
				age, hasAge = n, true
			}
		case "scope":
			scope = Scope(a.Value.Raw)
		}
	}
	return age, scope, hasAge || scope == ScopePrivate
}

// Outcome is a gqlgen extension that tells the HTTP layer how a request
// ended, so it need not parse the response body to find out: whether the
// operation was executed (a request error has no data at all) and whether
// the response carries errors.
type Outcome struct{}

var (
	_ graphql.HandlerExtension    = Outcome{}
	_ graphql.ResponseInterceptor = Outcome{}
)

// ExtensionName names the extension in gqlgen's stats.
func (Outcome) ExtensionName() string { return "Outcome" }

// Validate accepts any schema.
func (Outcome) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptResponse records the outcome in the request's State.
func (Outcome) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if s := StateFrom(ctx); s != nil && resp != nil {
		s.mu.Lock()
		s.answered = true
		s.executed = resp.Data != nil
		s.failed = len(resp.Errors) > 0
		s.mu.Unlock()
	}
	return resp
}
