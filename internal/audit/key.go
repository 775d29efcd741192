package audit

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// SecretSize is the length in bytes of an audit key's secret.
const SecretSize = 32

// Key is an installation's audit key, held outside the database: whoever can change the database
// but does not hold the key cannot recompute the chain.
//
// From its one secret come two keys. Each event's hash is an HMAC-SHA-256 under the first: cheap
// enough for every append and every verify of a million events (a microsecond each), but only a
// holder of the secret can check it. Checkpoints are signed with the second, an ed25519 key, so
// that an auditor can check a checkpoint with the public key alone, which lets her check but not
// forge; the checkpoint then fixes the chain up to its event by that event's hash.
type Key struct {
	mac  []byte
	sign ed25519.PrivateKey
}

// NewSecret returns a new random secret for a key.
func NewSecret() ([]byte, error) {
	b := make([]byte, SecretSize)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("audit: make a key: %w", err)
	}
	return b, nil
}

// EncodeSecret is the text form of a secret, as a key file and CARA_AUDIT_KEY hold it: standard
// base64.
func EncodeSecret(secret []byte) string {
	return base64.StdEncoding.EncodeToString(secret)
}

// NewKey makes the key of a secret of SecretSize bytes.
func NewKey(secret []byte) (*Key, error) {
	if len(secret) != SecretSize {
		return nil, fmt.Errorf("audit: a key's secret is %d bytes, this one is %d", SecretSize, len(secret))
	}
	return &Key{
		mac:  derive(secret, "cara-audit-event-hmac-v1"),
		sign: ed25519.NewKeyFromSeed(derive(secret, "cara-audit-checkpoint-ed25519-v1")),
	}, nil
}

// ParseKey reads the text form of a secret (base64 of SecretSize bytes; spaces around it are
// ignored) and makes its key.
func ParseKey(text string) (*Key, error) {
	text = strings.TrimSpace(text)
	secret, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		return nil, fmt.Errorf("audit: a key is the base64 of %d random bytes: %w", SecretSize, err)
	}
	return NewKey(secret)
}

// derive gives each use of the secret a key of its own.
func derive(secret []byte, label string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// Sum is the keyed hash an event appended under the key carries: the hex HMAC-SHA-256 of
// Encode(e).
func (k *Key) Sum(e Event) string {
	m := hmac.New(sha256.New, k.mac)
	m.Write(Encode(e))
	return hex.EncodeToString(m.Sum(nil))
}

// Link is audit.Link for an event appended under the key: its Hash is k.Sum.
func (k *Key) Link(head Head, e Event) Event {
	return link(head, e, k.Sum)
}

// sealEncoding starts the encoding a seal covers, so that no event's encoding is one.
const sealEncoding = "cara-audit-seal-v1"

// Seal is the MAC that records where the key took over a trail: keyedFrom, the first event
// hashed with the key, and prevHash, the hash of the event before it (Genesis when there is none).
// Binding that hash fixes the events from before the key as they were when it took over.
func (k *Key) Seal(keyedFrom uint64, prevHash string) string {
	b := appendField(nil, sealEncoding)
	b = appendField(b, strconv.FormatUint(keyedFrom, 10))
	b = appendField(b, prevHash)
	m := hmac.New(sha256.New, k.mac)
	m.Write(b)
	return hex.EncodeToString(m.Sum(nil))
}

// PublicKey is the key that checks checkpoints, which an auditor may hold without the secret.
func (k *Key) PublicKey() ed25519.PublicKey {
	return k.sign.Public().(ed25519.PublicKey)
}
