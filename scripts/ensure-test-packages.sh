#!/usr/bin/env bash
# Makes sure the Debian packages the test suite needs are present: installs them when running as root,
# otherwise names the missing ones. Under CI=true a package that is still missing is a failure.
set -euo pipefail

declare -A needs=(
  [chromium]="/usr/bin/chromium"          # browser tests (Playwright drives Debian's Chromium)
  [fonts-noto-cjk]="fc:Noto Sans CJK JP"  # Japanese and Korean glyphs in pages and reports
  [fonts-noto-color-emoji]="fc:Noto Color Emoji"  # emoji in exported reports (never empty boxes)
  [poppler-utils]="/usr/bin/pdffonts"     # pdffonts, pdftotext, pdftoppm read exported PDFs back; pdftocairo draws SVG logos
  [docker-compose]="/usr/bin/docker-compose"  # validates docker-compose.yml (no engine needed)
  [libreoffice-writer-nogui]="/usr/bin/libreoffice"  # reads exported DOCX back (converted to PDF) in tests
)

present() {
  local check=$1
  if [[ $check == fc:* ]]; then
    fc-list 2>/dev/null | grep -q "${check#fc:}"
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
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi

echo "Missing Debian packages for the tests: ${missing[*]}" >&2
echo "Install them with: sudo apt-get install ${missing[*]}" >&2
if [[ ${CI:-} == "true" ]]; then
  exit 1
fi
echo "Tests that need them will be skipped and say why." >&2
