package registry

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/idcard"
	"github.com/linli/linli/internal/sheets"
)

// Problem is one thing wrong with an imported sheet: the sheet's own row
// number (the header is row 1; 0 for the file as a whole), the column's
// key ("" for the row), and the reason as a translation key.
type Problem struct {
	Row    int            `json:"row"`
	Column string         `json:"column,omitempty"`
	Key    string         `json:"reason"`
	Args   map[string]any `json:"args,omitempty"`
}

// SheetRow is one parsed data row of a resident sheet.
type SheetRow struct {
	Number                       int
	Cells                        []string // as in the file, for the "rows to fix" sheet
	Estate, Building, Unit, Room string   // normalised
	Input                        Input    // HouseholdID still 0
	bad                          bool
}

// ImportReport says what an import found and did.
type ImportReport struct {
	Rows     int       `json:"rows"`
	Created  int       `json:"created"`
	Updated  int       `json:"updated"`
	Skipped  int       `json:"skipped"`
	Applied  bool      `json:"applied"`
	Problems []Problem `json:"problems"`
	// Bad holds the rows that were not applied, with their header, so the
	// caller can write them to a sheet to fix.
	Header []string   `json:"-"`
	Bad    [][]string `json:"-"`
}

// ParseSheet reads and checks a resident sheet using only the file: no
// database and no key are needed, so a clerk can check a sheet before
// anything is touched. It returns the rows (bad ones marked) and every
// problem found, in sheet order.
func ParseSheet(rd *sheets.Reader, now time.Time) ([]SheetRow, []Problem, error) {
	cols, hp := sheets.MatchHeader(rd.Header(), SheetColumns)
	var problems []Problem
	for _, p := range hp {
		switch p.Reason {
		case sheets.ReasonMissingColumn:
			problems = append(problems, Problem{Row: 1, Column: p.Key, Key: "import.missing_column"})
		case sheets.ReasonDuplicateColumn:
			problems = append(problems, Problem{Row: 1, Column: p.Key, Key: "import.duplicate_column", Args: map[string]any{"name": p.Name}})
		}
	}
	if len(problems) > 0 {
		return nil, problems, nil // without the columns, rows cannot be read
	}
	cell := func(r sheets.Row, key string) string {
		i, ok := cols[key]
		if !ok || i >= len(r.Cells) {
			return ""
		}
		if freeText[key] {
			// Chinese text uses full-width punctuation (，。：): keep it.
			return cleanText(r.Cells[i])
		}
		return sheets.Clean(r.Cells[i])
	}
	var rows []SheetRow
	seenID := map[string]int{}
	for {
		r, ok := rd.Next()
		if !ok {
			break
		}
		row := SheetRow{Number: r.Number, Cells: append([]string(nil), r.Cells...)}
		bad := func(col, key string, args map[string]any) {
			row.bad = true
			problems = append(problems, Problem{Row: r.Number, Column: col, Key: key, Args: args})
		}
		for _, f := range r.Flags {
			col := ""
			for k, i := range cols {
				if i == f.Column {
					col = k
				}
			}
			if col == "" {
				continue // a column we do not read
			}
			bad(col, "sheets."+string(f.Reason), nil)
		}
		var err error
		row.Estate = cell(r, "estate")
		if row.Estate == "" {
			bad("estate", "import.required", nil)
		}
		if row.Building, err = idcard.BuildingNumber(cell(r, "building")); err != nil {
			bad("building", "idcard.building", nil)
		}
		if row.Unit, err = idcard.UnitNumber(cell(r, "unit")); err != nil {
			bad("unit", "idcard.unit", nil)
		}
		if row.Room, err = idcard.RoomNumber(cell(r, "room")); err != nil {
			bad("room", "idcard.room", nil)
		}
		for _, key := range []string{"name", "id_number", "phone", "notes", "tags", "birth_date"} {
			if v := cell(r, key); strings.ContainsAny(v, "*＊") {
				// A masked export sent back: the real value is not here.
				bad(key, "import.masked_value", nil)
			}
		}
		in := Input{Name: cell(r, "name"), Gender: cell(r, "gender"), IDNumber: cell(r, "id_number"), Phone: cell(r, "phone"),
			BirthDate: normaliseDate(cell(r, "birth_date")), Relation: cell(r, "relation"), Tags: splitTags(cell(r, "tags")), Notes: cell(r, "notes")}
		if in.Gender == "男" || strings.EqualFold(in.Gender, "male") {
			in.Gender = "M"
		} else if in.Gender == "女" || strings.EqualFold(in.Gender, "female") {
			in.Gender = "F"
		}
		if dt, ok := docTypeFromSheet(cell(r, "doc_type")); ok {
			in.DocType = dt
		} else {
			bad("doc_type", "idcard.doc_type", nil)
		}
		in.HouseholdID = 1 // placed later; validate needs one
		c, err := validate(in, now)
		var ae *apperr.Error
		if errors.As(err, &ae) {
			for field, fe := range ae.Fields {
				bad(field, fe.Key, fe.Args)
			}
		} else if err != nil {
			return nil, nil, err
		}
		c.in.HouseholdID = 0
		row.Input = c.in
		if id := c.in.IDNumber; id != "" && !row.bad {
			if first, dup := seenID[id]; dup {
				bad("id_number", "import.duplicate_in_file", map[string]any{"row": first})
			} else {
				seenID[id] = r.Number
			}
		}
		rows = append(rows, row)
	}
	if err := rd.Err(); err != nil {
		return nil, nil, err
	}
	if len(rows) == 0 {
		problems = append(problems, Problem{Row: 0, Key: "sheets." + string(sheets.ReasonEmpty)})
	}
	return rows, problems, nil
}

