package main

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/lib/pq"
)

// The plain handler is the floor the server is compared with: net/http,
// database/sql over lib/pq with the server's DSN settings and pool size,
// and encoding/json, answering the nested scenarios with the same five
// statements the server's loaders send (graph/loaders/fetch.go, as
// pg_stat_statements shows them) and the same response bytes. It does no
// GraphQL: the request body is decoded, as any JSON API would, and the page
// size comes from the URL.

// SQL as the server's ent queries render it for an anonymous viewer (the
// row rules add status = 'ACTIVE' to products and leave the children of
// visible products unfiltered; no description is asked for, and users are
// never read with their password hash). Keep it in step with the server:
// the benchmark compares the two on the same statements.
const (
	plainProductsSQL   = `SELECT "products"."id", "products"."created_at", "products"."slug", "products"."title", "products"."status", "products"."category_id", "products"."updated_at", "products"."min_price", "products"."rating_avg", "products"."in_stock" FROM "products" WHERE "products"."status" = $1 ORDER BY "products"."created_at" ASC, "products"."id" ASC LIMIT $2`
	plainCategoriesSQL = `SELECT "categories"."id", "categories"."created_at", "categories"."name", "categories"."slug", "categories"."parent_id" FROM "categories" WHERE "categories"."id" = ANY($1)`
	plainVariantsSQL   = `SELECT "variants"."id", "variants"."sku", "variants"."title", "variants"."price", "variants"."cost", "variants"."stock", "variants"."product_id" FROM "variants" WHERE "variants"."product_id" = ANY($1) ORDER BY "variants"."price", "variants"."id"`
	plainReviewsSQL    = `WITH "src_query" AS (SELECT "reviews"."id", "reviews"."created_at", "reviews"."rating", "reviews"."title", "reviews"."body", "reviews"."author_id", "reviews"."product_id" FROM "reviews" WHERE "reviews"."product_id" = ANY($1)), "limited_query" AS (SELECT *, (ROW_NUMBER() OVER (PARTITION BY "src_query"."product_id" ORDER BY "src_query"."created_at" ASC, "src_query"."id" ASC)) AS "row_number" FROM "src_query") SELECT "id", "created_at", "rating", "title", "body", "author_id", "product_id" FROM "limited_query" AS "reviews" WHERE "reviews"."row_number" <= $2 ORDER BY "reviews"."product_id", "reviews"."row_number"`
	plainUsersSQL      = `SELECT "users"."id", "users"."created_at", "users"."email", "users"."name", "users"."role" FROM "users" WHERE "users"."id" = ANY($1)`

	plainReviewsPerProduct = 3
)

