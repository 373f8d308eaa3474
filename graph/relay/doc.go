// Package relay implements the Relay conventions the schema promises: opaque
// global IDs ("Type:id", base64url) and keyset-paginated connections whose
// cursors carry the sort key and ID of a row, so page 1,000 costs what page 1
// costs. The same Page drives top-level lists (Apply) and per-parent nested
// lists batched into one statement with a window function (Window).
package relay
