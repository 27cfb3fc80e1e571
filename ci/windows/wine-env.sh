# Sourced by the scripts that run Windows binaries under Wine: a private prefix, a persistent
# wineserver with stdio on /dev/null and one warm-up run. Without them every run pays ~2.4 s,
# and services.exe inherits the caller's output pipe so ctest can hang forever. The server is
# stopped when the sourcing script exits.
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="   # no Mono/Gecko install prompts
export WINEPREFIX=${WINEPREFIX:-$HOME/.wine-multiproc}
mkdir -p "$WINEPREFIX"
# Fails when a persistent server already runs for this prefix, which is fine.
wineserver -p </dev/null >/dev/null 2>&1 || true
trap 'wineserver -k 2>/dev/null || true' EXIT
wine_warm_up_started=$SECONDS
timeout 300 wine cmd /c exit </dev/null >/dev/null 2>&1 || true
echo "[wine] prefix/server warm-up: $((SECONDS - wine_warm_up_started)) s"
