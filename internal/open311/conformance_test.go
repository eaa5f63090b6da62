package open311_test

// The conformance suite: a whole Linli on a real HTTP server, on both
// databases, walked through every resource of GeoReport v2 and every
// error case the specification names, in XML (parsed with encoding/xml,
// strict) and JSON (decoded strictly, every field of the spec present
// and no other). The two formats of each answer must carry the same
// values. Every public answer is kept and searched at the end for what
// must never be there: private categories, requester data, phone and ID
// numbers, coordinates finer than 6 decimals.

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/requests"
	"github.com/linli/linli/internal/tenancy"
	"github.com/linli/linli/internal/testkit/server"
)

// The fields of each resource, as the specification lists them.
var (
	requestFields    = []string{"service_request_id", "status", "status_notes", "service_name", "service_code", "description", "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"}
	serviceFields    = []string{"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
	attributeFields  = []string{"variable", "code", "datatype", "required", "datatype_description", "order", "description", "values"}
	createdFields    = []string{"service_request_id", "service_notice", "account_id"}
	tokenFields      = []string{"service_request_id", "token"}
	errorFields      = []string{"code", "description"}
	discoveryFields  = []string{"changeset", "contact", "key_service", "endpoints"}
	endpointFields   = []string{"specification", "url", "changeset", "type", "formats"}
	publicServices   = []string{"repairs", "water", "heating", "electricity", "environment", "safety"}
	privateServices  = []string{"dispute", "benefits", "elderly", "other"}
	w3cWithZone      = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$`)
	fineCoordinate   = regexp.MustCompile(`\d+\.\d{7,}`)
	xmlDeclaration   = `<?xml version="1.0" encoding="utf-8"?>`
	formats          = []string{"xml", "json"}
	privateRequester = []string{"王小明", "13800001111", "138 0000 1111", "wang@example.com", "130102199003071234", "李四", "13911112222", "邻居吵架", "502室", "38.04321234", "114.51486789"}
)

// node is any XML element.
type node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []node     `xml:",any"`
	Text    string     `xml:",chardata"`
}

func (n node) names() []string {
	var out []string
	for _, c := range n.Nodes {
		out = append(out, c.XMLName.Local)
	}
	return out
}

// flat reads a leaf-only element as field → text.
func (n node) flat(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, c := range n.Nodes {
		if len(c.Nodes) > 0 {
			t.Errorf("<%s> inside <%s> has children", c.XMLName.Local, n.XMLName.Local)
		}
		if _, dup := out[c.XMLName.Local]; dup {
			t.Errorf("<%s> twice in <%s>", c.XMLName.Local, n.XMLName.Local)
		}
		out[c.XMLName.Local] = c.Text
	}
	return out
}

func (n node) child(t *testing.T, name string) node {
	t.Helper()
	for _, c := range n.Nodes {
		if c.XMLName.Local == name {
			return c
		}
	}
	t.Fatalf("<%s> has no <%s>", n.XMLName.Local, name)
	return node{}
}

type suite struct {
	t       *testing.T
	s       *server.Server
	public  [][]byte // every answer of the public side, searched at the end
	counted func() int
}

type answer struct {
	status int
	ctype  string
	header http.Header
	body   []byte
}

func (c *suite) do(method, path string, form url.Values) answer {
	c.t.Helper()
	var rd io.Reader
	if form != nil {
		rd = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.s.URL+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	c.public = append(c.public, b)
	return answer{status: resp.StatusCode, ctype: resp.Header.Get("Content-Type"), header: resp.Header, body: b}
}

// parseXML checks the declaration, the content type and that the
// document is well-formed, without namespace or attributes.
func (c *suite) parseXML(a answer, root string) node {
	c.t.Helper()
	if a.ctype != "text/xml; charset=utf-8" {
		c.t.Errorf("Content-Type %q, want text/xml; charset=utf-8", a.ctype)
	}
	if !bytes.HasPrefix(a.body, []byte(xmlDeclaration)) {
		c.t.Errorf("XML does not start with %s: %.80s", xmlDeclaration, a.body)
	}
	var n node
	d := xml.NewDecoder(bytes.NewReader(a.body))
	d.Strict = true
	if err := d.Decode(&n); err != nil {
		c.t.Fatalf("XML: %v\n%s", err, a.body)
	}
	if n.XMLName.Local != root || n.XMLName.Space != "" || len(n.Attrs) > 0 {
		c.t.Fatalf("XML root <%s xmlns=%q %v>, want <%s>", n.XMLName.Local, n.XMLName.Space, n.Attrs, root)
	}
	return n
}

// parseJSON decodes strictly (one value, numbers kept as written).
func (c *suite) parseJSON(a answer) any {
	c.t.Helper()
	if a.ctype != "application/json; charset=utf-8" {
		c.t.Errorf("Content-Type %q, want application/json; charset=utf-8", a.ctype)
	}
	d := json.NewDecoder(bytes.NewReader(a.body))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		c.t.Fatalf("JSON: %v\n%s", err, a.body)
	}
	if d.More() {
		c.t.Fatalf("JSON: more than one value: %s", a.body)
	}
	return v
}

func (c *suite) jsonArray(v any) []map[string]any {
	c.t.Helper()
	arr, ok := v.([]any)
	if !ok {
		c.t.Fatalf("JSON is not an array: %v", v)
	}
	out := []map[string]any{}
	for _, e := range arr {
		m, ok := e.(map[string]any)
		if !ok {
			c.t.Fatalf("JSON array item is not an object: %v", e)
		}
		out = append(out, m)
	}
	return out
}

// text is a JSON value as the XML would write it.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

func keys[M ~map[string]V, V any](m M) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sorted(s []string) []string { s = slices.Clone(s); sort.Strings(s); return s }

func (c *suite) sameFields(what string, got, want []string) {
	c.t.Helper()
	if !slices.Equal(sorted(got), sorted(want)) {
		c.t.Errorf("%s: fields %v, want exactly %v", what, sorted(got), sorted(want))
	}
}

// list fetches a service_requests-like resource in both formats, checks
// the shapes and that both carry the same values, and returns them.
func (c *suite) list(path string, fields []string) []map[string]string {
	c.t.Helper()
	var fromXML, fromJSON []map[string]string
	for _, f := range formats {
		a := c.do("GET", withFormat(path, f), nil)
		if a.status != 200 {
			c.t.Fatalf("GET %s: %d %s", withFormat(path, f), a.status, a.body)
		}
		if f == "xml" {
			root, item := "service_requests", "request"
			if slices.Equal(fields, serviceFields) {
				root, item = "services", "service"
			}
			n := c.parseXML(a, root)
			fromXML = []map[string]string{}
			for _, e := range n.Nodes {
				if e.XMLName.Local != item {
					c.t.Errorf("<%s> in <%s>, want <%s>", e.XMLName.Local, root, item)
				}
				m := e.flat(c.t)
				c.sameFields(path+".xml", keys(m), fields)
				fromXML = append(fromXML, m)
			}
			continue
		}
		fromJSON = []map[string]string{}
		for _, m := range c.jsonArray(c.parseJSON(a)) {
			c.sameFields(path+".json", keys(m), fields)
			row := map[string]string{}
			for k, v := range m {
				row[k] = text(v)
			}
			fromJSON = append(fromJSON, row)
		}
	}
	if len(fromXML) != len(fromJSON) {
		c.t.Fatalf("%s: %d items in XML, %d in JSON", path, len(fromXML), len(fromJSON))
	}
	for i := range fromXML {
		for k, v := range fromXML[i] {
			if fromJSON[i][k] != v {
				c.t.Errorf("%s item %d %s: XML %q, JSON %q", path, i, k, v, fromJSON[i][k])
			}
		}
	}
	return fromJSON
}

// withFormat puts .f before the query of path ("requests?x" → "requests.json?x").
func withFormat(path, f string) string {
	p, q, ok := strings.Cut(path, "?")
	if ok {
		return p + "." + f + "?" + q
	}
	return p + "." + f
}

// fails sends a request in both formats and checks the spec's error
// list: the status, each error's code equal to it, a description, and
// (when given) a word of the description. Nothing may change: the count
// of requests is the same after.
func (c *suite) fails(method, path string, form url.Values, status int, word string) {
	c.t.Helper()
	before := c.counted()
	for _, f := range formats {
		p := withFormat(path, f)
		a := c.do(method, p, form)
		if a.status != status {
			c.t.Errorf("%s %s: %d, want %d (%s)", method, p, a.status, status, a.body)
			continue
		}
		var errs []map[string]string
		if f == "xml" {
			n := c.parseXML(a, "errors")
			for _, e := range n.Nodes {
				if e.XMLName.Local != "error" {
					c.t.Errorf("<%s> in <errors>", e.XMLName.Local)
				}
				errs = append(errs, e.flat(c.t))
			}
		} else {
			for _, m := range c.jsonArray(c.parseJSON(a)) {
				if _, ok := m["code"].(json.Number); !ok {
					c.t.Errorf("%s: JSON code %v is not a number", p, m["code"])
				}
				row := map[string]string{}
				for k, v := range m {
					row[k] = text(v)
				}
				errs = append(errs, row)
			}
		}
		if len(errs) == 0 {
			c.t.Errorf("%s %s: an empty error list", method, p)
		}
		all := ""
		for _, e := range errs {
			c.sameFields(p+" error", keys(e), errorFields)
			if e["code"] != strconv.Itoa(status) || e["description"] == "" {
				c.t.Errorf("%s %s: error %v, want code %d with a description", method, p, e, status)
			}
			all += e["description"] + "\n"
		}
		if word != "" && !strings.Contains(all, word) {
			c.t.Errorf("%s %s: descriptions %q do not mention %q", method, p, all, word)
		}
	}
	if after := c.counted(); after != before {
		c.t.Errorf("%s %s changed the number of requests: %d → %d", method, path, before, after)
	}
	if method == "POST" && status != 429 {
		// Refusals after the key's check spend its tokens too: give
		// them back, so the suite meets the rate limit only where it
		// means to.
		c.s.Clock.Advance(2 * time.Second)
	}
}

func TestOpen311Conformance(t *testing.T) {
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			conformance(t, server.Start(t, server.Options{Postgres: pg}))
		})
	}
}

func conformance(t *testing.T, s *server.Server) {
	ctx := t.Context()
	c := &suite{t: t, s: s}
	c.counted = func() int {
		var n int
		if err := s.DB.QueryRow(ctx, `SELECT count(*) FROM requests`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	now := s.Clock.Now()
	var cid int64
	if err := s.DB.QueryRow(ctx, `SELECT id FROM communities WHERE code = 'jsl'`).Scan(&cid); err != nil {
		t.Fatal(err)
	}
	// A building of the registry, for address_id.
	var estate, building int64
	if err := s.DB.QueryRow(ctx, `INSERT INTO estates (community_id, name, created_at) VALUES (?, '建胜路小区', ?) RETURNING id`, cid, now).Scan(&estate); err != nil {
		t.Fatal(err)
	}
	if err := s.DB.QueryRow(ctx, `INSERT INTO buildings (community_id, estate_id, number, created_at) VALUES (?, ?, '3', ?) RETURNING id`, cid, estate, now).Scan(&building); err != nil {
		t.Fatal(err)
	}

	// Keys: the admin creates one through the API, sees it once; others may not.
	admin, worker := s.Login(t, "admin"), s.Login(t, "worker")
	if st, body := s.Do(t, "POST", "/api/v1/open311/keys", worker, map[string]string{"name": "x"}); st != 403 {
		t.Fatalf("worker creates a key: %d %s", st, body)
	}
	if st, body := s.Do(t, "POST", "/api/v1/open311/keys", admin, map[string]string{"name": "<b>x</b>"}); st != 422 {
		t.Fatalf("a key named with HTML: %d %s", st, body)
	}
	st, body := s.Do(t, "POST", "/api/v1/open311/keys", admin, map[string]string{"name": "市民热线"})
	var nk struct {
		ID     int64  `json:"id"`
		Key    string `json:"api_key"`
		Prefix string `json:"prefix"`
	}
	if err := json.Unmarshal(body, &nk); st != 201 || err != nil || !strings.HasPrefix(nk.Key, nk.Prefix) || len(nk.Key) < 40 {
		t.Fatalf("create key: %d %s", st, body)
	}
	st, body = s.Do(t, "GET", "/api/v1/open311/keys", admin, nil)
	if st != 200 || !strings.Contains(string(body), nk.Prefix) || strings.Contains(string(body), nk.Key) {
		t.Fatalf("list keys: %d %s", st, body)
	}

	// Requests the office registered: one in a public category with a
	// named requester, one in a private category (a dispute).
	acc, err := s.Accounts.FindByUsername(ctx, "worker")
	if err != nil {
		t.Fatal(err)
	}
	wp := &accounts.Principal{AccountID: acc.ID, Grants: acc.Grants}
	cats, err := s.Requests.Categories(ctx, wp, cid)
	if err != nil {
		t.Fatal(err)
	}
	catID := map[string]int64{}
	for _, cat := range cats {
		catID[cat.Code] = cat.ID
	}
	office, err := s.Requests.Submit(ctx, wp, cid, requests.Input{Channel: requests.ChannelPhone, Kind: requests.KindHelp,
		CategoryID: catID["repairs"], BuildingID: building, Description: "楼道灯不亮，王小明说打138 0000 1111找他",
		ContactName: "王小明", ContactPhone: "13800001111"})
	if err != nil {
		t.Fatal(err)
	}
	private, err := s.Requests.Submit(ctx, wp, cid, requests.Input{Channel: requests.ChannelPhone, Kind: requests.KindComplaint,
		CategoryID: catID["dispute"], Address: "3号楼502室", Description: "邻居吵架，李四 13911112222",
		ContactName: "李四", ContactPhone: "13911112222"})
	if err != nil {
		t.Fatal(err)
	}

	// Discovery.
	for _, f := range formats {
		a := c.do("GET", "/open311/v2/discovery."+f, nil)
		if a.status != 200 {
			t.Fatalf("discovery.%s: %d %s", f, a.status, a.body)
		}
		var fields, epFields, formatsGot []string
		var spec, typ, url string
		if f == "xml" {
			n := c.parseXML(a, "discovery")
			fields = n.names()
			ep := n.child(t, "endpoints").child(t, "endpoint")
			epFields = ep.names()
			for _, x := range ep.child(t, "formats").Nodes {
				formatsGot = append(formatsGot, x.Text)
			}
			m := map[string]string{}
			for _, x := range ep.Nodes {
				m[x.XMLName.Local] = x.Text
			}
			spec, typ, url = m["specification"], m["type"], m["url"]
		} else {
			m, ok := c.parseJSON(a).(map[string]any)
			if !ok {
				t.Fatalf("discovery.json is not an object: %s", a.body)
			}
			fields = keys(m)
			eps := c.jsonArray(m["endpoints"])
			if len(eps) != 1 {
				t.Fatalf("endpoints: %v", m["endpoints"])
			}
			epFields = keys(eps[0])
			for _, x := range eps[0]["formats"].([]any) {
				formatsGot = append(formatsGot, text(x))
			}
			spec, typ, url = text(eps[0]["specification"]), text(eps[0]["type"]), text(eps[0]["url"])
		}
		c.sameFields("discovery", fields, discoveryFields)
		c.sameFields("endpoint", epFields, endpointFields)
		if spec != "http://wiki.open311.org/GeoReport_v2" || typ != "production" || url != s.URL+"/open311/v2" ||
			!slices.Equal(formatsGot, []string{"text/xml", "application/json"}) {
			t.Errorf("discovery.%s endpoint: %q %q %q %v", f, spec, typ, url, formatsGot)
		}
	}

	// Services: the public categories only, heating and water with metadata.
	svcs := c.list("/open311/v2/services", serviceFields)
	var codes []string
	for _, sv := range svcs {
		codes = append(codes, sv["service_code"])
		if want := strconv.FormatBool(sv["service_code"] == "heating" || sv["service_code"] == "water"); sv["metadata"] != want {
			t.Errorf("service %s: metadata %s, want %s", sv["service_code"], sv["metadata"], want)
		}
		if sv["type"] != "realtime" || sv["service_name"] == "" {
			t.Errorf("service %v", sv)
		}
	}
	if !slices.Equal(sorted(codes), sorted(publicServices)) {
		t.Errorf("services %v, want %v", codes, publicServices)
	}
	// A service definition: heating asks which room and whether water leaks.
	for _, f := range formats {
		a := c.do("GET", "/open311/v2/services/heating."+f, nil)
		if a.status != 200 {
			t.Fatalf("services/heating.%s: %d %s", f, a.status, a.body)
		}
		var attrs []map[string]string
		var values [][]string
		if f == "xml" {
			n := c.parseXML(a, "service_definition")
			c.sameFields("service_definition", n.names(), []string{"service_code", "attributes"})
			if n.child(t, "service_code").Text != "heating" {
				t.Errorf("service_code %q", n.child(t, "service_code").Text)
			}
			for _, at := range n.child(t, "attributes").Nodes {
				m := map[string]string{}
				var vs []string
				for _, x := range at.Nodes {
					m[x.XMLName.Local] = x.Text
					if x.XMLName.Local == "values" {
						for _, v := range x.Nodes {
							vf := v.flat(t)
							c.sameFields("value", keys(vf), []string{"key", "name"})
							vs = append(vs, vf["key"])
						}
					}
				}
				attrs, values = append(attrs, m), append(values, vs)
			}
		} else {
			m, ok := c.parseJSON(a).(map[string]any)
			if !ok {
				t.Fatalf("services/heating.json is not an object: %s", a.body)
			}
			c.sameFields("service_definition", keys(m), []string{"service_code", "attributes"})
			for _, at := range c.jsonArray(m["attributes"]) {
				row := map[string]string{}
				for k, v := range at {
					row[k] = text(v)
				}
				var vs []string
				for _, v := range c.jsonArray(at["values"]) {
					c.sameFields("value", keys(v), []string{"key", "name"})
					vs = append(vs, text(v["key"]))
				}
				attrs, values = append(attrs, row), append(values, vs)
			}
		}
		if len(attrs) != 2 || attrs[0]["code"] != "room" || attrs[1]["code"] != "water_leaking" {
			t.Fatalf("heating.%s attributes: %v", f, attrs)
		}
		for i, at := range attrs {
			c.sameFields("attribute", keys(at), attributeFields)
			if at["datatype"] != "singlevaluelist" || at["required"] != "true" || at["variable"] != "true" || at["order"] != strconv.Itoa(i+1) {
				t.Errorf("heating.%s attribute %v", f, at)
			}
		}
		if !slices.Contains(values[0], "bedroom") || !slices.Equal(values[1], []string{"yes", "no"}) {
			t.Errorf("heating.%s values %v", f, values)
		}
	}
	for _, code := range append(privateServices, "nope") {
		c.fails("GET", "/open311/v2/services/"+code, nil, 404, "")
	}

	// POST requests: every refusal first, each changing nothing.
	good := func(extra ...string) url.Values {
		v := url.Values{"api_key": {nk.Key}, "service_code": {"heating"}, "lat": {"38.04321234"}, "long": {"114.51486789"},
			"attribute[room]": {"bedroom"}, "attribute[water_leaking]": {"yes"},
			"description": {"暖气不热，卧室只有12度。王小明 13800001111，身份证130102199003071234"},
			"first_name":  {"小明"}, "last_name": {"王"}, "phone": {"13800001111"}, "email": {"wang@example.com"}}
		for i := 0; i+1 < len(extra); i += 2 {
			if extra[i+1] == "" {
				v.Del(extra[i])
			} else {
				v.Set(extra[i], extra[i+1])
			}
		}
		return v
	}
	c.fails("POST", "/open311/v2/requests", good("api_key", ""), 403, "api_key")
	c.fails("POST", "/open311/v2/requests", good("api_key", "o311_"+strings.Repeat("0", 64)), 403, "api_key")
	c.fails("POST", "/open311/v2/requests", good("api_key", "nonsense"), 403, "")
	c.fails("POST", "/open311/v2/requests?api_key="+nk.Key, good("api_key", ""), 403, "api_key")
	c.fails("POST", "/open311/v2/requests", good("service_code", ""), 400, "service_code")
	c.fails("POST", "/open311/v2/requests", good("service_code", "nope"), 404, "")
	c.fails("POST", "/open311/v2/requests", good("service_code", "dispute"), 404, "")
	c.fails("POST", "/open311/v2/requests", good("lat", "", "long", ""), 400, "address_string")
	c.fails("POST", "/open311/v2/requests", good("long", ""), 400, "lat")
	c.fails("POST", "/open311/v2/requests", good("lat", "north"), 400, "lat")
	c.fails("POST", "/open311/v2/requests", good("lat", "", "long", "", "address_id", "#NOTPINPOINTED#"), 400, "address_id")
	c.fails("POST", "/open311/v2/requests", good("lat", "", "long", "", "address_id", "999999"), 400, "address_id")
	c.fails("POST", "/open311/v2/requests", good("description", strings.Repeat("漏", 4001)), 400, "description")
	c.fails("POST", "/open311/v2/requests", good("description", "暖气<script>alert(1)</script>"), 400, "description")
	c.fails("POST", "/open311/v2/requests", good("attribute[room]", ""), 400, "attribute[room]")
	c.fails("POST", "/open311/v2/requests", good("attribute[water_leaking]", "maybe"), 400, "attribute[water_leaking]")
	c.fails("POST", "/open311/v2/requests", good("phone", "12"), 400, "phone")
	c.fails("POST", "/open311/v2/requests", good("email", "not-an-email"), 400, "email")
	c.fails("POST", "/open311/v2/requests?jurisdiction_id=nope", good(), 404, "nope")

	// Three requests filed: a point (heating), a building (water), a free
	// address (repairs); in both formats the answer is the one list item.
	created := map[string]string{}
	for i, form := range []url.Values{
		good(),
		good("service_code", "water", "lat", "", "long", "", "address_id", strconv.FormatInt(building, 10), "attribute[leak_below]", "yes",
			"description", "楼上漏水到我家厨房", "first_name", "", "last_name", "", "phone", "", "email", ""),
		good("service_code", "repairs", "lat", "", "long", "", "address_string", "建胜路小区5号楼2单元502室", "description", "单元门坏了"),
	} {
		f := formats[i%2]
		a := c.do("POST", "/open311/v2/requests."+f, form)
		if a.status != 200 {
			t.Fatalf("POST requests.%s: %d %s", f, a.status, a.body)
		}
		var item map[string]string
		if f == "xml" {
			n := c.parseXML(a, "service_requests")
			if len(n.Nodes) != 1 || n.Nodes[0].XMLName.Local != "request" {
				t.Fatalf("POST answer %s", a.body)
			}
			item = n.Nodes[0].flat(t)
		} else {
			arr := c.jsonArray(c.parseJSON(a))
			if len(arr) != 1 {
				t.Fatalf("POST answer %s", a.body)
			}
			item = map[string]string{}
			for k, v := range arr[0] {
				item[k] = text(v)
			}
		}
		// realtime: the id and never a token with it; no account.
		c.sameFields("POST answer", keys(item), createdFields)
		if !regexp.MustCompile(`^\d{4}-\d{6}$`).MatchString(item["service_request_id"]) || item["account_id"] != "" || item["service_notice"] == "" {
			t.Errorf("POST answer %v", item)
		}
		created[form.Get("service_code")] = item["service_request_id"]
	}
	// Stored on the open311 channel, the submitter a free contact with
	// the phone and email sealed; the attributes in the description.
	var channel, name, phoneEnc, emailEnc, desc, token string
	var lat float64
	if err := s.DB.QueryRow(ctx, `SELECT channel, contact_name, contact_phone_enc, contact_email_enc, description, lat, open311_token
		FROM requests WHERE number = ?`, created["heating"]).Scan(&channel, &name, &phoneEnc, &emailEnc, &desc, &lat, &token); err != nil {
		t.Fatal(err)
	}
	if channel != "open311" || name != "小明 王" || phoneEnc == "" || strings.Contains(phoneEnc, "138") || emailEnc == "" ||
		strings.Contains(emailEnc, "@") || !strings.Contains(desc, "不热的房间：卧室") || !strings.Contains(desc, "暖气漏水：是") || lat != 38.04321234 {
		t.Errorf("stored: %q %q %q %q %q %v", channel, name, phoneEnc, emailEnc, desc, lat)
	}
	// The office reads it like any request, requester masked.
	got, err := s.Requests.List(ctx, wp, requests.Filter{CommunityID: cid, Status: []requests.Status{requests.Submitted}})
	if err != nil || got.Total != 5 {
		t.Fatalf("the office's list: %v %v", got, err)
	}

	// The office rejects the repairs request: closed, with a note.
	var repairsID int64
	if err := s.DB.QueryRow(ctx, `SELECT id FROM requests WHERE number = ?`, created["repairs"]).Scan(&repairsID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Requests.Do(ctx, wp, repairsID, requests.Step{Action: requests.ActReject, Reason: "物业负责"}); err != nil {
		t.Fatal(err)
	}

	// GET requests: the last 90 days by default, public categories only.
	s.Clock.Advance(time.Minute)
	all := c.list("/open311/v2/requests", requestFields)
	byID := map[string]map[string]string{}
	for _, r := range all {
		byID[r["service_request_id"]] = r
		for _, k := range []string{"requested_datetime", "updated_datetime"} {
			if !w3cWithZone.MatchString(r[k]) || !strings.HasSuffix(r[k], "+08:00") {
				t.Errorf("%s %s = %q, want W3C with +08:00", r["service_request_id"], k, r[k])
			}
		}
	}
	if len(all) != 4 || byID[private.Number] != nil || byID[office.Number] == nil {
		t.Fatalf("GET requests: %d items %v (private %s must not be there)", len(all), keys(byID), private.Number)
	}
	heat, water, rep := byID[created["heating"]], byID[created["water"]], byID[created["repairs"]]
	if heat["status"] != "open" || heat["lat"] != "38.043212" || heat["long"] != "114.514868" || heat["address"] != "" ||
		heat["service_code"] != "heating" || heat["status_notes"] != "" {
		t.Errorf("heating: %v", heat)
	}
	if !strings.Contains(heat["description"], "[号码已隐去]") || !strings.Contains(heat["description"], "卧室只有12度") {
		t.Errorf("heating description %q", heat["description"])
	}
	if water["address"] != "建胜路小区3号楼" || water["address_id"] != strconv.FormatInt(building, 10) || water["lat"] != "" {
		t.Errorf("water: %v", water)
	}
	if rep["status"] != "closed" || rep["address"] != "建胜路小区5号楼" || rep["status_notes"] == "" {
		t.Errorf("rejected repairs: %v", rep)
	}
	if o := byID[office.Number]; o["address"] != "建胜路小区3号楼" || !strings.Contains(o["description"], "楼道灯不亮") {
		t.Errorf("office's request: %v", o)
	}
	// Filters: status, service_code, ids (which override the rest).
	if l := c.list("/open311/v2/requests?status=closed", requestFields); len(l) != 1 || l[0]["service_request_id"] != created["repairs"] {
		t.Errorf("status=closed: %v", l)
	}
	if l := c.list("/open311/v2/requests?status=open,closed", requestFields); len(l) != 4 {
		t.Errorf("status=open,closed: %d", len(l))
	}
	if l := c.list("/open311/v2/requests?service_code=water,heating&status=open", requestFields); len(l) != 2 {
		t.Errorf("service_code=water,heating: %v", l)
	}
	if l := c.list("/open311/v2/requests?service_code=dispute", requestFields); len(l) != 0 {
		t.Errorf("service_code=dispute: %v", l)
	}
	ids := url.QueryEscape(created["water"] + "," + private.Number + ",2020-000001")
	if l := c.list("/open311/v2/requests?start_date=2020-01-01T00:00:00Z&end_date=2020-02-01T00:00:00Z&service_request_id="+ids, requestFields); len(l) != 1 || l[0]["service_request_id"] != created["water"] {
		t.Errorf("service_request_id overrides dates: %v", l)
	}
	// One request and a token.
	if l := c.list("/open311/v2/requests/"+created["heating"], requestFields); len(l) != 1 || l[0]["service_request_id"] != created["heating"] {
		t.Errorf("GET requests/{id}: %v", l)
	}
	if l := c.list("/open311/v2/tokens/"+token, tokenFields); len(l) != 1 || l[0]["service_request_id"] != created["heating"] || l[0]["token"] != token {
		t.Errorf("GET tokens/{token}: %v", l)
	}
	c.fails("GET", "/open311/v2/requests/"+private.Number, nil, 404, "")
	c.fails("GET", "/open311/v2/requests/2026-999999", nil, 404, "")
	c.fails("GET", "/open311/v2/tokens/nope", nil, 404, "")
	c.fails("GET", "/open311/v2/requests?start_date=yesterday", nil, 400, "start_date")
	c.fails("GET", "/open311/v2/requests?end_date=2026-13-01", nil, 400, "end_date")
	c.fails("GET", "/open311/v2/requests?start_date=2026-01-01T00:00:00%2B08:00&end_date=2026-06-01T00:00:00%2B08:00", nil, 400, "90")
	c.fails("GET", "/open311/v2/requests?start_date=2026-06-01&end_date=2026-05-01", nil, 400, "end_date")
	c.fails("GET", "/open311/v2/requests?status=pending", nil, 400, "status")
	c.fails("GET", "/open311/v2/requests?jurisdiction_id=nope", nil, 404, "nope")
	c.fails("GET", "/open311/v2/nothing", nil, 404, "")
	c.fails("GET", "/open311/v2/services/", nil, 400, "service_code")
	c.fails("GET", "/open311/v2/requests/", nil, 400, "service_request_id")
	c.fails("GET", "/open311/v2/tokens/", nil, 400, "token")

	// The 90-day window and the 1,000-row limit: 1,005 requests 100 days
	// old are outside the default window; asked for, 1,000 come back.
	old := now.Add(-100 * 24 * time.Hour).UTC()
	insertOld(t, s, cid, catID["environment"], old, 1005)
	if l := c.list("/open311/v2/requests", requestFields); len(l) != 4 {
		t.Errorf("default window: %d items, want the 4 of the last 90 days", len(l))
	}
	from := url.QueryEscape(old.Add(-24 * time.Hour).In(clock.Shanghai).Format(time.RFC3339))
	if l := c.list("/open311/v2/requests?start_date="+from, requestFields); len(l) != 1000 {
		t.Errorf("start_date 101 days ago: %d items, want 1000", len(l))
	}

	// Rate limit: the key's bucket holds 30; the 31st POST in the same
	// second is 429 with Retry-After, and a second later it is served.
	bad := good("service_code", "") // answered 400, after the bucket
	n429 := 0
	for i := 0; i < 31; i++ {
		a := c.do("POST", "/open311/v2/requests.json", bad)
		if a.status == 429 {
			n429++
			if a.header.Get("Retry-After") == "" || !strings.Contains(string(a.body), `"code":429`) {
				t.Errorf("429 without Retry-After or error list: %v %s", a.header, a.body)
			}
		}
	}
	if n429 == 0 {
		t.Error("31 POSTs in one instant were all served")
	}
	c.fails("POST", "/open311/v2/requests", bad, 429, "api_key")
	s.Clock.Advance(2 * time.Second)
	if a := c.do("POST", "/open311/v2/requests.xml", bad); a.status != 400 {
		t.Errorf("after waiting: %d %s", a.status, a.body)
	}

	// A second community: jurisdiction_id becomes required; a key works
	// only in its own community.
	var street int64
	if err := s.DB.QueryRow(ctx, `SELECT street_id FROM communities WHERE id = ?`, cid).Scan(&street); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Tenancy.CreateCommunity(ctx, s.DB, tenancy.Community{StreetID: street, Code: "hx", Name: "和谐社区"}, now); err != nil {
		t.Fatal(err)
	}
	c.fails("GET", "/open311/v2/services", nil, 400, "jurisdiction_id")
	c.fails("GET", "/open311/v2/requests", nil, 400, "jurisdiction_id")
	c.fails("POST", "/open311/v2/requests", good(), 400, "jurisdiction_id")
	c.fails("POST", "/open311/v2/requests?jurisdiction_id=hx", good(), 403, "")
	if l := c.list("/open311/v2/services?jurisdiction_id=jsl", serviceFields); len(l) != len(publicServices) {
		t.Errorf("services of jsl: %d", len(l))
	}
	if l := c.list("/open311/v2/requests?jurisdiction_id=hx", requestFields); len(l) != 0 {
		t.Errorf("requests of hx: %v", l)
	}
	if l := c.list("/open311/v2/requests/"+created["water"]+"?jurisdiction_id=jsl", requestFields); len(l) != 1 {
		t.Errorf("request of jsl: %v", l)
	}
	c.fails("GET", "/open311/v2/requests/"+created["water"]+"?jurisdiction_id=hx", nil, 404, "")

	// A revoked key answers 403.
	if st, body := s.Do(t, "POST", fmt.Sprintf("/api/v1/open311/keys/%d/revoke", nk.ID), admin, nil); st != 200 {
		t.Fatalf("revoke: %d %s", st, body)
	}
	if st, _ := s.Do(t, "POST", fmt.Sprintf("/api/v1/open311/keys/%d/revoke", nk.ID), admin, nil); st != 409 {
		t.Errorf("revoke twice: %d", st)
	}
	c.fails("POST", "/open311/v2/requests?jurisdiction_id=jsl", good(), 403, "api_key")

	// Nothing public ever held what it must not.
	for _, b := range c.public {
		for _, w := range privateRequester {
			if bytes.Contains(b, []byte(w)) {
				t.Errorf("a public answer holds %q: %.300s", w, b)
			}
		}
		for _, code := range privateServices {
			for _, form := range []string{"<service_code>" + code + "<", `"service_code":"` + code + `"`} {
				if bytes.Contains(b, []byte(form)) {
					t.Errorf("a public answer shows the private service %s: %.300s", code, b)
				}
			}
		}
		if m := fineCoordinate.Find(b); m != nil {
			t.Errorf("a public answer holds a coordinate finer than 6 decimals: %s", m)
		}
		if bytes.Contains(b, []byte(nk.Key)) {
			t.Error("a public answer holds the API key")
		}
	}
}

// insertOld writes n requests created at, in category cat, straight into
// the table: the window and the limit are what is tested, not intake.
func insertOld(t *testing.T, s *server.Server, cid, cat int64, at time.Time, n int) {
	t.Helper()
	ctx := t.Context()
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		for i := 0; i < n; i++ {
			if _, err := tx.Exec(ctx, `INSERT INTO requests (community_id, number, channel, kind, category_id, address, description, urgency,
			status, last_seq, created_at, updated_at) VALUES (?, ?, 'web', 'help', ?, '小区东门', '垃圾桶满了', 'general', 'submitted', 1, ?, ?)`,
				cid, fmt.Sprintf("2025-%06d", i+1), cat, at.Add(time.Duration(i)*time.Second), at); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
