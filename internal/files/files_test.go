package files_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/files"
)

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestSaveOpenRemove(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "uploads") // created on first Save
	s := files.Store{Dir: dir}
	data := []byte("走访记录照片 " + strings.Repeat("x", 5000))
	name, size, sum, err := s.Save(context.Background(), bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(data)
	if !files.ValidName(name) || size != int64(len(data)) || sum != hex.EncodeToString(want[:]) {
		t.Fatalf("Save = %q, %d, %s", name, size, sum)
	}
	if got := listDir(t, dir); len(got) != 1 || got[0] != name {
		t.Fatalf("directory holds %v", got)
	}
	if info, err := os.Stat(dir); err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("directory mode %v (%v)", info.Mode(), err)
	}
	f, err := s.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(f)
	f.Close()
	if !bytes.Equal(got, data) {
		t.Fatal("read back different bytes")
	}

	other, _, _, err := s.Save(context.Background(), strings.NewReader(""), 10)
	if err != nil || other == name {
		t.Fatalf("second Save = %q (%v)", other, err)
	}
	if err := s.Remove(name); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(name); err != nil {
		t.Fatalf("second Remove = %v", err)
	}
	if _, err := s.Open(name); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("Open after Remove = %v", err)
	}
	if got := listDir(t, dir); len(got) != 1 || got[0] != other {
		t.Fatalf("directory holds %v", got)
	}
}

func TestTooLargeLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	s := files.Store{Dir: dir}
	if _, size, _, err := s.Save(context.Background(), strings.NewReader("12345"), 5); err != nil || size != 5 {
		t.Fatalf("exactly the limit: %d (%v)", size, err)
	}
	name, _, _, err := s.Save(context.Background(), strings.NewReader("123456"), 5)
	if !apperr.Is(err, apperr.TooLarge) || name != "" {
		t.Fatalf("one byte over: %q, %v", name, err)
	}
	if got := listDir(t, dir); len(got) != 1 {
		t.Fatalf("after a refused upload the directory holds %v", got)
	}
}

type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n > 0 {
		r.n--
		return copy(p, "abc"), nil
	}
	return 0, errors.New("connection reset")
}

func TestFailedOrCancelledSaveLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	s := files.Store{Dir: dir}
	if _, _, _, err := s.Save(context.Background(), &failingReader{n: 3}, 1<<20); err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("Save from a failing reader = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, _, err := s.Save(ctx, strings.NewReader("data"), 1<<20); !errors.Is(err, context.Canceled) {
		t.Fatalf("Save with a cancelled context = %v", err)
	}
	if got := listDir(t, dir); len(got) != 0 {
		t.Fatalf("directory holds %v", got)
	}
}

func TestOpenRefusesAnythingButSavedNames(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "uploads")
	s := files.Store{Dir: dir}
	if _, _, _, err := s.Save(context.Background(), strings.NewReader("x"), 10); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(base, "0123456789abcdef0123456789abcdef")
	if err := os.WriteFile(secret, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{
		"", ".", "..", "../0123456789abcdef0123456789abcdef", "/etc/passwd",
		"0123456789ABCDEF0123456789ABCDEF", "0123456789abcdef0123456789abcde", "0123456789abcdef0123456789abcdef0",
		"0123456789abcdef/123456789abcdef", "0123456789abcdef0123456789abcde\x00", ".upload-123",
	} {
		if _, err := s.Open(name); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("Open(%q) = %v", name, err)
		}
		if err := s.Remove(name); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("Remove(%q) = %v", name, err)
		}
	}
	if _, err := os.Stat(secret); err != nil {
		t.Fatal("a file outside the store was removed")
	}
}

func TestSweepRemovesStaleTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	s := files.Store{Dir: dir}
	kept, _, _, err := s.Save(context.Background(), strings.NewReader("x"), 10)
	if err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, ".upload-123")
	if err := os.WriteFile(stale, []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if n, err := s.Sweep(time.Hour, now); err != nil || n != 0 {
		t.Fatalf("Sweep of a fresh temporary file removed %d (%v)", n, err)
	}
	if n, err := s.Sweep(time.Hour, now.Add(2*time.Hour)); err != nil || n != 1 {
		t.Fatalf("Sweep removed %d (%v)", n, err)
	}
	if got := listDir(t, dir); len(got) != 1 || got[0] != kept {
		t.Fatalf("directory holds %v", got)
	}
}
