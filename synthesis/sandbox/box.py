"""The box around generated code: bubblewrap namespaces, writable folders, hidden secrets.

Every child that runs generated code starts inside `bwrap` (Debian's `bubblewrap`) with
- new user, PID, network, IPC, UTS and cgroup namespaces: no network at all (only a
  loopback of its own), and a /proc of its own, so no parent's /proc/*/environ is visible;
  when the box's first process ends the kernel kills every other process in it;
- the whole file system read-only, except the run's folder and a private temp folder;
- the user's credential files and text2ml's own config masked by empty ones;
- `--die-with-parent` for runs: if text2ml dies, the box dies with it (long-lived children
  end when their stdin closes instead).
docs/sandbox.md says what each layer stops. Without a working `bwrap` the child runs
unboxed, and `missing_layers()` says so for the report and the editor.
"""

from __future__ import annotations

import functools
import shutil
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path

from text2ml.synthesis.llm.settings import config_path

CHECK_SECONDS = 30.0
# Files and folders where people keep credentials, relative to the real home folder.
CREDENTIALS = (".ssh", ".aws", ".azure", ".gnupg", ".docker", ".kube", ".netrc",
               ".git-credentials", ".pypirc", ".npmrc", ".config/gh", ".config/gcloud",
               ".config/Code", ".vscode-server", ".local/share/code-server", ".config/text2ml")


def bwrap() -> str | None:
    return shutil.which("bwrap")


@functools.cache
def unavailable_reason() -> str | None:
    """Why the box cannot be built on this machine, or None when it can."""
    program = bwrap()
    if program is None:
        return "bubblewrap (bwrap) is not installed"
    probe = [program, *_namespaces(), "--ro-bind", "/", "/", "--proc", "/proc", "--dev",
             "/dev", "--", "true"]
    try:
        done = subprocess.run(probe, capture_output=True, text=True, timeout=CHECK_SECONDS)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap could not start ({exc})"
    if done.returncode:
        return f"bwrap failed: {done.stderr.strip()[-300:]}"
    return None


def available() -> bool:
    return unavailable_reason() is None


def missing_layers() -> list[str]:
    """Warnings for the report and the editor: the layers this machine cannot enforce."""
    reason = unavailable_reason()
    if reason is None:
        return []
    return [f"Generated code runs WITHOUT its sandbox box: {reason}. It can use the network, "
            "write wherever you can, read other processes' environments, and processes it "
            "detaches may outlive the run. Install bubblewrap (Debian/Ubuntu: "
            "`apt-get install bubblewrap`) and allow user namespaces; see docs/sandbox.md."]


def hidden_paths() -> list[Path]:
    """Existing credential files and folders the box masks."""
    home = Path.home()
    candidates = [home / name for name in CREDENTIALS] + [config_path()]
    return [p for p in dict.fromkeys(candidates) if p.exists()]


def wrap(command: Sequence[str], *, cwd: Path, writable: Sequence[Path],
         die_with_parent: bool = True) -> list[str]:
    """`command` run inside the box (unchanged when no box can be built). `writable` are
    the only folders it may write; the first is usually the run's private temp folder.

    `die_with_parent` is the kernel's parent-death signal, which fires when the *thread*
    that started the box ends: right for a run its thread waits for, wrong for a long-lived
    child started from a pool thread (the warm parent, a trial worker). Those end instead
    when their stdin closes, which happens when text2ml dies."""
    program = bwrap()
    if program is None or not available():
        return list(command)
    args = [program, *_namespaces(), *(["--die-with-parent"] if die_with_parent else []),
            "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    for folder in writable:
        args += ["--bind", str(folder), str(folder)]
    for path in hidden_paths():
        if any(_inside(w, path) for w in writable):
            continue  # a folder the run must write is never masked
        args += ["--tmpfs", str(path)] if path.is_dir() else ["--ro-bind", "/dev/null", str(path)]
    return [*args, "--chdir", str(cwd), "--", *command]


def returncode(code: int) -> int:
    """A boxed child's exit code as Python reports an unboxed one: bwrap exits 128+n when
    what it ran died of signal n; Popen would say -n."""
    if available() and 128 < code < 128 + signal.NSIG:
        return 128 - code
    return code


def _namespaces() -> list[str]:
    # As root, bwrap would keep every capability inside the new user namespace, enough to
    # unmount the masks over the credentials; dropped, the mounts are fixed.
    return ["--unshare-all", "--unshare-user", "--cap-drop", "ALL"]


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())
