"""The extension inside a real VS Code: code-server (from the npm registry, cached between runs) with the
packaged VSIX installed, driven by Playwright in Debian's Chromium against a real `aigt serve`.

Run by `make test-editor`, not by `make test-backend` (tests/conftest.py leaves this folder out unless
AIGT_EDITOR_TESTS is set). AIGT_EDITOR_BREAK=activation or =lines installs a deliberately broken copy
of the VSIX (activation throws; diagnostics one line off), which the tests must reject."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import free_port
from tests.web.conftest import browser, chromium_path, screenshots

__all__ = ["browser", "chromium_path", "screenshots"]

REPOSITORY = Path(__file__).resolve().parents[3]
EXTENSION = REPOSITORY / "vscode-extension"
INSTALLER = EXTENSION / "editor-test" / "install-code-server.sh"
LANGUAGE_PACK = EXTENSION / "editor-test" / "language-pack-es"
BREAK_VARIABLE = "AIGT_EDITOR_BREAK"

# The two deliberate breakages, applied to the packaged JavaScript: the tests must fail on each.
BREAKAGES = {
    "activation": (
        "extension/out/src/extension.js",
        "function activate(context) {",
        'function activate(context) {\n    throw new Error("broken on purpose");',
    ),
    "lines": (
        "extension/out/src/diagnostics.js",
        "const start = clamp((finding.start_line ?? 1) - 1);",
        "const start = clamp(finding.start_line ?? 1);",
    ),
}


@pytest.fixture(scope="session")
def code_server() -> Path:
    """code-server's entry point; installed once per version into the user's cache."""
    installed = subprocess.run(["bash", str(INSTALLER)], check=True, capture_output=True, text=True)
    folder = Path(installed.stdout.strip().splitlines()[-1])
    entry = folder / "node_modules" / "code-server" / "out" / "node" / "entry.js"
    assert entry.exists(), installed.stderr[-4000:]
    return entry


@pytest.fixture(scope="session")
def vsix(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The VSIX as `make package-extension` builds it, or a broken copy of it (AIGT_EDITOR_BREAK)."""
    packaged = subprocess.run(["npm", "run", "package"], cwd=EXTENSION, capture_output=True, text=True)
    assert packaged.returncode == 0, packaged.stdout[-4000:] + packaged.stderr[-4000:]
    assert "WARNING" not in packaged.stdout + packaged.stderr, packaged.stdout + packaged.stderr
    built = EXTENSION / "ai-goals-tracker.vsix"
    breakage = os.environ.get(BREAK_VARIABLE, "")
    if not breakage:
        return built
    member, before, after = BREAKAGES[breakage]
    broken = tmp_path_factory.mktemp("broken") / "ai-goals-tracker.vsix"
    with zipfile.ZipFile(built) as source, zipfile.ZipFile(broken, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == member:
                text = data.decode()
                assert before in text, f"{member} no longer has {before!r}: update the breakage"
                data = text.replace(before, after).encode()
            target.writestr(item, data)
    return broken


def vsix_of(folder: Path, target: Path) -> Path:
    """A folder with a package.json, packed as a VSIX (what `vsce package` makes, without its checks)."""
    manifest = json.loads((folder / "package.json").read_text())
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as vsix:
        vsix.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension=".json" ContentType="application/json"/>'
            '<Default Extension=".vsixmanifest" ContentType="text/xml"/></Types>',
        )
        vsix.writestr(
            "extension.vsixmanifest",
            '<?xml version="1.0" encoding="utf-8"?><PackageManifest Version="2.0.0" '
            'xmlns="http://schemas.microsoft.com/developer/vsx-schema/2011"><Metadata>'
            f'<Identity Language="en-US" Id="{manifest["name"]}" Version="{manifest["version"]}" '
            f'Publisher="{manifest["publisher"]}"/><DisplayName>{manifest["displayName"]}</DisplayName>'
            '</Metadata><Installation><InstallationTarget Id="Microsoft.VisualStudio.Code"/></Installation>'
            '<Dependencies/><Assets><Asset Type="Microsoft.VisualStudio.Code.Manifest" '
            'Path="extension/package.json" Addressable="true"/></Assets></PackageManifest>',
        )
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                vsix.write(path, f"extension/{path.relative_to(folder)}")
    return target


