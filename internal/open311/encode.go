package open311

// A list of up to 1,000 requests is the largest answer this endpoint
// gives, and encoding/json and encoding/xml spend most of their time on
// reflection and on a MarshalJSON call (and its allocations) per
// optional field. appendDocs writes the same bytes directly; a test
// (encode_test.go) holds it to the standard encoders' output for every
// field, empty and full, and for text that needs escaping.

import (
	"bytes"
	"encoding/xml"
	"unicode/utf8"
)

// docFields are the fields of a requestDoc in the order the struct
// declares them (the order both standard encoders write).
var docFields = [...]string{"service_request_id", "status", "status_notes", "service_name", "service_code", "description",
	"agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime", "address",
	"address_id", "zipcode", "lat", "long", "media_url"}

// values lists d's fields in docFields' order; nullable says whether an
// empty value is JSON null, raw whether it is a JSON number.
func (d *requestDoc) values(f func(v string, nullable, raw bool)) {
	f(d.ID, false, false)
	f(d.Status, false, false)
	f(string(d.StatusNotes), true, false)
	f(d.ServiceName, false, false)
	f(d.ServiceCode, false, false)
	f(string(d.Description), true, false)
	f(string(d.AgencyResponsible), true, false)
	f(string(d.ServiceNotice), true, false)
	f(d.Requested, false, false)
	f(d.Updated, false, false)
	f(string(d.Expected), true, false)
	f(string(d.Address), true, false)
	f(string(d.AddressID), true, false)
	f(string(d.Zipcode), true, false)
	f(string(d.Lat), true, true)
	f(string(d.Long), true, true)
	f(string(d.MediaURL), true, false)
}

// appendDocs writes docs as GET requests answers them: a JSON array
// (with the newline json.Encoder ends with) or the service_requests XML
// document with its declaration.
func appendDocs(buf *bytes.Buffer, format string, docs []requestDoc) {
	if format == "json" {
		buf.WriteByte('[')
		for i := range docs {
			if i > 0 {
				buf.WriteByte(',')
			}
			k := 0
			docs[i].values(func(v string, nullable, raw bool) {
				if k == 0 {
					buf.WriteByte('{')
				} else {
					buf.WriteByte(',')
				}
				buf.WriteByte('"')
				buf.WriteString(docFields[k])
				buf.WriteString(`":`)
				switch {
				case nullable && v == "":
					buf.WriteString("null")
				case raw:
					buf.WriteString(v)
				default:
					buf.Write(appendJSONString(buf.AvailableBuffer(), v))
				}
				k++
			})
			buf.WriteByte('}')
		}
		buf.WriteString("]\n")
		return
	}
	buf.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n<service_requests>")
	for i := range docs {
		buf.WriteString("<request>")
		k := 0
		docs[i].values(func(v string, _, _ bool) {
			buf.WriteByte('<')
			buf.WriteString(docFields[k])
			buf.WriteByte('>')
			_ = xml.EscapeText(buf, []byte(v)) // a bytes.Buffer does not fail
			buf.WriteString("</")
			buf.WriteString(docFields[k])
			buf.WriteByte('>')
			k++
		})
		buf.WriteString("</request>")
	}
	buf.WriteString("</service_requests>")
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted as encoding/json writes it with its
// default HTML escaping: <, > and & as \u003c.., control characters,
// invalid UTF-8 as \ufffd, and U+2028 and U+2029 escaped.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case c == '\u2028' || c == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
