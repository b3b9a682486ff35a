# file-transfer, correct: on a broken connection, reconnect, ask size, resume.
import hashlib
import json
import socket
import struct
import sys
import time

ADDR = ('127.0.0.1', int(sys.argv[1]))
NAME = 'data.bin'
DATA = bytes((i * 7 + i // 251) % 256 for i in range(100000))
CHUNK = 8192


def send_msg(s, header, body=b''):
    h = json.dumps(dict(header, data_size=len(body))).encode('utf-8')
    s.sendall(struct.pack('!I', len(h)) + h + body)


def recv_exact(s, n):
    buf = b''
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError('the server closed the connection')
        buf += chunk
    return buf


def recv_msg(s):
    hlen, = struct.unpack('!I', recv_exact(s, 4))
    header = json.loads(recv_exact(s, hlen))
    return header, recv_exact(s, header['data_size'])


def upload():
    with socket.create_connection(ADDR, timeout=5) as s:
        send_msg(s, {'cmd': 'size', 'filename': NAME})
        h, _ = recv_msg(s)
        offset = h['size'] if h['status'] == 'ok' else 0
        print('resuming at', offset, flush=True)
        while offset < len(DATA):
            send_msg(s, {'cmd': 'put', 'filename': NAME, 'offset': offset}, DATA[offset:offset + CHUNK])
            h, _ = recv_msg(s)
            offset = h['size']
        send_msg(s, {'cmd': 'done', 'filename': NAME, 'sha256': hashlib.sha256(DATA).hexdigest()})
        print(recv_msg(s)[0], flush=True)


for attempt in range(5):
    try:
        upload()
        break
    except OSError as e:
        print('attempt', attempt, 'failed:', repr(e), flush=True)
        time.sleep(0.1)
