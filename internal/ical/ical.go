// Package ical writes iCalendar (RFC 5545) calendars: what a phone
// subscribes to at /feeds/{token}.ics. It knows one time zone, Asia/Shanghai,
// the zone every Linli community lives in; all local times are written with
// TZID=Asia/Shanghai and the calendar carries its VTIMEZONE, so a phone set
// to another zone still shows the activity at the right instant.
//
// The writer only writes: it does not parse, and it takes recurrence rules
// as given (RRULE text without the "RRULE:" prefix) except for UNTIL, which
// RFC 5545 §3.3.10 requires in UTC when DTSTART has a TZID.
package ical

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/linli/linli/internal/clock"
)

// TZID names the one zone of every local time written.
const TZID = "Asia/Shanghai"

// vtimezone describes Asia/Shanghai: UTC+8 all year, no daylight saving
// since 1991, so one STANDARD block from 1970 covers every date we write.
const vtimezone = "BEGIN:VTIMEZONE\r\n" +
	"TZID:Asia/Shanghai\r\n" +
	"X-LIC-LOCATION:Asia/Shanghai\r\n" +
	"BEGIN:STANDARD\r\n" +
	"DTSTART:19700101T000000\r\n" +
	"TZOFFSETFROM:+0800\r\n" +
	"TZOFFSETTO:+0800\r\n" +
	"TZNAME:CST\r\n" +
	"END:STANDARD\r\n" +
	"END:VTIMEZONE\r\n"

// Calendar is one VCALENDAR.
type Calendar struct {
	ProdID string // e.g. "-//Linli//Activities//ZH"
	Name   string // X-WR-CALNAME, what the phone calls the subscription
	Events []Event
}

// Event is one VEVENT: a single event, the master of a series (RRule
// set), or an override of one date of a series (RecurrenceID set, same
// UID as the master).
type Event struct {
	UID          string
	Stamp        time.Time // DTSTAMP
	Start, End   time.Time
	Summary      string
	Location     string
	Description  string
	URL          string
	RRule        string      // e.g. FREQ=MONTHLY;BYDAY=-1SA; empty: not a series
	ExDates      []time.Time // dates of the series that do not happen (skipped, or moved: see RecurrenceID)
	RecurrenceID time.Time   // the original start of the date an override replaces
}

// Encode writes c in RFC 5545 form: CRLF line ends, lines folded at 75
// octets, text escaped.
func (c *Calendar) Encode(w io.Writer) error {
	var b bytes.Buffer
	line := func(name, value string) {
		b.WriteString(Fold(name + ":" + value))
	}
	line("BEGIN", "VCALENDAR")
	line("VERSION", "2.0")
	line("PRODID", Escape(c.ProdID))
	line("CALSCALE", "GREGORIAN")
	line("METHOD", "PUBLISH")
	if c.Name != "" {
		line("X-WR-CALNAME", Escape(c.Name))
	}
	line("X-WR-TIMEZONE", TZID)
	b.WriteString(vtimezone)
	for i := range c.Events {
		if err := c.Events[i].encode(line); err != nil {
			return err
		}
	}
	line("END", "VCALENDAR")
	_, err := w.Write(b.Bytes())
	return err
}

func (e *Event) encode(line func(name, value string)) error {
	if e.UID == "" {
		return fmt.Errorf("ical: event %q has no UID", e.Summary)
	}
	if !e.End.After(e.Start) {
		return fmt.Errorf("ical: event %s ends before it starts", e.UID)
	}
	line("BEGIN", "VEVENT")
	line("UID", Escape(e.UID))
	line("DTSTAMP", utc(e.Stamp))
	if !e.RecurrenceID.IsZero() {
		line("RECURRENCE-ID;TZID="+TZID, local(e.RecurrenceID))
	}
	line("DTSTART;TZID="+TZID, local(e.Start))
	line("DTEND;TZID="+TZID, local(e.End))
	if e.RRule != "" {
		rule, err := NormalizeRule(e.RRule)
		if err != nil {
			return fmt.Errorf("ical: event %s: %w", e.UID, err)
		}
		line("RRULE", rule)
	}
	for _, x := range e.ExDates {
		line("EXDATE;TZID="+TZID, local(x))
	}
	line("SUMMARY", Escape(e.Summary))
	if e.Location != "" {
		line("LOCATION", Escape(e.Location))
	}
	if e.Description != "" {
		line("DESCRIPTION", Escape(e.Description))
	}
	if e.URL != "" {
		line("URL", clean(e.URL)) // a URI, not TEXT: commas stay as they are
	}
	line("END", "VEVENT")
	return nil
}

