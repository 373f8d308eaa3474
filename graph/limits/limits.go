package limits

import (
	"context"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// Codes of refused operations.
const (
	CodeComplexity  = "COMPLEXITY_LIMIT_EXCEEDED"
	CodeDepth       = "DEPTH_LIMIT_EXCEEDED"
	CodeAliases     = "ALIAS_LIMIT_EXCEEDED"
	CodeFields      = "FIELD_LIMIT_EXCEEDED"
	CodeRateLimited = "RATE_LIMITED"
	CodeString      = "STRING_LIMIT_EXCEEDED"
)

// MaxStringLiteral caps a string literal written in a query document. A
// document is cached by its text (parsed queries, persisted queries), so
// text is where size hides: long values belong in variables, which are
// never cached and are bounded by the body size.
const MaxStringLiteral = 8 << 10

// FieldRule rations one root field (counted once per occurrence, aliases
// included) per key, e.g. signIn per client IP.
type FieldRule struct {
	Limiter Limiter
	Key     func(ctx context.Context) string
}

// Config sets the limits. Zero limits are not enforced.
type Config struct {
	MaxCost    int
	MaxDepth   int
	MaxAliases int
	MaxFields  int
	// Budget charges each operation's cost to Identity(ctx)'s bucket; its
	// decision is the request's X-RateLimit-* headers (RateHeaders).
	Budget   Limiter
	Identity func(ctx context.Context) string
	// Now is the clock X-RateLimit-Reset is read against (nil: time.Now):
	// the clock Budget's buckets drain by.
	Now func() time.Time
	// RefusedCost is charged to Budget for each document refused before
	// execution (it does not parse, fails validation, or exceeds a limit):
	// refusing costs the server work too, and must not be free to repeat.
	RefusedCost float64
	// Registrations rations how many new persisted queries each caller
	// may store (gqlhttp.PersistedQueries.Allow); nil: no ration.
	Registrations *FieldRule
	// Fields rations root fields by name.
	Fields map[string]FieldRule
	Logger *slog.Logger
}

// Extension is the gqlgen handler extension that enforces Config.
type Extension struct {
	cfg Config
	es  graphql.ExecutableSchema
}

// New returns the extension for cfg.
func New(cfg Config) *Extension { return &Extension{cfg: cfg} }

var (
	_ graphql.HandlerExtension        = (*Extension)(nil)
	_ graphql.OperationContextMutator = (*Extension)(nil)
	_ graphql.ResponseInterceptor     = (*Extension)(nil)
)

// ExtensionName names the extension in gqlgen's stats.
func (*Extension) ExtensionName() string { return "DemandControl" }

// Validate keeps the schema, whose complexity functions price fields.
func (e *Extension) Validate(es graphql.ExecutableSchema) error {
	e.es = es
	return nil
}

// Cost is reported to clients in extensions.cost. It is the same for
// every caller of the same operation: the caller's budget is in response
// headers (RateHeaders), never in a body a shared cache may keep.
type Cost struct {
	Requested int   `json:"requested"`
	Limit     int   `json:"limit,omitempty"`
	Shape     Shape `json:"shape"`
}

// report is what the caller's budget said about one request, for the
// X-RateLimit-* headers of its response. Each request gets its own
// (WithReport), which only the extension writes, while it prices the
// request's operation, and only the transport reads, when it writes the
// response after that: nothing about one caller's budget outlives the
// request or reaches another's.
type report struct {
	set       bool // the budget was consulted
	limit     float64
	remaining float64
	used      float64   // what this request poured in
	reset     time.Time // when the bucket will have drained empty
}

type reportKey struct{}

// WithReport returns a context that carries a fresh report for one
// request's budget; the HTTP handler puts it in before gqlgen sees the
// request. Without one, the budget still rations but nothing is reported.
func WithReport(ctx context.Context) context.Context {
	return context.WithValue(ctx, reportKey{}, &report{})
}

func reportOf(ctx context.Context) *report {
	r, _ := ctx.Value(reportKey{}).(*report)
	return r
}

// RateHeaders writes GitHub's X-RateLimit-Limit (the bucket's size),
// -Remaining (whole units left after this request, or before it if it was
// refused), -Used (what this request cost the budget) and -Reset (Unix
// seconds when the bucket will be empty again at its drain rate) for the
// request of ctx (gqlhttp.TransportOptions.Headers). It writes nothing if
// the request's budget was not consulted: no budget configured, or the
// operation refused before it was priced.
func RateHeaders(ctx context.Context, h http.Header) {
	r := reportOf(ctx)
	if r == nil || !r.set {
		return
	}
	h.Set("X-RateLimit-Limit", strconv.FormatFloat(r.limit, 'f', 0, 64))
	// A bucket filled under a larger capacity (before a configuration
	// change) may hold more than the current one: nothing is left.
	h.Set("X-RateLimit-Remaining", strconv.FormatFloat(math.Max(0, math.Floor(r.remaining)), 'f', 0, 64))
	h.Set("X-RateLimit-Used", strconv.FormatFloat(r.used, 'f', 0, 64))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(int64(math.Ceil(float64(r.reset.UnixMilli())/1000)), 10))
}

