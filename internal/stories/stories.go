// Package stories turns a finished activity into a story on the
// community's public page: the organiser's summary, the number of people
// who came (counted from the check-ins, never typed in) and photos.
//
// Who sees what: a story of a public activity is for everyone, signed in
// or not; of a members-only activity, for the community's members. A
// photo is shown with its story only when everyone tagged in it has
// consented — a child through the guardian's photo consent, an adult
// with a photo or publicity consent — and, when nobody is tagged, no
// child took part in the date; until then only the office (admin,
// worker) sees it. Anything a viewer may not see answers not found.
package stories

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
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/files"
	"github.com/linli/linli/internal/photos"
	"github.com/linli/linli/internal/volunteers"
)

// MaxSummary is the longest summary, in characters.
const MaxSummary = 2000

// MaxPhotoBytes is the largest photo a story takes, as uploaded: the
// photos package's limit, shared with residents' requests.
const MaxPhotoBytes = photos.MaxBytes

// MaxTagged is the most people one photo may be tagged with.
const MaxTagged = 60

// Service is the stories domain.
type Service struct {
	db     *db.DB
	clock  clock.Clock
	vol    *volunteers.Service
	photos *files.Store
}

// New returns a Service keeping photos in the given store (a directory
// under the data directory, outside anything served as-is).
func New(d *db.DB, c clock.Clock, vol *volunteers.Service, photos *files.Store) *Service {
	return &Service{db: d, clock: c, vol: vol, photos: photos}
}

// Story is a finished occurrence told for the public page.
type Story struct {
	ID           int64     `json:"id"`
	CommunityID  int64     `json:"community_id"`
	Community    string    `json:"community"`
	OccurrenceID int64     `json:"occurrence_id"`
	Title        string    `json:"title"`
	Team         string    `json:"team,omitempty"`
	Place        string    `json:"place,omitempty"`
	Start        time.Time `json:"start"`
	End          time.Time `json:"end"`
	Summary      string    `json:"summary"`
	Participants int       `json:"participants"` // checked in, from the attendance
	Visibility   string    `json:"visibility"`   // public or members
	PublishedAt  time.Time `json:"published_at"`
	Photos       []Photo   `json:"photos"`
}

// Photo is one photo of a story as a viewer may see it.
type Photo struct {
	ID     int64  `json:"id"`
	URL    string `json:"url"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	// OfficeOnly marks, for the office, a photo nobody else sees yet:
	// someone in it has not consented.
	OfficeOnly bool    `json:"office_only,omitempty"`
	People     []int64 `json:"people,omitempty"` // tagged volunteers: the office only
}

// cleared is true for a photo (alias ph) that may be shown beyond the
// office: nobody tagged in it lacks consent. A child — anyone with a
// guardian consent on record, even a withdrawn one — needs the photo
// consent; an adult the photo or the publicity consent.
//
// A photo nobody is tagged in is cleared only when no child took part in
// the date (checked in, or on its roster): an untagged photo of the
// children's team would otherwise be public the moment it is uploaded.
// Until someone tags who it shows, it stays with the office.
const cleared = `NOT EXISTS (SELECT 1 FROM photo_people pp WHERE pp.photo_id = ph.id AND NOT EXISTS (
	SELECT 1 FROM consents c WHERE c.volunteer_id = pp.volunteer_id AND c.withdrawn_at IS NULL AND (c.kind = 'photo'
	OR c.kind = 'publicity' AND NOT EXISTS (SELECT 1 FROM consents g WHERE g.volunteer_id = pp.volunteer_id AND g.kind = 'guardian'))))
	AND (EXISTS (SELECT 1 FROM photo_people pp WHERE pp.photo_id = ph.id) OR NOT EXISTS (
	SELECT 1 FROM stories sp JOIN checkins k ON k.occurrence_id = sp.occurrence_id WHERE sp.id = ph.story_id
		AND EXISTS (SELECT 1 FROM consents g WHERE g.volunteer_id = k.volunteer_id AND g.kind = 'guardian')
	UNION ALL
	SELECT 1 FROM stories sp JOIN signups su ON su.occurrence_id = sp.occurrence_id WHERE sp.id = ph.story_id AND su.status <> 'cancelled'
		AND EXISTS (SELECT 1 FROM consents g WHERE g.volunteer_id = su.volunteer_id AND g.kind = 'guardian')))`

// viewer is what an actor may see of one community's stories.
type viewer struct {
	member, office bool
}

func (s *Service) viewerIn(ctx context.Context, actor *accounts.Principal, cid int64) (viewer, error) {
	if actor == nil || cid == 0 {
		return viewer{}, nil
	}
	acc, err := s.vol.AccessOf(ctx, actor, cid)
	if err != nil {
		return viewer{}, err
	}
	return viewer{member: acc.Member, office: acc.Office}, nil
}

func (v viewer) sees(visibility string) bool { return visibility == "public" || v.member }

// Write publishes the story of a finished occurrence, or replaces its
// summary when it has one: the office, or a leader of the activity's team.
// Compose does the same with a visibility and a photo (the page's form).
func (s *Service) Write(ctx context.Context, actor *accounts.Principal, occurrenceID int64, summary string) (*Story, error) {
	return s.Compose(ctx, actor, occurrenceID, Draft{Summary: summary})
}

// Publish writes (or rewrites) the story of an occurrence on tx. Write
// calls it after its checks; the demo seed calls it for the past dates
// it makes, as their organiser would have.
func Publish(ctx context.Context, tx *db.Tx, cid, occurrenceID int64, summary string, by int64, at time.Time) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO stories (community_id, occurrence_id, summary, written_by, published_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (occurrence_id) DO UPDATE SET summary = excluded.summary, updated_at = excluded.updated_at RETURNING id`,
		cid, occurrenceID, summary, nullID(by), at.UTC(), at.UTC()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("stories: write: %w", err)
	}
	return id, nil
}

