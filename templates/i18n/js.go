package i18n

// JSCatalog is the page scripts' catalog in lang: key → message, which the
// layout embeds in every page as JSON (<script id="i18n-messages">) for
// static/js/i18n.js's t(key, args). A {name} in a message is filled from
// t's args.
func JSCatalog(lang string) map[string]string {
	out := make(map[string]string, len(jsMessages))
	for k, m := range jsMessages {
		out[k] = m.in(lang)
	}
	return out
}

// jsMessages is the page scripts' catalog: key → English and Chinese.
// Keys start with the script's name (cards.*, log.*, lesson.*, …).
var jsMessages = map[string]M{}

// dynamicPrefixes are the prefixes of the scripts' keys that are looked up
// by a computed name, such as err.<type> for an error's type.
var dynamicPrefixes = []string{"err."}