// record notes the budget's decision d in the request's report, used
// being what the request poured in with it.
func (e *Extension) record(ctx context.Context, d Decision, used float64) {
	r := reportOf(ctx)
	if r == nil {
		return
	}
	now := time.Now
	if e.cfg.Now != nil {
		now = e.cfg.Now
	}
	r.set = true
	r.limit, r.remaining = d.Capacity, d.Remaining
	r.used += used
	r.reset = now().Add(d.ResetAfter)
}

// Shape is an operation's size, fragments expanded.
type Shape struct {
	Depth   int `json:"depth"`
	Aliases int `json:"aliases"`
	Fields  int `json:"fields"`
}

const statsKey = "DemandControl"

// MutateOperationContext measures, prices and charges the operation.
func (e *Extension) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	op := opCtx.Doc.Operations.ForName(opCtx.OperationName)
	if op == nil {
		return nil
	}
	cost := &Cost{Limit: e.cfg.MaxCost}
	measure(op.SelectionSet, 0, map[string]bool{}, &cost.Shape)
	opCtx.Stats.SetExtension(statsKey, cost)
	s := cost.Shape
	switch {
	case e.cfg.MaxDepth > 0 && s.Depth > e.cfg.MaxDepth:
		return refuse(CodeDepth, cost, "operation is nested %d levels deep; the limit is %d", s.Depth, e.cfg.MaxDepth)
	case e.cfg.MaxAliases > 0 && s.Aliases > e.cfg.MaxAliases:
		return refuse(CodeAliases, cost, "operation uses %d aliases; the limit is %d", s.Aliases, e.cfg.MaxAliases)
	case e.cfg.MaxFields > 0 && s.Fields > e.cfg.MaxFields:
		return refuse(CodeFields, cost, "operation selects %d fields (fragments expanded); the limit is %d", s.Fields, e.cfg.MaxFields)
	}
	cost.Requested = complexity.Calculate(ctx, e.es, op, opCtx.Variables)
	if e.cfg.MaxCost > 0 && cost.Requested > e.cfg.MaxCost {
		return refuse(CodeComplexity, cost, "operation costs %d; the limit is %d", cost.Requested, e.cfg.MaxCost)
	}
	if e.cfg.Budget != nil && e.cfg.Identity != nil {
		d, ok := e.take(ctx, e.cfg.Budget, e.cfg.Identity(ctx), float64(cost.Requested))
		if ok {
			if !d.Allowed {
				e.record(ctx, d, 0) // a refusal pours nothing in
				return e.limited(cost, d.RetryAfter, "query budget exhausted")
			}
			e.record(ctx, d, float64(cost.Requested))
		}
	}
	for name, n := range rootFieldCounts(op.SelectionSet) {
		rule, ok := e.cfg.Fields[name]
		if !ok {
			continue
		}
		if d, ok := e.take(ctx, rule.Limiter, name+":"+rule.Key(ctx), float64(n)); ok && !d.Allowed {
			return e.limited(cost, d.RetryAfter, "too many "+name+" requests")
		}
	}
	return nil
}

