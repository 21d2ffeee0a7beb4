# Sourced by tools/start-deps.sh and tools/test-deps.sh: installs Debian packages as root, through sudo
# only when this shell is not root. Most containers and CI runners are root and have no sudo; a
# workstation user has sudo. Nothing here runs unless a package is missing.

# as_root CMD [ARG...]: CMD as root, directly when we are root, else through sudo; without sudo it says
# what to run and fails.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo > /dev/null 2>&1; then
    sudo "$@"
  else
    echo "$(basename "$0"): needs root to run: $*" >&2
    echo "  run this script as root, or install sudo, or run that command as root yourself and retry" >&2
    return 1
  fi
}

# apt_install WHY PKG [PKG...]: apt-get update + install of the given packages, quietly, as root.
apt_install() {
  local why="$1"
  shift
  echo "installing Debian packages $why: $*" >&2
  as_root apt-get update -qq && as_root apt-get install -y -qq "$@" > /dev/null
}
