# Sourced by the install scripts: `install_from_newer "SUITE..." PACKAGE...` installs packages from newer
# Debian suites on Debian 12. The suites are added pinned to priority 100 (so nothing is upgraded from them
# unless named) for the one install, then removed again, also when the install fails.
install_from_newer() {
  local suites=$1
  shift
  local sources=/etc/apt/sources.list.d/scratchkit-newer.sources
  local prefs=/etc/apt/preferences.d/scratchkit-newer
  local suite
  {
    echo "Types: deb"
    echo "URIs: http://deb.debian.org/debian"
    echo "Suites: $suites"
    echo "Components: main"
    echo "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
  } >"$sources"
  : >"$prefs"
  for suite in $suites; do
    printf 'Package: *\nPin: release n=%s\nPin-Priority: 100\n\n' "$suite" >>"$prefs"
  done
  local status=0
  DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null || status=$?
  rm -f "$sources" "$prefs"
  apt-get update -qq || true
  return "$status"
}
