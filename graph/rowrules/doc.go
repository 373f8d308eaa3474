// Package rowrules holds the row-level rules: ent query interceptors that
// filter every query of a client by the viewer in its context, whichever
// path reaches the rows (lists, node/nodes, dataloaders, nested edges,
// counts and aggregates). A context without a viewer is anonymous, the most
// restricted case, so a forgotten viewer hides rows rather than leaking them.
// A row a viewer may not see behaves exactly like a row that does not exist.
//
// The rules:
//   - products: ACTIVE only, unless staff; their variants and reviews
//     likewise follow the product's visibility. Order history is the one
//     exception: the variant and product of an order line the viewer may
//     see are loaded WithOrderHistory, since archived products are "kept
//     for order history";
//   - orders and order lines: the viewer's own, all for staff, none when
//     anonymous;
//   - users and categories: visible to all (private user fields are guarded
//     by schema directives).
//
// It may import ent and graph/auth (for the viewer); it must not import graph,
// graph/loaders or a database driver: the rules are ent predicates, and the
// SQL they become is ent's.
package rowrules
