package web

import (
	"net/http"

	"github.com/gorilla/websocket"
)

// UpgradeGrouping upgrades r with up as serveWS does, and returns with the
// connection whether the client's next frame is whole in hand already
// (nextFrameBuffered), so that the benchmarks' protocol floor answers
// frames that came together by the reader's own rule.
func UpgradeGrouping(up *websocket.Upgrader, w http.ResponseWriter, r *http.Request) (*websocket.Conn, func() bool, error) {
	spy := &hijackSpy{ResponseWriter: w}
	conn, err := up.Upgrade(spy, r, nil)
	return conn, func() bool { return nextFrameBuffered(spy.br) }, err
}
