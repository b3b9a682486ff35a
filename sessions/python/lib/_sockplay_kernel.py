"""sockplay's cell kernel: runs a lesson's (or the console's) cells in one
shared namespace, each cell in its own thread, so a cell that blocks
(accept, recv) keeps waiting while later cells run.

Protocol (newline-delimited JSON, one object a line):

  stdin  (fd 0), one cell a line:   {"cell": "c1", "code": "...", "rerun_key": "k"}
                                    (rerun_key optional: see Re-runs)
  stdout (fd 1), the kernel's events:
    {"event": "ready"}                                  once, at start
    {"event": "start", "cell": "c1", "sockets": [...],  the cell's thread runs
     "closed": ["s1"], "stopped": ["p1"]}               (closed, stopped: see Re-runs)
    {"event": "output", "cell": "c1", "stream": "stdout"|"stderr", "text": "..."}
    {"event": "done", "cell": "c1", "ok": true|false, "sockets": [...],
     "error": "ValueError: ..."}                         error only when ok is false

    {"event": "waiting", "cell": "c1"}                  the cell blocks; later cells run

Cells run one after the other, each in its own thread, in the order they
came: the next cell starts when the one before is done, or once it waits:
its thread has been inside a blocking call (accept, recv, connect,
a lock or an event, select, ...) for WAIT_GRACE seconds, or code reported
it waiting through the thread's sockplay_waiting(True) hook (sockplay's
channel calls it when the server answers "waiting"; its own round trips
to the server are not taken for blocking). So "accept waits;
now connect" works as it reads, while a cell that uses what the one before
just made never starts too early.

Everything a cell prints goes into "output" events of that cell: print(),
sys.stdout/sys.stderr writes, the value of a last expression (shown with
repr, as the interactive prompt does) and a traceback (as Python prints it).
Threads a cell starts (threading.Thread, socketserver's threads) print into
that cell too, also after its "done". Output of no cell (the kernel's own
warnings) has "cell": null. Anything written to file descriptor 1 directly
(os.write(1, ...)) goes to stderr instead, so it never mixes with the
events; stderr (fd 2) is plain text.

"sockets" lists the sockplay handles ("s3") of the socket objects the
cell's code names (globals it reads or assigns): sockplay's sockets have a
handle attribute; with CPython's own socket module the list is empty. The kernel uses sockets only through `import socket`.

Re-runs (the re-run cleanup): the cells sent with the same "rerun_key" are
runs of one cell (the lesson page sends its cell's id). Before such a cell's
code runs, the kernel closes what the earlier runs with its key made and
that is still open: the sockets the session made for them (socket(),
accept(), sockplay.socket_on) and the peers they started (sockplay.spawn),
also from threads they started. Its "start" event lists them ("closed":
socket handles, "stopped": peer ids, each only when not empty) and its
output starts with one line saying so:
"# re-run: closed s1, s2 made by the previous run of this cell" (in
Chinese when the run's lang is "zh", as all of sockplay's own sentences in
a program are: _sockplay_channel.say). What the
learner closed already, what other keys, keyless cells, the page's buttons
or other programs made, is left alone. sockplay's modules report what they
make through the hook sockplay_made(kind, name, close) that the kernel puts
on a keyed cell's threads (kind "socket" or "peer"; close() closes it and
says whether it was still open); with CPython's own modules nothing is
reported and nothing is closed.

A line that is not a cell object gets an output event with cell null on
stderr saying why; the kernel goes on. The kernel ends at the end of stdin.
"""

import ast
import builtins
import io
import json
import linecache
import os
import queue
import sys
import threading
import time
import traceback

# The language of the kernel's own sentences, as _sockplay_channel's (the
# kernel runs with CPython's own modules too, so it reads it itself).
LANG = "zh" if os.environ.get("SOCKPLAY_LANG") == "zh" else "en"


def say(english, chinese):
    """The sentence in the kernel's language (LANG)."""
    return chinese if LANG == "zh" else english

# The events' stream is a private copy of fd 1; fd 1 itself becomes fd 2.
_events = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
os.dup2(2, 1)
_cells_in = sys.stdin.buffer
_emit_lock = threading.Lock()


