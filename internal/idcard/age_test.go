package idcard

import (
	"testing"
	"time"
)

func TestAge(t *testing.T) {
	sh := time.FixedZone("UTC+8", 8*3600)
	birth := time.Date(2012, 11, 29, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		birth, now time.Time
		want       int
	}{
		{"day before the birthday", birth, time.Date(2026, 11, 28, 12, 0, 0, 0, sh), 13},
		{"on the birthday", birth, time.Date(2026, 11, 29, 0, 0, 0, 0, sh), 14},
		{"birthday already begun in Shanghai, still the 28th in UTC", birth, time.Date(2026, 11, 28, 16, 30, 0, 0, time.UTC), 14},
		{"last minute before it in Shanghai", birth, time.Date(2026, 11, 28, 15, 59, 0, 0, time.UTC), 13},
		{"birth stored as Shanghai midnight", time.Date(2012, 11, 29, 0, 0, 0, 0, sh), time.Date(2026, 11, 29, 8, 0, 0, 0, sh), 14},
		{"birth read back from a database in UTC", time.Date(2012, 11, 28, 16, 0, 0, 0, time.UTC), time.Date(2026, 11, 28, 12, 0, 0, 0, sh), 13},
		{"29 February, common year, 28th", time.Date(2012, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(2027, 2, 28, 12, 0, 0, 0, sh), 14},
		{"29 February, common year, 1 March", time.Date(2012, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(2027, 3, 1, 12, 0, 0, 0, sh), 15},
		{"newborn", birth, birth, 0},
		{"not born yet", birth, birth.AddDate(0, 0, -1), 0},
		{"born in summer time 1988", time.Date(1988, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 6, 1, 0, 0, 0, 0, sh), 38},
	}
	for _, tt := range tests {
		if got := Age(tt.birth, tt.now); got != tt.want {
			t.Errorf("%s: Age = %d, want %d", tt.name, got, tt.want)
		}
	}
}