def language_packs(extensions: Path) -> dict[str, Any]:
    """The user data's languagepacks.json as VS Code writes it for the Spanish pack once installed. code-server
    reads it at startup to choose the display language, but writes it only when the workbench asks for the
    installed packs, after the first start."""
    manifest = json.loads((LANGUAGE_PACK / "package.json").read_text())
    identifier = f"{manifest['publisher']}.{manifest['name']}"
    version = manifest["version"]
    translations = extensions / f"{identifier}-{version}" / "translations" / "main.i18n.json"
    digest = hashlib.md5(f"{identifier}{version}".encode(), usedforsecurity=False).hexdigest()
    return {
        "es": {
            "hash": digest,
            "extensions": [{"extensionIdentifier": {"id": identifier}, "version": version}],
            "translations": {"vscode": str(translations)},
            "label": "español",
        }
    }


@pytest.fixture(scope="session")
def spanish_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return vsix_of(LANGUAGE_PACK, tmp_path_factory.mktemp("language-pack") / "language-pack-es.vsix")


class Editor:
    """One code-server: its own user data, extensions and workspace folders; its URL and logs."""

    def __init__(self, root: Path, url: str, workspace: Path) -> None:
        self.root = root
        self.url = url
        self.workspace = workspace

    def extension_host_log(self) -> str:
        logs = sorted((self.root / "user-data" / "logs").rglob("remoteexthost.log"))
        return "\n".join(path.read_text(errors="replace") for path in logs)


@pytest.fixture
def start_editor(code_server: Path, vsix: Path, spanish_pack: Path, tmp_path: Path) -> Iterator[object]:
    """Starts code-server with the VSIX installed, pointed at `server_url`, in `locale`."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(server_url: str, locale: str, files: dict[str, str]) -> Editor:
        root = tmp_path / f"code-server-{locale}"
        workspace = root / "workspace"
        workspace.mkdir(parents=True)
        for name, content in files.items():
            (workspace / name).write_text(content)
        user = root / "user-data" / "User"
        user.mkdir(parents=True)
        (user / "settings.json").write_text(
            json.dumps(
                {
                    "aiGoalsTracker.serverURL": server_url,
                    "workbench.startupEditor": "none",
                    "workbench.tips.enabled": False,
                    "security.workspace.trust.enabled": False,
                    "telemetry.telemetryLevel": "off",
                    "update.mode": "none",
                    "extensions.autoCheckUpdates": False,
                    "extensions.autoUpdate": False,
                    "extensions.ignoreRecommendations": True,
                    "git.enabled": False,
                    "editor.minimap.enabled": False,
                    "chat.commandCenter.enabled": False,
                    "workbench.layoutControl.enabled": False,
                    "window.commandCenter": False,
                }
            )
        )
        if locale == "es":
            (root / "user-data" / "languagepacks.json").write_text(json.dumps(language_packs(root / "extensions")))
        env = {**os.environ, "XDG_CONFIG_HOME": str(root / "config"), "XDG_DATA_HOME": str(root / "data")}
        common = ["--user-data-dir", str(root / "user-data"), "--extensions-dir", str(root / "extensions")]
        packs = ["--install-extension", str(spanish_pack)] if locale == "es" else []
        subprocess.run(
            ["node", str(code_server), *common, "--install-extension", str(vsix), *packs],
            check=True,
            capture_output=True,
            env=env,
        )
        port = free_port()
        log = (root / "code-server.log").open("w")
        process = subprocess.Popen(
            [
                "node",
                str(code_server),
                *common,
                "--auth",
                "none",
                "--bind-addr",
                f"127.0.0.1:{port}",
                "--disable-telemetry",
                "--disable-update-check",
                "--disable-workspace-trust",
                "--disable-getting-started-override",
                "--locale",
                locale,
                str(workspace),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        processes.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120  # a guard against a hang, not a speed check
        while time.monotonic() < deadline:
            assert process.poll() is None, (root / "code-server.log").read_text()
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"code-server did not answer: {(root / 'code-server.log').read_text()}")
        return Editor(root, url, workspace)

    yield start
    for process in processes:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
