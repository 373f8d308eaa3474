package shop

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
	"github.com/trustelem/zxcvbn"
	"github.com/trustelem/zxcvbn/match"
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

// strengthPrefix bounds the estimator's work, which grows faster than the
// length: the most expensive 32 characters found (BenchmarkPasswordStrength,
// every l33t character) cost ~22 ms of CPU, the same pattern at 72
// characters ~250 ms, where the argon2id hash that follows costs ~120 ms.
// A password strong in its first 32 characters is strong. The prefix
// counts characters, not bytes: a cut inside a character is invalid UTF-8,
// which zxcvbn scores 0, and would refuse a strong non-ASCII password.
// (bcrypt's 72-byte limit does not apply: argon2id reads the whole
// password.)
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
// the input on refusal; the reason says what made it guessable.
func checkStrength(field, password string, userInputs ...string) error {
	scored, cut := password, false
	if utf8.RuneCountInString(password) > strengthPrefix {
		scored, cut = string([]rune(password)[:strengthPrefix]), true
	}
	words := knownWords(userInputs)
	res := zxcvbn.PasswordStrength(scored, words)
	if res.Score >= minStrength {
		return nil
	}
	reason := "is too easy to guess: " + lowerFirst(strengthFeedback(scored, words, res.Sequence))
	if cut {
		reason += fmt.Sprintf(" Only the first %d characters are scored.", strengthPrefix)
	}
	return &InvalidError{Field: field, Reason: reason}
}

// knownWords is what zxcvbn treats as the account's own words: each input
// whole, and its words split at anything but letters and digits
// (jordan.baker@example.com gives jordan, baker, example), so a password
// cannot be assembled from them in another order. Pieces under three
// characters ("j", "jo") are left out: they would only make unrelated
// passwords look weaker.
func knownWords(inputs []string) []string {
	words := slices.Clone(inputs)
	for _, in := range inputs {
		for _, w := range strings.FieldsFunc(in, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			if utf8.RuneCountInString(w) >= 3 {
				words = append(words, w)
			}
		}
	}
	return words
}

// strengthFeedback says in plain English what made a guessable password
// guessable, and what to do instead. Words of the account's own email or
// name come first, as the most direct thing to fix; they are looked for
// in the password itself, not in the match sequence, where a tie in
// guesses ("jordan" is also a common password) may name another
// dictionary. Otherwise it is the warning and suggestion of Dropbox's
// zxcvbn (feedback.coffee, which the Go port leaves out) for the longest
// match the estimator found.
func strengthFeedback(password string, words []string, seq []*match.Match) string {
	const more = "Add another word or two; uncommon words are better."
	lower := strings.ToLower(password)
	for _, w := range words {
		if utf8.RuneCountInString(w) >= 3 && strings.Contains(lower, strings.ToLower(w)) {
			return "It contains your email or name. Leave them out and " + lowerFirst(more)
		}
	}
	if len(seq) == 0 {
		return "Use a few words, and avoid common phrases."
	}
	longest := seq[0]
	for _, m := range seq[1:] {
		if len(m.Token) > len(longest.Token) {
			longest = m
		}
	}
	m, sole := longest, len(seq) == 1
	switch m.Pattern {
	case "dictionary":
		return dictionaryFeedback(m, sole) + more
	case "spatial":
		if m.Turns == 1 {
			return "Straight rows of keys are easy to guess. " + more
		}
		return "Short keyboard patterns are easy to guess. " + more
	case "repeat":
		if utf8.RuneCountInString(m.BaseToken) == 1 {
			return `Repeats like "aaa" are easy to guess. Avoid repeated words and characters. ` + more
		}
		return `Repeats like "abcabcabc" are only slightly harder to guess than "abc". Avoid repeated words and characters. ` + more
	case "sequence":
		return "Sequences like abc or 6543 are easy to guess. " + more
	case "regex":
		return "Recent years are easy to guess. Avoid years that are associated with you. " + more
	case "date":
		return "Dates are often easy to guess. Avoid dates and years that are associated with you. " + more
	}
	return more
}

// dictionaryFeedback is strengthFeedback for a dictionary word, ending in
// a space when it says anything.
func dictionaryFeedback(m *match.Match, sole bool) string {
	var warn string
	switch m.DictionaryName {
	case "passwords":
		switch {
		case sole && !m.L33t && !m.Reversed && m.Rank <= 10:
			warn = "This is a top-10 common password."
		case sole && !m.L33t && !m.Reversed && m.Rank <= 100:
			warn = "This is a top-100 common password."
		case sole && !m.L33t && !m.Reversed:
			warn = "This is a very common password."
		case m.Guesses <= 1e4:
			warn = "This is similar to a commonly used password."
		}
	case "english_wikipedia":
		if sole {
			warn = "A word by itself is easy to guess."
		}
	case "surnames", "male_names", "female_names":
		if sole {
			warn = "Names and surnames by themselves are easy to guess."
		} else {
			warn = "Common names and surnames are easy to guess."
		}
	}
	switch r, _ := utf8.DecodeRuneInString(m.Token); {
	case m.L33t:
		warn += " Predictable substitutions like '@' instead of 'a' don't help very much."
	case m.Reversed && utf8.RuneCountInString(m.Token) >= 4:
		warn += " Reversed words aren't much harder to guess."
	case strings.ToUpper(m.Token) == m.Token && strings.ToLower(m.Token) != m.Token:
		warn += " All-uppercase is almost as easy to guess as all-lowercase."
	case unicode.IsUpper(r):
		warn += " Capitalization doesn't help very much."
	}
	if warn == "" {
		return ""
	}
	return strings.TrimSpace(warn) + " "
}

// lowerFirst lower-cases s's first letter, to continue a sentence with it.
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}
