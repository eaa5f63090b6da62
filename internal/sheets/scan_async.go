package sheets

import "sync"

// asyncScanner runs a sheetScanner on its own goroutine, up to a few
// hundred rows ahead of excelize's row iterator. The two read the same
// part, separately, and each costs a good share of reading an xlsx: on
// two cores they overlap. It answers seek, cell and drain exactly as the
// sheetScanner would.
type asyncScanner struct {
	inner  *sheetScanner
	rows   chan *scannedRow
	free   chan *scannedRow
	quit   chan struct{}
	exited chan struct{}
	once   sync.Once

	row   int        // the row cells holds; 0 before the first
	cells []cellMeta // by column number, as sheetScanner.cells
	done  bool
	err   error
}

// scannedRow is one row's metadata, or the end (end or err set).
type scannedRow struct {
	row   int
	cols  []int
	cells []cellMeta // parallel to cols
	end   bool
	err   error
}

const scanAhead = 256

func newAsyncScanner(inner *sheetScanner) *asyncScanner {
	a := &asyncScanner{
		inner:  inner,
		rows:   make(chan *scannedRow, scanAhead),
		free:   make(chan *scannedRow, scanAhead+2),
		quit:   make(chan struct{}),
		exited: make(chan struct{}),
		cells:  make([]cellMeta, inner.maxCol+1),
	}
	go a.run()
	return a
}

func (a *asyncScanner) run() {
	defer close(a.exited)
	s := a.inner
	send := func(r *scannedRow) bool {
		select {
		case a.rows <- r:
			return true
		case <-a.quit:
			return false
		}
	}
	for {
		if err := s.advance(); err != nil {
			send(&scannedRow{err: err})
			return
		}
		if s.done {
			send(&scannedRow{end: true})
			return
		}
		var r *scannedRow
		select {
		case r = <-a.free:
		default:
			r = &scannedRow{}
		}
		r.row, r.cols, r.cells = s.row, r.cols[:0], r.cells[:0]
		for _, c := range s.filled {
			if s.cells[c].row == s.row {
				r.cols, r.cells = append(r.cols, c), append(r.cells, s.cells[c])
			}
		}
		if !send(r) {
			return
		}
	}
}

// seek advances to row num; afterwards cell reports the cells of that row
// if the sheet has it.
func (a *asyncScanner) seek(num int) error {
	for a.row < num && !a.done {
		if a.err != nil {
			return a.err
		}
		r := <-a.rows
		switch {
		case r.err != nil:
			a.err = r.err
			return r.err
		case r.end:
			a.done = true
			return nil
		}
		a.row = r.row
		for i, c := range r.cols {
			a.cells[c] = r.cells[i]
		}
		select {
		case a.free <- r:
		default:
		}
	}
	return a.err
}

// cell returns the metadata of column col (1-based) in row a.row.
func (a *asyncScanner) cell(row, col int) (cellMeta, bool) {
	if col > a.inner.maxCol || a.cells[col].row != row || row != a.row {
		return cellMeta{}, false
	}
	return a.cells[col], true
}

// drain reads the rest of the part (see sheetScanner.drain).
func (a *asyncScanner) drain() error {
	for !a.done {
		if err := a.seek(a.row + 1); err != nil {
			return err
		}
	}
	return nil
}

// close stops the goroutine, then closes the part.
func (a *asyncScanner) close() error {
	a.once.Do(func() { close(a.quit) })
	<-a.exited
	return a.inner.close()
}
