package sessions

import (
	"slices"
	"strings"
)

// The message kinds of rooms (see web/PROTOCOL.md, Rooms).
const (
	KindRoster    = "roster"     // the instructor's sessions only: the members and what they do
	KindFollow    = "follow"     // followers: go where the instructor is
	KindRoomShow  = "room_show"  // followers: the instructor's cell and its output, to show
	KindRoomPush  = "room_push"  // followers: a cell of the instructor's, to run themselves
	KindRoomHint  = "room_hint"  // one student: the instructor's one-line hint
	KindRoomEnd   = "room_end"   // every member: the room has ended
	KindRoomState = "room_state" // a member: the room it is in now (room "" when none)
	KindNote      = "note"       // a sentence for the page, such as "your instructor reset your sockets"
)

// LANFields are a member's place on the room's class LAN.
type LANFields struct {
	Addr       string `json:"addr"`       // the member's address, 10.78.0.n
	Prefix     int    `json:"prefix"`     // 24
	Broadcast  string `json:"broadcast"`  // 10.78.0.255
	Instructor string `json:"instructor"` // the instructor's address, 10.78.0.1
}

// RoomJoinFields are the result fields of room_join.
type RoomJoinFields struct {
	Room       string     `json:"room"`
	Title      string     `json:"title"`
	Lesson     string     `json:"lesson"`
	Instructor bool       `json:"instructor"`
	Member     string     `json:"member"`
	Name       string     `json:"name"`
	LAN        *LANFields `json:"lan"`
	LANNote    string     `json:"lan_note,omitempty"`
}

// RoomStateBody is a room_state message: the room the session is in, as
// its pages show it. Room is "" once it is in none.
type RoomStateBody struct {
	Room           string     `json:"room"`
	Title          string     `json:"title,omitempty"`
	Lesson         string     `json:"lesson,omitempty"`
	Member         string     `json:"member,omitempty"`
	Name           string     `json:"name,omitempty"`
	Instructor     bool       `json:"instructor"`
	InstructorName string     `json:"instructor_name,omitempty"`
	Following      bool       `json:"following"`
	Drive          bool       `json:"drive"` // the instructor's room_at drives followers
	LAN            *LANFields `json:"lan"`
	LANNote        string     `json:"lan_note,omitempty"`
}

// FollowBody is a follow message: where the instructor went.
type FollowBody struct {
	Room string `json:"room"`
	Place
	By string `json:"by"`
}

// RoomShowBody is a room_show message: the instructor's cell and output.
type RoomShowBody struct {
	Room   string `json:"room"`
	Cell   string `json:"cell"`
	Code   string `json:"code"`
	Output string `json:"output"`
	OK     *bool  `json:"ok"`
	From   string `json:"from"`
}

// RoomPushBody is a room_push message: a cell offered to run.
type RoomPushBody struct {
	Room string `json:"room"`
	Cell string `json:"cell"`
	Code string `json:"code"`
	From string `json:"from"`
}

// RoomHintBody is a room_hint message.
type RoomHintBody struct {
	Room string `json:"room"`
	Text string `json:"text"`
	From string `json:"from"`
}

// RoomEndBody is a room_end message.
type RoomEndBody struct {
	Room   string `json:"room"`
	Reason string `json:"reason"`
	By     string `json:"by,omitempty"` // the instructor who ended it ("" when it ended idle)
}

// NoteBody is a note message.
type NoteBody struct {
	Text string `json:"text"`
	From string `json:"from,omitempty"`
}

// RosterBody is a roster message.
type RosterBody struct {
	Room    string         `json:"room"`
	Members []RosterMember `json:"members"`
}

// RosterMember is one member as the instructor's roster shows it.
type RosterMember struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Instructor bool              `json:"instructor"`
	Online     bool              `json:"online"`
	Following  bool              `json:"following"`
	Page       string            `json:"page"`
	Lesson     string            `json:"lesson"`
	Step       string            `json:"step"`
	Sockets    int               `json:"sockets"`
	Passed     []string          `json:"passed"`
	Checks     map[string]string `json:"checks"`
	LastError  string            `json:"last_error"`
	Stuck      string            `json:"stuck"`
	Addr       string            `json:"addr"`
}

// RoomMembersFields are the result fields of the instructor's ops that
// reach several members: their ids.
type RoomMembersFields struct {
	Members []string `json:"members"`
}

func sortRoomInfos(rs []RoomInfo) {
	slices.SortFunc(rs, func(a, b RoomInfo) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.Code, b.Code)
	})
}