func local(t time.Time) string { return t.In(clock.Shanghai).Format("20060102T150405") }
func utc(t time.Time) string   { return t.UTC().Format("20060102T150405Z") }

// NormalizeRule returns an RRULE value ready to write: upper case, without
// an "RRULE:" prefix, with UNTIL in UTC. A date-only or floating UNTIL is
// read in Asia/Shanghai, as the app's own expansion reads it (a date means
// its midnight), so the feed ends where the app's occurrences end.
func NormalizeRule(rule string) (string, error) {
	rule = strings.ToUpper(strings.TrimSpace(rule))
	rule = strings.TrimPrefix(rule, "RRULE:")
	if rule == "" || strings.ContainsAny(rule, "\r\n:") {
		return "", fmt.Errorf("ical: malformed rule %q", rule)
	}
	parts := strings.Split(rule, ";")
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" || v == "" {
			return "", fmt.Errorf("ical: malformed rule part %q", p)
		}
		if k != "UNTIL" {
			continue
		}
		t, err := parseUntil(v)
		if err != nil {
			return "", err
		}
		parts[i] = "UNTIL=" + utc(t)
	}
	return strings.Join(parts, ";"), nil
}

func parseUntil(v string) (time.Time, error) {
	for _, f := range []struct {
		layout string
		loc    *time.Location
	}{{"20060102T150405Z", time.UTC}, {"20060102T150405", clock.Shanghai}, {"20060102", clock.Shanghai}} {
		if t, err := time.ParseInLocation(f.layout, v, f.loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("ical: malformed UNTIL %q", v)
}

// Escape makes s a TEXT value (RFC 5545 §3.3.11): backslash, semicolon
// and comma are escaped, every line break becomes \n, other control
// characters (which TEXT may not hold) are dropped, and invalid UTF-8
// becomes U+FFFD.
func Escape(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			b.WriteString(`\\`)
		case c == ';':
			b.WriteString(`\;`)
		case c == ',':
			b.WriteString(`\,`)
		case c == '\r':
			b.WriteString(`\n`)
			if i+1 < len(s) && s[i+1] == '\n' {
				i++ // CRLF is one break
			}
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\t':
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			// dropped: TEXT excludes the other controls
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// clean drops control characters from a value that is not TEXT (a URI),
// so it cannot break the line it is on.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// MaxLine is the longest a physical line may be, in octets, without its
// CRLF (RFC 5545 §3.1).
const MaxLine = 75

// Fold returns a content line with its CRLF, folded so that no physical
// line is longer than MaxLine octets: a continuation starts with one
// space (which counts), and a fold never falls inside a UTF-8 character,
// so each physical line of a Chinese title is valid UTF-8 on its own.
func Fold(line string) string {
	var b strings.Builder
	limit := MaxLine
	for len(line) > limit {
		cut := limit
		for cut > limit-utf8.UTFMax && !utf8.RuneStart(line[cut]) {
			cut--
		}
		if !utf8.RuneStart(line[cut]) {
			cut = limit // not UTF-8 at all: cut anywhere rather than never
		}
		b.WriteString(line[:cut])
		b.WriteString("\r\n ")
		line = line[cut:]
		limit = MaxLine - 1 // the leading space
	}
	b.WriteString(line)
	b.WriteString("\r\n")
	return b.String()
}
