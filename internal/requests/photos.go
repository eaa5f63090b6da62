package requests

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/files"
	"github.com/linli/linli/internal/photos"
)

// Photos of a request (issue 6: "a resident submits a request with a
// photo"; "every transition records ... attachments"). A photo comes in
// with the intake (Input.Photos), with a step (Step.Photos), or on its own
// (AddPhotos, an "attach" event of the timeline); either way it belongs
// to the request and to the event that brought it. Uploads pass
// photos.Reencode, so only pixels are kept: a phone's EXIF carries the
// GPS position of the resident's flat. Whoever may read the request may
// see its photos, and nobody else; the public Open311 side never shows
// them.

// MaxPhotos is how many photos one request may hold, all its events
// together: enough to show a leak from the ceiling, the stain below and
// the repair, few enough that the timeline stays a timeline.
const MaxPhotos = 6

// ActAttach is the timeline event of photos added between steps.
const ActAttach Action = "attach"

// Photo is one photo of a request, as its timeline lists it.
type Photo struct {
	ID      int64     `json:"id"`
	Seq     int64     `json:"seq"` // the event that added it
	Width   int       `json:"width"`
	Height  int       `json:"height"`
	AddedAt time.Time `json:"added_at"`
	// URL is where the front door serves it; the front door fills it.
	URL string `json:"url,omitempty"`
}

// UsePhotos names the store request photos are kept in. Without one,
// any upload is refused as an internal error.
func (s *Service) UsePhotos(store *files.Store) { s.photos = store }

// kept is a re-encoded photo saved in the store, not yet recorded.
type kept struct {
	name string
	size int64
	w, h int
}

// keepPhotos checks that a request of community cid holding have photos
// may take uploads, re-encodes each and saves it to the store. On error
// nothing is left in the store; on success the caller records the photos
// (recordPhotos) or discards them.
func (s *Service) keepPhotos(ctx context.Context, have int, uploads [][]byte) ([]kept, error) {
	if len(uploads) == 0 {
		return nil, nil
	}
	if have+len(uploads) > MaxPhotos {
		return nil, apperr.New(apperr.Invalid, "error.invalid").Field("photo", "request.photo.many", map[string]any{"max": MaxPhotos})
	}
	if s.photos == nil {
		return nil, errors.New("requests: no photo store configured")
	}
	var out []kept
	for _, up := range uploads {
		jpg, w, h, err := photos.Reencode(ctx, up)
		if err == nil {
			var k kept
			k.name, k.size, _, err = s.photos.Save(ctx, bytes.NewReader(jpg), 4*photos.MaxBytes)
			k.w, k.h = w, h
			if err == nil {
				out = append(out, k)
				continue
			}
			err = fmt.Errorf("requests: save photo: %w", err)
		}
		s.discard(out)
		return nil, err
	}
	return out, nil
}

// discard removes kept photos whose recording failed, so no file is left
// that no row names.
func (s *Service) discard(ks []kept) {
	for _, k := range ks {
		s.photos.Remove(k.name)
	}
}

// recordPhotos records kept photos against event seq of request id on
// tx, whose row the caller has already locked (its update of last_seq),
// so two uploads racing cannot pass MaxPhotos between them.
func (s *Service) recordPhotos(ctx context.Context, tx *db.Tx, actor *accounts.Principal, cid, id, seq int64, ks []kept, at time.Time) error {
	if len(ks) == 0 {
		return nil
	}
	var have int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM request_photos WHERE request_id = ?`, id).Scan(&have); err != nil {
		return fmt.Errorf("requests: count photos: %w", err)
	}
	if have+len(ks) > MaxPhotos {
		return apperr.New(apperr.Invalid, "error.invalid").Field("photo", "request.photo.many", map[string]any{"max": MaxPhotos})
	}
	ids := make([]string, 0, len(ks))
	for _, k := range ks {
		pid, err := insertPhoto(ctx, tx, cid, id, seq, k, actor.AccountID, at)
		if err != nil {
			return err
		}
		ids = append(ids, fmt.Sprint(pid))
	}
	return s.record(ctx, tx, actor, "request.photo", cid, id, fmt.Sprintf("event %d: photo %s", seq, strings.Join(ids, ", ")))
}

// insertPhoto writes the row of one kept photo: the live steps and the
// demo's seed record photos through the same statement, so a seeded photo
// reads exactly as an uploaded one.
func insertPhoto(ctx context.Context, tx *db.Tx, cid, id, seq int64, k kept, by int64, at time.Time) (int64, error) {
	var pid int64
	err := tx.QueryRow(ctx, `INSERT INTO request_photos (community_id, request_id, seq, file, width, height, bytes, added_by, added_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, cid, id, seq, k.name, k.w, k.h, k.size, nullID(by), at.UTC()).Scan(&pid)
	if err != nil {
		return 0, fmt.Errorf("requests: record photo: %w", err)
	}
	return pid, nil
}

// StorePhoto keeps an already re-encoded JPEG (one without metadata) in
// the photo store and returns its random name and size, for
// RecordSeedPhoto to record. The demo seed draws and stores its photos
// side by side this way, outside its transaction, and records them
// inside it; the files are synced to disk, which is most of the cost.
func (s *Service) StorePhoto(ctx context.Context, jpg []byte) (string, int64, error) {
	if s.photos == nil {
		return "", 0, errors.New("requests: no photo store configured")
	}
	name, size, _, err := s.photos.Save(ctx, bytes.NewReader(jpg), 4*photos.MaxBytes)
	if err != nil {
		return "", 0, fmt.Errorf("requests: save photo: %w", err)
	}
	return name, size, nil
}

