package stories

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/photos"
)

// Draft is what the organiser sends for a story: the page's form has all
// of it, the API the summary (photos go one by one).
type Draft struct {
	Summary string
	// Visibility is "members" to keep the story inside the community,
	// "public" to show it to everyone (only when its activity is public),
	// or "" to keep what the story had (a new one: as its activity).
	Visibility string
	Photo      []byte  // one photo as uploaded (photos.ReadUpload), or nil
	People     []int64 // the volunteers the photo shows
}

// finished is an occurrence a story is written for.
type finished struct {
	cid, team       int64
	end             time.Time
	cancelled       bool
	membersActivity bool
}

// finishedFor reads occurrence id for its organiser (see organiser).
func (s *Service) finishedFor(ctx context.Context, actor *accounts.Principal, id int64) (*finished, error) {
	var f finished
	var vis string
	err := s.db.QueryRow(ctx, `SELECT o.community_id, COALESCE(a.team_id, 0), o.ends_at, o.cancelled, a.visibility FROM occurrences o
		JOIN activities a ON a.id = o.activity_id WHERE o.id = ?`, id).Scan(&f.cid, &f.team, &f.end, &f.cancelled, &vis)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFoundErr()
	}
	if err != nil {
		return nil, fmt.Errorf("stories: occurrence %d: %w", id, err)
	}
	if err := s.organiser(ctx, actor, f.cid, f.team); err != nil {
		return nil, err
	}
	f.membersActivity = vis == "members"
	return &f, nil
}

// state refuses a story for a skipped date or one not over yet.
func (f *finished) state(now time.Time) error {
	switch {
	case f.cancelled:
		return apperr.New(apperr.Conflict, "activity.cancelled")
	case now.Before(f.end):
		return apperr.New(apperr.Conflict, "story.not_over")
	}
	return nil
}

// Prepare is what the organiser's form starts from: the story of
// occurrence id if it has one (nil if not), and whether its activity is
// for members only (then so is the story). It refuses whom Compose
// refuses: anyone but the office and the team's leaders, a skipped date,
// a date not over.
func (s *Service) Prepare(ctx context.Context, actor *accounts.Principal, id int64) (*Story, bool, error) {
	f, err := s.finishedFor(ctx, actor, id)
	if err != nil {
		return nil, false, err
	}
	if err := f.state(s.clock.Now()); err != nil {
		return nil, false, err
	}
	var sid int64
	err = s.db.QueryRow(ctx, `SELECT id FROM stories WHERE occurrence_id = ?`, id).Scan(&sid)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, f.membersActivity, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("stories: find story of %d: %w", id, err)
	}
	st, err := s.Get(ctx, actor, sid)
	return st, f.membersActivity, err
}

// Compose publishes the story of a finished occurrence (or rewrites it)
// with its visibility and, when d has one, a photo, all in one
// transaction: the office or a leader of the activity's team. Anything
// refused (the summary, the visibility, the photo's size, type or
// people) writes nothing, neither the story nor the photo.
func (s *Service) Compose(ctx context.Context, actor *accounts.Principal, occurrenceID int64, d Draft) (*Story, error) {
	f, err := s.finishedFor(ctx, actor, occurrenceID)
	if err != nil {
		return nil, err
	}
	var v apperr.Validation
	summary := strings.TrimSpace(strings.ReplaceAll(d.Summary, "\r\n", "\n"))
	if n := utf8.RuneCountInString(summary); n == 0 || n > MaxSummary ||
		strings.ContainsFunc(summary, func(r rune) bool { return r < 0x20 && r != '\n' || r == 0x7f }) {
		v.Add("summary", "story.summary.invalid", map[string]any{"max": MaxSummary})
	}
	switch {
	case d.Visibility != "" && d.Visibility != "public" && d.Visibility != "members":
		v.Add("visibility", "story.visibility.invalid", nil)
	case d.Visibility == "public" && f.membersActivity:
		v.Add("visibility", "story.visibility.members_activity", nil)
	}
	var tags []int64
	if d.Photo != nil {
		tags, err = s.tags(ctx, f.cid, d.People)
		if e := apperr.From(err); err != nil && e.Code == apperr.Invalid {
			for field, fe := range e.Fields {
				v.Add(field, fe.Key, fe.Args)
			}
		} else if err != nil {
			return nil, err
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	if err := f.state(now); err != nil {
		return nil, err
	}
	var jpg []byte
	var w, h int
	if d.Photo != nil {
		if jpg, w, h, err = photos.Reencode(ctx, d.Photo); err != nil {
			return nil, err
		}
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		if id, err = Publish(ctx, tx, f.cid, occurrenceID, summary, actor.AccountID, now); err != nil {
			return err
		}
		if d.Visibility != "" {
			if _, err := tx.Exec(ctx, `UPDATE stories SET members_only = ? WHERE id = ?`, d.Visibility == "members", id); err != nil {
				return fmt.Errorf("stories: visibility: %w", err)
			}
		}
		e := actor.Audit(now, "story.write", f.cid)
		e.ObjectType, e.ObjectID, e.Detail = "story", fmt.Sprint(id), fmt.Sprintf("occurrence %d", occurrenceID)
		if d.Visibility != "" {
			e.Detail += ", " + d.Visibility
		}
		if err := audit.Record(ctx, tx, e); err != nil {
			return err
		}
		if jpg == nil {
			return nil
		}
		pid, err := s.SavePhoto(ctx, tx, f.cid, id, jpg, w, h, tags, actor.AccountID, now)
		if err != nil {
			return err
		}
		e = actor.Audit(now, "story.photo", f.cid)
		e.ObjectType, e.ObjectID, e.Detail = "story", fmt.Sprint(id), fmt.Sprintf("photo %d, %d tagged", pid, len(tags))
		return audit.Record(ctx, tx, e)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, actor, id)
}
