package exercises_test

import (
	"regexp"
	"testing"

	"sockplay/sockets/exercises"
)

// codeSpans finds a Markdown text's fenced blocks and `code` spans.
var codeSpans = regexp.MustCompile("(?s)```.*?```|`[^`\n]+`")

// TestChineseStatementsKeepTheContract: a Chinese statement is the same
// contract as the English one: every fenced block (the check command) and
// every `code` span of the English statement is in the Chinese one, and it
// has as many sections.
func TestChineseStatementsKeepTheContract(t *testing.T) {
	sections := regexp.MustCompile(`(?m)^## `)
	for _, x := range exercises.All() {
		if x.StatementZH == "" {
			continue // TestEveryExerciseInChinese reports it
		}
		zh := map[string]bool{}
		for _, s := range codeSpans.FindAllString(x.StatementZH, -1) {
			zh[s] = true
		}
		for _, s := range codeSpans.FindAllString(x.Statement, -1) {
			if !zh[s] {
				t.Errorf("%s: the Chinese statement has no %s", x.ID, s)
			}
		}
		if en, got := len(sections.FindAllString(x.Statement, -1)), len(sections.FindAllString(x.StatementZH, -1)); got != en {
			t.Errorf("%s: %d sections in Chinese, want %d as in English", x.ID, got, en)
		}
	}
}