// organiser admits the office and the leaders of team; a member who is
// neither is refused, anyone else does not see the occurrence at all.
func (s *Service) organiser(ctx context.Context, actor *accounts.Principal, cid, team int64) error {
	acc, err := s.vol.AccessOf(ctx, actor, cid)
	if err != nil {
		return err
	}
	if acc.Office || (team != 0 && acc.Leads(team)) {
		return nil
	}
	if !acc.Member {
		return apperr.NotFoundErr()
	}
	return apperr.ForbiddenErr()
}

// storyVisibility is a story's (alias st) visibility: members when its
// activity (alias a) is for members or the organiser kept the story
// inside; a story can narrow who sees it, never widen it.
const storyVisibility = `CASE WHEN st.members_only OR a.visibility = 'members' THEN 'members' ELSE 'public' END`

const storySelect = `SELECT st.id, st.community_id, c.name, st.occurrence_id, a.title, COALESCE(t.name, ''), COALESCE(p.name, ''),
	o.starts_at, o.ends_at, st.summary, ` + storyVisibility + `, st.published_at,
	(SELECT count(*) FROM checkins k WHERE k.occurrence_id = st.occurrence_id)
	FROM stories st JOIN occurrences o ON o.id = st.occurrence_id JOIN activities a ON a.id = o.activity_id
	JOIN communities c ON c.id = st.community_id LEFT JOIN teams t ON t.id = a.team_id LEFT JOIN places p ON p.id = a.place_id`

func scanStory(sc interface{ Scan(...any) error }) (*Story, error) {
	var st Story
	if err := sc.Scan(&st.ID, &st.CommunityID, &st.Community, &st.OccurrenceID, &st.Title, &st.Team, &st.Place,
		&st.Start, &st.End, &st.Summary, &st.Visibility, &st.PublishedAt, &st.Participants); err != nil {
		return nil, err
	}
	st.Start, st.End, st.PublishedAt = st.Start.In(clock.Shanghai), st.End.In(clock.Shanghai), st.PublishedAt.In(clock.Shanghai)
	st.Photos = []Photo{}
	return &st, nil
}

// List returns a community's stories the actor may see, newest first, and
// how many there are. cid 0 lists the public stories of every community
// (the signed-out front page of an instance).
func (s *Service) List(ctx context.Context, actor *accounts.Principal, cid int64, limit, offset int) ([]Story, int, error) {
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 100)
	offset = max(0, offset)
	v, err := s.viewerIn(ctx, actor, cid)
	if err != nil {
		return nil, 0, err
	}
	where := ` WHERE (` + storyVisibility + ` = 'public' OR ?)`
	args := []any{v.member}
	if cid != 0 {
		where += ` AND st.community_id = ?`
		args = append(args, cid)
	}
	var total int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM stories st JOIN occurrences o ON o.id = st.occurrence_id
		JOIN activities a ON a.id = o.activity_id`+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("stories: count: %w", err)
	}
	rows, err := s.db.Query(ctx, storySelect+where+` ORDER BY o.starts_at DESC, st.id DESC LIMIT ? OFFSET ?`, append(args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("stories: list: %w", err)
	}
	defer rows.Close()
	out := []Story{}
	for rows.Next() {
		st, err := scanStory(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("stories: scan: %w", err)
		}
		out = append(out, *st)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	if err := s.fillPhotos(ctx, v, out); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// Get returns one story, or NotFound when the actor may not see it.
func (s *Service) Get(ctx context.Context, actor *accounts.Principal, id int64) (*Story, error) {
	st, err := scanStory(s.db.QueryRow(ctx, storySelect+` WHERE st.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFoundErr()
	}
	if err != nil {
		return nil, fmt.Errorf("stories: get: %w", err)
	}
	v, err := s.viewerIn(ctx, actor, st.CommunityID)
	if err != nil {
		return nil, err
	}
	if !v.sees(st.Visibility) {
		return nil, apperr.NotFoundErr()
	}
	list := []Story{*st}
	if err := s.fillPhotos(ctx, v, list); err != nil {
		return nil, err
	}
	return &list[0], nil
}

