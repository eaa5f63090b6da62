package server

import (
	"net/http"
	"net/http/cookiejar"
)

func newJar() http.CookieJar {
	j, err := cookiejar.New(nil)
	if err != nil {
		panic(err)
	}
	return j
}
