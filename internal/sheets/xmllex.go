package sheets

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// xmlLexer splits a worksheet part into the tokens sheetScanner needs —
// start tags with their attributes, end tags, and character data — as
// encoding/xml's RawToken would, at a fraction of its cost: no token is
// allocated, names and text are slices of a buffer that the next call
// reuses. A self-closing tag is a start then an end. Comments, processing
// instructions and declarations are skipped. Entities are decoded in
// character data and attribute values. Malformed markup is an error, as
// with encoding/xml in its default strict mode; end tags are not matched
// against start tags (RawToken does not match them either).
type xmlLexer struct {
	r     *bufio.Reader
	kind  xmlKind
	name  []byte    // local name of a start or end tag
	attrs []xmlAttr // of a start tag
	text  []byte    // character data, raw (see textValue) except CDATA
	tag   []byte    // the current tag, between < and >
	own   []byte    // x.tag's storage when a tag is copied
	buf   []byte    // text being decoded
	self  bool      // the start tag closed itself: an end follows
	cdata bool      // text is a CDATA section, taken as it is
}

type xmlKind int

const (
	xmlStart xmlKind = iota + 1
	xmlEnd
	xmlText
)

type xmlAttr struct {
	local []byte
	value []byte
}

func newXMLLexer(r io.Reader) *xmlLexer {
	return &xmlLexer{r: bufio.NewReaderSize(r, 64<<10)}
}

var errXMLSyntax = errors.New("xml: syntax error")

func xmlErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errXMLSyntax}, args...)...)
}

// next reads the next token; io.EOF at a clean end.
func (x *xmlLexer) next() error {
	x.cdata = false
	if x.self {
		x.self, x.kind, x.attrs = false, xmlEnd, x.attrs[:0]
		return nil
	}
	for {
		b, err := x.r.ReadByte()
		if err != nil {
			return err
		}
		if b != '<' {
			x.r.UnreadByte()
			if err := x.readText(); err != nil {
				return err
			}
			x.kind = xmlText
			return nil
		}
		skip, err := x.readTag()
		if err != nil {
			return err
		}
		if !skip {
			return nil
		}
	}
}

// readText reads character data up to the next '<' (or the end). Text
// that is whole in the read buffer is not copied.
func (x *xmlLexer) readText() error {
	chunk, err := x.r.ReadSlice('<')
	if err == nil {
		x.r.UnreadByte()
		x.text = chunk[:len(chunk)-1]
		return nil
	}
	x.buf = append(x.buf[:0], chunk...)
	for {
		if errors.Is(err, io.EOF) {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return err
		}
		chunk, err = x.r.ReadSlice('<')
		if err == nil {
			x.buf = append(x.buf, chunk[:len(chunk)-1]...)
			x.r.UnreadByte()
			break
		}
		x.buf = append(x.buf, chunk...)
	}
	x.text = x.buf
	return nil
}

// readTag reads what follows a '<'. skip: a comment, processing
// instruction or declaration, which is no token.
func (x *xmlLexer) readTag() (skip bool, err error) {
	b, err := x.r.ReadByte()
	if err != nil {
		return false, unexpected(err)
	}
	switch b {
	case '?':
		return true, x.skipPast("?>")
	case '!':
		head, err := x.r.Peek(2)
		if err == nil && string(head) == "--" {
			x.r.Discard(2)
			return true, x.skipPast("-->")
		}
		if head, err := x.r.Peek(7); err == nil && string(head) == "[CDATA[" {
			x.r.Discard(7)
			if err := x.readUntil("]]>"); err != nil {
				return false, err
			}
			x.kind, x.text, x.cdata = xmlText, x.buf, true
			return false, nil
		}
		return true, x.skipDirective()
	case '/':
		if err := x.readTagBody(); err != nil {
			return false, err
		}
		name := trimSpaceRight(x.tag)
		if !validName(name) {
			return false, xmlErr("invalid end tag </%s>", name)
		}
		x.kind, x.name, x.attrs = xmlEnd, local(name), x.attrs[:0]
		return false, nil
	}
	x.r.UnreadByte()
	if err := x.readTagBody(); err != nil {
		return false, err
	}
	t := x.tag
	if n := len(t); n > 0 && t[n-1] == '/' {
		x.self, t = true, t[:n-1]
	}
	i := 0
	for i < len(t) && !isSpace(t[i]) {
		i++
	}
	if !validName(t[:i]) {
		return false, xmlErr("invalid tag <%s>", t[:i])
	}
	x.kind, x.name, x.attrs = xmlStart, local(t[:i]), x.attrs[:0]
	for t = t[i:]; ; {
		t = trimSpaceLeft(t)
		if len(t) == 0 {
			return false, nil
		}
		eq := bytes.IndexByte(t, '=')
		if eq < 0 {
			return false, xmlErr("attribute without a value in <%s>", x.name)
		}
		name := trimSpaceRight(t[:eq])
		if !validName(name) {
			return false, xmlErr("invalid attribute name %q", name)
		}
		t = trimSpaceLeft(t[eq+1:])
		if len(t) == 0 || (t[0] != '"' && t[0] != '\'') {
			return false, xmlErr("unquoted attribute value in <%s>", x.name)
		}
		end := bytes.IndexByte(t[1:], t[0])
		if end < 0 {
			return false, xmlErr("unclosed attribute value in <%s>", x.name)
		}
		raw := t[1 : 1+end]
		if bytes.IndexByte(raw, '<') >= 0 {
			return false, xmlErr("'<' in an attribute value")
		}
		value := raw
		if bytes.IndexByte(raw, '&') >= 0 {
			if value, err = unescapeXML(raw, false); err != nil {
				return false, err
			}
		}
		x.attrs = append(x.attrs, xmlAttr{local(name), value})
		t = t[1+end+1:] // encoding/xml wants no space before the next one either
	}
}

