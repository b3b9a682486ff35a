# json-header, wrong: reads the request right but replies with the bare body.
import json
import socket
import struct


def recv_exact(conn, n):
    buf = b''
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise ConnectionError('closed')
        buf += chunk
    return buf


s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 0))
s.listen()
print(s.getsockname()[1], flush=True)
while True:
    conn, addr = s.accept()
    with conn:
        try:
            while True:
                hlen, = struct.unpack('!I', recv_exact(conn, 4))
                header = json.loads(recv_exact(conn, hlen))
                body = recv_exact(conn, header['data_size'])
                conn.sendall(body.upper())
        except OSError:
            pass