// ChargeRefused charges the caller's budget RefusedCost for a document
// refused before execution with errs (gqlhttp.TransportOptions.Refused).
// An automatic persisted query's first try, a hash the server does not
// know yet, is how that protocol starts, not a refusal: it is free.
//
// A document refused after it was priced (by a check that runs after the
// budget, such as inputtext's) has paid its cost already and pays this on
// top: its report then counts both, so X-RateLimit-Used and -Remaining
// stay true. One refused before it was priced reports nothing.
func (e *Extension) ChargeRefused(ctx context.Context, errs gqlerror.List) {
	for _, err := range errs {
		if code, _ := err.Extensions["code"].(string); code == "PERSISTED_QUERY_NOT_FOUND" {
			return
		}
	}
	if e.cfg.Identity == nil {
		return
	}
	e.ChargeDocument(ctx, e.cfg.Identity(ctx))
}

// ChargeDocument charges identity's budget RefusedCost for a document
// refused before GraphQL saw it (gqlhttp.GuardOptions.Refused), as
// ChargeRefused does. The work is done whether the charge fits or not: one
// that does not fit fills the bucket instead, so the next request waits.
func (e *Extension) ChargeDocument(ctx context.Context, identity string) {
	if e.cfg.Budget == nil || e.cfg.RefusedCost <= 0 {
		return
	}
	cost := e.cfg.RefusedCost
	d, ok := e.take(ctx, e.cfg.Budget, identity, cost)
	if ok && !d.Allowed && d.Remaining >= 1 {
		cost = math.Floor(d.Remaining)
		d, ok = e.take(ctx, e.cfg.Budget, identity, cost)
	}
	if r := reportOf(ctx); ok && d.Allowed && r != nil && r.set {
		e.record(ctx, d, cost)
	}
}

// BytesPerUnit prices a large request's size (AdmitDocument): reading,
// decoding, lexing and parsing are linear in its bytes (measured: about
// 20 ms of CPU to refuse a 900 KB document, well under 1 ms for a few
// hundred bytes). One unit per 64 bytes puts the largest body the server
// reads (1 MiB by default) at 16,384 units: at the default refill rate a
// caller can send one such every 8 s.
const BytesPerUnit = 64

// AdmitDocument charges identity's budget for the size of a large request
// (one unit per BytesPerUnit) before it is read at all
// (gqlhttp.GuardOptions.Admit), and reports how long to wait if the
// budget cannot pay: then the caller is turned away for the price of its
// headers, not of its document. What the document itself costs is charged
// later as for any other. If the limiter fails, the request goes through,
// as with every budget check.
func (e *Extension) AdmitDocument(ctx context.Context, identity string, size int64) (time.Duration, bool) {
	if e.cfg.Budget == nil {
		return 0, true
	}
	cost := float64(size / BytesPerUnit)
	d, ok := e.take(ctx, e.cfg.Budget, identity, cost)
	if !ok {
		return 0, true
	}
	if !d.Allowed {
		return max(d.RetryAfter, time.Second), false
	}
	e.record(ctx, d, cost)
	return 0, true
}

// AllowRegistration reports whether the caller may store one more
// persisted query. If the limiter fails the answer is no: the operation
// runs either way, and a store that cannot be rationed is not filled.
func (e *Extension) AllowRegistration(ctx context.Context) bool {
	r := e.cfg.Registrations
	if r == nil {
		return true
	}
	d, err := r.Limiter.Take(ctx, "apq:"+r.Key(ctx), 1)
	return err == nil && d.Allowed
}

