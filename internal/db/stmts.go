package db

import (
	"database/sql"
	"sync"
)

// stmtCache keeps prepared statements for the queries a DB runs outside
// transactions, keyed by their text. Without it modernc.org/sqlite parses
// and plans every query anew: on the hot path of an authenticated request
// that was 39% of the server's CPU (bench/README.md). A *sql.Stmt is safe
// for concurrent use and prepares itself on each pooled connection the
// first time it runs there.
//
// The cache is bounded: queries built with a varying number of
// placeholders (IN lists) could otherwise grow it without end. Past the
// bound, queries simply run unprepared.
type stmtCache struct {
	mu     sync.RWMutex
	stmts  map[string]*sql.Stmt
	failed map[string]bool
	closed bool
}

const maxCachedStmts = 512

// get returns the prepared statement for q, preparing it on first use, or
// nil when the query should run unprepared (cache full, or it failed to
// prepare: the unprepared run then reports the error as usual).
func (c *stmtCache) get(d *DB, q string) *sql.Stmt {
	c.mu.RLock()
	st, ok := c.stmts[q]
	bad := c.failed[q]
	c.mu.RUnlock()
	if ok || bad {
		return st
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || len(c.stmts) >= maxCachedStmts {
		return nil
	}
	if st, ok := c.stmts[q]; ok {
		return st
	}
	if c.stmts == nil {
		c.stmts, c.failed = map[string]*sql.Stmt{}, map[string]bool{}
	}
	st, err := d.sql.Prepare(Rebind(d.dialect, q))
	if err != nil {
		c.failed[q] = true
		return nil
	}
	c.stmts[q] = st
	return st
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		st.Close()
	}
	c.stmts, c.closed = nil, true
}
