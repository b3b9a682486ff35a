# Example: Threaded TCP server
# Example-zh: 多线程 TCP 服务器
# Title: Threaded server (socketserver)
# Title-zh: 多线程服务器（socketserver）
# Seed: 004 (socketserver.ThreadingTCPServer: one thread per client) and 002 (a thread per client)
# Seed-zh: 004（socketserver.ThreadingTCPServer：每个客户端一个线程）和 002（每个客户端一个线程）
# Order: 1
# Together: start server.py, then client.py two times at once: both are served together
# Together-zh: 先启动 server.py，再同时启动两个 client.py：两个会同时得到服务
# Args: [port] (default 9106)
# Args-zh: [port]（默认 9106）
# Expect: "serving on ('127.0.0.1', 9106)"; "client 1 connected from ...", "client 2 connected
#   from ..." while client 1 is still connected; each line a client sends comes back as
#   "<n>: <LINE IN CAPITALS>", n being that client's number.
# Expect-zh: "serving on ('127.0.0.1', 9106)"；客户端 1 还连着的时候就出现
#   "client 1 connected from ..." 和 "client 2 connected from ..."；客户端发来的每一行
#   都以 "<n>: <转成大写的那一行>" 的形式返回，n 是那个客户端的编号。
import itertools
import socketserver
import sys
import threading

port = int(sys.argv[1]) if len(sys.argv) > 1 else 9106
numbers = itertools.count(1)
numbers_lock = threading.Lock()
print_lock = threading.Lock()


def say(text):
    """Prints one line whole: print() from two threads at once can glue lines."""
    with print_lock:
        print(text, flush=True)


class UpperHandler(socketserver.StreamRequestHandler):
    """Serves one connection, in its own thread: each line back in capitals."""

    def handle(self):
        with numbers_lock:
            n = next(numbers)
        say(f"client {n} connected from {self.client_address}")
        # rfile and wfile wrap the connection (socket.makefile), so readline works.
        for line in self.rfile:
            text = line.decode("utf-8", "replace").rstrip("\n")
            say(f"client {n}: {text}")
            self.wfile.write(f"{n}: {text.upper()}\n".encode("utf-8"))
        say(f"client {n} left")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True  # SO_REUSEADDR, so a restart can bind at once
    daemon_threads = True  # client threads do not keep the program alive


with Server(("127.0.0.1", port), UpperHandler) as server:
    print(f"serving on {server.server_address}")
    server.serve_forever()