// take consults a limiter; if it fails (Redis down), the request goes
// through and the failure is logged: losing the limiter must not take the
// API down with it.
func (e *Extension) take(ctx context.Context, l Limiter, key string, cost float64) (Decision, bool) {
	d, err := l.Take(ctx, key, cost)
	if err != nil {
		if e.cfg.Logger != nil {
			e.cfg.Logger.WarnContext(ctx, "rate limiter unavailable; allowing request", "err", err)
		}
		return Decision{}, false
	}
	return d, true
}

func (e *Extension) limited(cost *Cost, wait time.Duration, why string) *gqlerror.Error {
	secs := int(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	err := refuse(CodeRateLimited, cost, "%s; retry in %d s", why, secs)
	err.Extensions[retryAfterKey] = secs
	return err
}

// retryAfterKey is the extension of a RATE_LIMITED refusal that says, in
// whole seconds, when to retry.
const retryAfterKey = "retryAfter"

// RetryAfter reports whether err is this package's rationing refusal
// (RATE_LIMITED) and how long its client should wait: the HTTP layer
// answers it 429 with Retry-After.
func RetryAfter(err *gqlerror.Error) (time.Duration, bool) {
	if err == nil {
		return 0, false
	}
	if code, _ := err.Extensions["code"].(string); code != CodeRateLimited {
		return 0, false
	}
	secs, ok := err.Extensions[retryAfterKey].(int)
	if !ok {
		return 0, false
	}
	return time.Duration(secs) * time.Second, true
}

func refuse(code string, cost *Cost, format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	err.Extensions = map[string]any{"code": code, "cost": cost}
	return err
}

// InterceptResponse reports the operation's cost in extensions.cost when
// the request asks for it with the request extension "cost": true. A
// refusal always carries it (it says why); on every other response it would
// be bytes most clients never read: more than half of a small mobile
// lookup's response.
func (e *Extension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil {
		return resp
	}
	// Transport errors (a body that is not JSON) have no operation.
	if !graphql.HasOperationContext(ctx) {
		return resp
	}
	if oc := graphql.GetOperationContext(ctx); oc != nil && oc.Extensions["cost"] == true {
		if cost, ok := oc.Stats.GetExtension(statsKey).(*Cost); ok {
			if resp.Extensions == nil {
				resp.Extensions = map[string]any{}
			}
			resp.Extensions["cost"] = cost
		}
	}
	return resp
}

// measure walks a selection set, expanding fragments: a fragment spread
// twice counts twice, as it executes twice. Each fragment's own shape is
// computed once and reused, so a document of fragments that each spread the
// previous one twice (a "fragment bomb") is measured in linear time even
// though it would expand exponentially.
func measure(set ast.SelectionSet, depth int, inPath map[string]bool, s *Shape) {
	m := measurer{memo: map[string]Shape{}, inPath: inPath}
	add(s, m.shape(set), depth)
}

type measurer struct {
	memo   map[string]Shape // a fragment's shape relative to where it is spread
	inPath map[string]bool
}

// add folds a sub-shape measured from depth 0 into s at depth.
func add(s *Shape, sub Shape, depth int) {
	s.Fields = satAdd(s.Fields, sub.Fields)
	s.Aliases = satAdd(s.Aliases, sub.Aliases)
	if sub.Depth > 0 && depth+sub.Depth > s.Depth {
		s.Depth = depth + sub.Depth
	}
}

// satAdd adds without overflowing: a bomb's expanded size only needs to be
// "too big".
func satAdd(a, b int) int {
	if a > math.MaxInt32-b {
		return math.MaxInt32
	}
	return a + b
}

func (m measurer) shape(set ast.SelectionSet) Shape {
	var s Shape
	for _, sel := range set {
		switch f := sel.(type) {
		case *ast.Field:
			s.Fields = satAdd(s.Fields, 1)
			if f.Alias != "" && f.Alias != f.Name {
				s.Aliases = satAdd(s.Aliases, 1)
			}
			if s.Depth < 1 {
				s.Depth = 1
			}
			add(&s, m.shape(f.SelectionSet), 1)
		case *ast.InlineFragment:
			add(&s, m.shape(f.SelectionSet), 0)
		case *ast.FragmentSpread:
			// Validation rejects fragment cycles before this runs; the
			// guard keeps the walk finite regardless.
			if f.Definition == nil || m.inPath[f.Name] {
				continue
			}
			sub, ok := m.memo[f.Name]
			if !ok {
				m.inPath[f.Name] = true
				sub = m.shape(f.Definition.SelectionSet)
				delete(m.inPath, f.Name)
				m.memo[f.Name] = sub
			}
			add(&s, sub, 0)
		}
	}
	return s
}

// rootFieldCounts counts the operation's root fields by name.
func rootFieldCounts(set ast.SelectionSet) map[string]int {
	counts := map[string]int{}
	var walk func(ast.SelectionSet, map[string]bool)
	walk = func(set ast.SelectionSet, inPath map[string]bool) {
		for _, sel := range set {
			switch f := sel.(type) {
			case *ast.Field:
				counts[f.Name]++
			case *ast.InlineFragment:
				walk(f.SelectionSet, inPath)
			case *ast.FragmentSpread:
				if f.Definition != nil && !inPath[f.Name] {
					inPath[f.Name] = true
					walk(f.Definition.SelectionSet, inPath)
					delete(inPath, f.Name)
				}
			}
		}
	}
	walk(set, map[string]bool{})
	return counts
}

// Precheck parses a query document on its own and refuses it if it is too
// big, before gqlgen's validation runs: one of the spec's validation rules
// (overlapping fields) is quadratic in the number of fields, so a document
// of a few thousand repeated fields would cost seconds of CPU to validate
// even though every limit refuses it afterwards. Parsing and measuring are
// linear. Documents that do not parse are left for gqlgen to report.
func Precheck(query string, cfg Config, maxTokens int) *gqlerror.Error {
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, maxTokens)
	if err != nil {
		return nil
	}
	if n := longestString(doc); n > MaxStringLiteral {
		return refuse(CodeString, &Cost{Limit: cfg.MaxCost}, "a string literal of the document is %d bytes; the limit is %d (send long text as a variable)", n, MaxStringLiteral)
	}
	// Fragment definitions are not linked to spreads until validation.
	byName := map[string]*ast.FragmentDefinition{}
	for _, f := range doc.Fragments {
		byName[f.Name] = f
	}
	link(doc, byName)
	for _, op := range doc.Operations {
		var s Shape
		measure(op.SelectionSet, 0, map[string]bool{}, &s)
		cost := &Cost{Limit: cfg.MaxCost, Shape: s}
		switch {
		case cfg.MaxDepth > 0 && s.Depth > cfg.MaxDepth:
			return refuse(CodeDepth, cost, "operation is nested %d levels deep; the limit is %d", s.Depth, cfg.MaxDepth)
		case cfg.MaxAliases > 0 && s.Aliases > cfg.MaxAliases:
			return refuse(CodeAliases, cost, "operation uses %d aliases; the limit is %d", s.Aliases, cfg.MaxAliases)
		case cfg.MaxFields > 0 && s.Fields > cfg.MaxFields:
			return refuse(CodeFields, cost, "operation selects %d fields (fragments expanded); the limit is %d", s.Fields, cfg.MaxFields)
		}
		// Only now is the walk below bounded (by MaxFields): it expands
		// fragments where they are spread.
		if cfg.MaxFields > 0 {
			if name, n := mostRepeated([]ast.SelectionSet{op.SelectionSet}, map[string]bool{}); n > maxSameName {
				return refuse(CodeFields, cost, "operation selects %q %d times in one selection set; the limit is %d", name, n, maxSameName)
			}
		}
	}
	return nil
}

