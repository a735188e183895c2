"""Output folders that are replaced as a whole set or not at all, one run at a time.

A run writes every file into a hidden staging folder beside the output folder and, only when
all are written, swaps the staging folder into place (an atomic exchange of the two folders
where the system offers one, two renames otherwise). A reader therefore sees the previous
complete set or the new complete set, never a mix, whatever interrupts the run: Ctrl-C,
SIGTERM, SIGKILL, a full disk or a failed write.

A lock file beside the output folder (``.<name>.lock``, held with ``flock``) lets one run at a
time write a folder; a second run fails at once, naming the other run's process id. The kernel
releases the lock of a process that died, so a stale lock is simply taken over. Staging folders
left by a killed run are removed by the next run into the same folder.

Typical use::

    with OutputSet.prepare(Path("results/kempen")) as staging:
        write_text(staging / "summary.json", ...)
    # here the new set is in place; on an exception the old one is untouched
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None

__all__ = ["OUTPUT_NAMES", "FolderInUse", "OutputFolderError", "OutputSet"]

#: Every file samenwerkingsim writes into an output folder; a folder holding anything else is
#: not ours to replace.
OUTPUT_NAMES = frozenset({
    "runs.csv", "events.csv", "trajectories.csv", "summary.json", "manifest.json",
    "stability.png", "trajectories.png", "comparison.png", "comparison.json",
    "posterior_draws.csv",
})
MARKER_FILE = "manifest.json"
# temporary files of earlier versions, written inside the output folder itself
_OLD_TEMPORARY = (".*.tmp",)


class OutputFolderError(Exception):
    """The output folder cannot be used: bad input, reported before any simulation."""


class FolderInUse(OutputFolderError):
    """Another run is writing the same output folder."""


def _describe(error: OSError) -> str:
    return error.strerror or str(error)


def check_folder_path(out: str | os.PathLike) -> Path:
    """The output folder as an absolute path, after checking it can be a folder at all."""
    if os.fspath(out).strip() == "":
        raise OutputFolderError("--out is empty; give a folder, e.g. --out results/mine")
    path = Path(os.path.abspath(out))
    if path.parent == path:
        raise OutputFolderError(f"--out {out}: the root folder cannot be an output folder")
    for ancestor in reversed(path.parents):
        if ancestor.exists() and not ancestor.is_dir():
            raise OutputFolderError(f"--out {out}: {ancestor} is a file, not a folder")
    if path.exists() and not path.is_dir():
        raise OutputFolderError(f"--out {out} is a file; give a folder")
    return path


def foreign_entries(folder: Path) -> list[str]:
    """Entries of an existing folder that make it not a samenwerkingsim output set.

    An empty folder, or one whose entries are all regular files that samenwerkingsim writes
    (with its manifest among them), may be replaced; anything else (a user's notes, a
    sub-folder, ``runs.csv`` as a folder) may not.
    """
    entries = sorted(os.listdir(folder))
    visible = [e for e in entries if not _is_old_temporary(e)]
    if not visible:
        return []
    foreign = [e for e in visible
               if e not in OUTPUT_NAMES or not (folder / e).is_file() or (folder / e).is_symlink()]
    if not foreign and not _is_our_manifest(folder / MARKER_FILE):
        foreign = [MARKER_FILE if MARKER_FILE in visible else visible[0]]
    return foreign


def _is_old_temporary(name: str) -> bool:
    return name.startswith(".") and name.endswith(".tmp")


def _is_our_manifest(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(data, dict):
        return False
    if data.get("generator") == "samenwerkingsim":
        return True
    # manifests of samenwerkingsim 0.1 carry no generator, but their versions name it
    versions = data.get("versions") if "versions" in data else next(
        (m.get("versions") for m in data.get("scenarios", {}).values()
         if isinstance(m, dict)), None)
    return isinstance(versions, dict) and "samenwerkingsim" in versions


# --------------------------------------------------------------------------------------------
# The lock


class FolderLock:
    """An exclusive, non-blocking lock on an output folder, held until :meth:`release`."""

    def __init__(self, folder: Path):
        self.path = folder.parent / f".{folder.name}.lock"
        self.folder = folder
        self._fd: int | None = None

    def acquire(self, shown: str) -> None:
        if fcntl is None:  # pragma: no cover - not POSIX
            return
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_holder(fd)
                os.close(fd)
                raise FolderInUse(
                    f"--out {shown} is being written by another samenwerkingsim run "
                    f"({holder}); wait for it to finish or choose another --out") from None
            # the previous holder may have removed the file after we opened it: lock the file
            # that is there now, or another run could lock a new one beside ours
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                 "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
                                 "command": sys.argv}).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)  # while still holding it, so nobody locks a removed file
        os.close(self._fd)
        self._fd = None


def _read_holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        data = json.loads(os.read(fd, 65536).decode() or "{}")
    except (OSError, ValueError):
        data = {}
    if "pid" not in data:
        return "process id unknown"
    return f"process {data['pid']} on {data.get('host', '?')}, started {data.get('started', '?')}"


# --------------------------------------------------------------------------------------------
# Swapping a folder into place


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders atomically (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(a))


class OutputSet:
    """A staging folder for one run's outputs, swapped in as a whole by :meth:`commit`.

    Use :meth:`prepare`, which makes every check before the work starts: the path can be a
    folder, an existing folder is an output set of ours (or empty), no other run holds it, and
    the parent is writable (tested by writing). Used as a context manager, the set is
    committed when the block ends normally and discarded when it raises.
    """

    def __init__(self, folder: Path, shown: str, lock: FolderLock, staging: Path):
        self.folder = folder
        self.shown = shown
        self.lock = lock
        self.staging = staging
        self.committed = False

    @classmethod
    def prepare(cls, out: str | os.PathLike, *, min_free_bytes: int = 0) -> OutputSet:
        shown = os.fspath(out)
        folder = check_folder_path(out)
        try:
            folder.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise OutputFolderError(f"--out {shown}: cannot create {folder.parent}: "
                                    f"{_describe(error)}") from None
        lock = FolderLock(folder)
        try:
            lock.acquire(shown)
        except OSError as error:
            raise OutputFolderError(f"--out {shown}: cannot write in {folder.parent}: "
                                    f"{_describe(error)}") from None
        try:
            _recover_and_clean(folder)
            if folder.exists():
                foreign = foreign_entries(folder)
                if foreign:
                    raise OutputFolderError(
                        f"--out {shown} holds {', '.join(map(repr, foreign[:3]))}"
                        f"{' and more' if len(foreign) > 3 else ''}, which samenwerkingsim did "
                        "not write; the whole folder would be replaced, so choose a new or "
                        "empty folder, or one that holds only samenwerkingsim outputs")
            staging = _make_staging(folder, shown, min_free_bytes)
        except BaseException:
            lock.release()
            raise
        return cls(folder, shown, lock, staging)

    def commit(self) -> None:
        """Put the staged set in place of the old one, as a whole."""
        old = self.folder.parent / f".{self.folder.name}.old-{os.getpid()}"
        # mkdtemp makes the folder private; an output folder is not (the files already follow
        # the umask)
        os.chmod(self.staging, 0o777 & ~_umask())
        if self.folder.exists():
            if _exchange(self.staging, self.folder):
                shutil.rmtree(self.staging, ignore_errors=True)
            else:
                os.rename(self.folder, old)
                os.rename(self.staging, self.folder)
                shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(self.staging, self.folder)
        self.committed = True

    def discard(self) -> None:
        """Remove the staging folder; the old set stays as it was."""
        shutil.rmtree(self.staging, ignore_errors=True)

    def close(self) -> None:
        if not self.committed:
            self.discard()
        self.lock.release()

    def __enter__(self) -> Path:
        return self.staging

    def __exit__(self, kind, value, traceback) -> None:
        try:
            if kind is None:
                self.commit()
        finally:
            self.close()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _make_staging(folder: Path, shown: str, min_free_bytes: int) -> Path:
    try:
        staging = Path(tempfile.mkdtemp(dir=folder.parent,
                                        prefix=f".{folder.name}.staging-{os.getpid()}-"))
    except OSError as error:
        raise OutputFolderError(f"--out {shown}: cannot write in {folder.parent}: "
                                f"{_describe(error)}") from None
    try:
        probe = staging / ".probe"
        with open(probe, "wb") as handle:  # creating a folder can work where writing cannot
            handle.write(b"0" * 4096)
            handle.flush()
            os.fsync(handle.fileno())
        probe.unlink()
        free = shutil.disk_usage(staging).free
        if free < min_free_bytes:
            raise OutputFolderError(
                f"--out {shown}: only {free / 1e6:.1f} MB free on its disk, and the outputs "
                f"need at least {min_free_bytes / 1e6:.1f} MB")
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputFolderError(f"--out {shown}: cannot write in {folder.parent}: "
                                f"{_describe(error)}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def _recover_and_clean(folder: Path) -> None:
    """Clean up after runs that were killed (we hold the lock, so none of them is alive).

    A run killed between the two renames of a non-atomic swap leaves the previous set under
    ``.<name>.old-<pid>`` and no folder: put it back. Staging folders and old temporary files
    are removed.
    """
    parent, name = folder.parent, folder.name
    olds = sorted(parent.glob(f".{name}.old-*"), key=lambda p: p.stat().st_mtime)
    if olds and not folder.exists():
        os.rename(olds.pop(), folder)
    for leftover in [*olds, *parent.glob(f".{name}.staging-*")]:
        shutil.rmtree(leftover, ignore_errors=True)
    if folder.is_dir():
        for pattern in _OLD_TEMPORARY:
            for tmp in folder.glob(pattern):
                if tmp.is_file():
                    tmp.unlink(missing_ok=True)
