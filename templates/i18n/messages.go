package i18n

// messages is the templ pages' catalog: key → English and Chinese. Keys
// are grouped by page: nav.* (the layout), home.*, lessons.*, lesson.*,
// ex.*, wb.* (workbench), prog.* (progress), examples.*, program.*,
// error.* (404 and error pages). A %s or %d is filled by T's args.
var messages = map[string]M{
	"nav.skip":         {"Skip to content", "跳到正文"},
	"nav.site":         {"Site", "站点"},
	"nav.home":         {"Home", "首页"},
	"nav.lessons":      {"Lessons", "课程"},
	"nav.exercises":    {"Exercises", "练习"},
	"nav.examples":     {"Examples", "示例"},
	"nav.workbench":    {"Workbench", "工作台"},
	"nav.progress":     {"Progress", "进度"},
	"nav.lang":         {"Language", "语言"},
	"nav.switch":       {"中文", "English"},
	"nav.switch.title": {"阅读中文版", "Read this in English"},
}