// freeText columns are written by people in Chinese and kept as typed;
// the others are codes and numbers, folded to half-width.
var freeText = map[string]bool{"estate": true, "name": true, "relation": true, "tags": true, "notes": true}

// cleanText trims a free-text cell and drops control and zero-width
// characters, changing nothing else.
func cleanText(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u200b' || r == '\u200c' || r == '\u200d' || r == '\ufeff':
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// normaliseDate accepts 1958-03-02, 1958/3/2, 1958.3.2 and 19580302.
func normaliseDate(s string) string {
	s = strings.TrimSpace(s)
	if len(s) == 8 && !strings.ContainsAny(s, "-/.") {
		return s[:4] + "-" + s[4:6] + "-" + s[6:]
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '/' || r == '.' || r == '年' || r == '月' || r == '日' })
	if len(parts) == 3 && len(parts[0]) == 4 {
		pad := func(p string) string {
			if len(p) == 1 {
				return "0" + p
			}
			return p
		}
		return parts[0] + "-" + pad(parts[1]) + "-" + pad(parts[2])
	}
	return s
}

// ImportOptions choose how an import applies.
type ImportOptions struct {
	CommunityID int64
	DryRun      bool // check everything, write nothing
	SkipBad     bool // apply the good rows, return the bad ones
	// CreateBuildings lets the import add estates and buildings the
	// community does not have yet (a first import); otherwise an unknown
	// building is a bad row. Units and households are always created.
	CreateBuildings bool
	Progress        func(done, total int)
}

