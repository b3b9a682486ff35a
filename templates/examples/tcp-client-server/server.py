# Example: TCP client and server
# Example-zh: TCP 客户端和服务器
# Title: TCP server (one client after another)
# Title-zh: TCP 服务器（一个客户端接着一个客户端）
# Seed: 002 and 003 (the TCP server: socket, bind, listen, accept, recv, send, close)
#   and 004 (SO_REUSEADDR, a connection loop around a conversation loop)
# Seed-zh: 002 和 003（TCP 服务器：socket、bind、listen、accept、recv、send、close）
#   以及 004（SO_REUSEADDR，连接循环里套着通信循环）
# Order: 1
# Together: start server.py first, then client.py (run the client again: the server
#   takes the next one)
# Together-zh: 先启动 server.py，再启动 client.py（再运行一次客户端：服务器会接待下一个）
# Args: [port] (default 9105)
# Args-zh: [port]（默认 9105）
# Expect: "listening on ('127.0.0.1', 9105)"; when a client connects "connected: ('127.0.0.1', N)";
#   for each message "received: <text>" (and the client gets "received N bytes");
#   when the client closes, "client ('127.0.0.1', N) closed the connection".
# Expect-zh: "listening on ('127.0.0.1', 9105)"；有客户端连上时显示 "connected: ('127.0.0.1', N)"；
#   每条消息显示 "received: <text>"（客户端收到 "received N bytes"）；
#   客户端关闭时显示 "client ('127.0.0.1', N) closed the connection"。
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 9105

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
    # So that a restarted server can bind at once (see the TIME_WAIT state).
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(5)  # the listening socket only accepts; it never carries data
    print(f"listening on {server.getsockname()}")
    while True:  # the connection loop: one client after another
        conn, addr = server.accept()  # a new socket for this one client
        print(f"connected: {addr}")
        with conn:
            while True:  # the conversation loop
                data = conn.recv(1024)
                if not data:  # b'' means the client closed its side
                    print(f"client {addr} closed the connection")
                    break
                print("received:", data.decode("utf-8", "replace"))
                conn.sendall(f"received {len(data)} bytes".encode("utf-8"))
