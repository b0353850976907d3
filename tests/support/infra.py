"""Checks and RabbitMQ virtual hosts for the tests."""
from __future__ import annotations

import socket
import subprocess


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def check() -> list[str]:
    problems = []
    for name, port in (("RabbitMQ", 5672), ("Redis", 6379), ("MongoDB-wire server", 27017)):
        if not _port_open(port):
            problems.append(f"{name} is not listening on 127.0.0.1:{port}")
    return problems


def add_vhost(name: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", name], check=False, capture_output=True)
    subprocess.run(["rabbitmqctl", "-q", "set_permissions", "-p", name, "guest", ".*", ".*", ".*"],
                   check=True, capture_output=True)


def delete_vhost(name: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", "delete_vhost", name], check=False, capture_output=True)
