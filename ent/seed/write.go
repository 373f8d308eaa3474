package seed

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/order"
	"github.com/shopgraph/shopgraph/ent/product"
	"github.com/shopgraph/shopgraph/ent/shop"
	"github.com/shopgraph/shopgraph/ent/user"
)

// Rows generated for each table, with the parents' ids filled in.
type (
	userRow struct {
		name, email string
		role        user.Role
		created     time.Time
	}
	productRow struct {
		slug, title, description string
		status                   product.Status
		categoryID               int
		created, updated         time.Time
		minPrice                 int64
		ratingAvg                float64
		inStock                  bool
	}
	variantRow struct {
		productID   int
		sku, title  string
		price, cost int64
		stock       int
	}
	reviewRow struct {
		productID, authorID, rating int
		title, body                 string
		created                     time.Time
	}
	orderRow struct {
		number     string
		status     order.Status
		customerID int
		created    time.Time
	}
	lineRow struct {
		orderID, variantID, quantity int
		unitPrice                    int64
	}
)

// batchRows is how many rows of a table with the given number of columns
// one INSERT may carry: each value is a bind parameter, and SQLite allows
// 32,766 of them per statement (PostgreSQL 65,535). Columns count every
// column ent writes, defaults included.
func batchRows(columns int) int { return 30000 / columns }

// Columns ent writes per table.
const (
	userColumns      = 5 // created_at, email, name, role, password_hash
	productColumns   = 10
	variantColumns   = 6
	reviewColumns    = 6
	orderColumns     = 4
	orderLineColumns = 4
)

// inTx runs fn in a transaction, committing if it returns nil. SQLite
// syncs once per transaction, so batching rows into one is most of its
// insert speed.
func inTx(ctx context.Context, client *ent.Client, fn func(tx *ent.Tx) error) error {
	tx, err := client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if v := recover(); v != nil {
			tx.Rollback()
			panic(v)
		}
	}()
	if err := fn(tx); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			err = fmt.Errorf("%w (rollback: %v)", err, rerr)
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// DemoPassword is the password of every seeded account (demo and benchmark
// data only; seeding is refused in production). It meets the sign-up
// strength rule for every seeded account, with the account's email and
// name as known words (TestDemo and TestScale check it), so the README's
// demo sign-ins use a password a user could choose. It was
// "shopgraph-demo" until that rule counted the email's domain as a known
// word: shopgraph.dev accounts could not have chosen it. server/bench
// keeps a copy.
const DemoPassword = "demo-mauve-tractor"

// demoPasswordHash hashes DemoPassword once per seeding run, with the
// domain's hashing so seeded accounts sign in like any other. Seeding
// writes users directly rather than through shop.SignUp, which would
// estimate and hash per account: argon2id is slow on purpose, and a
// --scale run creates tens of thousands of users.
func demoPasswordHash() (string, error) {
	h, err := shop.HashPassword(DemoPassword)
	if err != nil {
		return "", fmt.Errorf("hash demo password: %w", err)
	}
	return h, nil
}

// insertUsers creates users, all with the demo password, and returns their
// ids in order.
func insertUsers(ctx context.Context, tx *ent.Tx, rows []userRow) ([]int, error) {
	hash, err := demoPasswordHash()
	if err != nil {
		return nil, err
	}
	ids := make([]int, 0, len(rows))
	for batch := range slices.Chunk(rows, batchRows(userColumns)) {
		builders := make([]*ent.UserCreate, len(batch))
		for i, r := range batch {
			builders[i] = tx.User.Create().SetName(r.name).SetEmail(r.email).SetRole(r.role).SetCreatedAt(r.created).SetPasswordHash(hash)
		}
		created, err := tx.User.CreateBulk(builders...).Save(ctx)
		if err != nil {
			return nil, fmt.Errorf("insert %d users: %w", len(batch), err)
		}
		for _, u := range created {
			ids = append(ids, u.ID)
		}
	}
	return ids, nil
}

