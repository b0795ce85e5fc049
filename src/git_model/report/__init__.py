"""The registry's report, as one HTML page: what it shows (``model``), its charts as
inline SVG (``charts``), Markdown made safe (``markdown``) and the page itself from Jinja2
templates (``page``, the only module that imports Jinja2). ``commands/report.py`` reads
the registry and writes the page."""
