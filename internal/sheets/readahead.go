package sheets

import (
	"errors"
	"io"
	"sync"
)

// readahead unpacks a worksheet part on its own goroutine, a few chunks
// ahead of the lexer that reads it: inflating is a good share of reading
// an xlsx, and on two cores the two overlap. Memory stays at
// readaheadChunks chunks whatever the part's size.
type readahead struct {
	rc     io.ReadCloser
	full   chan chunkRead
	free   chan []byte
	quit   chan struct{}
	exited chan struct{}
	once   sync.Once

	cur []byte // unread rest of the chunk being read
	buf []byte // the chunk being read, to give back
	err error  // the error that ended the part, once reached
}

type chunkRead struct {
	b   []byte
	err error
}

const (
	readaheadChunks = 4
	readaheadSize   = 64 << 10
)

func newReadahead(rc io.ReadCloser) *readahead {
	ra := &readahead{
		rc:     rc,
		full:   make(chan chunkRead, readaheadChunks),
		free:   make(chan []byte, readaheadChunks+1),
		quit:   make(chan struct{}),
		exited: make(chan struct{}),
	}
	go ra.run()
	return ra
}

func (ra *readahead) run() {
	defer close(ra.exited)
	for {
		var b []byte
		select {
		case b = <-ra.free:
		default:
			b = make([]byte, readaheadSize)
		}
		n, err := io.ReadFull(ra.rc, b[:readaheadSize])
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = io.EOF
		}
		select {
		case ra.full <- chunkRead{b[:n], err}:
		case <-ra.quit:
			return
		}
		if err != nil {
			return
		}
	}
}

func (ra *readahead) Read(p []byte) (int, error) {
	for len(ra.cur) == 0 {
		if ra.err != nil {
			return 0, ra.err
		}
		if ra.buf != nil {
			select {
			case ra.free <- ra.buf:
			default:
			}
		}
		c := <-ra.full
		ra.buf, ra.cur, ra.err = c.b, c.b, c.err
	}
	n := copy(p, ra.cur)
	ra.cur = ra.cur[n:]
	return n, nil
}

// Close stops the goroutine, then closes the part.
func (ra *readahead) Close() error {
	ra.once.Do(func() { close(ra.quit) })
	<-ra.exited
	return ra.rc.Close()
}
