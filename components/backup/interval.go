package backup

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Defaults and bounds of the schedule and the retention.
const (
	// DefaultSchedule is how often a full backup is taken: daily.
	DefaultSchedule = 24 * time.Hour
	// DefaultRetention is how long backups are kept: 7 days.
	DefaultRetention = 7 * 24 * time.Hour
	// MinSchedule is the shortest schedule: a backup and its restore check
	// take seconds even for a small database.
	MinSchedule = 15 * time.Second
	// DefaultRecoveryPoint is the most of the commits lost with the server
	// by default: 5 minutes.
	DefaultRecoveryPoint = 5 * time.Minute
	// MinRecoveryPoint is the shortest recovery point: the binary logs are
	// archived every half of it.
	MinRecoveryPoint = 20 * time.Second
)

// ParseInterval reads a schedule or a retention: "hourly", "daily",
// "weekly", a number of days ("7d") or a Go duration ("6h", "90s").
func ParseInterval(s string) (time.Duration, error) {
	switch s {
	case "hourly":
		return time.Hour, nil
	case "daily":
		return 24 * time.Hour, nil
	case "weekly":
		return 7 * 24 * time.Hour, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		if days, err := strconv.Atoi(n); err == nil && days > 0 && days <= 3650 {
			return time.Duration(days) * 24 * time.Hour, nil
		}
	} else if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	return 0, fmt.Errorf("%q: expected hourly, daily, weekly, a number of days such as 7d, or a duration such as 6h or 90s", s)
}

// seconds is d as the scripts take it.
func seconds(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) }
