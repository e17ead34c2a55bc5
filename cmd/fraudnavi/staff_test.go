package main

import (
	"strings"
	"testing"
	"time"
)

// TestStaffChatSettings: staff chat is off unless FRAUDNAVI_STAFF_HOURS is
// set; a setting the bot cannot read stops it at start-up with the variable
// named, rather than leaving users unanswered.
func TestStaffChatSettings(t *testing.T) {
	tests := []struct {
		name      string
		env       map[string]string
		on        bool
		quietFor  time.Duration
		wantError string
	}{
		{name: "off by default", env: nil},
		{name: "on with the default quiet", env: map[string]string{"FRAUDNAVI_STAFF_HOURS": "10:00-17:00"}, on: true, quietFor: 24 * time.Hour},
		{name: "on with weekends and a quiet", env: map[string]string{"FRAUDNAVI_STAFF_HOURS": "10:00-17:00,10:00-16:00", "FRAUDNAVI_STAFF_QUIET_FOR": "2h"}, on: true, quietFor: 2 * time.Hour},
		{name: "unreadable hours", env: map[string]string{"FRAUDNAVI_STAFF_HOURS": "10 to 5"}, wantError: "FRAUDNAVI_STAFF_HOURS"},
		{name: "unreadable quiet", env: map[string]string{"FRAUDNAVI_STAFF_HOURS": "10:00-17:00", "FRAUDNAVI_STAFF_QUIET_FOR": "two hours"}, wantError: "FRAUDNAVI_STAFF_QUIET_FOR"},
		{name: "a quiet without hours", env: map[string]string{"FRAUDNAVI_STAFF_QUIET_FOR": "2h"}, wantError: "FRAUDNAVI_STAFF_HOURS"},
	}
	for _, tt := range tests {
		s, err := staffChat(func(k string) string { return tt.env[k] })
		switch {
		case tt.wantError != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantError) {
				t.Errorf("%s: err %v, want one naming %s", tt.name, err, tt.wantError)
			}
		case err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case (s != nil) != tt.on:
			t.Errorf("%s: staff chat on %v, want %v", tt.name, s != nil, tt.on)
		case s != nil && s.QuietFor != tt.quietFor:
			t.Errorf("%s: quiet for %v, want %v", tt.name, s.QuietFor, tt.quietFor)
		}
	}
}