// readTagBody reads up to the '>' that closes a tag, past any '>' inside
// a quoted attribute value, into x.tag (without the '>'). A tag that is
// whole in the read buffer is not copied: x.tag, and the name and
// attributes taken from it, are then slices of the buffer, valid until
// the next read.
func (x *xmlLexer) readTagBody() error {
	var quote byte
	copied := false
	for {
		chunk, err := x.r.ReadSlice('>')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return unexpected(err)
		}
		for _, b := range chunk {
			switch {
			case quote != 0:
				if b == quote {
					quote = 0
				}
			case b == '"' || b == '\'':
				quote = b
			case b == '<':
				return xmlErr("'<' inside a tag")
			}
		}
		done := err == nil && quote == 0
		if done {
			chunk = chunk[:len(chunk)-1]
			if !copied {
				x.tag = chunk
				return nil
			}
		}
		if !copied {
			x.tag = append(x.own[:0], chunk...)
			copied = true
		} else {
			x.tag = append(x.tag, chunk...)
		}
		if done {
			x.own = x.tag
			return nil
		}
		// Either the buffer is full or the '>' is quoted, part of the tag.
	}
}

// skipDirective skips a <!...> declaration as encoding/xml does: the
// first byte after "<!" is taken whatever it is, and neither a quoted '>'
// nor one closing a nested <...> ends it.
func (x *xmlLexer) skipDirective() error {
	if _, err := x.r.ReadByte(); err != nil {
		return unexpected(err)
	}
	var quote byte
	depth := 0
	for {
		b, err := x.r.ReadByte()
		if err != nil {
			return unexpected(err)
		}
		if quote == 0 && b == '>' && depth == 0 {
			return nil
		}
		switch {
		case b == quote:
			quote = 0
		case quote != 0:
		case b == '\'' || b == '"':
			quote = b
		case b == '>':
			depth--
		case b == '<':
			if p, err := x.r.Peek(3); err == nil && string(p) == "!--" {
				x.r.Discard(3)
				if err := x.skipPast("-->"); err != nil {
					return err
				}
				continue
			}
			depth++
		}
	}
}

// skipPast discards input up to and including end.
func (x *xmlLexer) skipPast(end string) error {
	if err := x.readUntil(end); err != nil {
		return err
	}
	return nil
}

// readUntil reads up to end into x.buf (without end).
func (x *xmlLexer) readUntil(end string) error {
	x.buf = x.buf[:0]
	last := end[len(end)-1]
	for {
		chunk, err := x.r.ReadSlice(last)
		x.buf = append(x.buf, chunk...)
		if err == nil {
			if bytes.HasSuffix(x.buf, []byte(end)) {
				x.buf = x.buf[:len(x.buf)-len(end)]
				return nil
			}
			continue
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return unexpected(err)
	}
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// textValue is the current character data with entities decoded: only
// the text the scanner keeps is decoded (and checked).
func (x *xmlLexer) textValue() ([]byte, error) {
	if x.cdata {
		return x.text, nil
	}
	if bytes.IndexByte(x.text, '&') < 0 && bytes.IndexByte(x.text, '\r') < 0 {
		return x.text, nil
	}
	return unescapeXML(x.text, true)
}

// attr returns the value of the attribute with the given local name, the
// last one if there are several (as excelize takes it), or nil.
func (x *xmlLexer) attr(name string) []byte {
	var v []byte
	for _, a := range x.attrs {
		if string(a.local) == name {
			v = a.value
		}
	}
	return v
}

// local drops a namespace prefix, as encoding/xml's Name.Local.
func local(name []byte) []byte {
	if i := bytes.IndexByte(name, ':'); i > 0 && i+1 < len(name) {
		return name[i+1:]
	}
	return name // ":x" and "x:" are local names whole, as in encoding/xml
}

func trimSpaceLeft(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	return b
}

func trimSpaceRight(b []byte) []byte {
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

// validName accepts what encoding/xml accepts as a name, for ASCII; any
// non-ASCII letter is let through.
func validName(n []byte) bool {
	if len(n) == 0 || bytes.Count(n, []byte{':'}) > 1 {
		return false
	}
	for i, c := range n {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c == ':', c >= 0x80:
		case i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// unescapeXML returns s with entities decoded (and, in text, CR LF and
// lone CR turned into LF, as XML requires), in a new slice.
func unescapeXML(s []byte, text bool) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\r' && text:
			out = append(out, '\n')
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
		case c == '&':
			semi := bytes.IndexByte(s[i:], ';')
			if semi < 0 {
				return nil, xmlErr("unterminated entity")
			}
			ent := s[i+1 : i+semi]
			switch string(ent) {
			case "amp":
				out = append(out, '&')
			case "lt":
				out = append(out, '<')
			case "gt":
				out = append(out, '>')
			case "quot":
				out = append(out, '"')
			case "apos":
				out = append(out, '\'')
			default:
				if len(ent) < 2 || ent[0] != '#' {
					return nil, xmlErr("unknown entity &%s;", ent)
				}
				var n uint64
				var err error
				if ent[1] == 'x' {
					n, err = strconv.ParseUint(string(ent[2:]), 16, 32)
				} else {
					n, err = strconv.ParseUint(string(ent[1:]), 10, 32)
				}
				if err != nil || !utf8.ValidRune(rune(n)) {
					return nil, xmlErr("invalid character entity &%s;", ent)
				}
				out = utf8.AppendRune(out, rune(n))
			}
			i += semi
		default:
			out = append(out, c)
		}
	}
	return out, nil
}
