package relay

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/graph/apperr"
)

// ToGlobalID returns the opaque ID of row id of GraphQL type typ. The
// entities' own id fields use the same encoding (ent.GlobalID).
func ToGlobalID(typ string, id int) string { return ent.GlobalID(typ, id) }

// FromGlobalID splits an opaque ID (ent.GlobalID) into its type and row ID. A malformed ID
// is a BAD_USER_INPUT error naming field.
func FromGlobalID(field, gid string) (typ string, id int, err error) {
	raw, err := base64.RawURLEncoding.DecodeString(gid)
	if err != nil {
		return "", 0, apperr.Invalid(field, "not a valid ID")
	}
	typ, num, ok := strings.Cut(string(raw), ":")
	id, convErr := strconv.Atoi(num)
	if !ok || typ == "" || convErr != nil || id <= 0 {
		return "", 0, apperr.Invalid(field, "not a valid ID")
	}
	return typ, id, nil
}

// IDOf decodes an opaque ID that must be of type want.
func IDOf(field, want, gid string) (int, error) {
	typ, id, err := FromGlobalID(field, gid)
	if err != nil {
		return 0, err
	}
	if typ != want {
		return 0, apperr.Invalid(field, "not a %s ID", want)
	}
	return id, nil
}
