package accounts

import (
	"slices"
	"sync"
	"time"
)

// principalCache keeps, for a very short time, the principal a session
// token resolved to, so a busy server does not query the database on every
// request (bench/README.md: that one query was most of an authenticated
// request's cost).
//
// Revocation stays immediate in this process: every change that can take
// a right away (logout, disabling, password changes, grant changes,
// preferences) clears the cache before it returns. A change made by
// another process — the `linli user` command, another server on the same
// PostgreSQL — is seen within Options.SessionCache (1 s by default; 0
// turns the cache off).
type principalCache struct {
	mu      sync.Mutex
	ttl     time.Duration
	entries map[string]cachedPrincipal
	// gen counts clears. A lookup that read the database before a clear
	// must not store what it read after it: put checks the generation it
	// started in.
	gen uint64
}

type cachedPrincipal struct {
	p                    Principal
	fetched, lastSeen    time.Time
	expires, idleExpires time.Time
}

// maxCached bounds memory; a full cache is simply emptied.
const maxCached = 10000

func (c *principalCache) get(key string, now time.Time) (*Principal, bool) {
	if c.ttl <= 0 {
		return nil, false
	}
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if !ok || now.Sub(e.fetched) >= c.ttl || !now.Before(e.expires) || !now.Before(e.idleExpires) ||
		now.Sub(e.lastSeen) >= touchEvery {
		return nil, false
	}
	p := e.p // a copy: the router writes the request's address into it
	p.Grants = slices.Clone(e.p.Grants)
	return &p, true
}

// generation returns the current generation, to pass to put.
func (c *principalCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *principalCache) put(key string, e cachedPrincipal, gen uint64) {
	if c.ttl <= 0 {
		return
	}
	e.p.Grants = slices.Clone(e.p.Grants)
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return // something changed while this lookup read the database
	}
	if c.entries == nil || len(c.entries) >= maxCached {
		c.entries = map[string]cachedPrincipal{}
	}
	c.entries[key] = e
}

// clear forgets every cached principal.
func (c *principalCache) clear() {
	c.mu.Lock()
	c.entries = nil
	c.gen++
	c.mu.Unlock()
}
