# Example: Threaded TCP server
# Example-zh: 多线程 TCP 服务器
# Title: Line client
# Title-zh: 按行收发的客户端
# Seed: 004 (a client of the socketserver server)
# Seed-zh: 004（socketserver 服务器的客户端）
# Order: 2
# Together: start server.py, then client.py two times at once: both are served together
# Together-zh: 先启动 server.py，再同时启动两个 client.py：两个会同时得到服务
# Args: [port] (default 9106); type lines on its input, an empty line quits
# Args-zh: [port]（默认 9106）；在它的输入里键入文字，输入空行退出
# Expect: "connected as ('127.0.0.1', N)"; for each line typed the server's reply,
#   e.g. "1: HELLO" for "hello" from the first client.
# Expect-zh: "connected as ('127.0.0.1', N)"；每键入一行就显示服务器的回复，
#   例如第一个客户端发 "hello" 得到 "1: HELLO"。
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 9106

with socket.create_connection(("127.0.0.1", port)) as tcp:
    print(f"connected as {tcp.getsockname()}")
    replies = tcp.makefile("r", encoding="utf-8")  # read the stream line by line
    while True:
        try:
            line = input()
        except EOFError:
            break
        if not line:
            break
        tcp.sendall((line + "\n").encode("utf-8"))
        print(replies.readline().rstrip("\n"))
print("closed")
