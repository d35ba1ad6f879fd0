# wg web app. Pango (for WeasyPrint), Noto CJK fonts (Japanese and Korean in reports) and Noto Color Emoji come
# from Debian.
# LibreOffice Writer (no GUI) and poppler-utils paginate each DOCX export so its contents carry page numbers
# (wg/features/report/docx_toc.py, docs/decisions.md); without them DOCX contents list headings without numbers.
# poppler-utils' pdftocairo also draws an SVG logo as the PNG the DOCX cover shows (wg/lib/svg_raster.py).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    WG_ENV=production \
    WG_DATA_DIR=/var/lib/wg \
    WG_EXPORTS_DIR=/var/lib/wg/exports

RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
      fonts-noto-cjk fonts-noto-color-emoji fonts-dejavu-core postgresql-client \
      libreoffice-writer-nogui poppler-utils \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --system --create-home --home-dir /home/wg wg \
 && mkdir -p /var/lib/wg/exports && chown -R wg:wg /var/lib/wg

WORKDIR /app
COPY pyproject.toml README.md ./
COPY wg ./wg
COPY templates ./templates
# Editable install: templates/ stays beside the package, where wg looks for it.
RUN pip install -e .

USER wg
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["wg", "serve", "--host", "0.0.0.0", "--port", "8000"]
