#!/usr/bin/env bash
# Installs code-server (VS Code in a browser) from the npm registry, with no download outside the
# registries, into a cache kept between runs and keyed by version; prints the installed folder.
#
# code-server's own postinstall runs `npm install` in lib/vscode, whose packages then download
# prebuilt binaries (ripgrep from GitHub, others from their own hosts). Instead: every install runs
# with --ignore-scripts, Debian's `rg` (package ripgrep) goes where @vscode/ripgrep would download
# its own, and the native modules are built from source against the system's Node.js headers
# (Debian: build-essential python3 pkg-config libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev).
# node-pty's compile_commands.json step may fail harmlessly, so the check at the end is that every
# native module loads.
set -euo pipefail
VERSION="${CODE_SERVER_VERSION:-4.100.3}"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/aigt"
TARGET="$CACHE/code-server-$VERSION"
# Prints the folder; code-server's entry point is node_modules/code-server/out/node/entry.js in it.
if [ -f "$TARGET/.installed" ]; then
  echo "$TARGET"
  exit 0
fi
command -v rg >/dev/null || { echo "ripgrep (rg) is missing: apt-get install ripgrep" >&2; exit 1; }
mkdir -p "$CACHE"
WORK="$(mktemp -d "$CACHE/code-server-$VERSION.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
export npm_config_nodedir=/usr npm_config_audit=false npm_config_fund=false
{
  cd "$WORK"
  echo '{"name": "aigt-code-server", "private": true}' >package.json
  npm install --ignore-scripts "code-server@$VERSION"
  # argon2 (password logins) is code-server's own native module, loaded at startup; built from
  # source, as node-pre-gyp would otherwise try to download a prebuilt one first.
  npm_config_build_from_source=true npm rebuild argon2
  node -e "require('./node_modules/argon2')"
  cd node_modules/code-server/lib/vscode
  npm install --ignore-scripts --omit=dev
  mkdir -p node_modules/@vscode/ripgrep/bin
  cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
  # Rebuild only the packages with a native part (binding.gyp); the others have nothing to build
  # and some of their install scripts download things. Three build only on Windows.
  natives=()
  while IFS= read -r gyp; do
    dir="${gyp%/binding.gyp}"
    name="$(node -p "require('./$dir/package.json').name")"
    case "$name" in @vscode/windows-process-tree | @vscode/windows-registry | @vscode/deviceid) ;; *) natives+=("$name") ;; esac
  done < <(find node_modules -name binding.gyp -not -path '*/node_modules/*/node_modules/*' | sort)
  echo "building: ${natives[*]}"
  npm rebuild "${natives[@]}" || echo "npm rebuild reported a failure; checking that every native module loads" >&2
  ln -sfn node_modules node_modules.asar
  (cd bin/remote-cli && ln -sfn code-linux.sh code-server)
  (cd bin/helpers && ln -sfn browser-linux.sh browser.sh)
  (cd extensions && npm install --ignore-scripts --omit=dev && node ./postinstall.mjs >/dev/null)
  for name in "${natives[@]}"; do
    node -e "require(process.argv[1])" "$PWD/node_modules/$name" || { echo "$name does not load" >&2; exit 1; }
    echo "loads: $name"
  done
} >&2
# code-server's own packages are hoisted next to it, so the whole folder is kept.
rm -rf "$TARGET"
mv "$WORK" "$TARGET"
trap - EXIT
touch "$TARGET/.installed"
echo "$TARGET"
