# tcp-client, wrong: sends the number back instead of twice it.
import socket
import sys

s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=5)
s.sendall(b'HELLO Bob\n')
data = b''
while not data.endswith(b'\n'):
    chunk = s.recv(1024)
    if not chunk:
        break
    data += chunk
n = int(data)
s.sendall(str(n).encode() + b'\n')
s.close()
