"""Stage 5: what runs outside the kernel: the parameters, the papermill runner and its plans,
batches, manifests, audits and their page, and the page shell, PDF, workbook and index
built around what the notebooks show."""
