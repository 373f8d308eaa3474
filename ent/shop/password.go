package shop

import (
	"fmt"
	"sync"

	"github.com/alexedwards/argon2id"
)

// Passwords are hashed here, in the domain, because checking a credential
// and choosing how it is stored are the shop's rules, not a transport's:
// an account made by a job or a command-line tool must sign in over the
// API. Hashes are argon2id (memory-hard) at the library's recommended
// parameters; the hash string records them, so they can be raised later
// without invalidating stored hashes.

// HashPassword returns the argon2id hash of password.
func HashPassword(password string) (string, error) {
	h, err := argon2id.CreateHash(password, argon2id.DefaultParams)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return h, nil
}

// dummyHash is compared against when an email is unknown, so a sign-in
// takes as long whether or not the account exists. It is derived, not
// configured, so it is shared by every Service of the process.
var dummyHash = sync.OnceValue(func() string {
	h, _ := argon2id.CreateHash("not a password", argon2id.DefaultParams)
	return h
})

// CheckPassword reports whether password matches hash. An empty hash (an
// account without a password, or none at all) never matches, but costs the
// same time.
func CheckPassword(password, hash string) bool {
	if hash == "" {
		argon2id.ComparePasswordAndHash(password, dummyHash())
		return false
	}
	ok, err := argon2id.ComparePasswordAndHash(password, hash)
	return err == nil && ok
}
