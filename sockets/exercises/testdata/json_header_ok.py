# json-header, correct: '!I' header length, JSON header with data_size, body.
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


def serve(conn):
    while True:
        try:
            hlen, = struct.unpack('!I', recv_exact(conn, 4))
        except ConnectionError:
            return
        header = json.loads(recv_exact(conn, hlen).decode('utf-8'))
        body = recv_exact(conn, header['data_size'])
        out = body.upper()
        h = json.dumps({'status': 'ok', 'data_size': len(out)}).encode('utf-8')
        conn.sendall(struct.pack('!I', len(h)) + h + out)


s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 0))
s.listen()
print(s.getsockname()[1], flush=True)
while True:
    conn, addr = s.accept()
    with conn:
        serve(conn)
