#!/usr/bin/env bash
# Checks that every repository path the docs name exists: README.md,
# docs/*.md and harness/**/README.md (run by `make test`, see the
# check-doc-refs target in the Makefile).
#
# What counts as a named path:
#   - a Markdown link target `](path)` that is not a URL or a bare #anchor,
#     resolved against the doc's own folder (a #anchor suffix is dropped);
#   - a word that starts with a top-level folder of the repository
#     (apps/ bootloader/ docs/ harness/ host/ scenarios/ scripts/ tests/),
#     resolved against the repository root, up to the first character that
#     cannot be in a path (so `tests/<dir>/build.mk` checks `tests/`);
#   - a bare `NAME.md` in capitals (README.md, STYLE.md), looked for at the
#     root, in docs/ and beside the doc.
# Generated paths (build/...) are not checked. Exit 1 with `file:line: what
# is wrong` for every path that does not exist.
set -u
cd "$(dirname "$0")/.."
top='(apps|bootloader|docs|harness|host|scenarios|scripts|tests)'
bad=0
report() { echo "$1:$2: names '$3', which does not exist"; bad=1; }

# Trailing punctuation of prose is not part of a path.
trim() { local p=$1; while [[ "$p" =~ [.,:\;]$ ]]; do p=${p%?}; done; echo "$p"; }

docs=(README.md docs/*.md $(find harness -name README.md | sort))

# Markdown links: resolved against the doc's folder.
while IFS=: read -r doc n p; do
  p=${p#](}; p=${p%)}; p=${p%%#*}; p=${p%% *}
  case "$p" in ''|http:*|https:*|mailto:*) continue ;; esac
  [ -e "$(dirname "$doc")/$p" ] || report "$doc" "$n" "$p"
done < <(grep -noE '\]\([^)]*\)' "${docs[@]}")

# Words starting with a top-level folder (not inside a URL or another path).
while IFS=: read -r doc n p; do
  p=$(trim "${p#[^a-z]}")
  [ -e "$p" ] || report "$doc" "$n" "$p"
done < <(grep -noE "(^|[^A-Za-z0-9_./:-])$top/[A-Za-z0-9_./@+-]*" "${docs[@]}")

# Bare NAME.md.
while IFS=: read -r doc n p; do
  p=${p#[^A-Z]}
  [ -e "$p" ] || [ -e "docs/$p" ] || [ -e "$(dirname "$doc")/$p" ] || report "$doc" "$n" "$p"
done < <(grep -noE "(^|[^A-Za-z0-9_./-])[A-Z][A-Z_]*\.md" "${docs[@]}")

[ "$bad" -eq 0 ] && echo "doc references ok"
exit "$bad"
