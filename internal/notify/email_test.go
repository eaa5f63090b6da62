package notify_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"mime"
	"net"
	"net/mail"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/notify"
	"github.com/linli/linli/internal/testkit/dbtest"
)

// smtpServer is just enough of RFC 5321 for net/smtp to hand over a
// message: no TLS, no auth. It refuses RCPT for the address in reject.
type smtpServer struct {
	port   int
	reject string

	mu   sync.Mutex
	msgs []smtpMessage
}

type smtpMessage struct {
	from, to string
	data     []byte
}

func startSMTP(t *testing.T, reject string) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	t.Cleanup(func() { ln.Close() })
	s := &smtpServer{port: ln.Addr().(*net.TCPAddr).Port, reject: reject}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func angle(line string) string {
	i, j := strings.IndexByte(line, '<'), strings.LastIndexByte(line, '>')
	if i < 0 || j < i {
		return ""
	}
	return line[i+1 : j]
}

func (s *smtpServer) serve(nc net.Conn) {
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	c := textproto.NewConn(nc)
	reply := func(line string) { _ = c.PrintfLine("%s", line) }
	reply("220 test.local ESMTP")
	var m smtpMessage
	for {
		line, err := c.ReadLine()
		if err != nil {
			return
		}
		verb, _, _ := strings.Cut(strings.ToUpper(line), " ")
		switch verb {
		case "EHLO", "HELO":
			reply("250-test.local")
			reply("250 8BITMIME")
		case "MAIL":
			m = smtpMessage{from: angle(line)}
			reply("250 ok")
		case "RCPT":
			if angle(line) == s.reject {
				reply("550 5.1.1 no such mailbox")
				continue
			}
			m.to = angle(line)
			reply("250 ok")
		case "DATA":
			reply("354 go ahead")
			data, err := c.ReadDotBytes()
			if err != nil {
				return
			}
			m.data = data
			s.mu.Lock()
			s.msgs = append(s.msgs, m)
			s.mu.Unlock()
			reply("250 queued")
		case "RSET":
			m = smtpMessage{}
			reply("250 ok")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 not implemented")
		}
	}
}

func (s *smtpServer) got() []smtpMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smtpMessage(nil), s.msgs...)
}

func TestEmailDelivery(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := setup(t, d)
		srv := startSMTP(t, "gone@example.org")
		s := w.service(notify.Config{BaseURL: "https://linli.example.org", SMTP: &notify.SMTPConfig{
			Host: "127.0.0.1", Port: srv.port, From: "邻里平台 <noreply@linli.example.org>", Timeout: 5 * time.Second,
		}})
		r := w.runner(s)
		title := "社区活动提醒：周六上午九点在社区服务中心举办义诊活动，请准时参加，谢谢大家的支持与配合"
		w.send(t, s, notify.Notification{CommunityID: w.cid, AccountID: w.alice.AccountID, EventID: "activity.reminder:7:alice",
			Kind: "activity.reminder", Title: title, Body: "请带好身份证。", Link: "/activities/7"})
		// Bob has no address: no e-mail job at all.
		w.send(t, s, notify.Notification{AccountID: w.bob.AccountID, EventID: "bob:1", Kind: "k", Title: "t"})
		var n int
		must(t, d.QueryRow(ctx, `SELECT count(*) FROM jobs WHERE kind = ?`, notify.KindEmail).Scan(&n))
		if n != 1 {
			t.Fatalf("%d e-mail jobs, want 1", n)
		}

		runDue(t, r, 1)
		msgs := srv.got()
		if len(msgs) != 1 || msgs[0].from != "noreply@linli.example.org" || msgs[0].to != "alice@example.org" {
			t.Fatalf("messages %+v", msgs)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(msgs[0].data))
		must(t, err)
		for _, line := range strings.Split(string(msgs[0].data), "\n") {
			if len(line) > 78 {
				t.Errorf("line of %d characters: %q", len(line), line)
			}
		}
		subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		if err != nil || subject != title {
			t.Fatalf("subject %q decodes to %q (%v)", msg.Header.Get("Subject"), subject, err)
		}
		to, err := msg.Header.AddressList("To")
		if err != nil || len(to) != 1 || to[0].Name != "张三" || to[0].Address != "alice@example.org" {
			t.Fatalf("To %v (%v)", to, err)
		}
		if msg.Header.Get("Content-Transfer-Encoding") != "base64" || !strings.Contains(msg.Header.Get("Content-Type"), "utf-8") {
			t.Fatalf("headers %v", msg.Header)
		}
		raw, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, msg.Body))
		must(t, err)
		if body := string(raw); !strings.Contains(body, "请带好身份证。") || !strings.Contains(body, "https://linli.example.org/activities/7") {
			t.Fatalf("body %q", body)
		}
		if st, _, _ := jobStatus(t, d, notify.KindEmail); st != "done" {
			t.Fatalf("e-mail job %s", st)
		}
	})
}

// A mailbox the server rejects (5xx) is not retried five times.
func TestEmailRejectedAddressFailsAtOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		srv := startSMTP(t, "gone@example.org")
		gone := account(t, d, "gone", "王五", "gone@example.org", accounts.Grant{Role: accounts.Volunteer, CommunityID: w.cid})
		s := w.service(notify.Config{SMTP: &notify.SMTPConfig{Host: "127.0.0.1", Port: srv.port, From: "noreply@linli.example.org"}})
		r := w.runner(s)
		w.send(t, s, notify.Notification{AccountID: gone.AccountID, EventID: "e:" + strconv.FormatInt(gone.AccountID, 10), Kind: "k", Title: "标题"})
		runDue(t, r, 1)
		st, attempts, msg := jobStatus(t, d, notify.KindEmail)
		if st != "failed" || attempts != 1 || !strings.Contains(msg, "550") {
			t.Fatalf("rejected address: %s after %d, %q", st, attempts, msg)
		}
		if len(srv.got()) != 0 {
			t.Fatal("a message was accepted")
		}
	})
}
