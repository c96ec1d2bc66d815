# Sourced by the scripts: `need_debs WHAT PACKAGE [WHAT PACKAGE ...]` installs the Debian
# packages whose command or file WHAT is missing: the CJK font printed cards and notice PDFs
# embed (server/cards/printing.py, server/notices/notice_pdf.py), the one notice posters are
# drawn in (server/notices/poster.py), and for the tests pdftoppm and zbarimg, which render the
# printed PDF and read its QR codes. Runs apt-get update only when an install fails.
CJK_FONT=/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc
NOTO_CJK=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc

need_debs() {
    local missing=()
    while [ $# -gt 1 ]; do
        [ -e "$1" ] || command -v "$1" >/dev/null 2>&1 || missing+=("$2")
        shift 2
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "==> installing Debian packages: ${missing[*]}"
    $sudo apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
        $sudo apt-get update >/dev/null && \
            $sudo apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
    }
}
