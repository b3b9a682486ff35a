# Example: UDP sender and receiver
# Example-zh: UDP 发送方和接收方
# Title: UDP sender
# Title-zh: UDP 发送方
# Seed: 003 (UDP send: one line from the keyboard, one sendto, close)
# Seed-zh: 003（UDP 发送：从键盘读一行，一次 sendto，close）
# Order: 2
# Together: start receiver.py first, then sender.py
# Together-zh: 先启动 receiver.py，再启动 sender.py
# Args: [port] (default 9100); type one line on its input
# Args-zh: [port]（默认 9100）；在它的输入里键入一行
# Expect: "type one line to send", then after a line: "sent N bytes to ('127.0.0.1', 9100)".
#   No connection and no answer: if nothing listens, the datagram is simply lost.
# Expect-zh: "type one line to send"，键入一行后显示 "sent N bytes to ('127.0.0.1', 9100)"。
#   没有连接，也没有回答：如果没有程序在监听，这个数据报就直接丢了。
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 9100
dest = ("127.0.0.1", port)  # a tuple: host as a string, port as a number

with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
    print("type one line to send")
    line = input()
    # No bind needed: the kernel gives the socket a free port on first send.
    n = udp.sendto(line.encode("utf-8"), dest)
    print(f"sent {n} bytes to {dest}")
