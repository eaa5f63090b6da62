package hours

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/sheets"
)

// ExportColumns are the columns of the sheet for the national volunteer
// system (全国志愿服务信息系统), one service record a row: the volunteer
// as registered (办法 第五条) and the record's statutory fields (第七条).
var ExportColumns = []string{"志愿者姓名", "证件类型", "证件号码", "志愿者编号", "活动名称", "服务日期", "开始时间", "结束时间",
	"服务时长（小时）", "服务地点", "服务内容", "活动组织单位", "活动负责人", "服务类别", "记录方式", "记录时间"}

var capturedNames = map[string]string{CapturedCheckin: "扫码签到", CapturedRoster: "签到表", CapturedBackfill: "补录（已确认）"}

// Export writes the counted service records between from and to (service
// dates, inclusive) as a sheet for upload to the national system. It
// prints ID numbers, which that system matches on, so only the office may
// export, with a reason; the export is audited once with its row count.
func (s *Service) Export(ctx context.Context, actor *accounts.Principal, cid int64, from, to, reason string, format sheets.Format, w io.Writer) (int, error) {
	acc, err := s.vol.AccessOf(ctx, actor, cid)
	if err != nil {
		return 0, err
	}
	if err := acc.RequireOffice(); err != nil {
		return 0, err
	}
	var v apperr.Validation
	if !validDay(from) {
		v.Add("from", "record.date.invalid", nil)
	}
	if !validDay(to) || to < from {
		v.Add("to", "cert.period.invalid", nil)
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(reason)); n < 2 || n > 200 {
		v.Add("reason", "registry.reason.required", nil)
	}
	if format != sheets.XLSX && format != sheets.CSV {
		v.Add("format", "registry.format.invalid", nil)
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	rows, err := s.db.Query(ctx, `SELECT r.volunteer_id, r.activity_name, r.service_date, r.started_at, r.ended_at, r.minutes, r.place, r.content,
		r.organiser, r.person_in_charge, r.category, r.captured, r.recorded_at FROM service_records r
		WHERE r.community_id = ? AND r.service_date BETWEEN ? AND ? AND `+Counted+`
		ORDER BY r.service_date, r.started_at, r.id`, cid, from, to)
	if err != nil {
		return 0, fmt.Errorf("hours: export: %w", err)
	}
	type line struct {
		vid                                            int64
		name, date, place, content, org, pic, cat, cap string
		start, end, recorded                           time.Time
		minutes                                        int
	}
	var lines []line
	var ids []int64
	seen := map[int64]bool{}
	for rows.Next() {
		var l line
		if err := rows.Scan(&l.vid, &l.name, &l.date, &l.start, &l.end, &l.minutes, &l.place, &l.content, &l.org, &l.pic, &l.cat, &l.cap, &l.recorded); err != nil {
			rows.Close()
			return 0, fmt.Errorf("hours: export: %w", err)
		}
		lines = append(lines, l)
		if !seen[l.vid] {
			seen[l.vid] = true
			ids = append(ids, l.vid)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	regs, err := s.vol.Registrations(ctx, cid, ids)
	if err != nil {
		return 0, err
	}
	// Audited before the first byte leaves: a failed write still counts
	// as an export of what was read.
	e := actor.Audit(s.clock.Now(), "records.export", cid)
	e.ObjectType, e.ObjectID, e.Fields, e.Detail = "service_records", fmt.Sprint(len(lines)), []string{"name", "id_number"},
		fmt.Sprintf("%s~%s %s: %s", from, to, format, strings.TrimSpace(reason))
	if err := audit.Record(ctx, s.db, e); err != nil {
		return 0, err
	}
	sw, err := sheets.NewWriter(format, w)
	if err != nil {
		return 0, fmt.Errorf("hours: export: %w", err)
	}
	if err := sw.WriteHeader(ExportColumns); err != nil {
		return 0, err
	}
	hm := func(t time.Time) string { return t.In(clock.Shanghai).Format("15:04") }
	for _, l := range lines {
		r := regs[l.vid]
		doc := registry.DocTypeNames[r.DocType]
		if doc == "" {
			doc = r.DocType
		}
		if err := sw.WriteRow([]string{r.Name, doc, r.IDNumber, r.Number, l.name, l.date, hm(l.start), hm(l.end),
			fmt.Sprintf("%.1f", hoursOf(l.minutes)), l.place, l.content, l.org, l.pic, categoryName(l.cat), capturedNames[l.cap],
			l.recorded.In(clock.Shanghai).Format("2006-01-02 15:04")}); err != nil {
			return 0, err
		}
	}
	return len(lines), sw.Close()
}

func validDay(d string) bool {
	_, err := time.Parse(time.DateOnly, d)
	return err == nil
}

// categoryName is the service category as the national system names it.
func categoryName(code string) string {
	return map[string]string{"community": "社区服务", "elderly": "助老", "disabled": "助残", "children": "关爱儿童", "education": "教育培训",
		"health": "医疗卫生", "culture": "文化艺术", "environment": "环境保护", "safety": "平安建设", "emergency": "应急救援",
		"civic": "理论宣讲", "convenience": "便民服务"}[code]
}
