"""Rule notebook_html: the executed reviewer notebook rendered as HTML by nbconvert."""

import nbformat
from nbconvert import HTMLExporter

from harmhorizon.io import atomic_path, setup_logging

log = setup_logging(snakemake.log[0])
notebook = nbformat.read(snakemake.input[0], as_version=4)
html, _ = HTMLExporter().from_notebook_node(notebook)
log.info("%d cells, %d bytes of HTML", len(notebook.cells), len(html))
with atomic_path(snakemake.output[0]) as tmp:
    tmp.write_text(html)
