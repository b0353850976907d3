"""Gateway: the HTTP API and web app (Flask under gunicorn); publishes commands to RabbitMQ."""
