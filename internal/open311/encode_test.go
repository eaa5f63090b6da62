package open311

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"testing"
)

// TestAppendDocsMatchesStandardEncoders holds the direct encoder to the
// bytes encoding/json and encoding/xml write for the same documents:
// every field empty, every field full, and text that needs escaping.
func TestAppendDocsMatchesStandardEncoders(t *testing.T) {
	tricky := "a<b>&\"c\\d'\n\r\t\b\f\x01\x1f é 楼 \u2028\u2029 \xff end"
	full := requestDoc{ID: "2026-000123", Status: "closed", StatusNotes: "重复件", ServiceName: "供暖", ServiceCode: "heating",
		Description: null(tricky), AgencyResponsible: "热力公司 & Co", ServiceNotice: "<b>", Requested: "2026-11-28T09:00:00+08:00",
		Updated: "2026-11-29T09:00:00+08:00", Expected: "2026-12-01T09:00:00+08:00", Address: "建胜路小区5号楼", AddressID: "42",
		Zipcode: "100000", Lat: "39.912345", Long: "-116.4", MediaURL: "https://example.org/a?b=1&c=2"}
	for _, docs := range [][]requestDoc{{}, {{}}, {full}, {full, {ID: tricky, Status: "open"}, full}} {
		for _, f := range []string{"json", "xml"} {
			var want bytes.Buffer
			if f == "json" {
				if err := json.NewEncoder(&want).Encode(docs); err != nil {
					t.Fatal(err)
				}
			} else {
				out, err := xml.Marshal(xmlRequests[requestDoc]{Items: docs})
				if err != nil {
					t.Fatal(err)
				}
				want.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
				want.Write(out)
			}
			var got bytes.Buffer
			appendDocs(&got, f, docs)
			if got.String() != want.String() {
				t.Errorf("%s, %d docs:\n got %s\nwant %s", f, len(docs), got.String(), want.String())
			}
		}
	}
}
