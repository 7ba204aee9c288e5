#!/usr/bin/env bash
# Create or refresh the project's virtual environment (.venv, or $MMSSG_VENV).
# Nothing is reinstalled while the requirement files and setup.py are unchanged: a stamp
# named after their hash marks a finished install. A changed file re-runs the install
# into the same environment (pip only adds or changes what differs). As root on Debian it
# also installs the Debian packages the tests and benchmarks read, when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${MMSSG_VENV:-.venv}
python=${PYTHON:-python3.11}
command -v "$python" >/dev/null 2>&1 || python=python3

# Debian packages, checked on every run and installed as root when missing (nothing is
# downloaded at test time): the MOR study's browser test drives the system's Chromium through
# its WebDriver (chromium, chromium-driver); the kernel benchmark's development split reads
# photographs of OpenCV's sample data (opencv-doc; benchmarks/accuracy/kernel_photos.py).
browser_found() {
  command -v chromedriver >/dev/null 2>&1 || return 1
  for browser in chromium chromium-browser google-chrome; do
    command -v "$browser" >/dev/null 2>&1 && return 0
  done
  return 1
}
missing=()
browser_found || missing+=(chromium chromium-driver)
[ -d /usr/share/doc/opencv-doc/examples/data ] || missing+=(opencv-doc)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "[setup_env] installing ${missing[*]} (apt-get) for the browser test and the kernel benchmark"
    apt_log=$(mktemp)
    # --reinstall with --path-include: minimal container images tell dpkg to leave out
    # /usr/share/doc (path-exclude in /etc/dpkg/dpkg.cfg.d/), where opencv-doc's photographs
    # live; an installed package whose photographs were left out gets them this way
    apt_install() {
      DEBIAN_FRONTEND=noninteractive apt-get install --reinstall -y -q \
        -o 'Dpkg::Options::=--path-include=/usr/share/doc/opencv-doc/*' "${missing[@]}"
    }
    # a fresh machine may have no package lists yet: update only when the install needs it
    { apt_install || { apt-get update -q && apt_install; }; } >"$apt_log" 2>&1 ||
      { tail -20 "$apt_log"; echo "[setup_env] apt-get could not install ${missing[*]}" \
        "(above); the tests that need them will fail until they are installed" >&2; }
    rm -f "$apt_log"
  else
    echo "[setup_env] the browser test and the kernel benchmark need Debian packages; as root:" \
      "apt-get install -y ${missing[*]}" >&2
  fi
fi

hash=$(cat requirements/*.txt setup.py tools/setup_env.sh | sha1sum | cut -c1-16)
stamp=$venv/.mmssg-env-$hash
[ -f "$stamp" ] && exit 0

echo "[setup_env] installing the pinned stack into $venv (first run: ~15 min, mmcv compiles)"
t0=$(date +%s)
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
log=$venv/setup_env.log
: > "$log"
pip_install() {  # quiet pip; print its output only when it fails
  if ! "$venv/bin/python" -m pip install --disable-pip-version-check "$@" >>"$log" 2>&1; then
    grep -v 'is ignored: it is neither' "$log" | tail -40
    echo "[setup_env] pip install $* failed; full log in $log" >&2
    exit 1
  fi
}
# numpy<2 and torch 2.5.1 constrain every later step
pip_install -r requirements/build.txt -r requirements/torch.txt
# mmcv compiles its CPU ops against the torch above, hence no build isolation; pip keeps
# the built wheel in its cache, so later environments on this machine skip the compile
echo "[setup_env] mmcv 2.1.0 (built from source once per machine)"
MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} pip_install --no-build-isolation \
  -r requirements/mmcv.txt -c requirements/torch.txt
pip_install -r requirements/runtime.txt -r requirements/tests.txt -r requirements/optional.txt \
  -c requirements/torch.txt
pip_install --no-deps -r requirements/mmagic.txt -r requirements/pyiqa.txt
pip_install --no-deps --no-build-isolation -e .
"$venv/bin/python" -W ignore -c "import mmssg, mmcv.ops, mmseg.models, lpips, pyiqa.archs" \
  >>"$log" 2>&1 \
  || { tail -20 "$log"; echo "[setup_env] the environment does not import; see $log" >&2; exit 1; }
rm -f "$venv"/.mmssg-env-*
touch "$stamp"
echo "[setup_env] ready in $(( $(date +%s) - t0 )) s"