// insertProducts creates products and returns their ids in order.
func insertProducts(ctx context.Context, tx *ent.Tx, rows []productRow) ([]int, error) {
	ids := make([]int, 0, len(rows))
	for batch := range slices.Chunk(rows, batchRows(productColumns)) {
		builders := make([]*ent.ProductCreate, len(batch))
		for i, r := range batch {
			builders[i] = tx.Product.Create().
				SetSlug(r.slug).SetTitle(r.title).SetDescription(r.description).
				SetStatus(r.status).SetCategoryID(r.categoryID).
				SetCreatedAt(r.created).SetUpdatedAt(r.updated).
				SetMinPrice(r.minPrice).SetRatingAvg(r.ratingAvg).SetInStock(r.inStock)
		}
		created, err := tx.Product.CreateBulk(builders...).Save(ctx)
		if err != nil {
			return nil, fmt.Errorf("insert %d products: %w", len(batch), err)
		}
		for _, p := range created {
			ids = append(ids, p.ID)
		}
	}
	return ids, nil
}

// insertVariants creates variants and returns their ids in order.
func insertVariants(ctx context.Context, tx *ent.Tx, rows []variantRow) ([]int, error) {
	ids := make([]int, 0, len(rows))
	for batch := range slices.Chunk(rows, batchRows(variantColumns)) {
		builders := make([]*ent.VariantCreate, len(batch))
		for i, r := range batch {
			builders[i] = tx.Variant.Create().
				SetProductID(r.productID).SetSku(r.sku).SetTitle(r.title).
				SetPrice(r.price).SetCost(r.cost).SetStock(r.stock)
		}
		created, err := tx.Variant.CreateBulk(builders...).Save(ctx)
		if err != nil {
			return nil, fmt.Errorf("insert %d variants: %w", len(batch), err)
		}
		for _, v := range created {
			ids = append(ids, v.ID)
		}
	}
	return ids, nil
}

func insertReviews(ctx context.Context, tx *ent.Tx, rows []reviewRow) error {
	for batch := range slices.Chunk(rows, batchRows(reviewColumns)) {
		builders := make([]*ent.ReviewCreate, len(batch))
		for i, r := range batch {
			builders[i] = tx.Review.Create().
				SetProductID(r.productID).SetAuthorID(r.authorID).SetRating(r.rating).
				SetTitle(r.title).SetBody(r.body).SetCreatedAt(r.created)
		}
		if err := tx.Review.CreateBulk(builders...).Exec(ctx); err != nil {
			return fmt.Errorf("insert %d reviews: %w", len(batch), err)
		}
	}
	return nil
}

// insertOrders creates orders and returns their ids in order.
func insertOrders(ctx context.Context, tx *ent.Tx, rows []orderRow) ([]int, error) {
	ids := make([]int, 0, len(rows))
	for batch := range slices.Chunk(rows, batchRows(orderColumns)) {
		builders := make([]*ent.OrderCreate, len(batch))
		for i, r := range batch {
			builders[i] = tx.Order.Create().
				SetNumber(r.number).SetStatus(r.status).SetCustomerID(r.customerID).SetCreatedAt(r.created)
		}
		created, err := tx.Order.CreateBulk(builders...).Save(ctx)
		if err != nil {
			return nil, fmt.Errorf("insert %d orders: %w", len(batch), err)
		}
		for _, o := range created {
			ids = append(ids, o.ID)
		}
	}
	return ids, nil
}

func insertOrderLines(ctx context.Context, tx *ent.Tx, rows []lineRow) error {
	for batch := range slices.Chunk(rows, batchRows(orderLineColumns)) {
		builders := make([]*ent.OrderLineCreate, len(batch))
		for i, r := range batch {
			builders[i] = tx.OrderLine.Create().
				SetOrderID(r.orderID).SetVariantID(r.variantID).
				SetQuantity(r.quantity).SetUnitPrice(r.unitPrice)
		}
		if err := tx.OrderLine.CreateBulk(builders...).Exec(ctx); err != nil {
			return fmt.Errorf("insert %d order lines: %w", len(batch), err)
		}
	}
	return nil
}
