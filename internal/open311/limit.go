package open311

import (
	"math"
	"sync"
	"time"

	"github.com/linli/linli/internal/clock"
)

// RateLimit is how many POSTs one key may make: Burst at once, then one
// every Every. A client over it gets 429 and how long to wait.
type RateLimit struct {
	Burst int
	Every time.Duration
}

// DefaultRate lets a city hotline forward a burst of 30, then 1 a second.
var DefaultRate = RateLimit{Burst: 30, Every: time.Second}

// limiter is a token bucket per key, in memory: a restart refills every
// bucket, which errs towards the client and needs no table.
type limiter struct {
	mu      sync.Mutex
	rate    RateLimit
	clock   clock.Clock
	buckets map[int64]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(r RateLimit, c clock.Clock) *limiter {
	if r.Burst <= 0 || r.Every <= 0 {
		r = DefaultRate
	}
	return &limiter{rate: r, clock: c, buckets: map[int64]*bucket{}}
}

// take spends one token of key id, or says how long until one is back.
func (l *limiter) take(id int64) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	b, ok := l.buckets[id]
	if !ok {
		b = &bucket{tokens: float64(l.rate.Burst), at: now}
		l.buckets[id] = b
	}
	if d := now.Sub(b.at); d > 0 {
		b.tokens = math.Min(float64(l.rate.Burst), b.tokens+float64(d)/float64(l.rate.Every))
		b.at = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) * float64(l.rate.Every))
}