def emit(event):
    """Writes one event line; safe from any thread."""
    line = json.dumps(event, ensure_ascii=False)
    with _emit_lock:
        _events.write(line + "\n")
        _events.flush()


def current_cell():
    """The cell the calling thread works for, or None."""
    return getattr(threading.current_thread(), "sockplay_cell", None)


# Threads inherit the cell of the thread that made them.
_thread_init = threading.Thread.__init__


def _init_with_cell(self, *args, **kwargs):
    _thread_init(self, *args, **kwargs)
    self.sockplay_cell = current_cell()
    self.sockplay_made = getattr(threading.current_thread(), "sockplay_made", None)


threading.Thread.__init__ = _init_with_cell


class CellStream(io.TextIOBase):
    """sys.stdout or sys.stderr: text goes to the writing thread's cell.

    Text is kept per cell until a newline (or 4 KiB), so print("a", "b")
    is one event, not four; flush() and the cell's end send the rest.
    """

    LIMIT = 4096

    def __init__(self, name):
        super().__init__()
        self.name = name
        self._pending = {}
        self._lock = threading.Lock()

    @property
    def encoding(self):
        return "utf-8"

    def writable(self):
        return True

    def isatty(self):
        return False

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError("write() argument must be str, not " + type(text).__name__)
        cell = current_cell()
        with self._lock:
            buf = self._pending.get(cell, "") + text
            cut = buf.rfind("\n") + 1
            if len(buf) >= self.LIMIT:
                cut = len(buf)
            out, self._pending[cell] = buf[:cut], buf[cut:]
        if out:
            self._send(cell, out)
        return len(text)

    def flush(self):
        self.flush_cell(current_cell())

    def flush_cell(self, cell):
        with self._lock:
            out = self._pending.pop(cell, "")
        if out:
            self._send(cell, out)

    def _send(self, cell, text):
        emit({"event": "output", "cell": cell, "stream": self.name, "text": text})


class NoInput(io.TextIOBase):
    """sys.stdin: cells have no keyboard (stdin carries the cells)."""

    def readable(self):
        return True

    def readline(self, size=-1):
        raise RuntimeError(say("input() is not available in a cell: stdin carries the cells",
                                "单元格里不能用 input()：标准输入用来传送单元格"))

    read = readline


STDOUT = CellStream("stdout")
STDERR = CellStream("stderr")
sys.stdout, sys.stderr, sys.stdin = STDOUT, STDERR, NoInput()

# The one namespace every cell shares, like the interactive prompt's.
NAMESPACE = {"__name__": "__main__", "__builtins__": builtins}


class RerunCleanup:
    """The re-run cleanup (see the module's doc): what each rerun key's
    runs made, to close when the key's cell runs again."""

    def __init__(self):
        self._lock = threading.Lock()
        self._made = {}  # rerun key -> [(kind, name, close)], in the order made

    def hook(self, key):
        """The sockplay_made hook for the threads of a run with key."""
        def made(kind, name, close):
            with self._lock:
                self._made.setdefault(key, []).append((kind, name, close))
        return made

    def clean(self, key):
        """Closes what earlier runs of key made and is still open.

        Returns (closed socket handles, stopped peer ids).
        """
        with self._lock:
            made = self._made.pop(key, [])
        closed, stopped = [], []
        for kind, name, close in made:
            try:
                was_open = close()
            except Exception as exc:  # never the cell's fault: say so and go on
                sys.stderr.write(say("# re-run: could not close %s: %s\n", "# 重新运行：无法关闭 %s：%s\n") % (name, exc))
                continue
            names = stopped if kind == "peer" else closed
            if was_open and name not in names:
                names.append(name)
        return closed, stopped


RERUN = RerunCleanup()


