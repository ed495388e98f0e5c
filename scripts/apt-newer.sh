# Sourced by the install scripts. Two things for a Debian 12 machine whose archive moves under us:
#   debian_uri [security]   the Debian archive URI this machine's own apt sources use (never a host written here)
#   install_from_newer "SUITE..." PACKAGE...
#       installs packages from newer Debian suites. The suites are added pinned to priority 100 (so nothing is
#       upgraded from them unless named) for the one install, then removed again, also when the install fails.
#       A PACKAGE is `name`, `name/suite`, or `name=PATTERN`: the newest version matching the shell glob
#       PATTERN that apt offers (archives drop superseded revisions, so exact revisions are never pinned).
#   download_from_newer "SUITE..." DIR PACKAGE...
#       the same, but only downloads the .deb files into DIR (for unpacking beside the installed packages).

# Prints the URIs of the machine's deb sources, one "URI SUITE" pair a line, from deb822 and one-line files.
apt_source_pairs() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    # deb [options] URI SUITE COMPONENTS...
    sed -E -n 's/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+)[[:space:]]+([^[:space:]]+).*/\2 \3/p' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # Stanzas are separated by blank lines; a stanza with Enabled: no is skipped.
    awk 'function flush() { if (types ~ /(^| )deb( |$)/ && enabled != "no") { n = split(uris, u, " "); m = split(suites, s, " ");
                               for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) print u[i], s[j] }
                             types = uris = suites = enabled = "" }
         /^[[:space:]]*#/ { next }
         /^[[:space:]]*$/ { flush(); next }
         tolower($1) == "types:"   { $1 = ""; types = $0 }
         tolower($1) == "uris:"    { $1 = ""; uris = $0 }
         tolower($1) == "suites:"  { $1 = ""; suites = $0 }
         tolower($1) == "enabled:" { enabled = tolower($2) }
         END { flush() }' "$f"
  done
}

# The archive URI that serves bookworm (or, with "security", bookworm-security). Fails with a clear message.
debian_uri() {
  local want=bookworm
  [ "${1:-}" = security ] && want=bookworm-security
  local uri
  uri=$(apt_source_pairs | awk -v s="$want" '$2 == s { print $1; exit }')
  if [ -z "$uri" ]; then
    echo "apt: no deb source for suite '$want' in /etc/apt/sources.list{,.d}; this script expects Debian 12" >&2
    return 1
  fi
  echo "${uri%/}"
}

# newest_matching NAME PATTERN: the newest version of NAME that apt offers and that matches PATTERN.
newest_matching() {
  local name=$1 pattern=$2 best="" v
  while read -r v; do
    # shellcheck disable=SC2053 # the pattern is a glob on purpose
    [[ $v == $pattern ]] || continue
    if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then best=$v; fi
  done < <(apt-cache madison "$name" 2>/dev/null | awk -F'|' '{ gsub(/ /, "", $2); print $2 }')
  [ -n "$best" ] || return 1
  echo "$best"
}

# newer_sources_add "SUITE...": adds the suites (and, for stable ones, their -updates and -security suites) to
# apt, pinned to priority 100, and runs apt-get update. Sets NEWER_SUITES to the list of suites added.
# newer_sources_remove undoes it. Callers must call newer_sources_remove on every path (also on failure).
NEWER_SOURCES=/etc/apt/sources.list.d/scratchkit-newer.sources
NEWER_PREFS=/etc/apt/preferences.d/scratchkit-newer
newer_sources_add() {
  local suites=$1 main security suite plain="" secured=""
  main=$(debian_uri) || return 1
  security=$(debian_uri security) || return 1
  for suite in $suites; do
    plain="$plain $suite"
    # Stable suites get their point updates and security fixes from two more suites.
    [ "$suite" = sid ] || { plain="$plain $suite-updates"; secured="$secured $suite-security"; }
  done
  {
    printf 'Types: deb\nURIs: %s\nSuites:%s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$main" "$plain"
    if [ -n "$secured" ]; then
      printf '\nTypes: deb\nURIs: %s\nSuites:%s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$security" "$secured"
    fi
  } >"$NEWER_SOURCES"
  : >"$NEWER_PREFS"
  for suite in $plain $secured; do
    printf 'Package: *\nPin: release n=%s\nPin-Priority: 100\n\n' "$suite" >>"$NEWER_PREFS"
  done
  NEWER_SUITES="$plain$secured"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
}

newer_sources_remove() {
  rm -f "$NEWER_SOURCES" "$NEWER_PREFS"
  apt-get update -qq || true
}

# resolve_packages PACKAGE...: prints each PACKAGE (`name`, `name/suite` or `name=PATTERN`) as apt should get it,
# one a line, with patterns resolved to the newest matching version; fails naming what apt offers otherwise.
resolve_packages() {
  local status=0 pkg name pattern version
  for pkg in "$@"; do
    case $pkg in
      *=*)
        name=${pkg%%=*} pattern=${pkg#*=}
        if version=$(newest_matching "$name" "$pattern"); then
          echo "apt: $name: picked $version (newest matching '$pattern' in:${NEWER_SUITES:- the configured suites})" >&2
          echo "$name=$version"
        else
          echo "apt: $name: no version matching '$pattern' in:${NEWER_SUITES:- the configured suites}; apt offers:" >&2
          apt-cache madison "$name" >&2 || true
          status=1
        fi
        ;;
      *) echo "$pkg" ;;
    esac
  done
  return "$status"
}

# with_newer "SUITE..." COMMAND PACKAGE...: adds the suites, resolves the packages, runs COMMAND with them,
# and removes the suites again whatever happened.
with_newer() {
  local suites=$1 command=$2
  shift 2
  local status=0 list
  local -a resolved=()
  if newer_sources_add "$suites"; then
    if list=$(resolve_packages "$@"); then
      mapfile -t resolved <<<"$list"
      "$command" "${resolved[@]}" || status=$?
    else
      status=1
    fi
  else
    status=$?
  fi
  newer_sources_remove
  return "$status"
}

apt_install_quiet() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }
apt_download_quiet() { apt-get download -qq "$@"; }

install_from_newer() {
  local suites=$1
  shift
  with_newer "$suites" apt_install_quiet "$@"
}

# download_from_newer "SUITE..." DIR PACKAGE...: like install_from_newer, but only downloads the .deb files into DIR
# (apt-get download: no dependencies, nothing installed); unpack them with dpkg-deb -x.
download_from_newer() {
  local suites=$1 dir=$2
  shift 2
  mkdir -p "$dir"
  (cd "$dir" && with_newer "$suites" apt_download_quiet "$@")
}

# installed_matches NAME PATTERN: NAME is installed at a version matching PATTERN.
installed_matches() {
  local v
  v=$(dpkg-query -W -f='${db:Status-Abbrev} ${Version}' "$1" 2>/dev/null) || return 1
  case $v in ii*) ;; *) return 1 ;; esac
  # shellcheck disable=SC2053
  [[ ${v##* } == $2 ]]
}
