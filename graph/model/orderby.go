package model

// OrderBy is every list's orderBy input: a field of the list's order enum
// and a direction (default ascending). The schema's order inputs are its
// instances, so one function reads them all (graph/listing).
type OrderBy[F any] struct {
	// Field to sort by.
	Field F `json:"field"`
	// Direction; default ASC.
	Direction *OrderDirection `json:"direction,omitempty"`
}

// The schema's order inputs.
type (
	ProductOrder = OrderBy[ProductOrderField]
	ReviewOrder  = OrderBy[ReviewOrderField]
	OrderOrder   = OrderBy[OrderOrderField]
	UserOrder    = OrderBy[UserOrderField]
)
