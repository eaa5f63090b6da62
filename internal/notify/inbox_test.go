package notify_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/notify"
	"github.com/linli/linli/internal/testkit/dbtest"
)

func TestInbox(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := setup(t, d)
		s := w.service(notify.Config{})
		var aliceIDs []int64
		for i := 1; i <= 3; i++ {
			id, created := w.send(t, s, notify.Notification{CommunityID: w.cid, AccountID: w.alice.AccountID,
				EventID: fmt.Sprintf("activity.reminder:%d:account:%d", i, w.alice.AccountID),
				Kind:    "activity.reminder", Title: fmt.Sprintf("活动提醒 %d", i), Link: fmt.Sprintf("/activities/%d", i)})
			if !created {
				t.Fatalf("notification %d not created", i)
			}
			aliceIDs = append(aliceIDs, id)
			w.clock.Advance(time.Minute)
		}
		bobsID, _ := w.send(t, s, notify.Notification{AccountID: w.bob.AccountID, EventID: "bob:1", Kind: "k", Title: "给李四"})

		// The same event again (a retried producer) is a no-op.
		again, created := w.send(t, s, notify.Notification{CommunityID: w.cid, AccountID: w.alice.AccountID,
			EventID: fmt.Sprintf("activity.reminder:1:account:%d", w.alice.AccountID), Kind: "activity.reminder", Title: "重复"})
		if created || again != aliceIDs[0] {
			t.Fatalf("duplicate event: id %d created %v, want %d false", again, created, aliceIDs[0])
		}

		list, total, err := s.List(ctx, w.alice, false, 0, 0)
		if err != nil || total != 3 || len(list) != 3 {
			t.Fatalf("List = %d of %d (%v)", len(list), total, err)
		}
		if list[0].ID != aliceIDs[2] || list[2].Title != "活动提醒 1" || list[0].AccountID != w.alice.AccountID {
			t.Fatalf("List order or content: %+v", list)
		}
		for _, n := range list {
			if n.ID == bobsID || n.AccountID != w.alice.AccountID {
				t.Fatalf("alice sees %+v", n)
			}
		}
		page, total, err := s.List(ctx, w.alice, false, 2, 2)
		if err != nil || total != 3 || len(page) != 1 || page[0].ID != aliceIDs[0] {
			t.Fatalf("second page %+v of %d (%v)", page, total, err)
		}

		if n, err := s.UnreadCount(ctx, w.alice.AccountID); err != nil || n != 3 {
			t.Fatalf("UnreadCount = %d (%v)", n, err)
		}
		// Bob's notification through Alice: not found, and left unread.
		if err := s.MarkRead(ctx, w.alice, bobsID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("MarkRead(other's) = %v", err)
		}
		if n, _ := s.UnreadCount(ctx, w.bob.AccountID); n != 1 {
			t.Fatalf("bob's unread count %d after alice's attempt", n)
		}
		if err := s.MarkRead(ctx, w.alice, 99999); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("MarkRead(missing) = %v", err)
		}
		must(t, s.MarkRead(ctx, w.alice, aliceIDs[1]))
		must(t, s.MarkRead(ctx, w.alice, aliceIDs[1])) // again: fine
		unread, total, err := s.List(ctx, w.alice, true, 10, 0)
		if err != nil || total != 2 || len(unread) != 2 {
			t.Fatalf("unread list %d of %d (%v)", len(unread), total, err)
		}
		for _, n := range unread {
			if n.ID == aliceIDs[1] || !n.ReadAt.IsZero() {
				t.Fatalf("read notification listed as unread: %+v", n)
			}
		}
		if n, err := s.MarkAllRead(ctx, w.alice); err != nil || n != 2 {
			t.Fatalf("MarkAllRead = %d (%v)", n, err)
		}
		if n, _ := s.UnreadCount(ctx, w.alice.AccountID); n != 0 {
			t.Fatalf("unread after MarkAllRead: %d", n)
		}
		if n, _ := s.UnreadCount(ctx, w.bob.AccountID); n != 1 {
			t.Fatalf("MarkAllRead touched bob: %d unread", n)
		}
		if _, _, err := s.List(ctx, nil, false, 0, 0); !apperr.Is(err, apperr.Unauthenticated) {
			t.Fatalf("List(nil) = %v", err)
		}
	})
}

func TestSendRefusesBadNotificationsAndRollsBack(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := setup(t, d)
		s := w.service(notify.Config{})
		good := notify.Notification{AccountID: w.alice.AccountID, EventID: "e1", Kind: "k", Title: "标题"}
		bad := []notify.Notification{
			{EventID: "e", Kind: "k", Title: "t"},
			{AccountID: w.alice.AccountID, Kind: "k", Title: "t"},
			{AccountID: w.alice.AccountID, EventID: "e", Kind: "k", Title: "  "},
			{AccountID: w.alice.AccountID, EventID: "e", Kind: "k", Title: "t", Link: "javascript:alert(1)"},
			{AccountID: w.alice.AccountID, EventID: "e", Kind: "k", Title: "t", Link: "//evil.example/"},
		}
		for _, n := range bad {
			if _, _, err := s.Send(ctx, d, n); err == nil {
				t.Errorf("Send(%+v) succeeded", n)
			}
		}
		boom := errors.New("boom")
		err := d.InTx(ctx, func(tx *db.Tx) error {
			if _, _, err := s.Send(ctx, tx, good); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if n, _ := s.UnreadCount(ctx, w.alice.AccountID); n != 0 {
			t.Fatalf("%d notifications after bad sends and a rollback", n)
		}
	})
}