// fillPhotos adds the photos the viewer may see. Stories of one call are
// of one community (or all public), so one viewer decides for all.
func (s *Service) fillPhotos(ctx context.Context, v viewer, list []Story) error {
	if len(list) == 0 {
		return nil
	}
	at := map[int64]int{}
	ids := make([]any, len(list))
	for i, st := range list {
		at[st.ID], ids[i] = i, st.ID
	}
	q := `SELECT ph.id, ph.story_id, ph.width, ph.height, CASE WHEN ` + cleared + ` THEN 1 ELSE 0 END FROM story_photos ph
		WHERE ph.story_id IN (` + strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",") + `) ORDER BY ph.id`
	rows, err := s.db.Query(ctx, q, ids...)
	if err != nil {
		return fmt.Errorf("stories: photos: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p Photo
		var story int64
		var ok int
		if err := rows.Scan(&p.ID, &story, &p.Width, &p.Height, &ok); err != nil {
			return fmt.Errorf("stories: scan photo: %w", err)
		}
		if ok == 0 && !v.office {
			continue
		}
		p.OfficeOnly = ok == 0
		p.URL = fmt.Sprintf("/photos/%d", p.ID)
		st := &list[at[story]]
		st.Photos = append(st.Photos, p)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	if !v.office {
		return nil
	}
	// The office sees who is tagged, to chase a missing consent.
	for i := range list {
		for j := range list[i].Photos {
			if err := s.tagged(ctx, &list[i].Photos[j]); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Service) tagged(ctx context.Context, p *Photo) error {
	rows, err := s.db.Query(ctx, `SELECT volunteer_id FROM photo_people WHERE photo_id = ? ORDER BY volunteer_id`, p.ID)
	if err != nil {
		return fmt.Errorf("stories: tagged: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		p.People = append(p.People, id)
	}
	return rows.Err()
}

// AddPhoto adds a photo to a story: the office or a leader of the
// activity's team. The upload is read up to MaxPhotoBytes, must be a
// JPEG, PNG or WebP by its content, and is stored re-encoded (see
// photos.Reencode) under a random name. people are the volunteers it shows.
func (s *Service) AddPhoto(ctx context.Context, actor *accounts.Principal, storyID int64, upload []byte, people []int64) (*Photo, error) {
	var cid, team int64
	err := s.db.QueryRow(ctx, `SELECT st.community_id, COALESCE(a.team_id, 0) FROM stories st JOIN occurrences o ON o.id = st.occurrence_id
		JOIN activities a ON a.id = o.activity_id WHERE st.id = ?`, storyID).Scan(&cid, &team)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFoundErr()
	}
	if err != nil {
		return nil, fmt.Errorf("stories: story: %w", err)
	}
	if err := s.organiser(ctx, actor, cid, team); err != nil {
		return nil, err
	}
	tags, err := s.tags(ctx, cid, people)
	if err != nil {
		return nil, err
	}
	if len(upload) > MaxPhotoBytes {
		return nil, apperr.New(apperr.TooLarge, "error.too_large").With(map[string]any{"max": MaxPhotoBytes})
	}
	jpg, w, h, err := photos.Reencode(ctx, upload)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	p := &Photo{Width: w, Height: h}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		if p.ID, err = s.SavePhoto(ctx, tx, cid, storyID, jpg, w, h, tags, actor.AccountID, now); err != nil {
			return err
		}
		e := actor.Audit(now, "story.photo", cid)
		e.ObjectType, e.ObjectID, e.Detail = "story", fmt.Sprint(storyID), fmt.Sprintf("photo %d, %d tagged", p.ID, len(tags))
		return audit.Record(ctx, tx, e)
	})
	if err != nil {
		return nil, err
	}
	p.URL = fmt.Sprintf("/photos/%d", p.ID)
	p.People = tags
	var ok int
	if err := s.db.QueryRow(ctx, `SELECT CASE WHEN `+cleared+` THEN 1 ELSE 0 END FROM story_photos ph WHERE ph.id = ?`, p.ID).Scan(&ok); err != nil {
		return nil, fmt.Errorf("stories: photo consent: %w", err)
	}
	p.OfficeOnly = ok == 0
	return p, nil
}

// tags checks the volunteers a photo is tagged with: each once, each of
// community cid, at most MaxTagged.
func (s *Service) tags(ctx context.Context, cid int64, people []int64) ([]int64, error) {
	seen := map[int64]bool{}
	var tags []int64
	for _, id := range people {
		if !seen[id] {
			seen[id] = true
			tags = append(tags, id)
		}
	}
	if len(tags) > MaxTagged {
		return nil, apperr.New(apperr.Invalid, "error.invalid").Field("people", "photo.people.many", map[string]any{"max": MaxTagged})
	}
	for _, id := range tags {
		var vcid int64
		err := s.db.QueryRow(ctx, `SELECT community_id FROM volunteers WHERE id = ?`, id).Scan(&vcid)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && vcid != cid) {
			return nil, apperr.New(apperr.Invalid, "error.invalid").Field("people", "photo.people.unknown", map[string]any{"id": id})
		}
		if err != nil {
			return nil, fmt.Errorf("stories: tagged volunteer: %w", err)
		}
	}
	return tags, nil
}

