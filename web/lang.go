package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"sockplay/templates/i18n"
)

// langKey is where lang keeps a request's language in its echo.Context.
const langKey = "sockplay.lang"

// langCookieAge is how long the language cookie lasts (a year).
const langCookieAge = 365 * 24 * time.Hour

// langOf is the language a page request is answered in: ?lang=zh|en (which
// the header's switch links to, and which sets the sockplay_lang cookie),
// else the cookie, else what Accept-Language prefers (i18n.Match), else
// English.
func langOf(c echo.Context) string {
	if l, ok := c.Get(langKey).(string); ok {
		return l
	}
	l := requestLang(c)
	c.Set(langKey, l)
	return l
}

// requestLang reads the language of c's request, setting the cookie when
// the query names one.
func requestLang(c echo.Context) string {
	if q := c.QueryParam("lang"); i18n.Valid(q) {
		c.SetCookie(&http.Cookie{Name: i18n.Cookie, Value: q, Path: "/", MaxAge: int(langCookieAge / time.Second),
			SameSite: http.SameSiteLaxMode})
		return q
	}
	if ck, err := c.Cookie(i18n.Cookie); err == nil && i18n.Valid(ck.Value) {
		return ck.Value
	}
	return i18n.Match(c.Request().Header.Get("Accept-Language"))
}