def rerun_note(closed, stopped):
    """The line a re-run's output starts with."""
    if LANG == "zh":
        if not closed:
            return "# 重新运行：已停止这个单元格上次运行时启动的对端程序 " + "、".join(stopped)
        note = "# 重新运行：已关闭这个单元格上次运行时创建的 " + "、".join(closed)
        return note + ("，并停止了它启动的对端程序 " + "、".join(stopped) if stopped else "")
    parts = []
    if closed:
        parts.append("closed " + ", ".join(closed))
    if stopped:
        parts.append(("stopped peer " if len(stopped) == 1 else "stopped peers ") + ", ".join(stopped))
    return "# re-run: %s made by the previous run of this cell" % " and ".join(parts)


def socket_handles(names):
    """The sockplay handles of the socket objects bound to names.

    sockplay's sockets have a handle ("s3"); CPython's have none.
    """
    sock_mod = sys.modules.get("socket")
    if sock_mod is None:
        return []
    handles = []
    for name in names:
        value = NAMESPACE.get(name)
        if not isinstance(value, sock_mod.socket):
            continue
        try:
            h = getattr(value, "handle", None)
        except Exception:
            continue
        if isinstance(h, str) and h and h not in handles:
            handles.append(h)
    return handles


def names_in(tree):
    """Global names a cell's code mentions, in order of first use."""
    seen = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in seen:
            seen.append(node.id)
    return seen


def compile_cell(cell, code):
    """Compiles a cell: (body, last expression or None, tree).

    The source is put into linecache so that tracebacks show its lines.
    """
    filename = "<cell %s>" % cell
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    tree = ast.parse(code, filename, "exec")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        expr = ast.Expression(tree.body.pop().value)
        last = compile(expr, filename, "eval")
    body = compile(tree, filename, "exec")
    return body, last, tree


def show_error(exc, skip_frames):
    """Prints exc as Python would, without the kernel's own frames."""
    tb = exc.__traceback__
    for _ in range(skip_frames):
        if tb is not None:
            tb = tb.tb_next
    sys.stderr.write("".join(traceback.format_exception(type(exc), exc, tb)))


def error_line(exc):
    return "".join(traceback.format_exception_only(type(exc), exc)).strip().splitlines()[-1]


# Names of C functions a cell may block in (socket methods, select, time,
# locks, events, queues, joins).
BLOCKING = frozenset((
    "accept", "_accept", "recv", "recvfrom", "recv_into", "recvfrom_into",
    "recvmsg", "recvmsg_into", "connect", "connect_ex", "send", "sendall",
    "sendto", "sendmsg", "select", "poll", "epoll", "acquire",
    "acquire_lock", "wait", "join", "readline", "readinto", "read",
))
WAIT_GRACE = 0.25


def in_channel(frame, depth=6):
    """Is frame inside sockplay's channel (waiting for the server's answer)?

    Those waits are not taken for blocking: the server says "waiting" when
    a call really blocks, and the channel passes that to the cell's
    sockplay_waiting hook; until then the call is only a round trip.
    """
    while frame is not None and depth > 0:
        if frame.f_code.co_filename.endswith("_sockplay_channel.py"):
            return True
        frame, depth = frame.f_back, depth - 1
    return False


class CellRun:
    """One cell's run: what the scheduler watches."""

    def __init__(self, cell, code, key=None):
        self.cell, self.code = cell, code
        self.key = key                     # the rerun key, or None
        self.released = threading.Event()  # done or waiting: the next may start
        self.blocked_since = None          # monotonic time a blocking call began
        self.said_waiting = False

    def profile(self, frame, event, arg):
        if event == "c_call" and getattr(arg, "__name__", "") in BLOCKING:
            if not in_channel(frame):
                self.blocked_since = time.monotonic()
        elif event in ("c_return", "c_exception") and getattr(arg, "__name__", "") in BLOCKING:
            self.blocked_since = None

    def waiting_hook(self, waiting=True):
        """Hook for code that knows the cell waits (sockplay's module)."""
        if waiting:
            self.release_waiting()

    def release_waiting(self):
        if not self.said_waiting and not self.released.is_set():
            self.said_waiting = True
            emit({"event": "waiting", "cell": self.cell})
            self.released.set()

    def watch(self):
        """Returns once the cell is done or waits."""
        while not self.released.wait(0.05):
            since = self.blocked_since
            if since is not None and time.monotonic() - since >= WAIT_GRACE:
                self.release_waiting()