// maxSameName caps how often one response name may be selected in one
// selection set, fragments included. Validation compares every pair of
// fields that share a response name (the overlapping-fields rule), so 499
// of them cost 124,251 comparisons, and as many errors when their
// arguments differ; clients repeat a name only when fragments select the
// same field, a handful of times.
const maxSameName = 100

// mostRepeated returns the response name selected most often in one
// selection set of the operation, and how often; the selection sets of
// fields that share a response name are merged, as validation merges them.
func mostRepeated(sets []ast.SelectionSet, inPath map[string]bool) (string, int) {
	counts := map[string]int{}
	children := map[string][]ast.SelectionSet{}
	var order []string
	var collect func(ast.SelectionSet)
	collect = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch f := sel.(type) {
			case *ast.Field:
				name := f.Alias
				if name == "" {
					name = f.Name
				}
				if counts[name] == 0 {
					order = append(order, name)
				}
				counts[name]++
				if len(f.SelectionSet) > 0 {
					children[name] = append(children[name], f.SelectionSet)
				}
			case *ast.InlineFragment:
				collect(f.SelectionSet)
			case *ast.FragmentSpread:
				if f.Definition != nil && !inPath[f.Name] {
					inPath[f.Name] = true
					collect(f.Definition.SelectionSet)
					delete(inPath, f.Name)
				}
			}
		}
	}
	for _, set := range sets {
		collect(set)
	}
	best, most := "", 0
	for _, name := range order {
		if counts[name] > most {
			best, most = name, counts[name]
		}
		if sub, n := mostRepeated(children[name], inPath); n > most {
			best, most = sub, n
		}
	}
	return best, most
}

