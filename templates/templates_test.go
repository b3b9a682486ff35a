package templates_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"

	"sockplay/sessions/progress"
	"sockplay/sockets/exercises"
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
			`href="/static/v1/css/site.css"`,
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
			`href="/static/v1/css/site.css"`,
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
				if _, err := static.ReadFile(name); err != nil {
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
	t0 := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	prog := progress.Progress{
		Lessons: []progress.Lesson{{Slug: "good-lesson", FirstRead: t0, LastRead: t0.Add(5 * time.Minute), Steps: []progress.Step{
			{ID: "first", Runs: 1, LastRun: t0},
			{ID: "second", Runs: 2, LastOK: true, LastRun: t0, PassedAt: t0},
		}}},
		Exercises: []progress.Exercise{
			{ID: "udp-upper", Attempts: []progress.Attempt{
				{At: t0, FailedStep: "2 (lower <case>)", Summary: "sendto(b'abc') → b'abc'"},
				{At: t0.Add(time.Minute), Pass: true, Summary: "3/3 datagrams answered"},
			}},
			{ID: "tcp-echo", Attempts: []progress.Attempt{{At: t0, FailedStep: "1 (connect)"}}},
			{ID: "gone-exercise", Attempts: []progress.Attempt{{At: t0, Pass: true}}},
		},
	}
	view := templates.ProgressView{Saved: true, Lessons: ls, Exercises: exercises.All(), Progress: prog, Notice: "Imported <ok>."}
	return []struct {
		name string
		page func(templates.Page) templ.Component
		want []string
	}{
		{"lesson index", func(p templates.Page) templ.Component { return templates.LessonIndex(p, ls, nil) }, []string{
			`<li class="lesson-item" data-lesson="good-lesson" data-steps="first second" data-passed="" data-read="false" data-done="false">`,
			`<a href="/lessons/good-lesson">A good lesson</a>`,
			`<span class="lesson-progress" data-progress>2 cells</span>`,
			`<p class="lesson-summary">Everything the format allows, once.</p>`,
			`<li>recvfrom</li><li>sendto</li><li>EADDRINUSE</li>`,
			`<script type="module" src="/static/v1/js/lessons-index.js"></script>`,
			`href="/static/v1/css/site.css"`,
		}},
		{"lesson index with progress", func(p templates.Page) templ.Component { return templates.LessonIndex(p, ls, &prog) }, []string{
			`<li class="lesson-item" data-lesson="good-lesson" data-steps="first second" data-passed="second" data-read="true" data-done="false">`,
			`<span class="lesson-read" data-read-mark title="read 2026-11-22 09:05 UTC">read</span>`,
			`<span class="lesson-progress" data-progress>1 of 2 cells passed</span>`,
		}},
		{"lesson", func(p templates.Page) templ.Component {
			return templates.LessonPage(p, l, nil, other, "/ws", templates.StepProgress{URL: "/progress/steps", Passed: []string{"second"}})
		}, []string{
			`<script id="lesson-progress" type="application/json">{"url":"/progress/steps","passed":["second"]}`,
			`<div class="lesson-page" id="lesson" data-lesson="good-lesson">`,
			`<h1 id="lesson-title">A good lesson</h1>`,
			`<li><code>udp-echo</code> at <code>(&#39;127.0.0.1&#39;, 47950)</code></li>`,
			`<button type="button" id="start-peers" data-start-peers>Start the peers</button>`,
			`<section class="cell" id="cell-first" data-cell="first"`,
			`<a class="next" rel="next" href="/lessons/other">Other &lt;lesson&gt; →</a>`,
			`<div id="workbench" class="workbench embedded" data-ws="/ws" data-embedded>`,
			`<h2 class="visually-hidden">Workbench</h2>`,
			`<template id="sock-card-template">`,
			`<script id="lesson-peers" type="application/json">[{"addr":["127.0.0.1",47950],"op":"spawn","peer":"udp-echo"},`,
			`<script type="module" src="/static/v1/js/lesson.js"></script>`,
		}},
		{"progress", func(p templates.Page) templ.Component { return templates.ProgressPage(p, view) }, []string{
			`<div class="prose progress-page" id="progress" data-saved="true">`,
			`<p class="notice" role="status" data-notice>Imported &lt;ok&gt;.</p>`,
			`<tr class="lesson-row" data-lesson="good-lesson" data-read="true" data-passed="1" data-total="2">`,
			`<td data-read-at><time datetime="2026-11-22T09:05:00Z">2026-11-22 09:05 UTC</time></td>`,
			`<li data-step="second" data-passed="true"><a href="/lessons/good-lesson#cell-second"><span aria-hidden="true">✓ </span>`,
			`<section class="exercise-progress" data-exercise="udp-upper" data-status="passed">`,
			`Passed on <time datetime="2026-11-22T09:01:00Z">2026-11-22 09:01 UTC</time> (attempt 2 of 2).`,
			`<li class="attempt" data-pass="false"><time datetime="2026-11-22T09:00:00Z">2026-11-22 09:00 UTC</time><span class="verdict fail">FAIL</span> <span class="failed-step">at step 2 (lower &lt;case&gt;)</span> <span class="attempt-summary">sendto(b&#39;abc&#39;) → b&#39;abc&#39;</span></li>`,
			`<section class="exercise-progress" data-exercise="tcp-echo" data-status="failed">`,
			`Not passed yet: 1 attempt.`,
			`<section class="exercise-progress" data-exercise="udp-broadcast" data-status="untried">`,
			`<section class="exercise-progress" data-exercise="gone-exercise" data-status="passed"><h3>gone-exercise</h3>`,
			`<a class="button" id="export-progress" href="/progress/export" download>`,
			`<form id="import-progress" method="post" action="/progress/import" enctype="multipart/form-data">`,
			`<a href="/progress">Progress</a>`,
		}},
		{"progress not saved", func(p templates.Page) templ.Component {
			return templates.ProgressPage(p, templates.ProgressView{Lessons: ls})
		}, []string{
			`<div class="prose progress-page" id="progress" data-saved="false">`,
			`This server does not save progress`,
		}},
		{"not found", func(p templates.Page) templ.Component { return templates.NotFound(p, "No such <thing>.") }, []string{
			`<h1>Not found</h1>`, `<p>No such &lt;thing&gt;.</p>`, `<a href="/lessons">All lessons</a>`,
		}},
	}
}
