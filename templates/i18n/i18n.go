// Package i18n holds sockplay's two languages, English and Chinese: which
// one a request asks for (cookie sockplay_lang, ?lang=, Accept-Language),
// and the message catalogs the pages are written from — the templ pages'
// (T) and the page scripts' (JSCatalog, which the layout embeds as JSON for
// static/js/i18n.js). Every key has both languages (the tests check it).
package i18n

import (
	"context"
	"fmt"

	"golang.org/x/text/language"
)

// The languages.
const (
	EN = "en" // English, the default
	ZH = "zh" // Simplified Chinese
)

// Cookie is the name of the cookie that remembers the learner's language.
const Cookie = "sockplay_lang"

// Langs lists the languages, the default first.
var Langs = []string{EN, ZH}

// Valid reports whether lang is one of Langs.
func Valid(lang string) bool { return lang == EN || lang == ZH }

// matcher picks among the languages sockplay has: any Chinese asks for
// Simplified Chinese (the seeds' readers), anything else gets English.
var matcher = language.NewMatcher([]language.Tag{language.English, language.SimplifiedChinese})

// Match returns the language an Accept-Language header asks for: ZH when
// it prefers some Chinese over English, EN otherwise (also for an empty or
// malformed header).
func Match(acceptLanguage string) string {
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return EN
	}
	_, i, conf := matcher.Match(tags...)
	if i == 1 && conf != language.No {
		return ZH
	}
	return EN
}

// HTMLLang is the value of <html lang> for lang: "zh-CN" or "en".
func HTMLLang(lang string) string {
	if lang == ZH {
		return "zh-CN"
	}
	return "en"
}

// M is one message in both languages.
type M struct{ EN, ZH string }

// in returns m in lang.
func (m M) in(lang string) string {
	if lang == ZH {
		return m.ZH
	}
	return m.EN
}

// T returns the page message key in lang, formatted with args as
// fmt.Sprintf does when there are any. An unknown key comes back as
// "!key!" (the catalog test finds every key the templates use).
func T(lang, key string, args ...any) string {
	m, ok := messages[key]
	if !ok {
		return "!" + key + "!"
	}
	s := m.in(lang)
	if len(args) > 0 {
		s = fmt.Sprintf(s, args...)
	}
	return s
}

// Other returns the language that is not lang, for the header's switch.
func Other(lang string) string {
	if lang == ZH {
		return EN
	}
	return ZH
}

// Name is a language's name written in itself, for the switch: "English", "中文".
func Name(lang string) string {
	if lang == ZH {
		return "中文"
	}
	return "English"
}

// ctxKey is the context key of WithLang.
type ctxKey struct{}

// WithLang returns ctx carrying lang, for templ components to read
// (LangOf, Tc): the server renders every page with its language in the
// context.
func WithLang(ctx context.Context, lang string) context.Context {
	return context.WithValue(ctx, ctxKey{}, lang)
}

// LangOf is the language in ctx (WithLang), EN when there is none.
func LangOf(ctx context.Context) string {
	if l, ok := ctx.Value(ctxKey{}).(string); ok && Valid(l) {
		return l
	}
	return EN
}

// Tc is T in the language of ctx.
func Tc(ctx context.Context, key string, args ...any) string { return T(LangOf(ctx), key, args...) }

// PageCatalog is a copy of the templ pages' catalog, key → both languages
// (for tests that look for untranslated text on a page).
func PageCatalog() map[string]M {
	out := make(map[string]M, len(messages))
	for k, m := range messages {
		out[k] = m
	}
	return out
}