// SavePhoto stores an already re-encoded JPEG and records it on tx; the
// file is removed again if recording fails, so no file is left that no
// row names. AddPhoto calls it.
func (s *Service) SavePhoto(ctx context.Context, tx *db.Tx, cid, storyID int64, jpg []byte, w, h int, people []int64, by int64, at time.Time) (int64, error) {
	name, size, err := s.StorePhoto(ctx, jpg)
	if err != nil {
		return 0, err
	}
	id, err := RecordPhoto(ctx, tx, cid, storyID, name, size, w, h, people, by, at)
	if err != nil {
		s.photos.Remove(name)
		return 0, err
	}
	return id, nil
}

// StorePhoto keeps an already re-encoded JPEG in the photo store and
// returns its random name and size, for RecordPhoto to record. The demo
// seed stores its drawn photos side by side this way, outside its
// transaction, and records them inside it.
func (s *Service) StorePhoto(ctx context.Context, jpg []byte) (string, int64, error) {
	name, size, _, err := s.photos.Save(ctx, bytes.NewReader(jpg), 4*MaxPhotoBytes)
	return name, size, err
}

// RecordPhoto records a stored photo of a story and the people it shows.
func RecordPhoto(ctx context.Context, tx *db.Tx, cid, storyID int64, name string, size int64, w, h int, people []int64, by int64, at time.Time) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO story_photos (community_id, story_id, file, width, height, bytes, uploaded_by, uploaded_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, cid, storyID, name, w, h, size, nullID(by), at.UTC()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("stories: record photo: %w", err)
	}
	for _, v := range people {
		if _, err := tx.Exec(ctx, `INSERT INTO photo_people (photo_id, volunteer_id) VALUES (?, ?)`, id, v); err != nil {
			return 0, fmt.Errorf("stories: tag photo: %w", err)
		}
	}
	return id, nil
}

// OpenPhoto opens a photo's file for the actor, under the same rule as
// the story's list: NotFound when the actor may not see the story, or
// the photo is not cleared and the actor is not the office. The caller
// closes the file.
func (s *Service) OpenPhoto(ctx context.Context, actor *accounts.Principal, id int64) (*os.File, time.Time, error) {
	var cid int64
	var name, visibility string
	var at time.Time
	var ok int
	err := s.db.QueryRow(ctx, `SELECT ph.community_id, ph.file, `+storyVisibility+`, ph.uploaded_at, CASE WHEN `+cleared+` THEN 1 ELSE 0 END
		FROM story_photos ph JOIN stories st ON st.id = ph.story_id JOIN occurrences o ON o.id = st.occurrence_id
		JOIN activities a ON a.id = o.activity_id WHERE ph.id = ?`, id).Scan(&cid, &name, &visibility, &at, &ok)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, time.Time{}, apperr.NotFoundErr()
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("stories: photo: %w", err)
	}
	v, err := s.viewerIn(ctx, actor, cid)
	if err != nil {
		return nil, time.Time{}, err
	}
	if !v.sees(visibility) || (ok == 0 && !v.office) {
		return nil, time.Time{}, apperr.NotFoundErr()
	}
	f, err := s.photos.Open(name)
	if err != nil {
		return nil, time.Time{}, err
	}
	return f, at, nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
