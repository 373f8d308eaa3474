package loaders

import (
	"context"

	"github.com/graph-gophers/dataloader/v7"
)

// NodeRef names one object by GraphQL type and row ID.
type NodeRef struct {
	Type string
	ID   int
}

// Nodes loads objects of any type, batched per type, in the order given. An
// unknown type or a missing row is a nil entry.
func Nodes(ctx context.Context, refs []NodeRef) ([]any, error) {
	l, err := From(ctx)
	if err != nil {
		return nil, err
	}
	thunks := make([]func() (any, error), len(refs))
	for i, r := range refs {
		thunks[i] = l.thunk(ctx, r)
	}
	out := make([]any, len(refs))
	for i, t := range thunks {
		v, err := t()
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// thunk starts the load of one object; every Load is issued before any is
// awaited, so each type costs one statement.
func (l *Loaders) thunk(ctx context.Context, r NodeRef) func() (any, error) {
	switch r.Type {
	case "Product":
		return nodeThunk(l.productByIDL().Load(ctx, r.ID))
	case "Category":
		return nodeThunk(l.categoryByIDL().Load(ctx, r.ID))
	case "User":
		return nodeThunk(l.userByIDL().Load(ctx, r.ID))
	case "Variant":
		return nodeThunk(l.variantByIDL().Load(ctx, r.ID))
	case "Review":
		return nodeThunk(l.reviewByIDL().Load(ctx, r.ID))
	case "Order":
		return nodeThunk(l.orderByIDL().Load(ctx, r.ID))
	case "OrderLine":
		return nodeThunk(l.orderLineByIDL().Load(ctx, r.ID))
	default:
		return func() (any, error) { return nil, nil }
	}
}

// nodeThunk adapts a typed thunk, turning a typed nil into an untyped nil so
// a missing row is a null Node, not a non-nil interface holding nil.
func nodeThunk[V comparable](t dataloader.Thunk[V]) func() (any, error) {
	return func() (any, error) {
		v, err := t()
		var zero V
		if err != nil || v == zero {
			return nil, err
		}
		return v, nil
	}
}
