#!/usr/bin/env bash
# Makes sure the Debian packages the test suite and the benchmarks need are present: installs them when running as
# root, otherwise names the missing ones. Under CI=true a package that is still missing is a failure.
# tests/unit/test_test_packages.py fails when a test or benchmark calls a program that no package below provides.
set -euo pipefail

# package -> how to tell it is installed (a program's path, or fc:<font family>)
declare -A needs=(
  [chromium]="/usr/bin/chromium"          # browser tests (Playwright drives Debian's Chromium)
  [fonts-noto-cjk]="fc:Noto Sans CJK JP"  # Japanese and Korean glyphs in pages and reports
  [fonts-noto-color-emoji]="fc:Noto Color Emoji"  # emoji in members' text, in pages and reports
  [poppler-utils]="/usr/bin/pdffonts"     # pdffonts, pdftotext, pdftoppm, pdfinfo read PDFs back; pdftocairo draws SVG logos
  [docker-compose]="/usr/bin/docker-compose"  # validates docker-compose.yml (no engine needed)
  [libreoffice-writer-nogui]="/usr/bin/libreoffice"  # reads exported DOCX back (converted to PDF) in tests
  [wrk]="/usr/bin/wrk"                    # HTTP load in the benchmarks (tests/unit/test_benchmarks.py runs it)
  [pandoc]="/usr/bin/pandoc"              # the DOCX benchmark's reference converter
  [git]="/usr/bin/git"                    # the benchmarks record the commit they measured
  [mount]="/usr/bin/mount"                # a small tmpfs stands in for a full exports volume (test_export_jobs.py)
)

# package -> the programs tests and benchmarks call from it (read by tests/unit/test_test_packages.py)
declare -A provides=(
  [chromium]="chromium"
  [poppler-utils]="pdffonts pdftotext pdftoppm pdfinfo pdfdetach pdftohtml pdfimages pdftocairo"
  [docker-compose]="docker-compose"
  [libreoffice-writer-nogui]="libreoffice soffice"
  [wrk]="wrk"
  [pandoc]="pandoc"
  [git]="git"
  [mount]="mount umount"
)

# Another apt-get or dpkg (unattended upgrades, a second CI job) may hold the lock: wait for it, but not for ever.
APT_LOCK_TIMEOUT=${APT_LOCK_TIMEOUT:-300}

present() {
  local check=$1
  if [[ $check == fc:* ]]; then
    # Not grep -q: it stops reading early, fc-list dies of SIGPIPE, and pipefail calls the font missing.
    fc-list 2>/dev/null | grep -F "${check#fc:}" >/dev/null
  else
    [[ -x $check ]]
  fi
}

missing=()
for pkg in "${!needs[@]}"; do
  present "${needs[$pkg]}" || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  echo "Installing Debian packages for the tests: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt_get=(apt-get -q -o "DPkg::Lock::Timeout=${APT_LOCK_TIMEOUT}")
  "${apt_get[@]}" update >/dev/null
  "${apt_get[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi

echo "Missing Debian packages for the tests: ${missing[*]}" >&2
echo "Install them with: sudo apt-get install ${missing[*]}" >&2
if [[ ${CI:-} == "true" ]]; then
  exit 1
fi
echo "Tests that need them will be skipped and say why." >&2
