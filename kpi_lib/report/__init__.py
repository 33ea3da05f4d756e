"""Stage 4: the tables the notebooks show, charts, the papermill runner, manifests and audits."""