// longestString is the length of the longest string literal in doc:
// arguments, directive arguments and variable defaults, in operations and
// fragments.
func longestString(doc *ast.QueryDocument) int {
	most := 0
	var value func(v *ast.Value)
	value = func(v *ast.Value) {
		if v == nil {
			return
		}
		if (v.Kind == ast.StringValue || v.Kind == ast.BlockValue) && len(v.Raw) > most {
			most = len(v.Raw)
		}
		for _, c := range v.Children {
			value(c.Value)
		}
	}
	directives := func(ds ast.DirectiveList) {
		for _, d := range ds {
			for _, a := range d.Arguments {
				value(a.Value)
			}
		}
	}
	var set func(ast.SelectionSet)
	set = func(ss ast.SelectionSet) {
		for _, sel := range ss {
			switch f := sel.(type) {
			case *ast.Field:
				for _, a := range f.Arguments {
					value(a.Value)
				}
				directives(f.Directives)
				set(f.SelectionSet)
			case *ast.InlineFragment:
				directives(f.Directives)
				set(f.SelectionSet)
			case *ast.FragmentSpread:
				directives(f.Directives)
			}
		}
	}
	for _, op := range doc.Operations {
		for _, vd := range op.VariableDefinitions {
			value(vd.DefaultValue)
		}
		directives(op.Directives)
		set(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		directives(f.Directives)
		set(f.SelectionSet)
	}
	return most
}

// link points fragment spreads at their definitions.
func link(doc *ast.QueryDocument, byName map[string]*ast.FragmentDefinition) {
	var walk func(ast.SelectionSet)
	seen := map[*ast.FragmentDefinition]bool{}
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch f := sel.(type) {
			case *ast.Field:
				walk(f.SelectionSet)
			case *ast.InlineFragment:
				walk(f.SelectionSet)
			case *ast.FragmentSpread:
				f.Definition = byName[f.Name]
				if d := f.Definition; d != nil && !seen[d] {
					seen[d] = true
					walk(d.SelectionSet)
				}
			}
		}
	}
	for _, op := range doc.Operations {
		walk(op.SelectionSet)
	}
}

// IsMutation reports whether the operation a request would run (by name,
// or the only one) is a mutation; false if the document does not parse.
func IsMutation(query, operationName string, maxTokens int) bool {
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, maxTokens)
	if err != nil {
		return false
	}
	op := doc.Operations.ForName(operationName)
	if op == nil && operationName == "" && len(doc.Operations) == 1 {
		op = doc.Operations[0]
	}
	return op != nil && op.Operation == ast.Mutation
}
