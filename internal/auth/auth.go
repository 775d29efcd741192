// Package auth holds what identity needs apart from storage: roles, password hashing, session and
// CSRF tokens, and the rules of who may see which facility's cases.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Role is what a user may do.
type Role string

// The roles of cara.
const (
	RoleRegistrar Role = "registrar" // abstracts the cases of their facility
	RoleReviewer  Role = "reviewer"  // reviews the cases of their facility
	RoleAdmin     Role = "admin"     // manages users and facilities; sees every facility
)

// ParseRole checks a role name given by a person.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleRegistrar, RoleReviewer, RoleAdmin:
		return r, nil
	}
	return "", fmt.Errorf("unknown role %q: use registrar, reviewer or admin", s)
}

// Label is the role as a person reads it.
func (r Role) Label() string {
	switch r {
	case RoleRegistrar:
		return "Registrar"
	case RoleReviewer:
		return "Reviewer"
	case RoleAdmin:
		return "Administrator"
	}
	return string(r)
}

// NeedsFacility reports whether a user of this role must belong to a facility.
func (r Role) NeedsFacility() bool { return r != RoleAdmin }

// Session lifetimes: a session ends after IdleTimeout without a request, and at the latest
// MaxAge after login.
const (
	IdleTimeout = 30 * time.Minute
	MaxAge      = 12 * time.Hour
)

// NormalizeUsername is the one form a username is stored and looked up in: trimmed and lower
// case, so that "Alice" and "alice" are one user on SQLite and MySQL alike.
func NormalizeUsername(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// NewToken returns a random, URL-safe token of 32 bytes.
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("auth: token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// HashToken is what the database keeps of a session token, so a leaked table opens no session.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// TokensEqual compares two tokens in constant time.
func TokensEqual(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
