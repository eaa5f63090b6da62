// Package i18n holds the message catalogues. Chinese (zh-CN) is the first
// language and the default; English is the second. Every string a user
// reads comes from here; a test checks that both catalogues have the same
// keys and that every key the templates use exists.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Languages Linli speaks, default first.
var Languages = []string{"zh-CN", "en"}

// Default is the language of anonymous visitors who asked for nothing else.
const Default = "zh-CN"

//go:embed catalog/*.json
var catalogFS embed.FS

var catalogs = func() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, lang := range Languages {
		b, err := catalogFS.ReadFile("catalog/" + lang + ".json")
		if err != nil {
			panic("i18n: missing catalogue " + lang)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic(fmt.Sprintf("i18n: catalogue %s: %v", lang, err))
		}
		out[lang] = m
	}
	return out
}()

// Supported reports whether lang is one of Languages.
func Supported(lang string) bool { _, ok := catalogs[lang]; return ok }

// Match picks a supported language from an Accept-Language header:
// Chinese unless English is preferred over it.
func Match(acceptLanguage string) string {
	for _, part := range strings.Split(acceptLanguage, ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "zh"):
			return "zh-CN"
		case strings.HasPrefix(tag, "en"):
			return "en"
		}
	}
	return Default
}

// T translates key into lang, replacing {name} with args["name"]. A missing
// key shows as the key itself, so it is visible rather than blank.
func T(lang, key string, args map[string]any) string {
	c, ok := catalogs[lang]
	if !ok {
		c = catalogs[Default]
	}
	s, ok := c[key]
	if !ok {
		if s, ok = catalogs[Default][key]; !ok {
			return key
		}
	}
	if len(args) == 0 || !strings.Contains(s, "{") {
		return s
	}
	for k, v := range args {
		s = strings.ReplaceAll(s, "{"+k+"}", fmt.Sprint(v))
	}
	return s
}

// Has reports whether key exists in lang's catalogue.
func Has(lang, key string) bool { _, ok := catalogs[lang][key]; return ok }

// Keys lists the keys of lang's catalogue, sorted.
func Keys(lang string) []string {
	var ks []string
	for k := range catalogs[lang] {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
