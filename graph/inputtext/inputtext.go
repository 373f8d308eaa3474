package inputtext

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/shopgraph/shopgraph/graph/apperr"
)

// Directive marks an argument or input field as multi-line text
// (@multiline in schema.graphqls).
const Directive = "multiline"

// Kind is what a string may hold besides printable characters.
type Kind int

const (
	// Line is one line of text (a name, a slug, an email, a search): no
	// control character at all, not even a tab or a line break.
	Line Kind = iota
	// Lines is multi-line text (a description): tab, LF and CR allowed.
	Lines
)

// Problem says why s is not acceptable text of kind k, or "" if it is. It
// refuses control characters (C0 but for those Lines allows, DEL, C1),
// invalid UTF-8 and Unicode non-characters (U+FDD0..U+FDEF and the last two
// code points of every plane). Printable ASCII costs one comparison per
// byte.
func Problem(s string, k Kind) string {
	for i := 0; i < len(s); {
		b := s[i]
		if b >= 0x20 && b < 0x7f {
			i++
			continue
		}
		if b < utf8.RuneSelf {
			if k == Lines && (b == '\t' || b == '\n' || b == '\r') {
				i++
				continue
			}
			return controlProblem(rune(b), k)
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return "must be valid UTF-8"
		case r <= 0x9f: // C1 controls, U+0080..U+009F
			return controlProblem(r, k)
		case r >= 0xfdd0 && r <= 0xfdef, r&0xfffe == 0xfffe:
			return fmt.Sprintf("must not contain Unicode non-characters (found %U)", r)
		}
		i += size
	}
	return ""
}

func controlProblem(r rune, k Kind) string {
	if k == Lines {
		return fmt.Sprintf("must not contain control characters other than tab and line breaks (found %U)", r)
	}
	return fmt.Sprintf("must not contain control characters, tabs or line breaks (found %U)", r)
}

// Extension is the gqlgen handler extension that refuses an operation any
// of whose String or ID inputs (field arguments and input fields, written
// in the document or sent as variables, fragments included) fails Problem.
// The error is one BAD_USER_INPUT whose extensions.fields names every
// offending input path the way the resolvers' validation does (filter.search,
// input.lines[2].title, after), located at the argument in the document.
//
// It runs once gqlgen has validated the document and coerced the
// variables, before anything executes: a refused mutation document changes
// nothing, even when its other root fields were fine.
type Extension struct {
	schema *ast.Schema
}

var (
	_ graphql.HandlerExtension        = (*Extension)(nil)
	_ graphql.OperationContextMutator = (*Extension)(nil)
)

// New returns the extension; NewHandler installs it.
func New() *Extension { return &Extension{} }

// ExtensionName names the extension in gqlgen's stats.
func (*Extension) ExtensionName() string { return "InputText" }

// Validate keeps the schema, whose input types the variables' values are
// walked by, and insists that it declares @multiline: without it every
// multi-line field would silently refuse line breaks.
func (e *Extension) Validate(es graphql.ExecutableSchema) error {
	e.schema = es.Schema()
	if e.schema.Directives[Directive] == nil {
		return fmt.Errorf("inputtext: the schema declares no @%s directive", Directive)
	}
	return nil
}

// MutateOperationContext checks the operation's inputs. The first walk
// only checks, without allocating; only an operation that fails is walked
// again to spell out the paths of what failed.
func (e *Extension) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	w := walker{schema: e.schema, vars: oc.Variables}
	w.selections(oc.Operation.SelectionSet)
	if !w.failed {
		return nil
	}
	w = walker{schema: e.schema, vars: oc.Variables, paths: true}
	w.selections(oc.Operation.SelectionSet)
	return w.refusal()
}

// step is one step of an input path, linked to the step before it; the
// path is spelled out only for a string that fails.
type step struct {
	up    *step
	name  string // an argument or input field, or "" for a list element
	index int
}

// appendTo spells out the path ending at s, e.g. input.lines[2].title.
func (s *step) appendTo(b []byte) []byte {
	if s.up != nil {
		b = s.up.appendTo(b)
	}
	switch {
	case s.name == "":
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(s.index), 10)
		b = append(b, ']')
	case s.up != nil:
		b = append(b, '.')
		b = append(b, s.name...)
	default:
		b = append(b, s.name...)
	}
	return b
}

type failure struct {
	field, problem string
	pos            *ast.Position
}

// maxReported caps the inputs one refusal names: a megabyte of variables
// could otherwise hold a hundred thousand of them.
const maxReported = 20

type walker struct {
	schema *ast.Schema
	vars   map[string]any
	seen   []*ast.FragmentDefinition // walked once, however often spread
	failed bool
	// paths: record each failure with its path (the second walk).
	paths bool
	bad   []failure
}

// done reports whether the walk has found all it will report: the first
// failure for the first walk; for the second, one more than maxReported,
// which tells that there are more.
func (w *walker) done() bool {
	return w.failed && (!w.paths || len(w.bad) > maxReported)
}

