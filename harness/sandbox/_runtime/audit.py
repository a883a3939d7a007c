"""Runtime audit hooks (PEP 578) for `isolation: inprocess`: evidence of what only cheating needs.

Installed by the test runner before pytest or the submission is imported; a
hook cannot be removed from Python. Each finding is written at once to a pipe
read by the sandbox's PID 1, so it is out of the submission's reach before the
audited action even happens.
"""

import json
import os
import sys

_FRAME_EVENTS = frozenset(
    {
        "sys._getframe",
        "sys._current_frames",
        "sys.settrace",
        "sys.setprofile",
        "sys.addaudithook",
        "gc.get_objects",
        "gc.get_referrers",
        "gc.get_referents",
        "code.__new__",
        "function.__new__",
        "compile",
        "exec",
        "os.kill",
        "os.killpg",
        "signal.pthread_kill",
    }
)
_PATH_EVENTS = frozenset({"open", "os.listdir", "os.scandir", "os.remove", "os.rename", "os.chmod", "os.chown", "os.truncate", "os.utime"})
_FRAME_ATTRIBUTES = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_back", "gi_code", "cr_code", "ag_code"})
_GUARDED_MODULE_PREFIXES = ("pytest", "_pytest", "pluggy", "builtins", "harness_runtime")
_PROC_PRIVATE = ("mem", "fd", "fdinfo", "environ", "maps", "smaps", "pagemap", "map_files", "root", "cwd", "exe")


def install(evidence_fd, work_root, protected_dirs, channel_fds):
    """Add the audit hook. `work_root`: where the submission's files are; `protected_dirs`: never its business."""
    import threading

    local = threading.local()
    work_prefix = work_root.rstrip("/") + "/"
    protected = tuple(d.rstrip("/") + "/" for d in protected_dirs)
    write = os.write
    getframe = sys._getframe
    dumps = json.dumps
    counts = {}

    def is_submission(filename):
        return filename.startswith(work_prefix) and not filename.startswith(protected)

    def submission_frame(frame, immediate):
        while frame is not None:
            filename = frame.f_code.co_filename
            if is_submission(filename):
                return f"{filename[len(work_prefix):]}:{frame.f_lineno}"
            if immediate and not filename.endswith("/inspect.py"):
                return None
            frame = frame.f_back
        return None

    def path_of(args):
        if not args:
            return None
        path = args[0]
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        if isinstance(path, int):
            return path
        if isinstance(path, str):
            return os.path.normpath(os.path.join(os.getcwd(), path)) if not path.startswith("/") else os.path.normpath(path)
        return None

    def private_proc(path):
        parts = path.split("/")
        return len(parts) >= 4 and parts[1] == "proc" and (parts[2].isdigit() or parts[2] in ("self", "thread-self")) and parts[3] in _PROC_PRIVATE

    def finding(event, args):
        if event in _PATH_EVENTS:
            path = path_of(args)
            if isinstance(path, int):
                return f"{event} of file descriptor {path}" if path in channel_fds else None
            if path is None:
                return None
            if (path + "/").startswith(protected) or private_proc(path):
                return f"{event} {path}"
            return None
        if event == "object.__getattr__" and len(args) >= 2 and args[1] in _FRAME_ATTRIBUTES:
            return f"reads .{args[1]}"
        if event == "object.__setattr__" and len(args) >= 2:
            target = args[0]
            module = getattr(target, "__module__", "") if isinstance(target, type) else ""
            if args[1] in ("__code__", "__globals__") or (isinstance(module, str) and module.startswith(_GUARDED_MODULE_PREFIXES)):
                return f"sets {getattr(target, '__qualname__', type(target).__name__)}.{args[1]}"
            return None
        if event == "import" and args and isinstance(args[0], str) and args[0].split(".")[0] in ("pytest", "_pytest", "pluggy", "ctypes", "_ctypes"):
            return f"imports {args[0]}"
        if event.startswith("ctypes."):
            return event
        if event in _FRAME_EVENTS:
            return event
        return None

    def hook(event, args):
        if getattr(local, "busy", False):
            return
        if not (event in _FRAME_EVENTS or event in _PATH_EVENTS or event.startswith(("object.", "ctypes.", "import"))):
            return
        local.busy = True
        try:
            what = finding(event, args)
            if what is None:
                return
            immediate = event not in _PATH_EVENTS and event not in ("object.__setattr__", "import")
            where = submission_frame(getframe(1), immediate)
            if where is None:
                return
            counts[event] = counts.get(event, 0) + 1
            if counts[event] <= 20:
                line = dumps({"event": event, "what": what[:300], "where": where}) + "\n"
                write(evidence_fd, line.encode("utf-8", "replace"))
        except Exception:  # noqa: BLE001 - a hook must never break the run it watches
            pass
        finally:
            local.busy = False

    sys.addaudithook(hook)
    write(evidence_fd, b'{"ready": true}\n')
