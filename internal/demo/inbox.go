package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/linli/linli/internal/calendar"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/notify"
)

// lastSaturday is the children's team's meeting day (RRULE
// FREQ=MONTHLY;BYDAY=-1SA) in the month of t.
func lastSaturday(t time.Time) time.Time {
	d := time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, clock.Shanghai).AddDate(0, 0, -1)
	for d.Weekday() != time.Saturday {
		d = d.AddDate(0, 0, -1)
	}
	return d
}

// calendarAndInbox loads the State Council's holiday arrangements into the
// demo calendar and puts the week's messages in the demo users' inboxes,
// dated relative to the anchor day so the demo always looks current.
func calendarAndInbox(ctx context.Context, s *Seeder, tx *db.Tx) error {
	if err := s.ids(ctx, tx); err != nil {
		return err
	}
	if _, err := calendar.SeedChina(ctx, tx, s.CommunityID, s.Anchor); err != nil {
		return fmt.Errorf("demo: holidays: %w", err)
	}
	if s.Notify == nil {
		return nil
	}
	day := s.Anchor.In(clock.Shanghai)
	sat := lastSaturday(day)
	if sat.Before(day.Truncate(24 * time.Hour)) {
		sat = lastSaturday(day.AddDate(0, 1, 0))
	}
	satText := fmt.Sprintf("%d月%d日（周六）", sat.Month(), sat.Day())
	type msg struct {
		to, kind, title, body, link string
		ago                         time.Duration
		read                        bool
	}
	msgs := []msg{
		{"admin", "system.welcome", "欢迎使用邻里", "建胜路社区的志愿服务网络已开通。请在「账号管理」中为社工、网格员和服务队队长开通账号。", "/users", 72 * time.Hour, true},
		{"admin", "calendar.updated", "工作日历已载入法定节假日安排", "已按国务院办公厅通知载入节假日和调休上班日，办理时限将按工作日计算。", "/calendar", 70 * time.Hour, false},
		{"worker", "system.welcome", "欢迎使用邻里", "您好，王芳。居民档案、活动、诉求等功能将陆续上线，使用中有问题请联系社区管理员。", "/", 71 * time.Hour, true},
		{"worker", "heating.notice", "桥西区供热公司：本周供暖设施巡检安排", "供热公司将于本周对平安小区、建胜里各楼栋供暖管道进行入冬巡检，请提醒楼院管家配合入户。", "", 26 * time.Hour, false},
		{"worker", "calendar.updated", "元旦假期安排已更新", "元旦放假安排已载入工作日历，诉求办理时限自动顺延。", "/calendar", 5 * time.Hour, false},
		{"grid", "visit.reminder", "本月走访提醒", "请于月底前完成第一网格独居老人的入户走访，并记录民意上门听、困难上门帮等情况。", "", 30 * time.Hour, false},
		{"leader", "activity.reminder", "五彩益童心梦 本月活动：" + satText, satText + "下午2:00在社区活动室开展手工灯笼制作，请提前确认报名人数（5-14岁）。", "", 20 * time.Hour, false},
		{"volunteer", "activity.reminder", "五彩益童心梦 志愿者招募：" + satText, "本月最后一个周六的儿童手工活动需要2名成人志愿者协助，欢迎报名。", "", 20 * time.Hour, false},
		{"resident", "system.welcome", "欢迎您，陈秀英", "有困难可以在这里找社区，字太小可以点右上角「大字模式」。", "/settings", 48 * time.Hour, false},
		{"partner", "system.welcome", "欢迎使用邻里", "社区派给供热公司的诉求将在这里通知您，请在时限内回复处理结果。", "/", 50 * time.Hour, true},
		{"street", "system.welcome", "欢迎使用邻里", "东风街道可在此查看辖区社区的志愿服务汇总。", "/", 50 * time.Hour, true},
	}
	for i, m := range msgs {
		var uid int64
		if err := tx.QueryRow(ctx, `SELECT id FROM accounts WHERE username = ?`, m.to).Scan(&uid); err != nil {
			return fmt.Errorf("demo: recipient %s: %w", m.to, err)
		}
		cid := s.CommunityID
		if m.to == "street" {
			cid = 0
		}
		id, _, err := s.Notify.Send(ctx, tx, notify.Notification{CommunityID: cid, AccountID: uid,
			EventID: fmt.Sprintf("demo:%d:%s", i, m.to), Kind: m.kind, Title: m.title, Body: m.body, Link: m.link})
		if err != nil {
			return err
		}
		at := s.Anchor.Add(-m.ago).UTC()
		var readAt any
		if m.read {
			readAt = at.Add(2 * time.Hour)
		}
		// Back-date the demo messages so the inbox reads like a week.
		if _, err := tx.Exec(ctx, `UPDATE notifications SET created_at = ?, read_at = ? WHERE id = ?`, at, readAt, id); err != nil {
			return fmt.Errorf("demo: date message: %w", err)
		}
	}
	return nil
}

// ids looks up what the foundation step made, for steps that run in a
// later start than the foundation.
func (s *Seeder) ids(ctx context.Context, q db.Querier) error {
	if s.CommunityID != 0 {
		return nil
	}
	if err := q.QueryRow(ctx, `SELECT id, street_id FROM communities WHERE code = 'jsl'`).Scan(&s.CommunityID, &s.StreetID); err != nil {
		return fmt.Errorf("demo: find the demo community: %w", err)
	}
	return nil
}
