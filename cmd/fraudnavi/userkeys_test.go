package main

import (
	"testing"

	"github.com/fraudnavi/fraudnavi/storage"
)

// TestUserKeysFromConfig: without FRAUDNAVI_USER_KEY_SECRET an existing
// deployment keeps working on a key derived from the channel secret, and
// rotating the channel secret changes every user's key; with it set, the
// channel secret can be rotated without the users losing their state.
func TestUserKeysFromConfig(t *testing.T) {
	const user = "U4af4980629a4d3b8a1d6e4d0e1b2c3d4"
	key := func(channelSecret, userKeySecret string) string {
		t.Helper()
		env := map[string]string{
			"LINE_CHANNEL_SECRET": channelSecret, "LINE_CHANNEL_ACCESS_TOKEN": "token",
			"FRAUDNAVI_USER_KEY_SECRET": userKeySecret,
		}
		cfg, err := loadConfig(func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		return cfg.userKeys().Key(user)
	}
	for _, tt := range []struct {
		name string
		a, b string
		same bool
	}{
		{"unset: derived from the channel secret", key("one", ""), storage.UserKeysFromChannelSecret([]byte("one")).Key(user), true},
		{"unset: the channel secret rotated", key("one", ""), key("two", ""), false},
		{"set: the channel secret rotated", key("one", "user-key-secret"), key("two", "user-key-secret"), true},
		{"set: it is the key", key("one", "user-key-secret"), storage.NewUserKeys([]byte("user-key-secret")).Key(user), true},
		{"set or unset", key("one", "user-key-secret"), key("one", ""), false},
	} {
		if (tt.a == tt.b) != tt.same {
			t.Errorf("%s: keys %s and %s, want same = %v", tt.name, tt.a, tt.b, tt.same)
		}
	}
}
