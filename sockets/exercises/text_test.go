package exercises_test

import (
	"reflect"
	"strings"
	"testing"

	"sockplay/sockets/exercises"
)

func TestText(t *testing.T) {
	x := &exercises.Exercise{Title: "T", Statement: "S", Hints: []string{"h1", "h2"}}
	en := exercises.Text{Title: "T", Statement: "S", Hints: []string{"h1", "h2"}, Lang: "en"}
	if got := x.Text("zh"); !reflect.DeepEqual(got, en) {
		t.Errorf("without Chinese, Text(zh) = %+v, want the English %+v", got, en)
	}
	x.TitleZH, x.StatementZH, x.HintsZH = "标题", "题目", []string{"提示一", "提示二"}
	if got, want := x.Text("zh"), (exercises.Text{Title: "标题", Statement: "题目", Hints: []string{"提示一", "提示二"}, Lang: "zh"}); !reflect.DeepEqual(got, want) {
		t.Errorf("Text(zh) = %+v, want %+v", got, want)
	}
	if got := x.Text("en"); !reflect.DeepEqual(got, en) {
		t.Errorf("Text(en) = %+v, want %+v", got, en)
	}
}

// TestEveryExerciseInChinese: every exercise has a Chinese title, statement
// (with its check section and command, as the English) and one Chinese hint
// for each English hint (issue 14).
func TestEveryExerciseInChinese(t *testing.T) {
	for _, x := range exercises.All() {
		if x.TitleZH == "" || x.StatementZH == "" || len(x.HintsZH) != len(x.Hints) {
			t.Errorf("%s: TitleZH %q, StatementZH of %d bytes, %d HintsZH for %d Hints", x.ID, x.TitleZH, len(x.StatementZH), len(x.HintsZH), len(x.Hints))
		}
		if !strings.Contains(x.StatementZH, "sockplay check "+x.ID+" ") {
			t.Errorf("%s: the Chinese statement does not give the check command", x.ID)
		}
	}
}
