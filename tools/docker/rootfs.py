"""A root file system assembled from host files, then `docker import`ed as an image.

The image equivalent of `FROM scratch` + `COPY`: files keep their host paths and every symlink
met on the way (Debian's merged /usr) is replicated; `add_linked_libraries` brings what ldd
says an ELF file needs, the loader included. Used by build_images.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
ETC_PASSWD = "root:x:0:0:root:/root:/sbin/nologin\nenvoy:x:101:101::/nonexistent:/sbin/nologin\n"
ETC_GROUP = "root:x:0:\nenvoy:x:101:\n"
ETC_NSSWITCH = "passwd: files\ngroup: files\nhosts: files dns\n"


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, **kw)


class RootFs:
    """A staging directory that receives host files at their own paths, symlinks kept."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: set[str] = set()

    def _dst(self, host_path: str) -> Path:
        return self.path / host_path.lstrip("/")

    def add(self, host_path: str) -> None:
        """Copy a host file (or tree) to the same path, replicating every symlink met on
        the way (Debian's merged /usr: /lib -> usr/lib, /lib64/ld-linux... -> ...)."""
        host_path = os.path.normpath(host_path)
        if host_path in self.seen:
            return
        self.seen.add(host_path)
        parts = Path(host_path).parts
        cur = "/"
        for i, part in enumerate(parts[1:], start=1):
            nxt = os.path.join(cur, part)
            if os.path.islink(nxt):
                target = os.readlink(nxt)
                dst = self._dst(nxt)
                dst.parent.mkdir(parents=True, exist_ok=True)
                if not dst.is_symlink():
                    if dst.exists():
                        raise RuntimeError(f"{nxt} is a symlink on the host but already a file in the image")
                    dst.symlink_to(target)
                resolved = os.path.normpath(os.path.join(cur, target))
                self.add(os.path.join(resolved, *parts[i + 1 :]))
                return
            cur = nxt
        dst = self._dst(host_path)
        dst.parent.mkdir(parents=True, exist_ok=True)
        if os.path.isdir(host_path):
            shutil.copytree(host_path, dst, symlinks=True, dirs_exist_ok=True)
        else:
            shutil.copy2(host_path, dst)

    def place(self, host_path: str | Path, image_path: str, mode: int = 0o755) -> None:
        dst = self._dst(image_path)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(host_path, dst)
        dst.chmod(mode)

    def write(self, image_path: str, text: str, mode: int = 0o644) -> None:
        dst = self._dst(image_path)
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text(text)
        dst.chmod(mode)

    def mkdir(self, image_path: str) -> None:
        self._dst(image_path).mkdir(parents=True, exist_ok=True)

    def symlink(self, image_path: str, target: str) -> None:
        dst = self._dst(image_path)
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.symlink_to(target)

    def add_linked_libraries(self, elf_files: list[str]) -> None:
        """ldd every ELF file and add each library it resolves, the loader included."""
        needed: set[str] = set()
        for f in elf_files:
            out = subprocess.run(["ldd", f], capture_output=True, text=True)
            if out.returncode != 0:  # not dynamic (a data file, a static object)
                continue
            for line in out.stdout.splitlines():
                if "not found" in line:
                    raise RuntimeError(f"{f}: {line.strip()}")
                m = re.search(r"(?:=>\s*)?(/\S+)\s+\(0x", line)
                if m:
                    needed.add(m.group(1))
        for lib in sorted(needed):
            self.add(lib)

    def base(self) -> None:
        """What every image gets: /etc basics, an empty /tmp, the CA bundle."""
        self.write("etc/passwd", ETC_PASSWD)
        self.write("etc/group", ETC_GROUP)
        self.write("etc/nsswitch.conf", ETC_NSSWITCH)
        self.mkdir("/tmp")
        self._dst("/tmp").chmod(0o1777)
        if os.path.exists(CA_BUNDLE):
            self.add(CA_BUNDLE)

    def import_as(self, tag: str, changes: list[str]) -> None:
        tar = subprocess.Popen(
            ["tar", "-C", str(self.path), "--numeric-owner", "--owner=0", "--group=0", "-c", "."],
            stdout=subprocess.PIPE,
        )
        args = ["docker", "import"]
        for c in changes:
            args += ["--change", c]
        try:
            run(args + ["-", tag], stdin=tar.stdout, stdout=subprocess.DEVNULL)
        finally:
            assert tar.stdout is not None
            tar.stdout.close()
            if tar.wait() != 0:
                raise RuntimeError(f"tar of {self.path} failed")


def elf_files_under(root: Path) -> list[str]:
    out = []
    for p in root.rglob("*"):
        if p.is_file() and not p.is_symlink():
            with open(p, "rb") as f:
                if f.read(4) == b"\x7fELF":
                    out.append(str(p))
    return out