// Import applies parsed rows: all of them or nothing, unless SkipBad.
// Rows match existing residents on the ID number (its blind index), or —
// without one — on household, name and birth date, and update them;
// nothing is duplicated. The write is one transaction; everything that
// can be checked from the file was checked before it by ParseSheet.
func (s *Service) Import(ctx context.Context, actor *accounts.Principal, rows []SheetRow, problems []Problem, o ImportOptions) (*ImportReport, error) {
	cid := o.CommunityID
	if !roleMay(actor, cid, mustField("name").Export) {
		if _, _, ok := scope(actor, cid); !ok {
			return nil, apperr.NotFoundErr()
		}
		return nil, apperr.ForbiddenErr()
	}
	rep := &ImportReport{Rows: len(rows), Problems: append([]Problem(nil), problems...)}
	fileBad := len(problems) > 0
	if fileBad && !o.SkipBad && !o.DryRun {
		rep.collectBad(rows)
		return rep, nil
	}
	// Validation and sealing happen here, before the write transaction,
	// so a long import holds the database's writer for lookups and writes
	// only. It is CPU work alone, so it runs on every core.
	sl := sealer{s.keys, cid}
	ready, err := prepareRows(sl, rows, s.clock.Now(), o.Progress)
	if err != nil {
		return nil, err
	}
	for i := range rows {
		if ready[i].err != nil {
			rows[i].bad = true
			for f, fe := range ready[i].err.Fields {
				rep.Problems = append(rep.Problems, Problem{Row: rows[i].Number, Column: f, Key: fe.Key, Args: fe.Args})
			}
		}
	}
	errRollback := errors.New("rollback")
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		l := s.NewLoader(tx, cid)
		plan, err := newImportPlan(ctx, l)
		if err != nil {
			return err
		}
		known := make(map[string]bool, len(l.buildings))
		for k := range l.buildings {
			known[k] = true
		}
		tags, err := s.Tags(ctx, cid)
		if err != nil {
			return err
		}
		for i := range rows {
			r := &rows[i]
			if o.Progress != nil && i%2000 == 0 {
				o.Progress(len(rows)/2+i/4, len(rows))
			}
			if r.bad {
				continue
			}
			bad := func(col, key string, args map[string]any) {
				r.bad = true
				rep.Problems = append(rep.Problems, Problem{Row: r.Number, Column: col, Key: key, Args: args})
			}
			if !known[r.Estate+"/"+r.Building] && !o.CreateBuildings {
				bad("building", "import.unknown_building", map[string]any{"building": r.Estate + r.Building + "号楼"})
				continue
			}
			for _, t := range r.Input.Tags {
				if !contains(tags, t) {
					bad("tags", "registry.tag.unknown", map[string]any{"tag": t})
				}
			}
			if r.bad {
				continue
			}
			// Judge the row before creating anything for it, so a skipped
			// row leaves no empty flat behind.
			idBidx, _ := ready[i].p.cols["id_bidx"].(string)
			if plan.otherPerson(idBidx, ready[i].p.cols["name_bidx"].(string)) {
				bad("id_number", "import.id_other_person", nil)
				continue
			}
			bid, err := plan.building(ctx, r.Estate, r.Building)
			if err != nil {
				return err
			}
			hid, err := plan.household(ctx, bid, r.Unit, r.Room)
			if err != nil {
				return err
			}
			created, err := plan.resident(ctx, ready[i].p, hid)
			if err != nil {
				return err
			}
			if created {
				rep.Created++
			} else {
				rep.Updated++
			}
		}
		if o.Progress != nil {
			o.Progress(len(rows)*3/4, len(rows))
		}
		if err := plan.flush(ctx); err != nil {
			return err
		}
		if o.Progress != nil {
			o.Progress(len(rows), len(rows))
		}
		anyBad := len(rep.Problems) > 0
		if o.DryRun || (anyBad && !o.SkipBad) {
			return errRollback
		}
		e := actor.Audit(s.clock.Now(), "registry.import", cid)
		e.ObjectType, e.ObjectID = "residents", fmt.Sprint(rep.Created+rep.Updated)
		e.Detail = fmt.Sprintf("created %d, updated %d, skipped %d", rep.Created, rep.Updated, countBad(rows))
		return audit.Record(ctx, tx, e)
	})
	if err != nil && !errors.Is(err, errRollback) {
		return nil, err
	}
	rep.Applied = err == nil
	if !rep.Applied {
		rep.Created, rep.Updated = 0, 0
	}
	rep.Skipped = countBad(rows)
	rep.collectBad(rows)
	return rep, nil
}

func (r *ImportReport) collectBad(rows []SheetRow) {
	for _, row := range rows {
		if row.bad {
			r.Bad = append(r.Bad, row.Cells)
		}
	}
}

func countBad(rows []SheetRow) int {
	n := 0
	for _, r := range rows {
		if r.bad {
			n++
		}
	}
	return n
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
