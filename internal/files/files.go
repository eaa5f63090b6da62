// Package files keeps uploaded files (photos of a visit, signed forms)
// under the data directory. Files are named by 128 random bits in hex and
// nothing else: no part of a name comes from the user, so a name can
// neither traverse paths nor reveal what the file is, and Open accepts
// nothing but such a name. What a file is, and who may see it, is recorded
// by the domain that stores the name.
package files

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/linli/linli/internal/apperr"
)

// tempPrefix marks files being written; Sweep removes those a crash left.
const tempPrefix = ".upload-"

// Store is a directory of files. The zero value is not usable: set Dir.
type Store struct {
	Dir string
}

// ValidName reports whether name has the form Save gives names: 32
// lower-case hex digits.
func ValidName(name string) bool {
	if len(name) != 32 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ctxReader stops a copy when the request is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Save copies r into a new file of at most maxBytes and returns its name,
// size and hex SHA-256. Input longer than maxBytes is apperr TooLarge. The
// data goes to a temporary file that is synced and then renamed, and the
// directory is synced after, so a saved file is complete and durable; on
// any failure nothing is left behind.
func (s Store) Save(ctx context.Context, r io.Reader, maxBytes int64) (name string, size int64, sum string, err error) {
	if s.Dir == "" {
		return "", 0, "", errors.New("files: store without a directory")
	}
	if maxBytes <= 0 {
		return "", 0, "", fmt.Errorf("files: maxBytes must be positive, got %d", maxBytes)
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return "", 0, "", fmt.Errorf("files: create %s: %w", s.Dir, err)
	}
	tmp, err := os.CreateTemp(s.Dir, tempPrefix+"*")
	if err != nil {
		return "", 0, "", fmt.Errorf("files: create temporary file: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	// Read one byte past the limit to tell "exactly maxBytes" from "more".
	size, err = io.Copy(io.MultiWriter(tmp, h), io.LimitReader(ctxReader{ctx, r}, maxBytes+1))
	if err != nil {
		return "", 0, "", fmt.Errorf("files: write: %w", err)
	}
	if size > maxBytes {
		err = apperr.New(apperr.TooLarge, "error.too_large").With(map[string]any{"max": maxBytes})
		return "", 0, "", err
	}
	if err = tmp.Sync(); err != nil {
		return "", 0, "", fmt.Errorf("files: sync: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return "", 0, "", fmt.Errorf("files: close: %w", err)
	}
	var b [16]byte
	if _, err = rand.Read(b[:]); err != nil {
		return "", 0, "", fmt.Errorf("files: random name: %w", err)
	}
	name = hex.EncodeToString(b[:])
	if err = os.Rename(tmp.Name(), filepath.Join(s.Dir, name)); err != nil {
		return "", 0, "", fmt.Errorf("files: rename: %w", err)
	}
	if err = syncDir(s.Dir); err != nil {
		os.Remove(filepath.Join(s.Dir, name))
		return "", 0, "", err
	}
	return name, size, hex.EncodeToString(h.Sum(nil)), nil
}

// syncDir makes a rename durable: the new directory entry is only on disk
// once the directory itself is synced.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("files: open %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("files: sync %s: %w", dir, err)
	}
	return nil
}

// path returns the file's path, or NotFound for anything that is not a
// name Save could have made. The check is on the name's form, so "..",
// separators and absolute paths never reach the file system.
func (s Store) path(name string) (string, error) {
	if s.Dir == "" || !ValidName(name) {
		return "", apperr.NotFoundErr()
	}
	return filepath.Join(s.Dir, name), nil
}

// Open opens a saved file for reading; apperr NotFound if name is not a
// saved file's name or there is no such file. The caller closes it.
func (s Store) Open(name string) (*os.File, error) {
	p, err := s.path(name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, apperr.NotFoundErr()
	}
	if err != nil {
		return nil, fmt.Errorf("files: open: %w", err)
	}
	return f, nil
}

// Remove deletes a saved file. Removing one that is already gone is not
// an error, so a cleanup may be retried; a malformed name is NotFound.
func (s Store) Remove(name string) error {
	p, err := s.path(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("files: remove: %w", err)
	}
	return nil
}

// Sweep removes temporary files older than the given age, left by a
// process that stopped in the middle of a Save, and returns how many.
func (s Store) Sweep(olderThan time.Duration, now time.Time) (int, error) {
	entries, err := os.ReadDir(s.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("files: sweep: %w", err)
	}
	n := 0
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), tempPrefix) || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil || now.Sub(info.ModTime()) < olderThan {
			continue
		}
		if err := os.Remove(filepath.Join(s.Dir, e.Name())); err == nil {
			n++
		}
	}
	return n, nil
}
