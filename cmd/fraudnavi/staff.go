package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/fraudnavi/fraudnavi/flows"
)

// defaultStaffQuietFor is how long the bot keeps quiet after a request for
// a person when FRAUDNAVI_STAFF_QUIET_FOR is not set: long enough for staff
// who open the next morning to answer a request made at night.
const defaultStaffQuietFor = 24 * time.Hour

// staffChat reads staff chat's settings: FRAUDNAVI_STAFF_HOURS turns it on
// ("10:00-17:00" weekdays, ",10:00-16:00" adds weekends and holidays), and
// FRAUDNAVI_STAFF_QUIET_FOR ("2h") bounds the bot's quiet. nil: off.
func staffChat(getenv func(string) string) (*flows.StaffChat, error) {
	hours := getenv("FRAUDNAVI_STAFF_HOURS")
	quiet := getenv("FRAUDNAVI_STAFF_QUIET_FOR")
	if hours == "" {
		if quiet != "" {
			return nil, errors.New("FRAUDNAVI_STAFF_QUIET_FOR is set but staff chat is off: set FRAUDNAVI_STAFF_HOURS too")
		}
		return nil, nil
	}
	h, err := flows.ParseStaffHours(hours)
	if err != nil {
		return nil, fmt.Errorf("FRAUDNAVI_STAFF_HOURS: %w", err)
	}
	s := &flows.StaffChat{Hours: h, QuietFor: defaultStaffQuietFor}
	if quiet != "" {
		d, err := time.ParseDuration(quiet)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("FRAUDNAVI_STAFF_QUIET_FOR %q is not a positive duration such as 2h or 30m", quiet)
		}
		s.QuietFor = d
	}
	return s, nil
}
