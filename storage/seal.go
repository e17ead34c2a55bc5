package storage

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// A reminder task must carry the LINE user id to push to, and a task lives
// in Redis for days. Sealing the id with a key derived from the channel
// secret keeps Redis free of LINE user ids in the clear: a copy of the data
// (a backup, a replica, a debugging dump) does not name anyone.

// sealer encrypts user ids with AES-256-GCM. A nil sealer leaves them as
// they are (tests and local runs that set no key).
type sealer struct{ aead cipher.AEAD }

// Purposes of a sealer: each derives its own key from the secret.
const (
	purposeReminder = "reminder payload v1"
	purposeOutbox   = "outbox v1"
)

func newSealer(purpose string, secret []byte) (*sealer, error) {
	if len(secret) == 0 {
		return nil, nil
	}
	key := sha256.Sum256(append([]byte("fraudnavi "+purpose+"\x00"), secret...))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, fmt.Errorf("storage: payload key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("storage: payload key: %w", err)
	}
	return &sealer{aead: aead}, nil
}

func (s *sealer) seal(plain string) (string, error) { return s.sealFor(plain, nil) }

// sealFor seals plain bound to ad (AEAD additional data): it opens only
// with the same ad, so a sealed value cannot be moved to another context.
func (s *sealer) sealFor(plain string, ad []byte) (string, error) {
	if s == nil {
		return plain, nil
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("storage: seal: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(s.aead.Seal(nonce, nonce, []byte(plain), ad)), nil
}

var errUnsealable = errors.New("storage: reminder payload cannot be opened with this key (was the channel secret changed?)")

func (s *sealer) open(sealed string) (string, error) { return s.openFor(sealed, nil) }

// openFor opens what sealFor sealed with the same ad.
func (s *sealer) openFor(sealed string, ad []byte) (string, error) {
	if s == nil {
		return sealed, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(sealed)
	n := s.aead.NonceSize()
	if err != nil || len(raw) < n {
		return "", errUnsealable
	}
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], ad)
	if err != nil {
		return "", errUnsealable
	}
	return string(plain), nil
}
