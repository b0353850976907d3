"""Labeler: downloads, stores and labels one post's image, then counts it once in Redis."""
