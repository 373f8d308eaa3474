package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/ent/user"
	"github.com/shopgraph/shopgraph/graph/apperr"
)

const issuer = "shopgraph"

// Tokens issues and verifies access tokens and authenticates requests.
type Tokens struct {
	key    []byte
	ttl    time.Duration
	users  *ent.Client
	logger *slog.Logger
	now    func() time.Time
}

// Option configures Tokens.
type Option func(*Tokens)

// WithClock makes Tokens read the time from now instead of time.Now, for
// issuing and for checking lifetimes alike: a test moves a token past its
// expiry by moving the clock, without waiting for it.
func WithClock(now func() time.Time) Option {
	return func(t *Tokens) { t.now = now }
}

// NewTokens returns a token service signing with key (at least 32 bytes).
// users is used to load the viewer of each token, so a role change or a
// deleted account takes effect at once rather than at token expiry.
func NewTokens(key []byte, ttl time.Duration, users *ent.Client, logger *slog.Logger, opts ...Option) (*Tokens, error) {
	if len(key) < 32 {
		return nil, errors.New("token signing key must be at least 32 bytes")
	}
	if ttl <= 0 {
		return nil, errors.New("token lifetime must be positive")
	}
	t := &Tokens{key: key, ttl: ttl, users: users, logger: logger, now: time.Now}
	for _, opt := range opts {
		opt(t)
	}
	return t, nil
}

// Issue signs a token for u and returns it with its expiry.
func (t *Tokens) Issue(u *ent.User) (string, time.Time, error) {
	now := t.now()
	exp := now.Add(t.ttl).Truncate(time.Second)
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    issuer,
			Subject:   strconv.Itoa(u.ID),
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
		Version: u.TokenVersion,
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign token: %w", err)
	}
	return signed, exp, nil
}

// claims are an access token's: the standard ones, and the user's token
// version when it was issued. Signing out or changing the password bumps
// the user's version, which revokes every token issued before.
type claims struct {
	jwt.RegisteredClaims
	Version int `json:"ver"`
}

// errBadToken is what every rejected token looks like to a client: which
// check failed is logged, not disclosed.
var errBadToken = apperr.Errorf(apperr.Unauthenticated, "invalid or expired access token")

// Verify checks a token's signature, algorithm, issuer and lifetime and
// returns its subject's user ID and token version. A token is never
// accepted for longer than the lifetime in force now, whatever its exp
// says: shortening TOKEN_TTL shortens the tokens already out.
func (t *Tokens) Verify(token string) (id, version int, err error) {
	c, err := t.verify(token)
	if err != nil {
		return 0, 0, err
	}
	return c.id, c.Version, nil
}

// verified is a token that passed Verify's checks.
type verified struct {
	*claims
	id      int
	expires time.Time // the earlier of exp and issue time + lifetime
}

