"""Ingestor: lists a user's Instagram media and emits one post.discovered per new image post."""
