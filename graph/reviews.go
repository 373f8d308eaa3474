package graph

import (
	"context"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/shop"
	"github.com/shopgraph/shopgraph/graph/auth"
	"github.com/shopgraph/shopgraph/graph/model"
	"github.com/shopgraph/shopgraph/graph/relay"
)

// Review mutations: who may review (buyers, once) and delete (the author
// or staff) is ent/shop's rule.

func (r *Resolver) createReview(ctx context.Context, in model.CreateReviewInput) (*model.ReviewPayload, error) {
	pid, err := r.checkedID(&in, "input.productId", "Product", in.ProductID)
	if err != nil {
		return nil, err
	}
	rev, err := r.shop().CreateReview(ctx, auth.FromContext(ctx).ID, shop.NewReview{
		ProductID: pid, Rating: in.Rating, Title: in.Title, Body: in.Body,
	})
	return reply(rev, err, reviewPayload)
}

func (r *Resolver) deleteReview(ctx context.Context, in model.DeleteReviewInput) (*model.DeleteReviewPayload, error) {
	id, err := relay.IDOf("input.id", "Review", in.ID)
	if err != nil {
		return nil, err
	}
	p, err := r.shop().DeleteReview(ctx, actor(auth.FromContext(ctx)), id)
	if err != nil {
		return nil, domainError("input", err)
	}
	return &model.DeleteReviewPayload{DeletedReviewID: relay.ToGlobalID("Review", id), Product: p}, nil
}

func reviewPayload(rev *ent.Review) *model.ReviewPayload { return &model.ReviewPayload{Review: rev} }
