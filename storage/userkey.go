package storage

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// UserKeys names users outside LINE: in Redis key names, asynq task ids, the
// rate limiter and every log line's "user" attribute. A key is the first 128
// bits of HMAC-SHA-256(secret, LINE user id), in hex, so that someone who
// holds a LINE user id (every bot in a group sees it) cannot find that user's
// keys or log lines without the server's secret.
//
// The zero value keys with an empty secret: usable, but only as private as
// the algorithm; the server builds its UserKeys with NewUserKeys.
type UserKeys struct {
	secret []byte
}

// userKeyLabel separates the key derived from the channel secret from every
// other use of that secret (signatures, the seals).
const userKeyLabel = "fraudnavi user key"

// NewUserKeys returns the UserKeys of secret (FRAUDNAVI_USER_KEY_SECRET).
func NewUserKeys(secret []byte) UserKeys {
	return UserKeys{secret: append([]byte(nil), secret...)}
}

// UserKeysFromChannelSecret returns the UserKeys derived from the channel
// secret, HMAC(channel secret, "fraudnavi user key"), for deployments that
// set no dedicated secret. Rotating the channel secret then changes every
// user's key (their data is migrated from the old key only from the
// unsalted legacy key, not between two secrets).
func UserKeysFromChannelSecret(channelSecret []byte) UserKeys {
	m := hmac.New(sha256.New, channelSecret)
	m.Write([]byte(userKeyLabel))
	return UserKeys{secret: m.Sum(nil)}
}

// Key returns the pseudonym of userID: 32 lower-case hex digits.
func (k UserKeys) Key(userID string) string {
	var h [32]byte
	k.encode(&h, userID)
	return string(h[:])
}

func (k UserKeys) encode(h *[32]byte, userID string) {
	m := hmac.New(sha256.New, k.secret)
	m.Write([]byte(userID))
	var sum [sha256.Size]byte
	hex.Encode(h[:], m.Sum(sum[:0])[:16])
}

// legacyUserKey is the key users had before keys were keyed: the first 128
// bits of the unsalted SHA-256 of the LINE user id. Load migrates state
// stored under it (see migrateLegacy); a reminder scheduled before keeps
// its legacy task id until it fires (see Reminders.Cancel).
func legacyUserKey(userID string) string {
	sum := sha256.Sum256([]byte(userID))
	return hex.EncodeToString(sum[:16])
}
