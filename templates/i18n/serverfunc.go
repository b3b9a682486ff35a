package i18n

import (
	"regexp"
	"strings"
	"sync"
)

// sentence is a server sentence as a regular expression: its English with
// each {name} a group that matches any text.
type sentence struct {
	re    *regexp.Regexp
	names []string
	m     M
}

var (
	sentencesOnce sync.Once
	sentences     []sentence
)

// holeRe finds the {name} holes of a sentence.
var holeRe = regexp.MustCompile(`\{[a-zA-Z0-9_]+\}`)

// patterns compiles serverSentences once, as static/js/i18n.js does.
func patterns() []sentence {
	sentencesOnce.Do(func() {
		for _, m := range serverSentences {
			var src strings.Builder
			src.WriteString(`(?s)^`)
			var names []string
			last := 0
			for _, loc := range holeRe.FindAllStringIndex(m.EN, -1) {
				src.WriteString(regexp.QuoteMeta(m.EN[last:loc[0]]))
				src.WriteString(`(.+?)`)
				names = append(names, m.EN[loc[0]+1:loc[1]-1])
				last = loc[1]
			}
			src.WriteString(regexp.QuoteMeta(m.EN[last:]))
			src.WriteString(`$`)
			sentences = append(sentences, sentence{re: regexp.MustCompile(src.String()), names: names, m: m})
		}
	})
	return sentences
}

// maxDepth is how deep Server translates a sentence's holes, as i18n.js
// does: a check step's actions and a log of requests nest one level for
// each part.
const maxDepth = 8

// Server is text, a sentence the server wrote in English (an error's
// message or hint, a check's step), in lang: for ZH the catalog's Chinese
// with its holes filled from the English, each hole translated too when it
// is such a sentence — what the page's server() (static/js/i18n.js) shows,
// for a terminal (sockplay check --lang zh). Anything else, and every text
// in English, comes back as it is.
func Server(lang, text string) string {
	if lang != ZH {
		return text
	}
	return translate(text, 0)
}

func translate(text string, depth int) string {
	if text == "" || depth > maxDepth {
		return text
	}
	p, groups := match(text)
	if p == nil {
		return text
	}
	args := make(map[string]string, len(p.names))
	for i, name := range p.names {
		args[name] = translate(groups[i], depth+1)
	}
	return holeRe.ReplaceAllStringFunc(p.m.ZH, func(h string) string {
		if v, ok := args[h[1:len(h)-1]]; ok {
			return v
		}
		return h
	})
}

// match finds the first sentence that matches all of text, and what its
// holes matched.
func match(text string) (*sentence, []string) {
	ps := patterns()
	for i := range ps {
		if m := ps[i].re.FindStringSubmatch(text); m != nil {
			return &ps[i], m[1:]
		}
	}
	return nil, nil
}

// englishRun is three English words in a row.
var englishRun = regexp.MustCompile(`[A-Za-z_]+ [A-Za-z_]+ [A-Za-z_]+`)

// codeParts are the parts of a sentence that are code, not words: quoted
// text, bytes literals, addresses, JSON.
var codeParts = regexp.MustCompile(`'[^']*'|"[^"]*"|\{[^{}]*\}|\[[^\[\]]*\]`)

// EnglishLeft is the first run of three English words that Server(ZH,
// text) leaves outside code (quotes, brackets, braces): "" when text reads
// wholly in Chinese, for the tests of what the server writes.
func EnglishLeft(text string) string {
	return englishRun.FindString(codeParts.ReplaceAllString(Server(ZH, text), ""))
}