def run_cell(run):
    """The body of a cell's thread."""
    me = threading.current_thread()
    me.sockplay_cell = run.cell
    me.sockplay_waiting = run.waiting_hook
    me.sockplay_made = RERUN.hook(run.key) if run.key is not None else None
    sys.setprofile(run.profile)
    try:
        execute(run.cell, run.code, run.key)
    finally:
        sys.setprofile(None)
        run.released.set()


def begin(cell, names, key):
    """Starts a cell: the re-run cleanup of its key, its start event, and
    the re-run's note as the first line of its output."""
    closed, stopped = RERUN.clean(key) if key is not None else ([], [])
    # The names may still hold what the cleanup closed: not the cell's now.
    sockets = [h for h in socket_handles(names) if h not in closed]
    start = {"event": "start", "cell": cell, "sockets": sockets}
    if closed:
        start["closed"] = closed
    if stopped:
        start["stopped"] = stopped
    emit(start)
    if closed or stopped:
        print(rerun_note(closed, stopped))


def execute(cell, code, key=None):
    """Runs one cell's code (a run of key's cell: the re-run cleanup first) and reports it."""
    done = {"event": "done", "cell": cell, "ok": True}
    tree = None
    try:
        try:
            body, last, tree = compile_cell(cell, code)
        except SyntaxError as exc:
            sys.stderr.write("".join(traceback.format_exception_only(type(exc), exc)))
            done.update(ok=False, error=error_line(exc))
            return
        begin(cell, names_in(tree), key)
        try:
            exec(body, NAMESPACE)
            if last is not None:
                value = eval(last, NAMESPACE)
                if value is not None:
                    builtins._ = value
                    print(repr(value))
        except SystemExit as exc:
            done.update(ok=exc.code in (None, 0), error="SystemExit: %s" % (exc.code,))
        except BaseException as exc:
            show_error(exc, 1)
            done.update(ok=False, error=error_line(exc))
    except BaseException as exc:  # a broken stream, a failing repr: say so
        done.update(ok=False, error=error_line(exc))
    finally:
        STDOUT.flush_cell(cell)
        STDERR.flush_cell(cell)
        if tree is not None:
            done["sockets"] = socket_handles(names_in(tree))
        emit(done)


def start_cell(line):
    """Starts the cell on one stdin line, or says why not."""
    try:
        req = json.loads(line)
    except ValueError as exc:
        emit({"event": "output", "cell": None, "stream": "stderr",
              "text": "kernel: a line is one JSON object {\"cell\":…,\"code\":…}: %s\n" % exc})
        return
    if not isinstance(req, dict) or not isinstance(req.get("cell"), str) \
            or not isinstance(req.get("code"), str) \
            or not isinstance(req.get("rerun_key", ""), str):
        emit({"event": "output", "cell": None, "stream": "stderr",
              "text": "kernel: a cell line needs \"cell\" (a string) and \"code\" (a string);"
                      " \"rerun_key\", if there, is a string\n"})
        return
    QUEUE.put(CellRun(req["cell"], req["code"], req.get("rerun_key") or None))


QUEUE = queue.Queue()


def scheduler():
    """Starts the queued cells one by one (see the module's doc)."""
    while True:
        run = QUEUE.get()
        if run is None:
            return
        t = threading.Thread(target=run_cell, args=(run,), name="cell " + run.cell, daemon=True)
        t.start()
        run.watch()


def main():
    sys.path.insert(0, "")
    sched = threading.Thread(target=scheduler, name="kernel scheduler", daemon=True)
    sched.start()
    emit({"event": "ready"})
    for raw in _cells_in:
        line = raw.decode("utf-8", "replace").strip()
        if line:
            start_cell(line)
    # stdin closed: the queued cells still run; then the kernel ends (cells
    # still waiting end with it).
    QUEUE.put(None)
    sched.join()
    STDOUT.flush_cell(None)
    STDERR.flush_cell(None)


if __name__ == "__main__":
    main()
