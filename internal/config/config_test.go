package config

import (
	"flag"
	"reflect"
	"testing"
	"time"
)

func TestParseAcceptsFlagsAnywhere(t *testing.T) {
	for _, args := range [][]string{
		{"ana", "--role", "admin", "--db", "x.db"},
		{"--role", "admin", "ana", "--db", "x.db"},
		{"--role", "admin", "--db", "x.db", "ana"},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		role := fs.String("role", "", "")
		dbf := fs.String("db", "", "")
		pos, err := Parse(fs, args)
		if err != nil || !reflect.DeepEqual(pos, []string{"ana"}) || *role != "admin" || *dbf != "x.db" {
			t.Errorf("Parse(%v) = %v, %v (role %q db %q)", args, pos, err, *role, *dbf)
		}
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.String("role", "", "")
	if pos, err := Parse(fs, []string{"--role", "x", "--", "--not-a-flag"}); err != nil || !reflect.DeepEqual(pos, []string{"--not-a-flag"}) {
		t.Errorf("-- handling: %v %v", pos, err)
	}
}

func TestEnvAndFlagsPrecedence(t *testing.T) {
	c := Defaults()
	if ps := c.FromEnv([]string{"LINLI_ADDR=0.0.0.0:9000", "LINLI_SESSION_IDLE_STAFF=45m", "LINLI_TRUSTED_PROXIES=10.0.0.1, 192.168.0.0/16", "OTHER=1"}); len(ps) != 0 {
		t.Fatal(ps)
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.StringVar(&c.Addr, "addr", c.Addr, "")
	if _, err := Parse(fs, []string{"--addr", "127.0.0.1:7000"}); err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:7000" || c.IdleStaff != 45*time.Minute || len(c.TrustedProxies) != 2 || c.TrustedProxies[0].String() != "10.0.0.1/32" {
		t.Fatalf("settings: %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}
