"""Image uploads: checked by decoding, kept in the photo store, shown only to those allowed."""
