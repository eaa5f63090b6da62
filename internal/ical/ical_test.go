package ical

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/linli/linli/internal/clock"
)

// unfold and unescape undo Fold and Escape the way a reader does
// (RFC 5545 §3.1 and §3.3.11); they live here, not in the package,
// because Linli never reads a calendar.
func unfold(s string) string { return strings.ReplaceAll(s, "\r\n ", "") }

func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'n', 'N':
				b.WriteByte('\n')
			default:
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// checkLines asserts the physical-line rules on encoded output.
func checkLines(t testing.TB, out string) {
	t.Helper()
	if !strings.HasSuffix(out, "\r\n") {
		t.Fatalf("output does not end in CRLF: %q", out)
	}
	for _, l := range strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n") {
		if len(l) > MaxLine {
			t.Fatalf("line of %d octets: %q", len(l), l)
		}
		if !utf8.ValidString(l) {
			t.Fatalf("a fold split a character: %q", l)
		}
		if strings.ContainsAny(l, "\r\n") {
			t.Fatalf("bare CR or LF in %q", l)
		}
	}
}

func TestEscape(t *testing.T) {
	cases := map[string]string{
		"plain":                    "plain",
		`a\b`:                      `a\\b`,
		"a;b,c":                    `a\;b\,c`,
		"one\ntwo\r\nthree\rfour":  `one\ntwo\nthree\nfour`,
		"tab\tkept, bell\adropped": "tab\tkept\\, bell" + "dropped",
		"灯笼制作，社区活动室；欢迎": "灯笼制作，社区活动室；欢迎", // full-width punctuation is not special
		"bad \xff byte": "bad \uFFFD byte",
	}
	for in, want := range cases {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFoldChinese(t *testing.T) {
	title := strings.Repeat("儿童团每月最后一个周六在社区活动室做手工", 4) // 3 octets a character
	line := "SUMMARY:" + Escape(title)
	out := Fold(line)
	checkLines(t, out)
	if n := strings.Count(out, "\r\n "); n < 3 {
		t.Fatalf("a %d-octet line folded %d times", len(line), n)
	}
	// Every physical line but the last is filled as far as a whole
	// character allows: 73 to 75 octets, never more.
	lines := strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n")
	for _, l := range lines[:len(lines)-1] {
		if len(l) < MaxLine-2 {
			t.Errorf("line of %d octets folded too early: %q", len(l), l)
		}
	}
	if got := unfold(strings.TrimSuffix(out, "\r\n")); got != line {
		t.Fatalf("unfolded:\n%q\nwant\n%q", got, line)
	}
	if got := Fold("SHORT:x"); got != "SHORT:x\r\n" {
		t.Fatalf("short line: %q", got)
	}
	exact := strings.Repeat("a", MaxLine)
	if got := Fold(exact); got != exact+"\r\n" {
		t.Fatalf("a line of exactly 75 octets was folded: %q", got)
	}
	if got := Fold(exact + "b"); got != exact+"\r\n b\r\n" {
		t.Fatalf("76 octets: %q", got)
	}
}

func TestNormalizeRule(t *testing.T) {
	cases := map[string]string{
		"FREQ=MONTHLY;BYDAY=-1SA":                       "FREQ=MONTHLY;BYDAY=-1SA",
		"rrule:freq=weekly;byday=tu":                    "FREQ=WEEKLY;BYDAY=TU",
		"FREQ=MONTHLY;BYDAY=-1SA;UNTIL=20271225T090000": "FREQ=MONTHLY;BYDAY=-1SA;UNTIL=20271225T010000Z",
		"FREQ=MONTHLY;UNTIL=20271225":                   "FREQ=MONTHLY;UNTIL=20271224T160000Z",
		"FREQ=MONTHLY;UNTIL=20271225T010000Z;COUNT=3":   "FREQ=MONTHLY;UNTIL=20271225T010000Z;COUNT=3",
	}
	for in, want := range cases {
		got, err := NormalizeRule(in)
		if err != nil || got != want {
			t.Errorf("NormalizeRule(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "FREQ", "FREQ=DAILY;UNTIL=tomorrow", "FREQ=DAILY\r\nX:1", "FREQ=DAILY;;"} {
		if got, err := NormalizeRule(bad); err == nil {
			t.Errorf("NormalizeRule(%q) = %q, want an error", bad, got)
		}
	}
}

func TestEncode(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, clock.Shanghai)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	stamp := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	c := Calendar{ProdID: "-//Linli//Test//ZH", Name: "建胜社区, 儿童团", Events: []Event{
		{UID: "activity-7@linli.example", Stamp: stamp, Start: at("2025-12-27 09:00"), End: at("2025-12-27 11:00"),
			Summary: "儿童团：手工; 灯笼", Location: "社区活动室", Description: "带剪刀\n带胶水", URL: "https://linli.example/activities/7?a=1,2",
			RRule: "FREQ=MONTHLY;BYDAY=-1SA;UNTIL=20271231", ExDates: []time.Time{at("2026-01-31 09:00"), at("2026-02-28 09:00")}},
		{UID: "activity-7@linli.example", Stamp: stamp, RecurrenceID: at("2026-02-28 09:00"), Start: at("2026-03-01 14:00"), End: at("2026-03-01 16:00"),
			Summary: "儿童团：手工（改期）"},
	}}
	var b bytes.Buffer
	if err := c.Encode(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	checkLines(t, out)
	text := unfold(out)
	for _, want := range []string{
		"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Linli//Test//ZH\r\nCALSCALE:GREGORIAN\r\n",
		"X-WR-CALNAME:建胜社区\\, 儿童团\r\n", "X-WR-TIMEZONE:Asia/Shanghai\r\n",
		"BEGIN:VTIMEZONE\r\nTZID:Asia/Shanghai\r\n", "TZOFFSETFROM:+0800\r\nTZOFFSETTO:+0800\r\nTZNAME:CST\r\n",
		"UID:activity-7@linli.example\r\nDTSTAMP:20261201T080000Z\r\nDTSTART;TZID=Asia/Shanghai:20251227T090000\r\nDTEND;TZID=Asia/Shanghai:20251227T110000\r\n",
		"RRULE:FREQ=MONTHLY;BYDAY=-1SA;UNTIL=20271230T160000Z\r\n",
		"EXDATE;TZID=Asia/Shanghai:20260131T090000\r\nEXDATE;TZID=Asia/Shanghai:20260228T090000\r\n",
		"SUMMARY:儿童团：手工\\; 灯笼\r\n", "LOCATION:社区活动室\r\n", "DESCRIPTION:带剪刀\\n带胶水\r\n",
		"URL:https://linli.example/activities/7?a=1,2\r\n",
		"RECURRENCE-ID;TZID=Asia/Shanghai:20260228T090000\r\nDTSTART;TZID=Asia/Shanghai:20260301T140000\r\n",
		"END:VEVENT\r\nEND:VCALENDAR\r\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("calendar lacks %q\n%s", want, text)
		}
	}
	if n := strings.Count(text, "BEGIN:VEVENT"); n != 2 {
		t.Errorf("%d events, want 2", n)
	}

	bad := Calendar{Events: []Event{{UID: "x", Start: at("2026-01-01 10:00"), End: at("2026-01-01 09:00")}}}
	if err := bad.Encode(&b); err == nil {
		t.Error("an event ending before its start was written")
	}
	bad = Calendar{Events: []Event{{Start: at("2026-01-01 10:00"), End: at("2026-01-01 11:00")}}}
	if err := bad.Encode(&b); err == nil {
		t.Error("an event without a UID was written")
	}
}

// normal is what a TEXT value can carry: line breaks as LF, no other
// controls, valid UTF-8.
func normal(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// FuzzEscapeFold: whatever the text, the written line obeys the line
// rules, and a reader that unfolds and unescapes gets the text back.
func FuzzEscapeFold(f *testing.F) {
	for _, s := range []string{"", "a", "儿童团；手工，灯笼\\", "line\r\nbreak\rmore\n", strings.Repeat("灯", 40), "\xff\xfe\x00;,\\n",
		strings.Repeat("a", 74) + "灯", strings.Repeat("ab", 37) + "🏮🏮", "\u200d\U0001F469\u200d\U0001F467"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Fold("DESCRIPTION:" + Escape(s))
		checkLines(t, out)
		value, ok := strings.CutPrefix(unfold(strings.TrimSuffix(out, "\r\n")), "DESCRIPTION:")
		if !ok {
			t.Fatalf("name lost: %q", out)
		}
		if got, want := unescape(value), normal(s); got != want {
			t.Fatalf("round trip of %q: got %q, want %q", s, got, want)
		}
	})
}