// step returns the path step below at, when paths are recorded.
func (w *walker) step(at *step, name string, index int) *step {
	if !w.paths {
		return nil
	}
	return &step{up: at, name: name, index: index}
}

func (w *walker) selections(set ast.SelectionSet) {
	for _, sel := range set {
		if w.done() {
			return
		}
		switch s := sel.(type) {
		case *ast.Field:
			for _, arg := range s.Arguments {
				k := Line
				if s.Definition != nil {
					if def := s.Definition.Arguments.ForName(arg.Name); def != nil {
						k = kindOf(def.Directives)
					}
				}
				w.value(arg.Value, k, w.step(nil, arg.Name, 0))
			}
			w.selections(s.SelectionSet)
		case *ast.InlineFragment:
			w.selections(s.SelectionSet)
		case *ast.FragmentSpread:
			// A fragment's arguments read only the operation's variables,
			// so where it is spread does not matter.
			if s.Definition == nil || slices.Contains(w.seen, s.Definition) {
				continue
			}
			w.seen = append(w.seen, s.Definition)
			w.selections(s.Definition.SelectionSet)
		}
	}
}

// value checks a value written in the document; a variable in it is
// checked as the argument or field it stands for.
func (w *walker) value(v *ast.Value, k Kind, at *step) {
	if v == nil || w.done() {
		return
	}
	switch v.Kind {
	case ast.StringValue, ast.BlockValue:
		w.text(v.Raw, k, at, v.Position)
	case ast.Variable:
		w.variable(w.vars[v.Raw], v.Definition, k, at, v.Position)
	case ast.ListValue:
		for i, c := range v.Children {
			w.value(c.Value, k, w.step(at, "", i))
		}
	case ast.ObjectValue:
		for _, c := range v.Children {
			w.value(c.Value, fieldKind(v.Definition, c.Name), w.step(at, c.Name, 0))
		}
	}
}

// variable checks a variable's coerced value (JSON's strings, lists and
// objects) as a value of the type def; pos is where the document uses it.
func (w *walker) variable(x any, def *ast.Definition, k Kind, at *step, pos *ast.Position) {
	if w.done() {
		return
	}
	switch x := x.(type) {
	case string:
		w.text(x, k, at, pos)
	case []any:
		for i, el := range x {
			w.variable(el, def, k, w.step(at, "", i), pos)
		}
	case map[string]any:
		if w.paths {
			// Report in a stable order; the first walk need not.
			for _, name := range slices.Sorted(maps.Keys(x)) {
				w.field(x[name], def, name, at, pos)
			}
			return
		}
		for name, el := range x {
			w.field(el, def, name, at, pos)
		}
	}
}

// field checks the value of the input field name of the input type def.
func (w *walker) field(x any, def *ast.Definition, name string, at *step, pos *ast.Position) {
	var fieldDef *ast.Definition
	if def != nil {
		if f := def.Fields.ForName(name); f != nil {
			fieldDef = w.schema.Types[f.Type.Name()]
		}
	}
	w.variable(x, fieldDef, fieldKind(def, name), w.step(at, name, 0), pos)
}

func (w *walker) text(s string, k Kind, at *step, pos *ast.Position) {
	p := Problem(s, k)
	if p == "" {
		return
	}
	w.failed = true
	if w.paths {
		w.bad = append(w.bad, failure{field: string(at.appendTo(nil)), problem: p, pos: pos})
	}
}

// refusal is the operation's one error: an *apperr.Error (for the error
// presenter) naming the offending inputs in document order, located where
// the document writes them (or uses their variable).
func (w *walker) refusal() *gqlerror.Error {
	ae := &apperr.Error{Code: apperr.BadUserInput}
	out := &gqlerror.Error{Err: ae}
	more := len(w.bad) > maxReported
	for _, f := range w.bad[:min(len(w.bad), maxReported)] {
		if slices.ContainsFunc(ae.Fields, func(fe apperr.FieldError) bool { return fe.Field == f.field }) {
			continue
		}
		ae.Fields = append(ae.Fields, apperr.FieldError{Field: f.field, Message: f.problem})
		if f.pos != nil {
			out.Locations = append(out.Locations, gqlerror.Location{Line: f.pos.Line, Column: f.pos.Column})
		}
	}
	ae.Message = fmt.Sprintf("%s: %s", ae.Fields[0].Field, ae.Fields[0].Message)
	switch n := len(ae.Fields); {
	case more:
		ae.Message += fmt.Sprintf(" (and more; extensions.fields names the first %d)", n)
	case n > 1:
		ae.Message += fmt.Sprintf(" (and %d more)", n-1)
	}
	out.Message = ae.Message
	return out
}

// fieldKind is the kind of the input field name of the input type def.
func fieldKind(def *ast.Definition, name string) Kind {
	if def == nil {
		return Line
	}
	f := def.Fields.ForName(name)
	if f == nil {
		return Line
	}
	return kindOf(f.Directives)
}

func kindOf(ds ast.DirectiveList) Kind {
	if ds.ForName(Directive) != nil {
		return Lines
	}
	return Line
}
