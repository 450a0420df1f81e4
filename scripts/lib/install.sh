# Shared by scripts/test.sh and scripts/demo.sh: installs the system packages the project
# needs when they are missing. Idempotent; quiet when everything is present.
#
# Each entry is "command-or-check:debian-package". A check starting with "pc:" asks
# pkg-config for a library; "py:" asks python3 to import a module; "glob:" wants a file
# matching a shell pattern; anything else is a command looked up on PATH.
CCSDK_SYSTEM_PACKAGES=(
  "pkg-config:pkg-config"
  "pc:opus:libopus-dev"
  "sipp:sip-tester"
  "openssl:openssl"
  "sox:sox"
  "curl:curl"
  "espeak-ng:espeak-ng"
  "valgrind:valgrind"
  "python3:python3"
  "py:ensurepip:python3-venv"
  # The PostgreSQL server: storage tests start a throwaway one (its binaries are off PATH).
  "glob:/usr/lib/postgresql/*/bin/initdb:postgresql"
)

ccsdk_missing_packages() {
  local entry check package
  for entry in "${CCSDK_SYSTEM_PACKAGES[@]}"; do
    package=${entry##*:}
    check=${entry%:*}
    if [[ $check == pc:* ]]; then
      command -v pkg-config >/dev/null 2>&1 && pkg-config --exists "${check#pc:}" && continue
    elif [[ $check == glob:* ]]; then
      compgen -G "${check#glob:}" >/dev/null && continue
    elif [[ $check == py:* ]]; then
      command -v python3 >/dev/null 2>&1 && python3 -c "import ${check#py:}" 2>/dev/null && continue
    else
      command -v "$check" >/dev/null 2>&1 && continue
    fi
    echo "$package"
  done
}

ccsdk_install_system_packages() {
  local missing
  mapfile -t missing < <(ccsdk_missing_packages)
  [[ ${#missing[@]} -eq 0 ]] && return 0
  echo "==> installing system packages: ${missing[*]}"
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo=(sudo)
    else
      echo "error: need root (or sudo) to install: ${missing[*]}" >&2
      return 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  mapfile -t missing < <(ccsdk_missing_packages)
  if [[ ${#missing[@]} -ne 0 ]]; then
    echo "error: still missing after apt-get install: ${missing[*]}" >&2
    return 1
  fi
}
