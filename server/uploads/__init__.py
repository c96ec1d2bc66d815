"""Image uploads: checked by decoding, stored on disk, served only to people allowed to see them."""
