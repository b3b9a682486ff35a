"""sockplay's note of the limit that ended a program (see sessions/programs).

Python imports this module as it starts in sockplay's sandbox. When an
exception that one of the sandbox's limits caused is not caught -- a
MemoryError, a process or thread that could not start, a file too large,
a full /tmp, too many open files -- it writes which limit to file
descriptor 4, then Python prints the traceback as it always does (without
this module's frames).

It also makes stdout line-buffered, as it is on a terminal: a print shows
at once and whole (with PYTHONUNBUFFERED each piece of a print was a write
of its own, so stderr's lines could land inside one of stdout's).
"""
import _posixsubprocess
import _thread
import errno
import os
import sys

_REPORT = 4
_FILES = {errno.EFBIG: "fsize", errno.ENOSPC: "tmp", errno.EDQUOT: "tmp",
          errno.EMFILE: "nofile", errno.ENFILE: "nofile"}
_LINES = {k: ('{"hit":"%s"}\n' % k).encode()
          for k in ("memory", "processes", "fsize", "tmp", "nofile")}

try:
    os.set_inheritable(_REPORT, False)
except OSError:
    _REPORT = -1


def _kind(exc):
    if isinstance(exc, MemoryError):
        return "memory"
    kind = getattr(exc, "_sockplay_limit", None)
    if kind:
        return kind
    if isinstance(exc, OSError):
        return _FILES.get(exc.errno)
    return None


def _note(exc):
    kind = _kind(exc)
    if kind and _REPORT >= 0:
        try:
            os.write(_REPORT, _LINES[kind])
        except OSError:
            pass


def _strip(tb):
    """The traceback without this module's frames."""
    first = prev = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename != __file__:
            if prev is None:
                first = tb
            else:
                prev.tb_next = tb
            prev = tb
        tb = tb.tb_next
    if prev is not None:
        prev.tb_next = None
    return first


def _starts(f):
    """f, marking a failure to start a process or thread as the limit's."""
    def call(*args, **kwargs):
        try:
            return f(*args, **kwargs)
        except (BlockingIOError, RuntimeError) as e:
            e._sockplay_limit = "processes"
            raise
    call.__name__, call.__qualname__, call.__doc__ = f.__name__, f.__name__, f.__doc__
    return call


for _mod, _name in ((os, "fork"), (os, "forkpty"), (os, "posix_spawn"), (os, "posix_spawnp"),
                    (_posixsubprocess, "fork_exec"), (_thread, "start_new_thread")):
    if hasattr(_mod, _name):
        setattr(_mod, _name, _starts(getattr(_mod, _name)))


def _excepthook(tp, value, tb, _next=sys.excepthook):
    _note(value)
    _next(tp, value, _strip(tb))


sys.excepthook = _excepthook

try:
    sys.stdout.reconfigure(line_buffering=True)
except (AttributeError, ValueError):
    pass

import threading  # noqa: E402 (after _thread is wrapped: threading keeps its start_new_thread)

_thread_hook = threading.excepthook


def _thread_excepthook(args):
    _note(args.exc_value)
    _thread_hook(threading.ExceptHookArgs(
        (args.exc_type, args.exc_value, _strip(args.exc_traceback), args.thread)))


threading.excepthook = _thread_excepthook


class _PathBeforeBuiltins:
    """Lets a module on PYTHONPATH stand in for a built-in one of the same
    name, as it does for an extension module: where Python is built with
    select compiled in (Debian's), sockplay's select.py would never be
    found, since built-ins are looked for before the path."""

    def __init__(self, dirs):
        self._dirs = dirs

    def find_spec(self, name, path=None, target=None):
        if path is not None or name not in sys.builtin_module_names:
            return None
        from importlib.machinery import PathFinder
        return PathFinder.find_spec(name, self._dirs)


_dirs = [d for d in os.environ.get("PYTHONPATH", "").split(os.pathsep) if d]
if _dirs:
    sys.meta_path.insert(0, _PathBeforeBuiltins(_dirs))
