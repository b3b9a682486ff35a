# Example: TCP client and server
# Example-zh: TCP 客户端和服务器
# Title: TCP client
# Title-zh: TCP 客户端
# Seed: 002 and 003 (the TCP client: socket, connect, send, recv, close; "exit" quits)
# Seed-zh: 002 和 003（TCP 客户端：socket、connect、send、recv、close；输入 "exit" 退出）
# Order: 2
# Together: start server.py first, then client.py
# Together-zh: 先启动 server.py，再启动 client.py
# Args: [port] (default 9105); type lines on its input, "exit" (or the end of input) quits
# Args-zh: [port]（默认 9105）；在它的输入里键入文字，"exit"（或输入结束）退出
# Expect: "connected to ('127.0.0.1', 9105) from ('127.0.0.1', N)"; for each line typed the
#   server's answer "server: received N bytes"; "exit" closes the connection.
#   Without a server: "ConnectionRefusedError: [Errno 111] Connection refused".
# Expect-zh: "connected to ('127.0.0.1', 9105) from ('127.0.0.1', N)"；每键入一行，
#   显示服务器的回答 "server: received N bytes"；"exit" 关闭连接。
#   没有服务器时："ConnectionRefusedError: [Errno 111] Connection refused"。
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 9105
server = ("127.0.0.1", port)

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
    try:
        tcp.connect(server)  # the three-way handshake happens here
    except ConnectionRefusedError as e:
        print(f"ConnectionRefusedError: {e}")
        sys.exit(1)
    print(f"connected to {server} from {tcp.getsockname()}")
    while True:
        try:
            line = input()
        except EOFError:
            break
        if line == "exit":
            break
        if not line:
            continue  # an empty send would send nothing at all on TCP
        tcp.sendall(line.encode("utf-8"))
        reply = tcp.recv(1024)
        if not reply:
            print("the server closed the connection")
            break
        print("server:", reply.decode("utf-8"))
print("closed")
