package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/requests"
)

// reqShot is one photo of a demo request: on its intake (step -1) or on
// step step of its plan, showing shot (photo.go).
type reqShot struct {
	step int
	shot string
}

// ordinaryPhotos is how many of the year's ordinary repairs come with
// photos, beside the two stories': a handful, as residents have only
// lately begun to send them.
const ordinaryPhotos = 12

// pickShots gives a handful of the year's ordinary repairs photos: the
// trouble at intake, and for a mended leak the dry ceiling with the
// result. It draws from its own generator, so the requests themselves
// stay what they were before the demo had photos.
func (g *reqGen) pickShots() {
	code := map[int64]string{}
	for c, id := range g.cats {
		code[id] = c
	}
	var web, other []*plan
	for _, p := range g.plans {
		c := code[p.r.CategoryID]
		if p.story || p.into != nil || len(p.shots) > 0 || p.r.Kind != requests.KindHelp ||
			!slices.Contains([]string{"repairs", "water", "heating", "electricity"}, c) {
			continue
		}
		if p.r.Self {
			web = append(web, p)
		} else {
			other = append(other, p)
		}
	}
	rnd := rand.New(rand.NewPCG(uint64(g.s.Seed), 0x9e3779b97f4a7c15))
	// The resident login sends her own first: the app is how photos come.
	var picked []*plan
	for _, i := range rnd.Perm(len(web))[:min(2, len(web))] {
		picked = append(picked, web[i])
	}
	for _, i := range rnd.Perm(len(other))[:min(ordinaryPhotos-len(picked), len(other))] {
		picked = append(picked, other[i])
	}
	for _, p := range picked {
		switch code[p.r.CategoryID] {
		case "heating":
			p.shots = []reqShot{{step: -1, shot: shotRadiator}}
		case "water":
			p.shots = []reqShot{{step: -1, shot: shotStain}}
			for k, st := range p.r.Steps {
				if st.Action == requests.ActResult {
					p.shots = append(p.shots, reqShot{step: k, shot: shotDry})
					break
				}
			}
		default:
			p.shots = []reqShot{{step: -1, shot: shotFixture}}
		}
	}
}

// reqPhotoJob is one photo to draw, store and record on its event.
type reqPhotoJob struct {
	request, seq, by int64
	at               time.Time
	seed             uint64
	label, shot      string
}

// photos draws and stores the planned photos side by side (each file is
// synced to disk, which is most of the cost) and records each on the
// event that brought it, added by that event's actor at its time, so the
// timeline shows it there. ids are the batch's request ids, by position.
// A file of a failed step is left behind unnamed: harmless.
func (g *reqGen) photos(ctx context.Context, tx *db.Tx, ids []int64) error {
	var jobs []reqPhotoJob
	for _, p := range g.plans {
		if len(p.shots) == 0 {
			continue
		}
		type ev struct {
			seq, by int64
			action  string
			at      time.Time
		}
		var evs []ev
		rows, err := tx.Query(ctx, `SELECT seq, COALESCE(actor_id, 0), action, at FROM request_events WHERE request_id = ? ORDER BY seq`, ids[p.pos])
		if err != nil {
			return fmt.Errorf("demo: request photos' events: %w", err)
		}
		for rows.Next() {
			var e ev
			if err := rows.Scan(&e.seq, &e.by, &e.action, &e.at); err != nil {
				rows.Close()
				return fmt.Errorf("demo: request photos' events: %w", err)
			}
			evs = append(evs, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("demo: request photos' events: %w", err)
		}
		for k, sh := range p.shots {
			// The intake is the first event; a step is the event of its
			// action at its time (a merge noted on the request may sit
			// between, so its place in Steps is not its seq).
			var e *ev
			if sh.step < 0 {
				e = &evs[0]
			} else if sh.step < len(p.r.Steps) {
				st := p.r.Steps[sh.step]
				for i := range evs {
					if evs[i].action == string(st.Action) && evs[i].at.Equal(st.At) {
						e = &evs[i]
						break
					}
				}
			}
			if e == nil {
				continue // a step that has not happened by the demo's today
			}
			jobs = append(jobs, reqPhotoJob{request: ids[p.pos], seq: e.seq, by: e.by, at: e.at,
				seed: uint64(g.s.Seed)<<24 | uint64(p.pos)<<4 | uint64(k), label: p.r.Description, shot: sh.shot})
		}
	}
	type stored struct {
		name string
		size int64
		w, h int
		err  error
	}
	out := make([]stored, len(jobs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			jpg, w, h, err := demoRequestPhoto(j.seed, j.label, j.shot)
			if err == nil {
				out[i].name, out[i].size, err = g.s.Requests.StorePhoto(ctx, jpg)
			}
			out[i].w, out[i].h, out[i].err = w, h, err
		}()
	}
	wg.Wait()
	for i, j := range jobs {
		if out[i].err != nil {
			return fmt.Errorf("demo: request photo: %w", out[i].err)
		}
		if _, err := requests.RecordSeedPhoto(ctx, tx, g.cid, j.request, j.seq, out[i].name, out[i].size, out[i].w, out[i].h, j.by, j.at); err != nil {
			return err
		}
	}
	return nil
}
