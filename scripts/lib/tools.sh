#!/usr/bin/env bash
# Idempotent installers for what building and testing need. Each `ensure_*` checks first and
# installs only what is missing or at the wrong version, printing what it does. Sourced by
# scripts/dev and scripts/test; everything comes from crates.io, npm or Debian packages.

CARGO_LEPTOS_VERSION="0.3.10"
# 0.20.2 declares rust-version 1.88 and builds with the 1.95 toolchain here.
CARGO_DENY_VERSION="0.20.2"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Runs a command as root (directly, or through sudo when available).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    say "need root for: $*"; return 1
  fi
}

export PATH="$HOME/.cargo/bin:$PATH"

ensure_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

ensure_cargo_leptos() {
  if [ "$(cargo leptos --version 2>/dev/null)" != "cargo-leptos $CARGO_LEPTOS_VERSION" ]; then
    say "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 15 minutes on 2 cores, once)"
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
  fi
}

# The wasm-bindgen CLI must equal the wasm-bindgen crate in Cargo.lock.
ensure_wasm_bindgen() {
  local want
  want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $want" ]; then
    say "installing wasm-bindgen-cli $want (matches Cargo.lock)"
    # No --locked: its lockfile pins a webpki-roots release the registry no longer has.
    cargo install wasm-bindgen-cli --version "$want" --force
  fi
}

# binaryen from npm: the crates.io wasm-opt is too old for current rustc output.
ensure_wasm_opt() {
  if ! wasm-opt --version 2>/dev/null | grep -q "version 132"; then
    say "installing wasm-opt (npm binaryen@132) for release builds"
    npm install -g binaryen@132
  fi
}

# cargo-deny: licences, bans and sources of the dependency tree (see deny.toml).
ensure_cargo_deny() {
  if ! cargo deny --version >/dev/null 2>&1; then
    say "installing cargo-deny $CARGO_DENY_VERSION (a few minutes on 2 cores, once)"
    cargo install cargo-deny --version "$CARGO_DENY_VERSION" --locked
  fi
}

ensure_build_tools() {
  ensure_wasm_target
  ensure_cargo_leptos
  ensure_wasm_bindgen
}

apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then
    say "apt-get update"
    as_root apt-get update -q
    apt_updated=1
  fi
  say "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

ensure_chromium() {
  if [ ! -x /usr/bin/chromium ]; then
    apt_install chromium
  fi
}

# npm packages of the Playwright suite, reinstalled only when package-lock.json changed.
ensure_end2end_packages() {
  local stamp="end2end/node_modules/.lock-stamp"
  if [ ! -f "$stamp" ] || ! cmp -s end2end/package-lock.json "$stamp"; then
    say "installing the Playwright suite's npm packages"
    (cd end2end && npm ci --no-audit --no-fund)
    cp end2end/package-lock.json "$stamp"
  fi
}

# moto's server: a real SES-compatible endpoint (with SigV4 checking) for the connector tests.
ensure_moto() {
  if ! command -v moto_server >/dev/null 2>&1 || ! python3 -c "import moto, boto3" 2>/dev/null; then
    say "installing moto[server] (SES-compatible test endpoint) from PyPI"
    python3 -m pip install --quiet 'moto[server]>=5'
    hash -r
  fi
}
