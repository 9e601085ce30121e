"""The shipped envoy/docker-compose.yaml, driven the way README's Docker section tells a user.

``ComposeProject`` runs Compose (``docker-compose`` 1.29, or ``docker compose`` v2 when
that is what the machine has) on the shipped file under a project name of its own, with
the published ports moved to free ones through the file's variables (ENVOY_PORT, ...) and
an optional override file, the test's only change. ``close()`` runs ``down -v`` and then
looks for anything of the project left in the engine (containers, networks, volumes, all
labelled ``com.docker.compose.project``), removes it and reports it.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import uuid
from pathlib import Path

from .util import REPO_ROOT, free_port, log_dir

COMPOSE_FILE = REPO_ROOT / "envoy" / "docker-compose.yaml"
BUILD_IMAGES = REPO_ROOT / "tools" / "docker" / "build_images.py"
# The published port of each container port and the variable that moves it.
PORT_VARIABLES = {10000: "ENVOY_PORT", 10001: "ENVOY_ALONGSIDE_PORT", 9901: "ENVOY_ADMIN_PORT", 5000: "MOTO_PORT"}


def _build_images_module():
    spec = importlib.util.spec_from_file_location("build_images", BUILD_IMAGES)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def docker_engine_answers() -> bool:
    return bool(_build_images_module().docker_answers())


def compose_command() -> list[str] | None:
    """``docker-compose`` when installed (Debian's package is v1.29), else ``docker compose``."""
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
    return ["docker", "compose"] if probe.returncode == 0 else None


def build_stand_in_images() -> None:
    """`make docker-images`: the stand-ins for the two official images (skipped when current)."""
    try:
        rc = _build_images_module().main([])
    except SystemExit as exc:  # the script's own clear refusals (no venv, no Debian python)
        raise RuntimeError(f"{BUILD_IMAGES.relative_to(REPO_ROOT)}: {exc}") from None
    if rc != 0:
        raise RuntimeError(f"{BUILD_IMAGES.relative_to(REPO_ROOT)} failed ({rc})")


class ComposeProject:
    def __init__(self, command: list[str], tag: str = "e2e") -> None:
        self.command = command
        self.name = f"elp-{tag}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.ports = {container: free_port() for container in PORT_VARIABLES}
        self.override: Path | None = None
        self.env = dict(os.environ)
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "COMPOSE_FILE", "COMPOSE_PROJECT_NAME"):
            self.env.pop(key, None)
        self.env.update({var: str(self.ports[port]) for port, var in PORT_VARIABLES.items()})
        self.log_path = log_dir() / f"{self.name}.log"

    def set_override(self, text: str) -> None:
        """The test's override file (merged over the shipped file with a second ``-f``)."""
        self.override = log_dir() / f"{self.name}-override.yaml"
        self.override.write_text(text)

    def run(self, *args: str, timeout: float = 180, check: bool = True) -> subprocess.CompletedProcess:
        files = ["-f", str(COMPOSE_FILE)] + (["-f", str(self.override)] if self.override else [])
        cmd = [*self.command, "-p", self.name, *files, *args]
        out = subprocess.run(cmd, cwd=REPO_ROOT, env=self.env, capture_output=True, text=True, timeout=timeout)
        with open(self.log_path, "a") as f:
            f.write(f"$ {' '.join(cmd)}\n{out.stdout}{out.stderr}(exit {out.returncode})\n")
        if check and out.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd[:1] + list(args))} failed ({out.returncode}):\n{out.stdout}{out.stderr}")
        return out

    def up(self, *services: str) -> None:
        self.run("up", "-d", *services)

    def container_id(self, service: str) -> str:
        return self.run("ps", "-q", service).stdout.strip()

    def logs(self) -> str:
        out = self.run("logs", "--no-color", "--timestamps", timeout=60, check=False)
        return out.stdout + out.stderr

    def leftovers(self) -> dict[str, list[str]]:
        """What the engine still holds of this project, by kind."""
        label = f"label=com.docker.compose.project={self.name}"
        queries = {
            "containers": ["docker", "ps", "-a", "-q", "--filter", label],
            "networks": ["docker", "network", "ls", "-q", "--filter", label],
            "volumes": ["docker", "volume", "ls", "-q", "--filter", label],
        }
        found = {}
        for kind, cmd in queries.items():
            ids = subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.split()
            # Compose names its default network <project>_default; catch it unlabelled too.
            if kind == "networks":
                by_name = ["docker", "network", "ls", "-q", "--filter", f"name=^{self.name}_"]
                ids += subprocess.run(by_name, capture_output=True, text=True, timeout=30).stdout.split()
            if ids:
                found[kind] = sorted(set(ids))
        return found

    def close(self) -> dict[str, list[str]]:
        """``down -v``, then force-remove and return whatever was still left."""
        try:
            self.run("down", "-v", "--remove-orphans", "--timeout", "5", timeout=120, check=False)
        finally:
            left = self.leftovers()
            removers = {
                "containers": ["docker", "rm", "-f", "-v"],
                "networks": ["docker", "network", "rm"],
                "volumes": ["docker", "volume", "rm", "-f"],
            }
            for kind in ("containers", "networks", "volumes"):
                if kind in left:
                    subprocess.run(removers[kind] + left[kind], capture_output=True, timeout=60)
            if self.override is not None:  # it may hold the test's moto-issued key
                self.override.unlink(missing_ok=True)
        return left
