package shop

import (
	"context"
	"fmt"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/order"
	"github.com/shopgraph/shopgraph/ent/orderline"
	"github.com/shopgraph/shopgraph/ent/variant"
)

// NewReview is a review of a product.
type NewReview struct {
	ProductID   int
	Rating      int
	Title, Body string
}

// CreateReview lets author review a product ("productId" if it does not
// exist) they bought, that is, a line of a PAID or SHIPPED order of theirs
// (a *ForbiddenError otherwise), once: the (product, author) unique index
// turns a second review, even a concurrent one, into a *ConflictError on
// "productId".
func (s *Service) CreateReview(ctx context.Context, author int, in NewReview) (*ent.Review, error) {
	return inTx(ctx, s, func(tx *ent.Tx) (*ent.Review, error) {
		if err := mustExist(ctx, tx.Product.Get, in.ProductID, "productId", "product"); err != nil {
			return nil, err
		}
		bought, err := tx.OrderLine.Query().Where(
			orderline.HasOrderWith(order.CustomerID(author), order.StatusIn(order.StatusPAID, order.StatusSHIPPED)),
			orderline.HasVariantWith(variant.ProductID(in.ProductID)),
		).Exist(ctx)
		if err != nil {
			return nil, fmt.Errorf("look for a purchase: %w", err)
		}
		if !bought {
			return nil, &ForbiddenError{Reason: "only customers who bought this product (in a paid or shipped order) can review it"}
		}
		rev, err := tx.Review.Create().
			SetProductID(in.ProductID).SetAuthorID(author).
			SetRating(in.Rating).SetTitle(in.Title).SetBody(in.Body).
			Save(ctx)
		if ent.IsConstraintError(err) {
			return nil, &ConflictError{Field: "productId", Reason: "you have already reviewed this product"}
		}
		return rev, err
	})
}

// DeleteReview lets the review's author or staff (a *ForbiddenError for
// anyone else) delete review id ("id" if it does not exist), and returns
// the product it was about, as it is afterwards.
func (s *Service) DeleteReview(ctx context.Context, actor Actor, id int) (*ent.Product, error) {
	productID, err := inTx(ctx, s, func(tx *ent.Tx) (int, error) {
		rev, err := tx.Review.Get(ctx, id)
		if err != nil {
			return 0, notFoundOr(err, "id", "review")
		}
		if rev.AuthorID != actor.ID && !actor.Staff() {
			return 0, &ForbiddenError{Reason: "only the author or staff can delete a review"}
		}
		if err := tx.Review.DeleteOneID(rev.ID).Exec(ctx); err != nil {
			return 0, fmt.Errorf("delete review %d: %w", rev.ID, err)
		}
		return rev.ProductID, nil
	})
	if err != nil {
		return nil, err
	}
	// Read after the commit: the product's keys (rating_avg) are refreshed
	// as the transaction commits.
	p, err := s.client.Product.Get(ctx, productID)
	if err != nil {
		return nil, fmt.Errorf("load product %d: %w", productID, err)
	}
	return p, nil
}
