"""The PDF readers: `reader` is their entry point; `model` holds the types they share."""
