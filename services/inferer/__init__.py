"""Inferer: labels an uploaded image and applies the user's current model (RPC over RabbitMQ)."""
