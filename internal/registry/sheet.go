package registry

import (
	"context"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/idcard"
	"github.com/linli/linli/internal/sheets"
)

// SheetColumns are the columns of a community's resident sheet, as import
// reads them and export writes them. Names are the headings communities
// use, in Chinese and English; export writes the first one.
var SheetColumns = []sheets.Column{
	{Key: "estate", Names: []string{"小区", "小区名称", "Estate"}, Required: true},
	{Key: "building", Names: []string{"楼号", "楼栋", "楼", "Building"}, Required: true},
	{Key: "unit", Names: []string{"单元", "单元号", "Unit"}, Required: true},
	{Key: "room", Names: []string{"房号", "门牌号", "户号", "Room"}, Required: true},
	{Key: "name", Names: []string{"姓名", "Name"}, Required: true},
	{Key: "gender", Names: []string{"性别", "Gender", "Sex"}},
	{Key: "doc_type", Names: []string{"证件类型", "Document type"}},
	{Key: "id_number", Names: []string{"身份证号", "身份证号码", "公民身份号码", "证件号码", "ID number"}},
	{Key: "phone", Names: []string{"联系电话", "电话", "手机", "手机号", "Phone"}},
	{Key: "birth_date", Names: []string{"出生日期", "出生年月日", "Date of birth", "Birth date"}},
	{Key: "relation", Names: []string{"与户主关系", "关系", "Relation"}},
	{Key: "tags", Names: []string{"标签", "人员类别", "Tags"}},
	{Key: "notes", Names: []string{"备注", "Notes"}},
}

// ExportOptions choose what an export holds.
type ExportOptions struct {
	Filter Filter
	Format sheets.Format
	// Reveal writes sensitive columns unmasked, for a role that may
	// reveal them; Reason is then required and the export audited with it.
	Reveal bool
	Reason string
}

// Export writes the residents a filter selects as a sheet with the same
// columns import reads. Sensitive columns are masked unless Reveal. Every
// export is audited (how many rows, which columns unmasked, why).
func (s *Service) Export(ctx context.Context, actor *accounts.Principal, o ExportOptions, w io.Writer) (int, error) {
	cid := o.Filter.CommunityID
	if !roleMay(actor, cid, mustField("name").Export) {
		if _, _, ok := scope(actor, cid); !ok {
			return 0, apperr.NotFoundErr()
		}
		return 0, apperr.ForbiddenErr()
	}
	var revealed []string
	if o.Reveal {
		if n := utf8.RuneCountInString(strings.TrimSpace(o.Reason)); n < 2 || n > 200 {
			return 0, apperr.New(apperr.Invalid, "error.invalid").Field("reason", "registry.reason.required", nil)
		}
		for _, f := range Fields {
			if f.Sensitivity >= Personal && roleMay(actor, cid, f.Reveal) {
				revealed = append(revealed, f.Name)
			}
		}
	}
	if o.Format != sheets.XLSX && o.Format != sheets.CSV {
		return 0, apperr.New(apperr.Invalid, "error.invalid").Field("format", "registry.format.invalid", nil)
	}
	sw, err := sheets.NewWriter(o.Format, w)
	if err != nil {
		return 0, fmt.Errorf("registry: export: %w", err)
	}
	head := make([]string, len(SheetColumns))
	for i, c := range SheetColumns {
		head[i] = c.Names[0]
	}
	if err := sw.WriteHeader(head); err != nil {
		return 0, err
	}
	f := o.Filter
	f.Limit, f.Offset = 500, 0
	n := 0
	for {
		rows, err := s.exportPage(ctx, actor, f, revealed)
		if err != nil {
			return n, err
		}
		for _, r := range rows {
			if err := sw.WriteRow(r); err != nil {
				return n, err
			}
		}
		n += len(rows)
		if len(rows) < f.Limit {
			break
		}
		f.Offset += f.Limit
	}
	if err := sw.Close(); err != nil {
		return n, err
	}
	e := actor.Audit(s.clock.Now(), "registry.export", cid)
	e.ObjectType, e.ObjectID, e.Fields = "residents", fmt.Sprint(n), revealed
	e.Detail = strings.TrimSpace(o.Reason)
	if err := audit.Record(ctx, s.db, e); err != nil {
		return n, err
	}
	return n, nil
}

// exportPage loads one page of residents as sheet rows.
func (s *Service) exportPage(ctx context.Context, actor *accounts.Principal, f Filter, revealed []string) ([][]string, error) {
	cond, args, ok := scope(actor, f.CommunityID)
	if !ok {
		return nil, apperr.NotFoundErr()
	}
	where := cond
	if !f.IncludeMovedOut {
		where += " AND r.moved_out_at IS NULL"
	}
	if f.GridID != 0 {
		where, args = where+" AND b.grid_id = ?", append(args, f.GridID)
	}
	if f.BuildingID != 0 {
		where, args = where+" AND b.id = ?", append(args, f.BuildingID)
	}
	if f.Tag != "" {
		where += " AND EXISTS (SELECT 1 FROM resident_tags t WHERE t.resident_id = r.id AND t.token = ?)"
		args = append(args, sealer{s.keys, f.CommunityID}.tagToken(f.Tag))
	}
	q := `SELECT ` + residentColumns + `, e.name, b.number, u.number, h.room` + residentJoins + ` WHERE ` + where +
		` ORDER BY e.name, length(b.number), b.number, u.number, length(h.room), h.room, r.id LIMIT ? OFFSET ?`
	rows, err := s.db.Query(ctx, q, append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, fmt.Errorf("registry: export page: %w", err)
	}
	defer rows.Close()
	now := s.clock.Now()
	var out [][]string
	for rows.Next() {
		var r record
		var estate, building, unit, room string
		if err := rows.Scan(&r.id, &r.cid, &r.householdID, &r.address, &r.name, &r.gender, &r.birth, &r.child,
			&r.docType, &r.relation, &r.party, &r.movedIn, &r.movedOut, &r.idEnc, &r.phoneEnc, &r.tagsEnc,
			&r.notesEnc, &r.childEnc, &r.gridID, &estate, &building, &unit, &room); err != nil {
			return nil, fmt.Errorf("registry: export scan: %w", err)
		}
		v, err := s.view(&r, now, revealed)
		if err != nil {
			return nil, err
		}
		gender := map[string]string{"M": "男", "F": "女"}[v.Gender]
		out = append(out, []string{estate, building, unit, room, v.Name, gender, DocTypeNames[v.DocType], v.IDNumber, v.Phone,
			v.BirthDate, v.Relation, strings.Join(v.Tags, "、"), v.Notes})
	}
	return out, rows.Err()
}

// DocTypeNames are the document types as a sheet writes them.
var DocTypeNames = map[string]string{
	idcard.DocIDCard: "居民身份证", idcard.DocPassport: "护照", idcard.DocHKMOPermit: "港澳居民来往内地通行证",
	idcard.DocTWPermit: "台湾居民来往大陆通行证", idcard.DocForeignPermanent: "外国人永久居留身份证", idcard.DocOther: "其他证件",
}

// docTypeFromSheet reads a document type cell: the Chinese name, the
// code, or "身份证"; empty means an ID card when a number is given.
func docTypeFromSheet(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", true
	}
	if s == "身份证" {
		return idcard.DocIDCard, true
	}
	for code, name := range DocTypeNames {
		if s == name || strings.EqualFold(s, code) {
			return code, true
		}
	}
	return "", false
}

// splitTags reads a tags cell: 、，, ; and spaces all separate.
func splitTags(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == '、' || r == ',' || r == '，' || r == ';' || r == '；' || r == ' ' || r == '\u3000'
	})
}
