// Package shop is the store's domain: what may happen to the catalog, the
// stock, orders, reviews and accounts, as plain Go over ent. A GraphQL
// resolver, a job, a command-line tool or an event handler places an order
// the same way, with the same rules and the same guarantees, by calling
// Service.PlaceOrder.
//
// It owns:
//   - checkout (PlaceOrder: stock reserved by one conditional UPDATE, never
//     below zero nor sold twice, in a fixed number of statements however
//     many lines), order transitions and cancellation with restock;
//   - stock (AdjustStock) and the movement ledger every stock change
//     writes;
//   - catalog changes: products, variants, categories, and category moves
//     under the category lock so no two moves make a cycle;
//   - reviews (only by buyers, one per product and author);
//   - accounts: sign-up, the sign-in credential check, role changes under
//     the last-admin rule, account updates, password changes, and password
//     hashing (argon2id).
//
// Every write runs in one transaction (Service.inTx). Refusals are typed
// errors (errors.go) that say which input was at fault, by the lowerCamel
// name of the Go field or argument that carried it; translating them for a
// client is the caller's business. Reads honour whatever query
// interceptors the client carries (the API's row rules), so a row the
// caller's viewer may not see is not found here either. The dialect's SQL
// (locks, the checkout UPDATE) is chosen from the client itself
// (ent.Client.Dialect), never passed in.
//
// Product sort keys are not this package's concern: the hooks ent/store
// installs on every client refresh them whenever a variant, review or
// stock movement is written.
//
// shop imports ent, its generated packages and ent/store's helpers only;
// it must not import anything under graph/ or server/, nor know about
// GraphQL (global IDs, input paths, error codes).
package shop