// servePlain runs the plain handler until ctx ends.
func servePlain(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet(plainCommand, flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8090", "listen address")
	dbURL := fs.String("database-url", "", "postgres:// URL")
	maxConns := fs.Int("max-conns", 10, "pool size (the server's DB_MAX_CONNS)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dsn, err := plainDSN(*dbURL)
	if err != nil {
		return err
	}
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	// The pool settings of ent/store.Open.
	db.SetMaxOpenConns(*maxConns)
	db.SetMaxIdleConns(*maxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)

	h := &plainHandler{db: db}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /graphql", h.products)
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := db.PingContext(r.Context()); err != nil {
			http.Error(w, "database unreachable", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok\n")
	})
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 120 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

// plainDSN adds binary_parameters=yes as ent/store does: one round trip per
// parameterised statement instead of two.
func plainDSN(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", errors.New("-database-url must be a postgres:// URL")
	}
	q := u.Query()
	if q.Get("binary_parameters") == "" {
		q.Set("binary_parameters", "yes")
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

type plainHandler struct{ db *sql.DB }

// The response types mirror the selection of nestedQuery field by field;
// encoding/json writes struct fields in order, as gqlgen writes the
// selection.
type (
	plainMoney struct {
		Amount int64 `json:"amount"`
	}
	plainNamed struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	plainVariant struct {
		ID      string     `json:"id"`
		SKU     string     `json:"sku"`
		Price   plainMoney `json:"price"`
		InStock bool       `json:"inStock"`
	}
	plainReview struct {
		ID     string      `json:"id"`
		Rating int         `json:"rating"`
		Body   string      `json:"body"`
		Author *plainNamed `json:"author"`
	}
	plainReviewEdge struct {
		Node *plainReview `json:"node"`
	}
	plainReviews struct {
		Edges []plainReviewEdge `json:"edges"`
	}
	plainProduct struct {
		ID       string         `json:"id"`
		Title    string         `json:"title"`
		Category *plainNamed    `json:"category"`
		Variants []plainVariant `json:"variants"`
		Reviews  plainReviews   `json:"reviews"`

		categoryID int
	}
	plainProductEdge struct {
		Node *plainProduct `json:"node"`
	}
	plainResponse struct {
		Data struct {
			Products struct {
				Edges []plainProductEdge `json:"edges"`
			} `json:"products"`
		} `json:"data"`
	}
)

// globalID is graph/relay.ToGlobalID.
func globalID(typ string, id int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + strconv.Itoa(id)))
}

func (h *plainHandler) products(w http.ResponseWriter, r *http.Request) {
	var req graphqlRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Query == "" {
		http.Error(w, "want a JSON body with a query", http.StatusBadRequest)
		return
	}
	first, err := strconv.Atoi(r.URL.Query().Get("first"))
	if err != nil || first < 1 || first > 100 {
		http.Error(w, "first must be 1..100", http.StatusBadRequest)
		return
	}
	resp, err := h.load(r.Context(), first)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	// json.Marshal escapes <, > and & as \u003c..., as the server's bytes
	// show: gqlgen's handler marshals its response with encoding/json too.
	b, err := json.Marshal(resp)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

// load runs the server's statements in the server's order: the page, then
// categories, variants and review pages at once (one batch window on the
// server), then the reviews' authors.
func (h *plainHandler) load(ctx context.Context, first int) (*plainResponse, error) {
	products, ids, err := h.page(ctx, first)
	if err != nil {
		return nil, err
	}
	catIDs := make([]int64, 0, len(products))
	seen := map[int]bool{}
	for _, p := range products {
		if !seen[p.categoryID] {
			seen[p.categoryID] = true
			catIDs = append(catIDs, int64(p.categoryID))
		}
	}
	var (
		wg                  sync.WaitGroup
		cats                map[int]*plainNamed
		variants            map[int][]plainVariant
		reviews             map[int][]plainReviewEdge
		authorOf            map[*plainReview]int
		catErr, varErr, rvE error
	)
	wg.Add(3)
	go func() { defer wg.Done(); cats, catErr = h.named(ctx, plainCategoriesSQL, "Category", catIDs) }()
	go func() { defer wg.Done(); variants, varErr = h.variants(ctx, ids) }()
	go func() { defer wg.Done(); reviews, authorOf, rvE = h.reviews(ctx, ids) }()
	wg.Wait()
	if err := errors.Join(catErr, varErr, rvE); err != nil {
		return nil, err
	}
	authorIDs := make([]int64, 0, len(authorOf))
	seenAuthor := map[int]bool{}
	for _, a := range authorOf {
		if !seenAuthor[a] {
			seenAuthor[a] = true
			authorIDs = append(authorIDs, int64(a))
		}
	}
	authors, err := h.named(ctx, plainUsersSQL, "User", authorIDs)
	if err != nil {
		return nil, err
	}
	resp := &plainResponse{}
	resp.Data.Products.Edges = make([]plainProductEdge, len(products))
	for i, p := range products {
		pid := int(ids[i])
		p.Category = cats[p.categoryID]
		p.Variants = variants[pid]
		if p.Variants == nil {
			p.Variants = []plainVariant{}
		}
		p.Reviews.Edges = reviews[pid]
		if p.Reviews.Edges == nil {
			p.Reviews.Edges = []plainReviewEdge{}
		}
		for _, e := range p.Reviews.Edges {
			e.Node.Author = authors[authorOf[e.Node]]
		}
		if p.Category == nil {
			return nil, fmt.Errorf("product %d: category %d not found", pid, p.categoryID)
		}
		resp.Data.Products.Edges[i] = plainProductEdge{Node: p}
	}
	return resp, nil
}

// page reads first+1 products (one more tells whether a next page exists,
// as keyset.Page.Apply does) and keeps first.
func (h *plainHandler) page(ctx context.Context, first int) ([]*plainProduct, []int64, error) {
	rows, err := h.db.QueryContext(ctx, plainProductsSQL, "ACTIVE", first+1)
	if err != nil {
		return nil, nil, fmt.Errorf("products: %w", err)
	}
	defer rows.Close()
	var (
		out []*plainProduct
		ids []int64
	)
	for rows.Next() {
		var (
			id, categoryID      int
			created, updated    time.Time
			slug, title, status string
			minPrice            sql.NullInt64
			ratingAvg           sql.NullFloat64
			inStock             bool
		)
		if err := rows.Scan(&id, &created, &slug, &title, &status, &categoryID, &updated, &minPrice, &ratingAvg, &inStock); err != nil {
			return nil, nil, err
		}
		if len(out) < first {
			out = append(out, &plainProduct{ID: globalID("Product", id), Title: title, categoryID: categoryID})
			ids = append(ids, int64(id))
		}
	}
	return out, ids, rows.Err()
}

// named loads categories by id: id and name.
// named reads the categories or users with the given ids (query's rows
// hold id, created_at and the type's other columns, name among them) into
// their id and name.
func (h *plainHandler) named(ctx context.Context, query, typ string, ids []int64) (map[int]*plainNamed, error) {
	rows, err := h.db.QueryContext(ctx, query, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", typ, err)
	}
	defer rows.Close()
	out := make(map[int]*plainNamed, len(ids))
	var (
		id               int
		created          time.Time
		name, slug, role string
		parent           sql.NullInt64
		email            string
	)
	// categories: id, created_at, name, slug, parent_id;
	// users: id, created_at, email, name, role.
	dest := []any{&id, &created, &name, &slug, &parent}
	if typ == "User" {
		dest = []any{&id, &created, &email, &name, &role}
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		out[id] = &plainNamed{ID: globalID(typ, id), Name: name}
	}
	return out, rows.Err()
}

func (h *plainHandler) variants(ctx context.Context, products []int64) (map[int][]plainVariant, error) {
	rows, err := h.db.QueryContext(ctx, plainVariantsSQL, pq.Array(products))
	if err != nil {
		return nil, fmt.Errorf("variants: %w", err)
	}
	defer rows.Close()
	out := make(map[int][]plainVariant, len(products))
	for rows.Next() {
		var (
			id, stock, productID int
			sku, title           string
			price, cost          int64
		)
		if err := rows.Scan(&id, &sku, &title, &price, &cost, &stock, &productID); err != nil {
			return nil, err
		}
		out[productID] = append(out[productID], plainVariant{
			ID: globalID("Variant", id), SKU: sku, Price: plainMoney{Amount: price}, InStock: stock > 0,
		})
	}
	return out, rows.Err()
}

// reviews loads the first reviews of each product (one more than shown, as
// keyset.Page.Window does) and returns each kept review's author id.
func (h *plainHandler) reviews(ctx context.Context, products []int64) (map[int][]plainReviewEdge, map[*plainReview]int, error) {
	rows, err := h.db.QueryContext(ctx, plainReviewsSQL, pq.Array(products), plainReviewsPerProduct+1)
	if err != nil {
		return nil, nil, fmt.Errorf("reviews: %w", err)
	}
	defer rows.Close()
	out := make(map[int][]plainReviewEdge, len(products))
	authors := map[*plainReview]int{}
	for rows.Next() {
		var (
			id, rating, authorID, productID int
			created                         time.Time
			title, body                     string
		)
		if err := rows.Scan(&id, &created, &rating, &title, &body, &authorID, &productID); err != nil {
			return nil, nil, err
		}
		if len(out[productID]) < plainReviewsPerProduct {
			rv := &plainReview{ID: globalID("Review", id), Rating: rating, Body: body}
			out[productID] = append(out[productID], plainReviewEdge{Node: rv})
			authors[rv] = authorID
		}
	}
	return out, authors, rows.Err()
}
