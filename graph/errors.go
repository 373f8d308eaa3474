package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/shop"
	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/graph/apperr"
	"github.com/shopgraph/shopgraph/graph/relay"
	"github.com/shopgraph/shopgraph/graph/reqlog"
)

// domainError is the one place the shop's refusals (ent/shop's typed
// errors) become what clients see: an *apperr.Error with its code, message
// and field list. The shop names an offending input relative to the
// operation's input; arg is the GraphQL argument that carried it ("input",
// or "" for a mutation whose arguments are the input itself), so the field
// becomes "input.slug" or "id". Any other error passes through to the
// presenter (internal).
func domainError(arg string, err error) error {
	var (
		notFound *shop.NotFoundError
		conflict *shop.ConflictError
		invalid  *shop.InvalidError
		denied   *shop.ForbiddenError
		negative *shop.NegativeStockError
		short    *shop.StockError
	)
	switch {
	case errors.As(err, &notFound):
		if notFound.Field == "" {
			return apperr.Errorf(apperr.NotFound, "%s not found", notFound.What)
		}
		e := apperr.Invalid(fieldPath(arg, notFound.Field), "no %s with this ID", notFound.What)
		e.Code = apperr.NotFound
		return e
	case errors.As(err, &conflict):
		if conflict.Field == "" {
			return apperr.Errorf(apperr.Conflict, "%s", conflict.Reason)
		}
		return apperr.Conflicting(fieldPath(arg, conflict.Field), "%s", conflict.Reason)
	case errors.As(err, &invalid):
		return apperr.Invalid(fieldPath(arg, invalid.Field), "%s", invalid.Reason)
	case errors.As(err, &denied):
		return apperr.Errorf(apperr.Forbidden, "%s", denied.Reason)
	case errors.As(err, &negative):
		return apperr.Invalid(fieldPath(arg, "delta"), "would take stock below zero (%d on hand)", negative.OnHand)
	case errors.As(err, &short):
		return outOfStock(short)
	case errors.Is(err, shop.ErrBadCredentials):
		return apperr.Errorf(apperr.Unauthenticated, "invalid email or password")
	}
	return err
}

// fieldPath roots a field the shop named at the GraphQL argument arg.
func fieldPath(arg, field string) string {
	if arg == "" {
		return field
	}
	return arg + "." + field
}

// outOfStock names every variant that is short, by global ID, with what
// is left.
func outOfStock(se *shop.StockError) error {
	type short struct {
		VariantID string `json:"variantId"`
		Requested int    `json:"requested"`
		Available int    `json:"available"`
	}
	shorts := make([]short, len(se.Short))
	names := make([]string, len(se.Short))
	for i, s := range se.Short {
		gid := relay.ToGlobalID("Variant", s.VariantID)
		shorts[i] = short{VariantID: gid, Requested: s.Requested, Available: s.Available}
		names[i] = gid
	}
	return &apperr.Error{
		Code:    apperr.OutOfStock,
		Message: "not enough stock for variants " + strings.Join(names, ", "),
		Details: map[string]any{"variants": shorts},
	}
}

// presentErrors is the one place errors are classified for clients:
//   - an *apperr.Error keeps its message and code (and field list);
//   - an error gqlgen made itself (parse, validation, argument coercion)
//     already describes the request and passes through;
//   - anything else is internal: logged in full with the request id, and
//     shown to the client only as "internal error" with that id, so no
//     database or driver text ever leaves the server.
//
// In production, "Did you mean …?" suggestions are cut from messages: gqlgen
// can be told to stop field suggestions, but argument suggestions still
// come through, and both tell a stranger about the schema.
func presentErrors(logger *slog.Logger, production bool) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		out := graphql.DefaultErrorPresenter(ctx, err)
		if production {
			if i := strings.Index(out.Message, " Did you mean"); i >= 0 {
				out.Message = out.Message[:i]
			}
		}
		if ae, ok := apperr.As(err); ok {
			out.Message = ae.Message
			setExt(out, "code", ae.Code)
			if len(ae.Fields) > 0 {
				setExt(out, "fields", ae.Fields)
			}
			for k, v := range ae.Details {
				setExt(out, k, v)
			}
			return out
		}
		// Last line of defence: a rule the validator did not catch but
		// ent's schema or the database did. Still the client's input, still
		// no database text.
		var entInvalid *ent.ValidationError
		if errors.As(err, &entInvalid) {
			out.Message = fmt.Sprintf("invalid value for %s", entInvalid.Name)
			out.Extensions = map[string]any{"code": apperr.BadUserInput}
			return out
		}
		if ent.IsConstraintError(err) {
			out.Message = "conflicts with existing data"
			out.Extensions = map[string]any{"code": apperr.Conflict}
			return out
		}
		// The request's own context ended: whatever the driver made of it
		// (lib/pq reports a cancelled statement in its own words), the
		// cause is the deadline or the client, not a fault to log. A client
		// that hangs up mid-request would otherwise write one ERROR line per
		// field of the response; the access log line says it left.
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			out.Message = "the request took too long and was stopped"
			out.Extensions = map[string]any{"code": apperr.Timeout}
			return out
		}
		if errors.Is(err, context.Canceled) || errors.Is(ctx.Err(), context.Canceled) {
			out.Message = "the request was cancelled"
			out.Extensions = map[string]any{"code": apperr.Cancelled}
			return out
		}
		id := reqlog.ID(ctx)
		// Down, out of connections, or locked by another writer: the same
		// request may well succeed in a moment, so it is neither the
		// client's fault nor a bug to page anyone about.
		if store.Unavailable(err) {
			logger.WarnContext(ctx, "database unavailable", "request_id", id, "path", out.Path.String(), "err", err)
			out.Message = "the service is temporarily unavailable; retry shortly"
			out.Extensions = map[string]any{"code": apperr.Unavailable, "requestId": id}
			return out
		}
		var gqlErr *gqlerror.Error
		if errors.As(err, &gqlErr) && gqlErr.Err == nil {
			if _, ok := out.Extensions["code"]; !ok {
				setExt(out, "code", apperr.BadUserInput)
			}
			return out
		}
		logger.ErrorContext(ctx, "internal error", "request_id", id, "path", out.Path.String(), "err", err)
		out.Message = "internal error"
		if id != "" {
			out.Message = fmt.Sprintf("internal error (request id %s)", id)
		}
		out.Extensions = map[string]any{"code": apperr.Internal, "requestId": id}
		return out
	}
}

// recoverPanic turns a resolver panic into an internal error; the server
// keeps serving and the stack goes to the log, not the client.
func recoverPanic(logger *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		logger.ErrorContext(ctx, "panic in resolver", "request_id", reqlog.ID(ctx), "panic", p)
		return fmt.Errorf("panic: %v", p)
	}
}

func setExt(e *gqlerror.Error, key string, v any) {
	if e.Extensions == nil {
		e.Extensions = map[string]any{}
	}
	e.Extensions[key] = v
}

// reply is a mutation's answer: the payload made of v, or err as clients
// see it (domainError, its fields rooted at the argument "input", which
// every mutation but archiveProduct takes).
func reply[T, P any](v T, err error, payload func(T) *P) (*P, error) {
	if err != nil {
		return nil, domainError("input", err)
	}
	return payload(v), nil
}
