package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// ErrWrongPassword is returned when a password does not match its hash.
var ErrWrongPassword = errors.New("wrong password")

// Argon2Params are the costs of an argon2id hash. They are written into each hash, so a hash
// made with other costs still verifies; NeedsRehash tells when to renew it.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over the memory
	Threads uint8
}

// DefaultArgon2 is OWASP's first argon2id setting (19 MiB, 2 passes, 1 thread): a few tens of
// milliseconds per sign-in, and little enough memory that a burst of sign-ins cannot exhaust the
// server's.
var DefaultArgon2 = Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1}

const (
	argon2SaltLen = 16
	argon2KeyLen  = 32
	argon2Prefix  = "$argon2id$"
)

// Hasher hashes and verifies passwords with one set of argon2id costs.
type Hasher struct {
	params Argon2Params
	dummy  string // a hash compared against when there is no user, so that costs the same time
}

// NewHasher returns a hasher for the costs; a zero Memory or Time means DefaultArgon2.
func NewHasher(p Argon2Params) (*Hasher, error) {
	if p.Memory == 0 || p.Time == 0 {
		p = DefaultArgon2
	}
	if p.Threads == 0 {
		p.Threads = 1
	}
	if p.Memory < 8*uint32(p.Threads) {
		return nil, fmt.Errorf("auth: argon2id memory %d KiB: at least 8 KiB per thread", p.Memory)
	}
	h := &Hasher{params: p}
	dummy, err := h.Hash("cara-timing-equaliser")
	if err != nil {
		return nil, err
	}
	h.dummy = dummy
	return h, nil
}

// Hash returns the argon2id hash of a password in the PHC string format that the reference
// implementation writes: $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>, base64 without padding.
func (h *Hasher) Hash(password string) (string, error) {
	salt := make([]byte, argon2SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: hash password: %w", err)
	}
	p := h.params
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, argon2KeyLen)
	return fmt.Sprintf("%sv=%d$m=%d,t=%d,p=%d$%s$%s", argon2Prefix, argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// NeedsRehash reports whether a stored hash should be replaced at the next successful sign-in:
// a bcrypt hash, or an argon2id hash of other costs.
func (h *Hasher) NeedsRehash(hash string) bool {
	ph, err := parseArgon2(hash)
	return err != nil || ph.params != h.params
}

// SpendTime does the work of a password check without a user, so that an unknown username
// answers as slowly as a known one.
func (h *Hasher) SpendTime(password string) {
	_ = CheckPassword(h.dummy, password)
}

// HashPassword returns the argon2id hash of a password at the default costs.
func HashPassword(password string) (string, error) {
	h := &Hasher{params: DefaultArgon2}
	return h.Hash(password)
}

// CheckPassword compares a password with its hash: argon2id, or bcrypt as cara stored them
// before. Any failure, a malformed hash included, is ErrWrongPassword.
func CheckPassword(hash, password string) error {
	if strings.HasPrefix(hash, argon2Prefix) {
		ph, err := parseArgon2(hash)
		if err != nil {
			return ErrWrongPassword
		}
		p := ph.params
		key := argon2.IDKey([]byte(password), ph.salt, p.Time, p.Memory, p.Threads, uint32(len(ph.key)))
		if subtle.ConstantTimeCompare(key, ph.key) != 1 {
			return ErrWrongPassword
		}
		return nil
	}
	// bcrypt looks at 72 bytes at most and refuses to hash more; cara never stored a bcrypt hash
	// of a longer password, so a longer one cannot be right.
	if len(password) > 72 {
		return ErrWrongPassword
	}
	if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)); err != nil {
		return ErrWrongPassword
	}
	return nil
}

type argon2Hash struct {
	params    Argon2Params
	salt, key []byte
}

// maxArgon2Memory bounds the memory a stored hash can make a sign-in spend (1 GiB), so that a
// tampered hash cannot take the server down.
const maxArgon2Memory = 1 << 20

func parseArgon2(hash string) (*argon2Hash, error) {
	parts := strings.Split(hash, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(parts) != 6 || parts[1] != "argon2id" {
		return nil, errors.New("auth: not an argon2id hash")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return nil, fmt.Errorf("auth: argon2id version %q", parts[2])
	}
	var ph argon2Hash
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &ph.params.Memory, &ph.params.Time, &ph.params.Threads); err != nil {
		return nil, fmt.Errorf("auth: argon2id parameters %q: %w", parts[3], err)
	}
	p := ph.params
	if p.Time == 0 || p.Threads == 0 || p.Memory < 8*uint32(p.Threads) || p.Memory > maxArgon2Memory {
		return nil, fmt.Errorf("auth: argon2id parameters %q out of range", parts[3])
	}
	var err error
	if ph.salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil {
		return nil, fmt.Errorf("auth: argon2id salt: %w", err)
	}
	if ph.key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(ph.key) < 16 {
		return nil, fmt.Errorf("auth: argon2id key: %v", err)
	}
	return &ph, nil
}
