package templates_test

import (
	"bytes"
	"context"
	"io/fs"
	"strings"
	"testing"

	"github.com/a-h/templ"

	"sockplay/static"
	"sockplay/templates"
	"sockplay/templates/lessons"
)

// render renders c with a Page whose Asset records the names it is asked for.
func render(t *testing.T, c func(templates.Page) templ.Component) (html string, assets []string) {
	t.Helper()
	p := templates.Page{Title: "T", Asset: func(name string) string {
		assets = append(assets, name)
		return "/static/v1/" + name
	}}
	var b bytes.Buffer
	if err := c(p).Render(context.Background(), &b); err != nil {
		t.Fatalf("render: %v", err)
	}
	return b.String(), assets
}

func TestTemplPages(t *testing.T) {
	tests := []struct {
		name string
		page func(templates.Page) templ.Component
		want []string
	}{
		{"index", templates.Index, []string{
			`<title>T · sockplay</title>`,
			`href="/static/v1/css/base.css"`,
			`<a href="/workbench">Workbench</a>`,
			`<a href="/lessons">Lessons</a>`,
			`<a class="cta" href="/lessons">`,
			`<a class="cta" href="/workbench">`,
			"import socket\ns1 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n",
		}},
		{"workbench", func(p templates.Page) templ.Component { return templates.Workbench(p, "/ws") }, []string{
			`<div id="workbench" class="workbench" data-ws="/ws">`,
			`<script type="module" src="/static/v1/js/workbench.js"></script>`,
			`id="status" class="status" data-state="connecting"`,
			`id="new-tcp4"`, `id="new-udp4"`, `id="new-tcp6"`, `id="new-udp6"`,
			`<select id="encoding" name="encoding">`,
			`<template id="sock-card-template">`,
			`<form class="op" data-op="bind">`,
			`<form class="op op-payload" data-op="sendto" data-types="SOCK_DGRAM">`,
			`<ol id="log" class="log">`,
			`<code id="transcript-code">`,
			`href="/static/v1/css/kernel.css"`,
			`href="/static/v1/css/streammap.css"`,
			`<section class="kernel" data-field="kernel"`,
			`<form class="op" data-op="stat">`,
			`data-stat="inq"`, `data-stat="peek"`, `data-stat="counters"`, `data-reset-counters`,
			`data-toggle-option="TCP_NODELAY" aria-pressed="false"`,
			`data-toggle-option="TCP_CORK" aria-pressed="false"`,
			`data-toggle-option="TCP_QUICKACK" aria-pressed="false"`,
			`<div class="stream-slot" data-field="stream">`,
			`<form class="op op-payload framing-form" data-op="send_frame">`,
			`<select name="framing" data-framing-picker>`,
			`<option value="!I">`, `<option value=">I">`, `<option value="<I">`, `<option value="I">`,
			`<option value="i">`, `<option value="!H">`, `<option value="!Q">`,
			`<input name="delimiter" value="\n"`,
			`<button data-op="recv_frame" formnovalidate`,
		}},
	}
	tests = append(tests, lessonPageTests(t)...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			html, assets := render(t, tt.page)
			for _, want := range tt.want {
				if !strings.Contains(html, want) {
					t.Errorf("page lacks %q", want)
				}
			}
			for _, name := range assets {
				if _, err := fs.Stat(static.FS, name); err != nil {
					t.Errorf("Asset(%q): no such embedded file: %v", name, err)
				}
			}
		})
	}
}

// lessonPageTests are the lesson pages' cases of TestTemplPages, with the
// lessons package's test lesson.
func lessonPageTests(t *testing.T) []struct {
	name string
	page func(templates.Page) templ.Component
	want []string
} {
	ls, err := lessons.LoadDir("lessons/testdata/good")
	if err != nil {
		t.Fatal(err)
	}
	l := ls[0]
	other := &lessons.Lesson{Slug: "other", Title: "Other <lesson>"}
	return []struct {
		name string
		page func(templates.Page) templ.Component
		want []string
	}{
		{"lesson index", func(p templates.Page) templ.Component { return templates.LessonIndex(p, ls) }, []string{
			`<li class="lesson-item" data-lesson="good-lesson" data-steps="first second">`,
			`<a href="/lessons/good-lesson">A good lesson</a>`,
			`<span class="lesson-progress" data-progress>2 steps</span>`,
			`<p class="lesson-summary">Everything the format allows, once.</p>`,
			`<li>recvfrom</li><li>sendto</li><li>EADDRINUSE</li>`,
			`<script type="module" src="/static/v1/js/lessons-index.js"></script>`,
			`href="/static/v1/css/lessons.css"`,
		}},
		{"lesson", func(p templates.Page) templ.Component { return templates.LessonPage(p, l, nil, other, "/ws") }, []string{
			`<div class="lesson-page" id="lesson" data-lesson="good-lesson">`,
			`<h1 id="lesson-title">A good lesson</h1>`,
			`<li><code>udp-echo</code> at <code>(&#39;127.0.0.1&#39;, 47950)</code></li>`,
			`<button type="button" id="start-peers" data-start-peers>Start the peers</button>`,
			`<section class="step" id="step-first" data-step="first"`,
			`<a class="next" rel="next" href="/lessons/other">Other &lt;lesson&gt; →</a>`,
			`<div id="workbench" class="workbench embedded" data-ws="/ws" data-embedded>`,
			`<h2 class="visually-hidden">Workbench</h2>`,
			`<template id="sock-card-template">`,
			`<script id="lesson-peers" type="application/json">[{"addr":["127.0.0.1",47950],"op":"spawn","peer":"udp-echo"},`,
			`<script type="module" src="/static/v1/js/lesson.js"></script>`,
		}},
		{"not found", func(p templates.Page) templ.Component { return templates.NotFound(p, "No such <thing>.") }, []string{
			`<h1>Not found</h1>`, `<p>No such &lt;thing&gt;.</p>`, `<a href="/lessons">All lessons</a>`,
		}},
	}
}
