#!/usr/bin/env bash
# Linux: put the built app in the desktop's application menu, for this user only.
#
#   bash packaging/install-desktop.sh [FOLDER]    # FOLDER: the built app, default dist/Lamplight
#   bash packaging/install-desktop.sh --uninstall
#
# Writes lamplight.desktop (its Exec= pointing at FOLDER/Lamplight) to
# ~/.local/share/applications and the icons to ~/.local/share/icons/hicolor (or under
# $XDG_DATA_HOME). Move the folder first, then install: the menu entry names its path.
set -euo pipefail
checkout=$(cd "$(dirname "$0")/.." && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
sizes="16 32 48 64 128 256 512"

# Menus notice a changed folder by its time stamp. No icon-theme.cache here: a cache in the
# user's own hicolor folder goes stale when other apps add icons without updating it.
refresh() { touch "$data/applications" "$data/icons/hicolor" 2>/dev/null || true; }

if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$data/applications/lamplight.desktop" "$data/icons/hicolor/scalable/apps/lamplight.svg"
    for size in $sizes; do rm -f "$data/icons/hicolor/${size}x${size}/apps/lamplight.png"; done
    refresh
    echo "removed Lamplight from the application menu"
    exit 0
fi

folder=$(cd "${1:-$checkout/dist/Lamplight}" 2>/dev/null && pwd) || {
    echo "install-desktop.sh: no folder ${1:-dist/Lamplight}; build it with packaging/build.sh" >&2
    exit 2
}
launcher=$folder/Lamplight
[ -x "$launcher" ] || { echo "install-desktop.sh: no launcher at $launcher" >&2; exit 2; }
case "$launcher" in
    *[\"\`\$\\]*) echo "install-desktop.sh: move the app to a path without \" \` \$ or \\" >&2; exit 2 ;;
esac
# The resources the build bundled; the checkout's when the folder has none.
resources=$folder/_internal/resources
[ -f "$resources/lamplight.desktop" ] || resources=$checkout/resources

for size in $sizes; do
    install -D -m 644 "$resources/icons/lamplight-$size.png" \
        "$data/icons/hicolor/${size}x${size}/apps/lamplight.png"
done
install -D -m 644 "$resources/icons/lamplight.svg" "$data/icons/hicolor/scalable/apps/lamplight.svg"
mkdir -p "$data/applications"
sed -e "s|^Exec=.*|Exec=\"$launcher\"|" -e "s|^TryExec=.*|TryExec=$launcher|" \
    "$resources/lamplight.desktop" > "$data/applications/lamplight.desktop"
refresh
echo "added Lamplight to the application menu: $data/applications/lamplight.desktop -> $launcher"
