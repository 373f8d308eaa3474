package loaders

import (
	"encoding/json"
	"strconv"
)

// valueInt reads an extra selected column (ent's Value) as an int.
func valueInt(v any, err error) int {
	if err != nil {
		return 0
	}
	switch x := v.(type) {
	case int64:
		return int(x)
	case int:
		return x
	case float64:
		return int(x)
	case []byte:
		n, _ := strconv.Atoi(string(x))
		return n
	case string:
		n, _ := strconv.Atoi(x)
		return n
	case json.Number:
		n, _ := x.Int64()
		return int(n)
	}
	return 0
}
