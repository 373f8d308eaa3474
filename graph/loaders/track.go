package loaders

import (
	"context"
	"reflect"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/shopgraph/shopgraph/ent"
)

// Shape is what the Scheduler's field accounting needs to know of a schema:
// which types are leaves and what each object type satisfies (the
// implementors gqlgen's generated code collects fields with). Build it once
// per schema; it is read-only afterwards.
type Shape struct {
	kinds     map[string]ast.DefinitionKind
	satisfies map[string][]string
	// leaf marks the fields whose type is a scalar or an enum, by
	// definition: most fields are, and a pointer lookup is the cheapest
	// way to learn that such a field starts nothing.
	leaf map[*ast.FieldDefinition]bool
}

// NewShape reads schema.
func NewShape(schema *ast.Schema) *Shape {
	sh := &Shape{kinds: map[string]ast.DefinitionKind{}, satisfies: map[string][]string{}, leaf: map[*ast.FieldDefinition]bool{}}
	for name, def := range schema.Types {
		sh.kinds[name] = def.Kind
		for _, f := range def.Fields {
			if t := schema.Types[f.Type.Name()]; t != nil && (t.Kind == ast.Scalar || t.Kind == ast.Enum) {
				sh.leaf[f] = true
			}
		}
		if def.Kind != ast.Object {
			continue
		}
		impl := []string{name}
		for _, i := range schema.GetImplements(def) {
			impl = append(impl, i.Name)
		}
		sh.satisfies[name] = impl
	}
	return sh
}

// Track makes s count the field resolutions of the operation oc: it
// expects oc's root fields and wraps oc's field middleware so that each
// field, when it returns, hands its place in the count to the fields gqlgen
// is about to resolve on what it returned (every collected field of every
// object in it). A field is therefore counted from the moment its parent
// returns until it returns itself, including the time gqlgen spends
// marshalling and starting goroutines in between, which is what keeps a
// batch from running while a sibling is on its way to queue a key.
//
// gqlgen resolves every field but __typename through the field middleware;
// the count must match what it resolves exactly (too few: a batch runs
// early and a level costs two statements; too many: batches wait for the
// stall guard).
// Deferred fields are resolved later, outside their parent's turn: they
// count themselves when they start.
//
// One shape the count cannot see through: gqlgen resolves an object's
// inline fields (struct fields, methods without context) before it starts
// its concurrent ones, so an inline field whose subtree waits on a loader
// would hold back concurrent siblings that are already counted, and the
// batch would wait for the stall guard. No type in this schema has that
// shape: the inline fields of a type with resolvers are leaves or plain
// values, and connections resolve all their fields inline (graph/model), so
// nothing of theirs is queued behind their edges. The statement tests fail
// on a stall.
func (sh *Shape) Track(s *Scheduler, oc *graphql.OperationContext) {
	if oc == nil || oc.Operation == nil {
		return
	}
	t := &tracker{shape: sh, oc: oc, memo: map[memoKey]int{}}
	// A query's root fields run at once; a mutation's run one after
	// another, so each counts itself when it starts, as if deferred:
	// counted up front, the later ones would hold back the batches of the
	// first one's payload, which they wait behind.
	serial := oc.Operation.Operation == ast.Mutation
	switch oc.Operation.Operation {
	case ast.Query:
		s.Expect(t.fields(oc.Operation.SelectionSet, []string{"Query"}))
	}
	prev := oc.ResolverMiddleware
	oc.ResolverMiddleware = func(ctx context.Context, next graphql.Resolver) (res any, err error) {
		fc := graphql.GetFieldContext(ctx)
		if fc != nil && (fc.Field.IsDeferred() || serial && fc.Object == "Mutation") {
			s.Expect(1)
		}
		defer func() {
			n := 0
			if err == nil && fc != nil {
				n = t.children(fc, res)
			}
			s.Done(n)
		}()
		return prev(ctx, next)
	}
}

// TrackEvents is Track for a subscription, whose fields resolve once per
// event rather than once: each event counts on the scheduler of the
// loaders in its own context (ForEvent), from the fields of the event's
// object (Events.Expect). The root field's own resolution, once at the
// start, counts nowhere: it queues no key.
func (sh *Shape) TrackEvents(oc *graphql.OperationContext) *Events {
	if oc == nil || oc.Operation == nil {
		return nil
	}
	t := &tracker{shape: sh, oc: oc, memo: map[memoKey]int{}}
	ev := &Events{t: t}
	if roots := graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Subscription"}); len(roots) == 1 {
		ev.root = roots[0]
	}
	prev := oc.ResolverMiddleware
	oc.ResolverMiddleware = func(ctx context.Context, next graphql.Resolver) (res any, err error) {
		fc := graphql.GetFieldContext(ctx)
		l, lerr := From(ctx)
		if fc == nil || fc.Object == "Subscription" || lerr != nil {
			return prev(ctx, next)
		}
		defer func() {
			n := 0
			if err == nil {
				n = t.children(fc, res)
			}
			l.sched.Done(n)
		}()
		return prev(ctx, next)
	}
	return ev
}

