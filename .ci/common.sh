# Shared by .ci/run and .ci/demo: installs what a fresh Debian/Ubuntu machine is missing.
# Sourced, not run. Needs root (or sudo) only when something has to be installed.

export DEBIAN_FRONTEND=noninteractive CARGO_TERM_COLOR=never CARGO_TERM_PROGRESS_WHEN=never
T0=${T0:-$SECONDS}
step() { echo "=== [$((SECONDS - T0)) s] $*"; }

as_root() {
  if [[ $(id -u) == 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else
    echo "Cần quyền root để cài gói hệ thống: $*" >&2; return 1; fi
}

# install_packages PKG... : apt-get installs only the packages that are not installed yet.
install_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    as_root apt-get update -qq
    as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# Build dependencies of a Tauri 2 app on Linux (see the Tauri-on-Linux guide).
BUILD_PKGS=(build-essential file pkg-config ca-certificates curl libssl-dev
            libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev
            fonts-dejavu-core)
# Real-window tests: a virtual X server and WebKit's WebDriver.
E2E_PKGS=(xvfb xauth webkit2gtk-driver dbus-x11)
# Report tests read the PDFs they write back with pdftotext / pdfinfo / pdftoppm.
TEST_PKGS=(poppler-utils)

ensure_rust() {
  export PATH="$HOME/.cargo/bin:$PATH"
  if ! command -v cargo >/dev/null; then
    step "rustup (stable toolchain)"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --default-toolchain stable
  fi
}

ensure_node() {
  if ! command -v node >/dev/null; then install_packages nodejs; fi
}
