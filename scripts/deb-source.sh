# shellcheck shell=bash
# Sourced by qemu/build.sh and crypto/build.sh (each hashes this file into
# its cache key): fetch a Debian source package into $work/dl (kept between
# builds) through a deb-src list private to the build, so the system's apt
# configuration is untouched, and check the .dsc against its pinned
# SHA-256 (dpkg-source -x then checks the tarballs against the .dsc).
# The caller defines die MESSAGE FIX... and $work.
#
#   deb_source_fetch PACKAGE VERSION DSC DSC_SHA256 DEB_SRC_LINES CONF
#
# CONF names the file that pins the version, for the fix message.
deb_source_fetch() {
  local pkg=$1 ver=$2 dsc=$3 want=$4 debsrc=$5 conf=$6
  local lists="$work/apt-lists" list="$work/sources.list" sum
  local -a opts=(-o "Dir::Etc::SourceList=$list" -o Dir::Etc::SourceParts=/dev/null
                 -o "Dir::State::Lists=$lists")
  mkdir -p "$lists/partial" "$work/dl"
  if [ ! -f "$work/dl/$dsc" ]; then
    printf '%s\n' "$debsrc" > "$list"
    apt-get "${opts[@]}" update -q >"$work/fetch.log" 2>&1 ||
      die "apt-get update of the private deb-src list failed (see $work/fetch.log)" \
          "fix: check the network access to deb.debian.org"
    (cd "$work/dl" && apt-get "${opts[@]}" source --download-only "$pkg=$ver") >>"$work/fetch.log" 2>&1 ||
      die "apt-get source $pkg=$ver failed (see $work/fetch.log)" \
          "fix: if Debian dropped this version, update $conf to the current one"
  fi
  sum=$(sha256sum "$work/dl/$dsc" | cut -d' ' -f1)
  [ "$sum" = "$want" ] ||
    die "$dsc has SHA-256 $sum, $conf pins $want" \
        "fix: if the new upstream is intended, update the pinned SHA-256 in $conf; else delete $work/dl"
}