// Events counts the events of one subscription.
type Events struct {
	t    *tracker
	root graphql.CollectedField
}

// Expect makes s, the scheduler of one event, expect the fields gqlgen
// resolves on obj, the event's object, before any of them starts.
func (ev *Events) Expect(s *Scheduler, obj any) {
	if ev == nil || ev.root.Field == nil || ev.root.Definition == nil {
		return
	}
	s.Expect(ev.t.count(reflect.ValueOf(obj), ev.root.Definition.Type, ev.root.Selections))
}

type tracker struct {
	shape *Shape
	oc    *graphql.OperationContext

	mu   sync.Mutex
	memo map[memoKey]int
}

// memoKey names a selection set (by its backing array, as gqlgen's own
// CollectFields cache does) collected for one object type.
type memoKey struct {
	sel *ast.Selection
	n   int
	typ string
}

// children counts the fields gqlgen will resolve on res, the value of the
// field fc.
func (t *tracker) children(fc *graphql.FieldContext, res any) int {
	if res == nil || fc.Field.Definition == nil || t.shape.leaf[fc.Field.Definition] {
		return 0
	}
	typ := fc.Field.Definition.Type
	switch t.shape.kinds[typ.Name()] {
	case ast.Scalar, ast.Enum:
		return 0
	}
	return t.count(reflect.ValueOf(res), typ, fc.Field.Selections)
}

func (t *tracker) count(v reflect.Value, typ *ast.Type, sel ast.SelectionSet) int {
	switch v.Kind() {
	case reflect.Interface:
		if v.IsNil() {
			return 0
		}
		return t.count(v.Elem(), typ, sel)
	case reflect.Pointer:
		if v.IsNil() {
			return 0
		}
		if typ.Elem != nil {
			return t.count(v.Elem(), typ, sel)
		}
		return t.object(v.Elem().Type(), typ, sel)
	case reflect.Slice, reflect.Array:
		if typ.Elem == nil {
			return 0
		}
		n := 0
		for i := range v.Len() {
			n += t.count(v.Index(i), typ.Elem, sel)
		}
		return n
	case reflect.Struct, reflect.Map:
		return t.object(v.Type(), typ, sel)
	}
	return 0
}

// object counts the fields resolved on one object of Go type goType for
// the field type typ: the named type itself, or for an interface or union
// the concrete type, which this schema's Go types share names with.
func (t *tracker) object(goType reflect.Type, typ *ast.Type, sel ast.SelectionSet) int {
	if len(sel) == 0 {
		return 0
	}
	name := typ.Name()
	if t.shape.kinds[name] != ast.Object {
		name = goType.Name()
	}
	impl, ok := t.shape.satisfies[name]
	if !ok {
		return 0
	}
	key := memoKey{sel: &sel[0], n: len(sel), typ: name}
	t.mu.Lock()
	n, ok := t.memo[key]
	t.mu.Unlock()
	if ok {
		return n
	}
	n = t.fields(sel, impl)
	t.mu.Lock()
	t.memo[key] = n
	t.mu.Unlock()
	return n
}

// fields counts the collected fields of sel that gqlgen resolves through
// the field middleware in the parent's turn.
func (t *tracker) fields(sel ast.SelectionSet, satisfies []string) int {
	n := 0
	for _, f := range graphql.CollectFields(t.oc, sel, satisfies) {
		if f.Name != "__typename" && !f.IsDeferred() {
			n++
		}
	}
	return n
}

// Narrow makes l read only the columns oc's document can show: a product's
// description (its one long text) only if some field of the document is
// named description. Cached rows are shared by the whole operation, so the
// choice is the document's, not a field's.
func (l *Loaders) Narrow(oc *graphql.OperationContext) {
	if oc == nil || oc.Doc == nil {
		return
	}
	if !mentions(oc.Doc, "description") {
		l.productColumns = ent.ProductColumnsWithoutDescription()
	}
}

// mentions reports whether any operation or fragment of doc selects a field
// called name.
func mentions(doc *ast.QueryDocument, name string) bool {
	var walk func(ast.SelectionSet) bool
	walk = func(sel ast.SelectionSet) bool {
		for _, s := range sel {
			switch s := s.(type) {
			case *ast.Field:
				if s.Name == name || walk(s.SelectionSet) {
					return true
				}
			case *ast.InlineFragment:
				if walk(s.SelectionSet) {
					return true
				}
			}
		}
		return false
	}
	for _, op := range doc.Operations {
		if walk(op.SelectionSet) {
			return true
		}
	}
	for _, f := range doc.Fragments {
		if walk(f.SelectionSet) {
			return true
		}
	}
	return false
}
