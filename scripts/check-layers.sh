#!/usr/bin/env bash
# Checks the harness's layering: a file in harness/<layer>/ may include
# headers of its own layer and of the layers below it, never above.
# Order, bottom first (docs/ARCHITECTURE.md "Layers"):
#   target < scenario < link < trace < run < cli
# Exit 1 with `file:line: what is wrong` for every upward include.
set -u
cd "$(dirname "$0")/.."
order=(target scenario link trace run cli)
rank() { local i; for i in "${!order[@]}"; do [ "${order[$i]}" = "$1" ] && { echo "$i"; return; }; done; echo -1; }
bad=0
for dir in harness/*/; do
  layer=$(basename "$dir")
  r=$(rank "$layer")
  if [ "$r" -lt 0 ]; then echo "$dir: folder is not a known layer (${order[*]})"; bad=1; continue; fi
  while IFS=: read -r file line text; do
    inc=$(sed -n 's/.*#include "\([a-z_]*\)\/.*/\1/p' <<<"$text")
    [ -n "$inc" ] || continue
    ir=$(rank "$inc")
    [ "$ir" -lt 0 ] && continue          # fota/..., fotahost/...: below every layer
    if [ "$ir" -gt "$r" ]; then
      echo "$file:$line: layer '$layer' includes '$inc', a layer above it"; bad=1
    fi
  done < <(grep -n '#include "' "$dir"*.[ch] /dev/null)
done
[ "$bad" -eq 0 ] && echo "layers ok: ${order[*]}"
exit "$bad"