// RecordSeedPhoto records a stored photo (StorePhoto) of seeded request
// id against its event seq, added by account by (0: nobody) at at: the
// event's actor and time, so the timeline shows it on that event. Like
// SeedTx it is history: nothing is audited, and MaxPhotos is the
// caller's to keep.
func RecordSeedPhoto(ctx context.Context, tx *db.Tx, cid, id, seq int64, name string, size int64, w, h int, by int64, at time.Time) (int64, error) {
	return insertPhoto(ctx, tx, cid, id, seq, kept{name: name, size: size, w: w, h: h}, by, at)
}

// photoCount is how many photos request id holds now.
func (s *Service) photoCount(ctx context.Context, id int64) (int, error) {
	var n int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM request_photos WHERE request_id = ?`, id).Scan(&n); err != nil {
		return 0, fmt.Errorf("requests: count photos: %w", err)
	}
	return n, nil
}

// AddPhotos adds photos to request id outside any step, with an optional
// note: an "attach" event on the timeline. Anyone who may read the
// request may add to it while it is open (a resident their own, the
// handler, the office); a closed, rejected or merged request takes no
// more (Conflict, request.photo.closed). Refused in this order: outside
// the reach (NotFound), closed, no photo or a bad note (Invalid), too
// many photos (Invalid, request.photo.many), an upload that is not a
// JPEG, PNG or WebP or too large (photos.Reencode's errors). A refusal
// writes nothing: no row, no file.
func (s *Service) AddPhotos(ctx context.Context, actor *accounts.Principal, id int64, note string, uploads [][]byte) ([]Photo, error) {
	r, _, _, err := s.find(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	from := Status(r.status)
	if !from.Open() {
		return nil, apperr.New(apperr.Conflict, "request.photo.closed").With(map[string]any{"status": string(from)})
	}
	note = cleanText(note)
	var v apperr.Validation
	if len(uploads) == 0 {
		v.Add("photo", "photo.missing", nil)
	}
	checkText(&v, "note", note, 2000)
	if err := v.Err(); err != nil {
		return nil, err
	}
	have, err := s.photoCount(ctx, r.id)
	if err != nil {
		return nil, err
	}
	ks, err := s.keepPhotos(ctx, have, uploads)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now().UTC()
	var seq int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		// Locks the row, and finds it still open: a step closing it in
		// the meantime wins.
		err := tx.QueryRow(ctx, `UPDATE requests SET last_seq = last_seq + 1, updated_at = ?
			WHERE id = ? AND status NOT IN (?, ?, ?) RETURNING last_seq`,
			now, r.id, string(Rejected), string(Merged), string(Closed)).Scan(&seq)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.New(apperr.Conflict, "request.photo.closed")
		}
		if err != nil {
			return fmt.Errorf("requests: attach: %w", err)
		}
		if err := s.event(ctx, tx, actor, r.cid, r.id, seq, event{action: ActAttach, from: from, to: from, note: note}, now); err != nil {
			return err
		}
		return s.recordPhotos(ctx, tx, actor, r.cid, r.id, seq, ks, now)
	})
	if err != nil {
		s.discard(ks)
		return nil, err
	}
	all, err := s.photosOf(ctx, r.id)
	if err != nil {
		return nil, err
	}
	var out []Photo
	for _, p := range all {
		if p.Seq == seq {
			out = append(out, p)
		}
	}
	return out, nil
}

// photosOf lists request id's photos in the order they were added.
func (s *Service) photosOf(ctx context.Context, id int64) ([]Photo, error) {
	rows, err := s.db.Query(ctx, `SELECT id, seq, width, height, added_at FROM request_photos WHERE request_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("requests: photos: %w", err)
	}
	defer rows.Close()
	var out []Photo
	for rows.Next() {
		var p Photo
		if err := rows.Scan(&p.ID, &p.Seq, &p.Width, &p.Height, &p.AddedAt); err != nil {
			return nil, fmt.Errorf("requests: photos: %w", err)
		}
		p.AddedAt = p.AddedAt.UTC()
		out = append(out, p)
	}
	return out, rows.Err()
}

// OpenPhoto opens photo pid of request id for the actor, who must be able
// to read the request (NotFound otherwise, and for a photo of another
// request). The photo shows a resident's home, so each opening is
// audited, as reading the request is. The caller closes the file.
func (s *Service) OpenPhoto(ctx context.Context, actor *accounts.Principal, id, pid int64) (*os.File, time.Time, error) {
	r, _, _, err := s.find(ctx, actor, id)
	if err != nil {
		return nil, time.Time{}, err
	}
	var name string
	var at time.Time
	err = s.db.QueryRow(ctx, `SELECT file, added_at FROM request_photos WHERE id = ? AND request_id = ?`, pid, r.id).Scan(&name, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, time.Time{}, apperr.NotFoundErr()
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("requests: photo: %w", err)
	}
	if s.photos == nil {
		return nil, time.Time{}, errors.New("requests: no photo store configured")
	}
	if err := s.record(ctx, s.db, actor, "request.photo.view", r.cid, r.id, fmt.Sprintf("photo %d", pid)); err != nil {
		return nil, time.Time{}, err
	}
	f, err := s.photos.Open(name)
	if err != nil {
		return nil, time.Time{}, err
	}
	return f, at.UTC(), nil
}
