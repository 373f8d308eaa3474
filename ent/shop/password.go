package shop

import (
	"fmt"
	"strings"
	"sync"

	"github.com/alexedwards/argon2id"
	"github.com/trustelem/zxcvbn"
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

// minStrength is the zxcvbn score (0..4) a new password needs: 3 is "safely
// unguessable: moderate protection from offline slow-hash scenarios"
// (about 10^8 guesses or more), zxcvbn's own advice for sign-up forms.
const minStrength = 3

// strengthPrefix bounds the estimator's work: its matching is superlinear
// in the length (a 62-byte random password took 86 ms, measured with
// BenchmarkPasswordStrength), and a password strong in its first 32 bytes
// is strong.
const strengthPrefix = 32

// PasswordStrong reports whether password is strong enough for an account
// with these user inputs (email, name): what sign-up and password change
// require.
func PasswordStrong(password string, userInputs ...string) bool {
	return checkStrength("", password, userInputs...) == nil
}

// checkStrength refuses a password an attacker would guess early: common
// passwords, keyboard walks, dates, repeats, dictionary words and l33t
// spellings of them, or words of the account's own email and name (zxcvbn,
// Dropbox's estimator, rather than a hand-written rule set). field names
// the input on refusal.
func checkStrength(field, password string, userInputs ...string) error {
	if len(password) > strengthPrefix {
		password = password[:strengthPrefix]
	}
	inputs := userInputs
	for _, in := range userInputs {
		if local, domain, ok := strings.Cut(in, "@"); ok {
			inputs = append(inputs, local, domain)
		}
		inputs = append(inputs, strings.Fields(in)...)
	}
	if zxcvbn.PasswordStrength(password, inputs).Score < minStrength {
		return &InvalidError{Field: field, Reason: "is too easy to guess: use a longer phrase of several uncommon words, not a common password, a keyboard pattern, or your name or email"}
	}
	return nil
}
