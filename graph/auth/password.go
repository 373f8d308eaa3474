package auth

import "github.com/shopgraph/shopgraph/ent/shop"

// Password hashing belongs to the domain (ent/shop), which signs users up
// and checks their credentials; these names stay for code that issues
// hashes outside it (fixtures) and read as before at the call site.

// HashPassword returns the argon2id hash of password (shop.HashPassword).
func HashPassword(password string) (string, error) { return shop.HashPassword(password) }

// CheckPassword reports whether password matches hash (shop.CheckPassword).
func CheckPassword(password, hash string) bool { return shop.CheckPassword(password, hash) }