func (t *Tokens) verify(token string) (verified, error) {
	c := &claims{}
	_, err := jwt.ParseWithClaims(token, c,
		func(*jwt.Token) (any, error) { return t.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), // refuses "none" and RS/HS confusion
		jwt.WithIssuer(issuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(t.now),
	)
	if err != nil {
		return verified{}, err
	}
	if c.IssuedAt == nil || t.now().After(c.IssuedAt.Add(t.ttl)) {
		return verified{}, errors.New("token is older than the token lifetime")
	}
	id, err := strconv.Atoi(c.Subject)
	if err != nil || id <= 0 {
		return verified{}, errors.New("token subject is not a user id")
	}
	expires := c.IssuedAt.Add(t.ttl)
	if c.ExpiresAt.Before(expires) {
		expires = c.ExpiresAt.Time
	}
	return verified{claims: c, id: id, expires: expires}, nil
}

// ErrRejected is wrapped by every refusal of Authenticate that is the
// token's fault (bad, expired, revoked, or its user gone): the client must
// sign in again. Any other error is a failure to look the user up.
var ErrRejected = errors.New("access token rejected")

// Authenticate resolves an Authorization header value ("Bearer <token>")
// to its viewer: it verifies the token, looks its user up (a revoked token
// or a deleted user is refused) and returns when the token stops being
// accepted.
func (t *Tokens) Authenticate(ctx context.Context, header string) (Viewer, time.Time, error) {
	v, err := t.subject(header)
	if err != nil {
		return Viewer{}, time.Time{}, fmt.Errorf("%w: %w", ErrRejected, err)
	}
	u, err := t.users.User.Query().Where(user.ID(v.id)).Select(user.FieldID, user.FieldRole, user.FieldTokenVersion).Only(ctx)
	switch {
	case err == nil && u.TokenVersion != v.Version:
		return Viewer{}, time.Time{}, fmt.Errorf("%w: token of user %d was revoked (version %d, now %d)", ErrRejected, v.id, v.Version, u.TokenVersion)
	case err == nil:
		return Viewer{ID: u.ID, Role: u.Role}, v.expires, nil
	case ent.IsNotFound(err):
		return Viewer{}, time.Time{}, fmt.Errorf("%w: user %d does not exist", ErrRejected, v.id)
	default:
		return Viewer{}, time.Time{}, fmt.Errorf("look up user %d: %w", v.id, err)
	}
}

// Middleware puts the Viewer of the request's bearer token in its context.
// No Authorization header: anonymous. A token that does not verify, or
// whose user no longer exists: 401 with an UNAUTHENTICATED GraphQL error,
// which tells the client to sign in again. Failing to look the user up is
// not the token's fault and must not sign anyone out: a database that is
// down or busy is 503 UNAVAILABLE with Retry-After, a lookup that ran past
// the request's deadline 503 TIMEOUT (the deadline covers the lookup: put
// gqlhttp.Deadline outside this middleware), anything else 500 INTERNAL.
func (t *Tokens) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		header := r.Header.Get("Authorization")
		if header == "" {
			next.ServeHTTP(w, r.WithContext(WithViewer(ctx, Viewer{})))
			return
		}
		v, _, err := t.Authenticate(ctx, header)
		switch {
		case err == nil:
			next.ServeHTTP(w, r.WithContext(WithViewer(ctx, v)))
		case errors.Is(err, ErrRejected):
			t.logger.InfoContext(ctx, "rejected access token", "err", err)
			refuse(w)
		case ctx.Err() != nil && errors.Is(context.Cause(ctx), context.Canceled):
			// The client left; nobody reads an answer.
		case ctx.Err() != nil:
			t.logger.WarnContext(ctx, "viewer lookup ran past the deadline", "err", err)
			fail(w, http.StatusServiceUnavailable, apperr.Timeout, "the request took too long and was stopped")
		case store.Unavailable(err):
			t.logger.WarnContext(ctx, "viewer lookup failed: database unavailable", "err", err)
			fail(w, http.StatusServiceUnavailable, apperr.Unavailable, "the service is temporarily unavailable; retry shortly")
		default:
			t.logger.ErrorContext(ctx, "viewer lookup failed", "err", err)
			fail(w, http.StatusInternalServerError, apperr.Internal, "internal error")
		}
	})
}

// Claimed returns the user a request's bearer token names, checking its
// signature and lifetime only: no lookup, so a revoked token or a deleted
// user still counts. It is for rationing work before the viewer is loaded
// (the budget of a signed-in caller is its user's); ok is false without a
// valid token.
func (t *Tokens) Claimed(r *http.Request) (id int, ok bool) {
	header := r.Header.Get("Authorization")
	if header == "" {
		return 0, false
	}
	v, err := t.subject(header)
	return v.id, err == nil
}

// Expires returns when the bearer token of an Authorization header stops
// being accepted (the earlier of its exp and its issue time plus the
// lifetime), checking its signature and lifetime only, as Claimed does. A
// stream authenticated by Middleware ends then; ok is false without a
// valid token.
func (t *Tokens) Expires(header string) (at time.Time, ok bool) {
	v, err := t.subject(header)
	return v.expires, err == nil
}

// subject verifies the bearer token of an Authorization header.
func (t *Tokens) subject(header string) (verified, error) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return verified{}, errors.New("authorization header is not a bearer token")
	}
	return t.verify(strings.TrimSpace(token))
}

// refuse answers a bad token like a GraphQL request error, so clients
// handle it the same way whatever transport they use.
func refuse(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	fail(w, http.StatusUnauthorized, apperr.Unauthenticated, errBadToken.Message)
}

// fail writes a GraphQL-shaped request error with code; a 503 asks the
// client to come back in a second.
func fail(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{
			"message":    message,
			"extensions": map[string]any{"code": code},
		}},
	})
}
