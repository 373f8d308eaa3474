package graph

import (
	"context"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/order"
	"github.com/shopgraph/shopgraph/ent/orderline"
	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/ent/variant"
	"github.com/shopgraph/shopgraph/graph/apperr"
	"github.com/shopgraph/shopgraph/graph/auth"
	"github.com/shopgraph/shopgraph/graph/model"
	"github.com/shopgraph/shopgraph/graph/relay"
)

// createReview lets a customer review a product they bought (a line of a
// PAID or SHIPPED order of theirs), once: the (product, author) unique index
// turns a second review, even a concurrent one, into CONFLICT.
func (r *Resolver) createReview(ctx context.Context, in model.CreateReviewInput) (*model.ReviewPayload, error) {
	if err := r.check("input", &in); err != nil {
		return nil, err
	}
	pid, err := relay.IDOf("input.productId", "Product", in.ProductID)
	if err != nil {
		return nil, err
	}
	author := auth.FromContext(ctx).ID
	var rev *ent.Review
	err = r.inTx(ctx, func(tx *ent.Tx) error {
		if _, err := tx.Product.Get(ctx, pid); err != nil {
			return notFoundOr(err, "input.productId", "product")
		}
		bought, err := tx.OrderLine.Query().Where(
			orderline.HasOrderWith(order.CustomerID(author), order.StatusIn(order.StatusPAID, order.StatusSHIPPED)),
			orderline.HasVariantWith(variant.ProductID(pid)),
		).Exist(ctx)
		if err != nil {
			return err
		}
		if !bought {
			return apperr.Errorf(apperr.Forbidden, "only customers who bought this product (in a paid or shipped order) can review it")
		}
		rev, err = store.CreateReview(ctx, tx, tx.Review.Create().
			SetProductID(pid).SetAuthorID(author).
			SetRating(in.Rating).SetTitle(in.Title).SetBody(in.Body))
		if ent.IsConstraintError(err) {
			return apperr.Conflicting("input.productId", "you have already reviewed this product")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &model.ReviewPayload{Review: rev}, nil
}

// deleteReview lets the author or staff delete a review.
func (r *Resolver) deleteReview(ctx context.Context, in model.DeleteReviewInput) (*model.DeleteReviewPayload, error) {
	id, err := relay.IDOf("input.id", "Review", in.ID)
	if err != nil {
		return nil, err
	}
	v := auth.FromContext(ctx)
	var p *ent.Product
	err = r.inTx(ctx, func(tx *ent.Tx) error {
		rev, err := tx.Review.Get(ctx, id)
		if err != nil {
			return notFoundOr(err, "input.id", "review")
		}
		if rev.AuthorID != v.ID && !v.Staff() {
			return apperr.Errorf(apperr.Forbidden, "only the author or staff can delete a review")
		}
		if err := store.DeleteReview(ctx, tx, rev); err != nil {
			return err
		}
		p, err = tx.Product.Get(ctx, rev.ProductID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &model.DeleteReviewPayload{DeletedReviewID: relay.ToGlobalID("Review", id), Product: p}, nil
}
