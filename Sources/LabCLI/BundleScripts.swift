/// The two shell scripts at the top of a bundle (see ``BundleCommand``). POSIX sh, so that they
/// run wherever the bundle lands.
enum BundleScripts {
    /// `lab`: the bundle's libraries first, then the libtorch `setup` chose, then the bundled `lab`.
    static let lab = #"""
    #!/bin/sh
    # The Lab runner of this bundle (made by `lab bundle`). Run ./setup once first: it finds the
    # libtorch to use and, when the shipped shim was compiled for another one, compiles it again.
    here=$(cd "$(dirname "$0")" && pwd)
    if [ ! -f "$here/lib/libtorch.path" ]; then
        echo "lab: this bundle has no libtorch yet: run $here/setup [--libtorch PATH] first" >&2
        exit 2
    fi
    torch=$(cat "$here/lib/libtorch.path")
    if [ ! -d "$torch/lib" ]; then
        echo "lab: the libtorch setup chose, $torch, is gone: run $here/setup again" >&2
        exit 2
    fi
    LD_LIBRARY_PATH="$here/lib:$torch/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    export LD_LIBRARY_PATH
    exec "$here/libexec/lab" "$@"
    """#

    /// `setup [--libtorch PATH] [--rebuild]`: records the libtorch and compiles the shim when needed.
    static let setup = #"""
    #!/bin/sh
    # setup [--libtorch PATH] [--rebuild]: points this bundle at a libtorch (a PyTorch 2.x 'torch'
    # folder: PATH, else $LIBTORCH, else the one chosen before, else the one python3 imports) and,
    # when lib/libCTorch.so was compiled for another version or CUDA build, compiles the shim
    # against it with c++.
    set -eu
    here=$(cd "$(dirname "$0")" && pwd)
    torch="" rebuild=0
    while [ $# -gt 0 ]; do
        case "$1" in
            --libtorch) [ $# -ge 2 ] || { echo "setup: --libtorch needs a path" >&2; exit 2; }; torch=$2; shift 2 ;;
            --rebuild) rebuild=1; shift ;;
            *) echo "setup: unknown argument '$1' (setup [--libtorch PATH] [--rebuild])" >&2; exit 2 ;;
        esac
    done
    [ -n "$torch" ] || torch=${LIBTORCH:-}
    [ -n "$torch" ] || torch=$(cat "$here/lib/libtorch.path" 2>/dev/null || true)
    if [ -z "$torch" ] && command -v python3 >/dev/null 2>&1; then
        torch=$(python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))' 2>/dev/null || true)
    fi
    if [ -z "$torch" ] || [ ! -f "$torch/include/ATen/ATen.h" ] || [ ! -f "$torch/version.py" ]; then
        echo "setup: no libtorch found${torch:+ at '$torch'}: pass --libtorch PATH, a PyTorch 2.x 'torch' folder with include/ and lib/, or set LIBTORCH" >&2
        exit 2
    fi
    torch=$(cd "$torch" && pwd)
    version=$(sed -n "s/^__version__ = '\(.*\)'.*/\1/p" "$torch/version.py" | head -n 1)
    cuda=$(sed -n "s/^cuda *= *'\(.*\)'.*/\1/p" "$torch/version.py" | head -n 1)
    want="$version cuda=${cuda:-none}"
    have=$(cat "$here/lib/libCTorch.for" 2>/dev/null || true)
    if [ "$rebuild" = 1 ] || [ "$want" != "$have" ]; then
        echo "setup: compiling the shim for libtorch $want${have:+ (the bundled one is for $have)}…"
        command -v c++ >/dev/null 2>&1 || { echo "setup: no C++ compiler (c++) to compile the shim with: install g++ or clang++" >&2; exit 2; }
        # The C++ ABI libtorch was built with: its std::string symbols say which.
        abi=1
        if command -v nm >/dev/null 2>&1 && ! nm -D --defined-only "$torch/lib/libc10.so" 2>/dev/null | grep -q __cxx11; then abi=0; fi
        cuda_link=""
        [ -f "$torch/lib/libtorch_cuda.so" ] && cuda_link="-Wl,--no-as-needed -ltorch_cuda -Wl,--as-needed"
        work=$(mktemp -d)
        trap 'rm -rf "$work"' EXIT
        jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
        # One c++ per source file, in parallel (xargs waits for each with waitpid).
        export here torch abi work
        if ! ls "$here"/shim/*.cpp | xargs -P "$jobs" -I {} sh -c '
            c++ -std=c++20 -O2 -w -fPIC -D_GLIBCXX_USE_CXX11_ABI=$abi -I"$here/shim/include" -I"$here/shim" \
                -I"$torch/include" -I"$torch/include/torch/csrc/api/include" \
                -c "$1" -o "$work/$(basename "$1" .cpp).o"' sh {}; then
            echo "setup: compiling the shim failed (above)" >&2
            exit 1
        fi
        # shellcheck disable=SC2086
        c++ -shared -o "$work/libCTorch.so" "$work"/*.o -Wl,-soname,libCTorch.so -L"$torch/lib" -Wl,-rpath,"$torch/lib" \
            -ltorch -ltorch_cpu -lc10 $cuda_link
        mv "$work/libCTorch.so" "$here/lib/libCTorch.so"
        printf '%s\n' "$want" > "$here/lib/libCTorch.for"
    fi
    printf '%s\n' "$torch" > "$here/lib/libtorch.path"
    echo "setup: libtorch $want at $torch"
    """#
}
